"""Inspect target assignments: what each layer is asked to output, and how well it does.

:func:`inspect_targets` takes a network (or a :class:`~mixedopt.SolveResult`, or a fitted
estimator with ``net_``) and data, and reports per layer:

* the **target matrix** (samples × units) and the realised activations;
* **agreement** between targets and activations (overall and per unit);
* per unit, the **margin** on its targets (``min_i t_i z_i / ||w||``, negative when some target
  is missed; for a staircase the distance to the target level's interval; for an argmax
  output the raw score difference with the competing unit) and the **number of violated
  targets**;
* for a unit that cannot fit its targets, a **conflict set**: an irreducible set of samples
  whose targets no hyperplane on the layer's inputs separates
  (:func:`mixedopt.fit_unit` ``(...).conflict``);
* for hidden layers, the **class-conditional codes**: which activation patterns each class
  maps to, and their purity (the accuracy of a majority-vote lookup table on the codes);
* **flip rates** across training, from the training history (an FTPROP ``History``, the
  ``info["history"]`` of a result, ``net.metadata["history"]`` of a saved model, or a torch
  target-capture history from :mod:`mixedopt.torch`).

Targets come from, in this order: the ``targets`` argument; the targets of a
:class:`SolveResult` when they match ``X``; or one top-down FTPROP target step on ``(X, y)``
with the network's own weights (:func:`mixedopt.train.ftprop.propagate_targets`). The output
layer's targets are the labels (``±1`` for one output unit; one-vs-rest ``±1`` per class).

Outputs: :meth:`TargetReport.table` (rich), :meth:`TargetReport.to_dict` / ``to_json``,
matplotlib figures (:meth:`TargetReport.plot_targets`, :meth:`TargetReport.plot_training`)
and a self-contained HTML page (:meth:`TargetReport.to_html`); :meth:`TargetReport.save`
writes all of them to a folder. :func:`to_networkx` turns a network into a weighted DiGraph.

Examples
--------
>>> import numpy as np
>>> import mixedopt as mo
>>> net = mo.ThresholdNet([np.array([[1, 1], [-1, -1]]), np.array([[1, 1]])],
...                       [np.array([-1, -1]), np.array([1])])
>>> X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]]); y = np.array([1, -1, -1, 1])
>>> rep = mo.inspect_targets(net, X, y)
>>> rep.layers[-1].agreement, rep.accuracy
(1.0, 1.0)
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mixedopt._files import atomic_savez, atomic_write_bytes
from mixedopt._validation import check_labels
from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet

__all__ = ["CodeStats", "LayerReport", "TargetReport", "inspect_targets", "to_networkx"]

logger = logging.getLogger(__name__)

_JSON_MATRIX_LIMIT = 200_000  # target matrices larger than this stay out of the JSON


@dataclass
class CodeStats:
    """Class-conditional activation codes of a hidden layer.

    ``per_class[c]`` lists ``(code, count)`` for the most frequent codes of class ``c``;
    ``purity`` is ``sum_code max_class count / n`` (1.0: the codes determine the class).
    """

    n_codes: int
    purity: float
    per_class: dict[str, list[tuple[str, int]]]
    code_purity: list[tuple[str, int, float]]


@dataclass
class LayerReport:
    """Statistics of one layer (see :func:`inspect_targets`)."""

    index: int
    kind: str
    activation: str
    targets: np.ndarray
    activations: np.ndarray
    agreement: float
    unit_agreement: np.ndarray
    unit_margin: np.ndarray
    unit_violations: np.ndarray
    separable: list[bool | None]
    conflicts: dict[int, list[int]]
    codes: CodeStats | None = None
    flip_rate: list[float] | None = None
    violated_curve: list[float] | None = None

    @property
    def n_units(self) -> int:
        return int(self.targets.shape[1])

    @property
    def name(self) -> str:
        return f"hidden {self.index + 1}" if self.kind == "hidden" else "output"

    def to_dict(self, include_matrices: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "index": self.index,
            "name": self.name,
            "kind": self.kind,
            "activation": self.activation,
            "n_units": self.n_units,
            "agreement": self.agreement,
            "unit_agreement": self.unit_agreement.tolist(),
            "unit_margin": [_num(v) for v in self.unit_margin.tolist()],
            "unit_violations": self.unit_violations.tolist(),
            "separable": self.separable,
            "conflicts": {str(k): v for k, v in self.conflicts.items()},
            "flip_rate": self.flip_rate,
            "violated_curve": self.violated_curve,
        }
        if self.codes is not None:
            d["codes"] = {
                "n_codes": self.codes.n_codes,
                "purity": self.codes.purity,
                "per_class": {k: [list(p) for p in v] for k, v in self.codes.per_class.items()},
                "code_purity": [list(p) for p in self.codes.code_purity],
            }
        if include_matrices and self.targets.size <= _JSON_MATRIX_LIMIT:
            d["targets"] = self.targets.tolist()
            d["activations"] = self.activations.tolist()
        return d


@dataclass
class TargetReport:
    """What :func:`inspect_targets` returns: one :class:`LayerReport` per layer."""

    layers: list[LayerReport]
    labels: np.ndarray
    classes: np.ndarray
    accuracy: float
    target_source: str
    net_sizes: list[int]
    history: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n_samples(self) -> int:
        return int(self.labels.shape[0])

    # ------------------------------------------------------------------- export
    def to_dict(self, include_matrices: bool = True) -> dict[str, Any]:
        """JSON-serialisable report (target matrices only when not huge)."""
        return {
            "format": "mixedopt.target_report",
            "version": 1,
            "n_samples": self.n_samples,
            "net_sizes": self.net_sizes,
            "classes": [_item(c) for c in self.classes.tolist()],
            "accuracy": self.accuracy,
            "target_source": self.target_source,
            "notes": self.notes,
            "layers": [ly.to_dict(include_matrices) for ly in self.layers],
            "history": _jsonable_history(self.history),
        }

    def to_json(self, path: str | os.PathLike[str] | None = None, **kw: Any) -> str:
        """The report as JSON text; also written (atomically) to ``path`` when given."""
        text = json.dumps(self.to_dict(**kw), indent=1)
        if path is not None:
            atomic_write_bytes(Path(path), text.encode("utf-8"))
        return text

    def table(self) -> Any:
        """A rich :class:`~rich.table.Table` with one row per layer."""
        from rich import box
        from rich.table import Table

        t = Table(
            title=f"target assignment ({self.target_source}); accuracy {self.accuracy:.3f}",
            box=box.SIMPLE_HEAD,
            padding=(0, 1),
            pad_edge=False,
            collapse_padding=True,
        )
        for col in (
            "layer",
            "units",
            "act",
            "agree",
            "viol",
            "bad",
            "margin",
            "non-sep",
            "codes",
            "purity",
            "flip",
        ):
            t.add_column(col, justify="left" if col in ("layer", "act") else "right", no_wrap=True)
        for ly in self.layers:
            n_conf = sum(1 for s in ly.separable if s is False)
            checked = sum(1 for s in ly.separable if s is not None)
            flip = ly.flip_rate[-1] if ly.flip_rate else None
            t.add_row(
                f"h{ly.index + 1}" if ly.kind == "hidden" else "out",
                str(ly.n_units),
                ly.activation.replace("output:", ""),
                f"{ly.agreement:.3f}",
                str(int(ly.unit_violations.sum())),
                str(int(np.count_nonzero(ly.unit_violations))),
                _fmt(float(np.min(ly.unit_margin)) if ly.unit_margin.size else None),
                f"{n_conf}/{checked}" if checked else "-",
                "-" if ly.codes is None else str(ly.codes.n_codes),
                "-" if ly.codes is None else f"{ly.codes.purity:.3f}",
                _fmt(flip),
            )
        return t

    def print(self, console: Any = None) -> None:
        """Print :meth:`table` (to ``console`` or a new rich console)."""
        from rich.console import Console

        console = console or Console()
        console.print(self.table())
        console.print(
            "agree: targets met · viol: targets missed · bad: units missing some · non-sep: "
            "non-separable units / units checked · purity: of the class-conditional codes · "
            "flip: last flip rate in training",
            style="dim",
            highlight=False,
        )

    # ------------------------------------------------------------------ figures
    def plot_targets(self, layer: int = 0, ax: Any = None) -> Any:
        """Heatmap of a layer's targets, samples sorted by class (matplotlib Figure)."""
        from mixedopt._report_plots import plot_targets

        return plot_targets(self, layer, ax=ax)

    def plot_training(self) -> Any:
        """Training curves from the history (matplotlib Figure), or None without one."""
        from mixedopt._report_plots import plot_training

        return plot_training(self.history)

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """A self-contained HTML page (figures embedded as base64 PNG)."""
        from mixedopt._report_html import render_html

        html = render_html(self)
        if path is not None:
            atomic_write_bytes(Path(path), html.encode("utf-8"))
        return html

    def save(self, folder: str | os.PathLike[str]) -> dict[str, Path]:
        """Write ``report.html``, ``report.json``, ``targets.npz``, one
        ``targets_layer<k>.png`` per layer and ``training.png`` to ``folder``."""
        from mixedopt._report_html import render_html, report_images

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        images = report_images(self)
        files: dict[str, Path] = {}
        files["json"] = out / "report.json"
        self.to_json(files["json"])
        files["html"] = out / "report.html"
        atomic_write_bytes(files["html"], render_html(self, images).encode("utf-8"))
        for key, png in images.items():
            files[key] = out / f"{key}.png"
            atomic_write_bytes(files[key], png)
        arrays: dict[str, np.ndarray] = {}
        for ly in self.layers:
            arrays[f"targets{ly.index}"] = ly.targets
            arrays[f"activations{ly.index}"] = ly.activations
        arrays["labels_codes"] = np.searchsorted(self.classes, self.labels)
        files["npz"] = out / "targets.npz"
        atomic_savez(files["npz"], arrays)
        return files


