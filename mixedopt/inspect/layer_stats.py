"""Per-layer statistics of a target assignment.

For one layer: the output layer's label targets, agreement, per-unit margins and violated
targets (:func:`layer_report`), conflict sets of units that miss their targets
(:func:`find_conflicts`, via :func:`mixedopt.fit_unit`) and the class-conditional codes of
a hidden layer (:func:`code_stats`).
"""

from __future__ import annotations

import numpy as np

from mixedopt.ftprop.unit_steps import levels_of
from mixedopt.inspect.layers import CodeStats, LayerReport
from mixedopt.inspect.scalars import item
from mixedopt.network import ThresholdNet
from mixedopt.perceptron.fit import fit_unit

__all__ = ["code_stats", "find_conflicts", "layer_report", "output_targets"]


def output_targets(
    net: ThresholdNet, Z: np.ndarray, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """±1 label targets of the output units and what the units realise."""
    if net.output == "sign":
        t = (2 * codes - 1).astype(np.float64)[:, None]
        return t, np.where(Z >= 0, 1.0, -1.0)
    k = Z.shape[1]
    t = -np.ones((Z.shape[0], k))
    t[np.arange(Z.shape[0]), codes] = 1.0
    real = -np.ones_like(t)
    real[np.arange(Z.shape[0]), np.argmax(Z, axis=1)] = 1.0
    return t, real


def layer_report(
    i: int,
    kind: str,
    act: str,
    W: np.ndarray,
    Z: np.ndarray,
    tgt: np.ndarray,
    real: np.ndarray,
) -> LayerReport:
    agree = tgt == real
    norms = np.sqrt(np.sum(W * W, axis=1))
    norms = np.where(norms > 0, norms, 1.0)
    if kind == "hidden" and act.startswith("staircase"):
        lv = levels_of(act)
        k = lv.index(tgt)
        j = np.arange(lv.thresholds.shape[0])
        sig = np.where(j < k[..., None], 1.0, -1.0)
        # strictly above a threshold to pass it: z - theta > 0 needed for sig = +1
        m = np.min(sig * (Z[..., None] - lv.thresholds), axis=-1)
    elif kind == "output" and tgt.shape[1] > 1:
        # argmax output: unit y must beat the best other unit
        zy = np.sum(np.where(tgt > 0, Z, 0.0), axis=1)
        other = np.where(tgt > 0, -np.inf, Z).max(axis=1)
        m = np.where(tgt > 0, (zy - other)[:, None], (zy[:, None] - Z))
        norms = np.ones_like(norms)  # score differences: no single weight vector to scale by
    else:
        m = tgt * Z
    margin = np.min(m, axis=0) / norms
    return LayerReport(
        index=i,
        kind=kind,
        activation=act,
        targets=tgt,
        activations=real,
        agreement=float(np.mean(agree)),
        unit_agreement=np.mean(agree, axis=0),
        unit_margin=margin,
        unit_violations=np.sum(~agree, axis=0).astype(np.int64),
        separable=[None] * tgt.shape[1],
        conflicts={},
    )


def find_conflicts(
    layer: LayerReport, A: np.ndarray, max_units: int, time_limit: float, notes: list[str]
) -> None:
    """Check units that miss targets for separability; record conflict sets."""
    bad = np.flatnonzero(layer.unit_violations)
    if bad.size == 0:
        return
    values = set(np.unique(layer.targets).tolist())
    if values <= {-1.0, 1.0}:
        pm1 = layer.targets
    elif values <= {0.0, 1.0}:  # step units: the same dichotomy, read as ±1
        pm1 = np.where(layer.targets > 0, 1.0, -1.0)
    else:
        notes.append(f"{layer.name}: conflict sets need two-level targets (skipped).")
        return
    order = bad[np.argsort(-layer.unit_violations[bad], kind="stable")][:max_units]
    if bad.size > max_units:
        notes.append(f"{layer.name}: {bad.size} units miss targets; checked the {max_units} worst.")
    for u in order.tolist():
        t = pm1[:, u].astype(np.int64)
        if np.unique(t).size < 2:
            layer.separable[u] = True
            continue
        try:
            fit = fit_unit(A, t, method="lp", time_limit=time_limit)
        except Exception as exc:  # a failed check must not sink the report
            notes.append(f"{layer.name} unit {u}: separability check failed ({exc}).")
            continue
        layer.separable[u] = bool(fit.separable)
        if not fit.separable and fit.conflict is not None:
            layer.conflicts[u] = [int(v) for v in np.asarray(fit.conflict).tolist()]


def _code_str(row: np.ndarray) -> str:
    vals = np.unique(row)
    if set(vals.tolist()) <= {-1.0, 1.0}:
        return "".join("+" if v > 0 else "-" for v in row)
    if set(vals.tolist()) <= {0.0, 1.0}:
        return "".join("1" if v > 0 else "0" for v in row)
    return ",".join(f"{v:g}" for v in row)


def code_stats(real: np.ndarray, codes: np.ndarray, classes: np.ndarray, top: int) -> CodeStats:
    keys, inv = np.unique(real, axis=0, return_inverse=True)
    inv = inv.ravel()
    k = classes.shape[0]
    counts = np.zeros((keys.shape[0], k), dtype=np.int64)
    np.add.at(counts, (inv, codes), 1)
    purity = float(counts.max(axis=1).sum() / max(1, codes.shape[0]))
    names = [_code_str(r) for r in keys]
    per_class: dict[str, list[tuple[str, int]]] = {}
    for c in range(k):
        order = np.argsort(-counts[:, c], kind="stable")[:top]
        per_class[str(item(classes[c]))] = [
            (names[j], int(counts[j, c])) for j in order if counts[j, c] > 0
        ]
    totals = counts.sum(axis=1)
    order = np.argsort(-totals, kind="stable")[: max(top, 10)]
    code_purity = [
        (names[j], int(totals[j]), float(counts[j].max() / totals[j])) for j in order.tolist()
    ]
    rng = np.random.default_rng(0)
    chance = []
    for _ in range(5):
        shuffled = np.zeros_like(counts)
        np.add.at(shuffled, (inv, rng.permutation(codes)), 1)
        chance.append(shuffled.max(axis=1).sum() / max(1, codes.shape[0]))
    majority = float(np.bincount(codes, minlength=k).max() / max(1, codes.shape[0]))
    return CodeStats(
        n_codes=int(keys.shape[0]),
        purity=purity,
        per_class=per_class,
        code_purity=code_purity,
        purity_chance=float(np.mean(chance)),
        purity_majority=majority,
    )