# ------------------------------------------------------------------------- building
def _resolve(obj: Any) -> tuple[ThresholdNet, list[np.ndarray] | None, Any]:
    """Network, solver targets and history of a net / result / estimator."""
    from mixedopt.result import SolveResult

    if isinstance(obj, ThresholdNet):
        return obj, None, obj.metadata.get("history")
    if isinstance(obj, SolveResult):
        if obj.net is None:
            raise ValidationError("the result holds no network (the solve found none).")
        hist = obj.info.get("history") or obj.net.metadata.get("history")
        return obj.net, list(obj.targets) if obj.targets else None, hist
    net = getattr(obj, "net_", None)
    if isinstance(net, ThresholdNet):
        res = getattr(obj, "result_", None)
        targets = list(res.targets) if res is not None and getattr(res, "targets", None) else None
        return net, targets, getattr(obj, "history_", None)
    raise ValidationError(
        f"inspect_targets needs a ThresholdNet, a SolveResult or a fitted mixedopt estimator, "
        f"got {type(obj).__name__}."
    )


def inspect_targets(
    obj: Any,
    X: Any,
    y: Any,
    *,
    targets: list[Any] | None = None,
    history: Any = None,
    target_step: str = "greedy",
    loss: str = "hinge",
    conflicts: bool = True,
    max_conflict_units: int = 16,
    conflict_time_limit: float = 2.0,
    top_codes: int = 5,
) -> TargetReport:
    """Report the target assignment of a network on ``(X, y)`` (see the module docstring).

    Parameters
    ----------
    obj : ThresholdNet, SolveResult or fitted estimator
        The network to inspect.
    X : array-like, shape (n_samples, n_features)
    y : array-like, shape (n_samples,)
        Labels (the network's classes).
    targets : list of array-like, optional
        Hidden-layer targets, one ``(n_samples, n_units)`` array per hidden layer.
    history : dict or History, optional
        Training history (FTPROP ``History`` or its dict, or a torch target-capture history);
        taken from ``obj`` when omitted.
    target_step : {"greedy", "gradient", "exact"}
        Target step used when the targets must be computed.
    loss : str
        Output loss of that target step.
    conflicts : bool
        Look for conflict sets of units that miss targets (one LP per unit).
    max_conflict_units : int
        Most units checked per layer (those with the most violated targets first).
    conflict_time_limit : float
        Seconds per unit check.
    top_codes : int
        Codes listed per class.

    Returns
    -------
    TargetReport
    """
    net, solver_targets, hist = _resolve(obj)
    if getattr(obj, "quantizer_", None) is not None and hasattr(obj, "quantize_inputs"):
        X = obj.quantize_inputs(X)  # the estimator's net reads quantised inputs
    Xa = net._check_X(X)
    ya = check_labels(y, n_samples=Xa.shape[0])
    classes = np.asarray(net.classes)
    known = np.isin(ya, classes)
    if not known.all():
        raise ValidationError(
            f"y holds labels {np.unique(ya[~known])[:5].tolist()} that the network does not "
            f"predict; its classes are {classes.tolist()}."
        )
    codes = np.array([int(np.flatnonzero(classes == v)[0]) for v in ya], dtype=np.int64)
    pre, post = net.forward(Xa)
    notes: list[str] = []
    n_hidden = len(net.hidden_sizes)
    source = ""
    T: list[np.ndarray] | None = None
    if targets is not None:
        T = [np.asarray(t, dtype=np.float64) for t in targets]
        source = "given"
    elif solver_targets is not None and _targets_fit(solver_targets, net, Xa.shape[0]):
        T = [np.asarray(t, dtype=np.float64) for t in solver_targets]
        source = "solver"
    if T is not None:
        if len(T) != n_hidden or any(
            t.shape != (Xa.shape[0], n) for t, n in zip(T, net.hidden_sizes, strict=True)
        ):
            raise ValidationError(
                f"targets must hold {n_hidden} array(s) of shapes "
                f"{[(Xa.shape[0], n) for n in net.hidden_sizes]}."
            )
    elif n_hidden:
        from mixedopt.train.ftprop import propagate_targets

        pt = propagate_targets(net, Xa, ya, target_step=target_step, loss=loss)
        T = pt.targets
        source = f"ftprop-{target_step}"
    else:
        T = []
        source = "labels"
    if history is None:
        history = hist
    hdict = _history_dict(history)

    layers: list[LayerReport] = []
    inputs = [Xa.astype(np.float64)] + [np.asarray(p, dtype=np.float64) for p in post]
    for i in range(net.n_layers):
        W = np.asarray(net.weights[i], dtype=np.float64)
        Z = np.asarray(pre[i], dtype=np.float64)
        if i < n_hidden:
            kind, act = "hidden", net.activation_names[i]
            tgt = T[i]
            real = np.asarray(post[i], dtype=np.float64)
        else:
            kind, act = "output", f"output:{net.output}"
            tgt, real = _output_targets(net, Z, codes)
        layer = _layer_report(i, kind, act, W, Z, tgt, real)
        if conflicts:
            _find_conflicts(layer, inputs[i], max_conflict_units, conflict_time_limit, notes)
        if kind == "hidden":
            layer.codes = _code_stats(real, codes, classes, top_codes)
        layer.flip_rate, layer.violated_curve = _curves(hdict, i, kind, n_hidden)
        layers.append(layer)
    acc = float(np.mean(net.predict_codes(Xa) == codes))
    return TargetReport(
        layers=layers,
        labels=ya,
        classes=classes,
        accuracy=acc,
        target_source=source,
        net_sizes=net.sizes,
        history=hdict,
        notes=notes,
    )


def _targets_fit(targets: list[Any], net: ThresholdNet, n: int) -> bool:
    return len(targets) == len(net.hidden_sizes) and all(
        np.shape(t) == (n, k) for t, k in zip(targets, net.hidden_sizes, strict=True)
    )


def _output_targets(
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


def _layer_report(
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
        from mixedopt.train.unitsteps import levels_of

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


def _find_conflicts(
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
    try:
        from mixedopt.perceptron import fit_unit
    except ImportError:  # pragma: no cover - perceptron ships with mixedopt
        msg = "conflict sets skipped: mixedopt.perceptron is not available."
        if msg not in notes:
            notes.append(msg)
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


def _code_stats(real: np.ndarray, codes: np.ndarray, classes: np.ndarray, top: int) -> CodeStats:
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
        per_class[str(_item(classes[c]))] = [
            (names[j], int(counts[j, c])) for j in order if counts[j, c] > 0
        ]
    totals = counts.sum(axis=1)
    order = np.argsort(-totals, kind="stable")[: max(top, 10)]
    code_purity = [
        (names[j], int(totals[j]), float(counts[j].max() / totals[j])) for j in order.tolist()
    ]
    return CodeStats(
        n_codes=int(keys.shape[0]), purity=purity, per_class=per_class, code_purity=code_purity
    )


# -------------------------------------------------------------------------- history
def _history_dict(history: Any) -> dict[str, Any] | None:
    if history is None:
        return None
    if hasattr(history, "to_dict"):
        history = history.to_dict()
    if not isinstance(history, dict):
        raise ValidationError(
            f"history must be a dict (FTPROP History or a torch target-capture history), got "
            f"{type(history).__name__}."
        )
    return history


def _is_torch_capture(h: dict[str, Any]) -> bool:
    return h.get("format") == "mixedopt.torch.target_history" or "probe" in h


def _curves(
    h: dict[str, Any] | None, i: int, kind: str, n_hidden: int
) -> tuple[list[float] | None, list[float] | None]:
    """Flip-rate and violated-fraction curves of layer ``i`` from a history."""
    if not h:
        return None, None
    if _is_torch_capture(h):
        if kind != "hidden":
            return None, None
        probe = h.get("probe", {})
        fr = np.asarray(probe.get("flip_rate", []), dtype=np.float64)
        dis = np.asarray(probe.get("disagreement", []), dtype=np.float64)
        flip = [_num(v) for v in fr[:, i].tolist()] if fr.ndim == 2 and fr.shape[1] > i else None
        viol = [_num(v) for v in dis[:, i].tolist()] if dis.ndim == 2 and dis.shape[1] > i else None
        return flip, viol
    flipped = h.get("flipped") or []
    violated = h.get("violated") or []
    flip = [float(e[i]) for e in flipped if len(e) > i] if kind == "hidden" else None
    col = i if kind == "hidden" else n_hidden
    viol = [float(e[col]) for e in violated if len(e) > col] or None
    return flip or None, viol


def _jsonable_history(h: dict[str, Any] | None) -> Any:
    if h is None:
        return None
    return json.loads(json.dumps(h, default=_json_default))


def _json_default(o: Any) -> Any:
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    return str(o)


# --------------------------------------------------------------------------- graph
def to_networkx(net: ThresholdNet, *, drop_zero: bool = False) -> Any:
    """The network as a weighted :class:`networkx.DiGraph`.

    Nodes are ``"x<i>"`` (inputs), ``"h<l>_<j>"`` (hidden unit ``j`` of hidden layer ``l``,
    from 1) and ``"y<k>"`` (outputs), with attributes ``layer``, ``kind``, ``index``,
    ``bias`` and ``activation``; edges carry ``weight``. All attributes are plain numbers or
    strings, so ``networkx.write_graphml(G, path)`` works.

    Parameters
    ----------
    drop_zero : bool
        Leave out zero-weight edges.

    Examples
    --------
    >>> import mixedopt as mo
    >>> G = mo.to_networkx(mo.ThresholdNet.random([3, 2, 1], seed=0))
    >>> G.number_of_nodes(), G.number_of_edges()
    (6, 8)
    """
    import networkx as nx

    G = nx.DiGraph(sizes=",".join(map(str, net.sizes)), output=net.output)

    def name(layer: int, j: int) -> str:
        if layer == 0:
            return f"x{j}"
        if layer == net.n_layers:
            return f"y{j}"
        return f"h{layer}_{j}"

    for j in range(net.n_inputs):
        G.add_node(name(0, j), layer=0, kind="input", index=j, bias=0.0, activation="input")
    for li, (W, b) in enumerate(zip(net.weights, net.biases, strict=True), start=1):
        out = li == net.n_layers
        act = f"output:{net.output}" if out else net.activation_names[li - 1]
        for j in range(W.shape[0]):
            attrs: dict[str, Any] = {
                "layer": li,
                "kind": "output" if out else "hidden",
                "index": j,
                "bias": float(b[j]),
                "activation": act,
            }
            if out:
                cls = net.classes[j if net.output == "argmax" else 1]
                attrs["label"] = str(_item(cls))
            G.add_node(name(li, j), **attrs)
            for i in range(W.shape[1]):
                w = float(W[j, i])
                if drop_zero and w == 0.0:
                    continue
                G.add_edge(name(li - 1, i), name(li, j), weight=w)
    return G


# ---------------------------------------------------------------------------- utils
def _num(v: Any) -> Any:
    if v is None:
        return None
    v = float(v)
    return v if np.isfinite(v) else None


def _fmt(v: float | None) -> str:
    if v is None or not np.isfinite(v):
        return "-"
    return f"{v:.3g}"


def _item(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v
