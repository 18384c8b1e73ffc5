"""Benchmark FTPROP-MB (numpy) against straight-through baselines trained with torch.

Protocol (the same for every method): for each data set, architecture (one and two hidden
layers) and seed, one stratified split holds out 25 % of the data as the **test** part; the
rest is split again (stratified, 20 %) into a **fit** part and a **validation** part. Every
method trains the same architecture on the fit part with Adam, batch 64, the same
initialisation scheme (weights N(0, 1/fan_in), zero biases) and up to ``--epochs`` epochs,
scoring the validation part after every epoch: training stops when the validation accuracy
has not improved for ``--patience`` epochs and the weights of the best epoch are kept (early
stopping). This is done for every learning rate of the same grid (``--lr-grid``), and the
learning rate with the best validation accuracy is chosen (ties: the smaller rate). The test
part is scored once, for the chosen model; it never takes part in any choice.

Methods:

* ``ftprop-gradient`` / ``ftprop-greedy`` / ``ftprop-exact``: :class:`FTPropTrainer` with
  each target step (soft-hinge unit loss, cross-entropy output loss);
* ``ste`` / ``sste``: sign units trained by backprop with the straight-through estimator
  (identity backward) and its saturated form (``g * 1{|z| <= 1}``), torch;
* ``relu``: the same MLP with ReLU units (a full-precision reference).

Inputs are standardised on the fit part (FTPROP does it internally and folds it into the
first layer). numpy and torch both run on one thread. A second experiment compares the
per-batch target objective of the ``exact`` target step against ``greedy`` on the same small
batches (the exact step runs greedy first and records both).

``--variants NAME,...`` runs a **validation-only study** instead (no test scores are
computed): FTPROP variants next to the baselines under the same protocol, reporting the
selected validation accuracy; it is how FTPROP's design choices were made
(``results/bench_ftprop_variants.{md,json}``).

Usage::

    python scripts/bench_ftprop.py            # full run (writes results/bench_ftprop.{md,json})
    python scripts/bench_ftprop.py --quick    # a couple of minutes: 2 data sets, 1 seed
    python scripts/bench_ftprop.py --variants sh-t2,sste --datasets pima --seeds 2

Writes Markdown and JSON atomically.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mixedopt as mo  # noqa: E402
from mixedopt.datasets import train_test_split  # noqa: E402
from mixedopt.files import atomic_write_text  # noqa: E402
from mixedopt.ftprop.trainer import FTPropTrainer  # noqa: E402

DATASETS = ["digits", "breast_cancer", "mnist1d", "pima", "titanic", "german", "spambase"]
ARCHS = {"1 hidden (64)": (64,), "2 hidden (64, 32)": (64, 32)}
LR_GRID = (0.003, 0.01, 0.03)

#: every method of the study; ``kind`` says who trains it, the rest are its settings
METHODS: dict[str, dict[str, Any]] = {
    "ftprop-gradient": {"kind": "ftprop", "target_step": "gradient"},
    "ftprop-greedy": {"kind": "ftprop", "target_step": "greedy"},
    "ftprop-exact": {"kind": "ftprop", "target_step": "exact"},
    "ste": {"kind": "torch", "act": "ste"},
    "sste": {"kind": "torch", "act": "sste"},
    "relu": {"kind": "torch", "act": "relu"},
}
#: FTPROP variants for the validation-only study (``--variants``); the prefix ``ftprop-`` is
#: implied. Each is a named set of FTPropTrainer settings.
VARIANTS: dict[str, dict[str, Any]] = {
    "gradient": {"target_step": "gradient"},
    "greedy": {"target_step": "greedy"},
    "greedy-free": {"target_step": "greedy", "max_flips": None},
}
MAIN_FTPROP = ("ftprop-gradient", "ftprop-greedy", "ftprop-exact")
BASELINES = ("ste", "sste", "relu")


# ---------------------------------------------------------------------------- data
def make_split(X: np.ndarray, y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Test (25 %), then fit / validation (80 / 20 of the rest), all stratified."""
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, seed=seed)
    Xfit, Xval, yfit, yval = train_test_split(Xtr, ytr, test_size=0.2, seed=10_000 + seed)
    classes = np.unique(ytr)
    mu, sd = Xfit.mean(axis=0), Xfit.std(axis=0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    out = {"Xfit": Xfit, "Xval": Xval, "Xte": Xte, "yfit": yfit, "yval": yval, "yte": yte}
    for part in ("fit", "val", "te"):
        out[f"Z{part}"] = (out[f"X{part}"] - mu) / sd
        out[f"c{part}"] = np.searchsorted(classes, out[f"y{part}"])
    out["n_classes"] = np.array(classes.size)
    return out


# ------------------------------------------------------------------------ torch baselines
def torch_run(
    act: str,
    sp: dict[str, np.ndarray],
    hidden: tuple[int, ...],
    *,
    lr: float,
    epochs: int,
    patience: int,
    batch_size: int,
    seed: int,
    test: bool,
    width: float = 1.0,
    max_norm: float | None = None,
) -> dict[str, Any]:
    """Train a small MLP with sign units (STE / SSTE, window ``|z| <= width``) or ReLU units
    with early stopping on the validation part; returns the run's record. ``max_norm``
    bounds each hidden unit's ``(w, b)`` after every step (as FTPROP's ``max_norm``)."""
    import torch
    from torch import nn

    class SignSTE(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, saturate: bool) -> Any:
            ctx.save_for_backward(x)
            ctx.saturate = saturate
            return torch.where(x >= 0, 1.0, -1.0)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            if ctx.saturate:
                g = g * (x.abs() <= width).to(g.dtype)
            return g, None

    class Act(nn.Module):
        def forward(self, x: Any) -> Any:
            if act == "relu":
                return torch.relu(x)
            return SignSTE.apply(x, act == "sste")

    n_classes = int(sp["n_classes"])
    torch.manual_seed(seed)
    sizes = [sp["Zfit"].shape[1], *hidden, 1 if n_classes == 2 else n_classes]
    layers: list[Any] = []
    for i in range(len(sizes) - 1):
        lin = nn.Linear(sizes[i], sizes[i + 1])
        nn.init.normal_(lin.weight, 0.0, 1.0 / np.sqrt(sizes[i]))
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(Act())
    model = nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    X = torch.as_tensor(sp["Zfit"], dtype=torch.float32)
    y = torch.as_tensor(sp["cfit"], dtype=torch.float32 if n_classes == 2 else torch.long)
    loss_fn = nn.BCEWithLogitsLoss() if n_classes == 2 else nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)

    def accuracy(Z: np.ndarray, c: np.ndarray) -> float:
        with torch.no_grad():
            out = model(torch.as_tensor(Z, dtype=torch.float32)).numpy()
        pred = (out[:, 0] >= 0).astype(int) if n_classes == 2 else out.argmax(axis=1)
        return float(np.mean(pred == c))

    curve: list[float] = []
    best, best_epoch, best_state, stall, train_s = -1.0, 0, None, 0, 0.0
    for ep in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(X.shape[0], generator=gen)
        for s in range(0, X.shape[0], batch_size):
            idx = perm[s : s + batch_size]
            out = model(X[idx])
            loss = loss_fn(out[:, 0], y[idx]) if n_classes == 2 else loss_fn(out, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if max_norm is not None:
                with torch.no_grad():
                    for lin in layers[:-1:2]:
                        n = torch.sqrt((lin.weight**2).sum(1) + lin.bias**2)
                        f = torch.clamp(max_norm / n.clamp_min(1e-30), max=1.0)
                        lin.weight.mul_(f[:, None])
                        lin.bias.mul_(f)
        train_s += time.perf_counter() - t0
        v = accuracy(sp["Zval"], sp["cval"])
        curve.append(v)
        if v > best:
            best, best_epoch, stall = v, ep + 1, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stall += 1
            if stall >= patience:
                break
    assert best_state is not None
    model.load_state_dict(best_state)
    rec = _record(curve, best, best_epoch, train_s)
    if test:
        rec["test_accuracy"] = accuracy(sp["Zte"], sp["cte"])
        rec["train_accuracy"] = accuracy(sp["Zfit"], sp["cfit"])
    return rec


def _record(curve: list[float], best: float, best_epoch: int, train_s: float) -> dict[str, Any]:
    return {
        "val_accuracy": best,
        "best_epoch": best_epoch,
        "epochs": len(curve),
        "seconds": train_s,
        "epoch_seconds": train_s / max(1, len(curve)),
        "val_curve": curve,
    }


# ---------------------------------------------------------------------------- FTPROP
def ftprop_run(
    settings: dict[str, Any],
    sp: dict[str, np.ndarray],
    hidden: tuple[int, ...],
    *,
    lr: float,
    epochs: int,
    patience: int,
    batch_size: int,
    seed: int,
    test: bool,
    exact_time_limit: float,
) -> dict[str, Any]:
    """Train FTPROP-MB with early stopping on the validation part; the run's record."""
    params = {"exact_time_limit": exact_time_limit, **settings}
    tr = FTPropTrainer(
        hidden=hidden,
        max_iter=epochs,
        learning_rate=lr,
        batch_size=batch_size,
        early_stopping=True,
        n_iter_no_change=patience,
        tol=0.0,
        random_state=seed,
        **params,
    )
    tr.fit(sp["Xfit"], sp["yfit"], validation_data=(sp["Xval"], sp["yval"]))
    h = tr.history
    curve = [float(v) for v in h.val_accuracy]
    best_epoch = int(np.argmax(curve)) + 1
    rec = _record(curve, max(curve), best_epoch, float(h.time[-1]))
    status: dict[str, int] = {}
    for d in h.exact_status:
        for k, v in d.items():
            status[k] = status.get(k, 0) + v
    if status:
        rec["exact_status"] = status
    if test:
        net = tr.net()
        rec["test_accuracy"] = float(net.score(sp["Xte"], sp["yte"]))
        rec["train_accuracy"] = float(net.score(sp["Xfit"], sp["yfit"]))
    return rec


# ------------------------------------------------------------------------ selection
def select(
    name: str,
    spec: dict[str, Any],
    sp: dict[str, np.ndarray],
    hidden: tuple[int, ...],
    seed: int,
    args: argparse.Namespace,
    grid: tuple[float, ...],
    *,
    test: bool,
) -> dict[str, Any]:
    """Run ``spec`` at every learning rate of ``grid``; keep the best by validation."""
    runs = {}
    common = dict(
        epochs=args.epochs,
        patience=args.patience,
        batch_size=args.batch_size,
        seed=seed,
        test=test,
    )
    for lr in grid:
        if spec["kind"] == "torch":
            extra = {k: v for k, v in spec.items() if k in ("width", "max_norm")}
            runs[lr] = torch_run(spec["act"], sp, hidden, lr=lr, **common, **extra)
        else:
            settings = {k: v for k, v in spec.items() if k not in ("kind", "lr_from")}
            runs[lr] = ftprop_run(
                settings, sp, hidden, lr=lr, exact_time_limit=args.exact_time_limit, **common
            )
    lr = max(grid, key=lambda g: (runs[g]["val_accuracy"], -g))
    chosen = dict(runs[lr])
    chosen.update(
        {
            "method": name,
            "lr": lr,
            "val_by_lr": {str(g): runs[g]["val_accuracy"] for g in grid},
            "epoch_seconds_all": [runs[g]["epoch_seconds"] for g in grid],
            "selection_seconds": float(sum(r["seconds"] for r in runs.values())),
        }
    )
    return chosen


def run_cell(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    hidden: tuple[int, ...],
    seed: int,
    args: argparse.Namespace,
    methods: dict[str, dict[str, Any]],
    *,
    test: bool,
) -> list[dict[str, Any]]:
    sp = make_split(X, y, seed)
    rows: dict[str, dict[str, Any]] = {}
    for m, spec in methods.items():
        grid = args.lr_grid
        if spec.get("lr_from") in rows:  # reuse another method's chosen rate (less selection)
            grid = (rows[spec["lr_from"]]["lr"],)
        rows[m] = select(m, spec, sp, hidden, seed, args, grid, test=test)
    out = list(rows.values())
    for r in out:
        r.update({"dataset": name, "hidden": list(hidden), "seed": seed})
    return out


# ------------------------------------------------------------ exact vs greedy targets
def target_loss_experiment(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Target objective of greedy and exact on the same small batches, during training
    (from the trainer's history: the exact step runs greedy first and records both)."""
    out = []
    for name in args.target_datasets:
        X, y = mo.datasets.load(name)
        for hidden in ((16, 8), (8, 8)):
            tr = FTPropTrainer(
                hidden=hidden,
                target_step="exact",
                max_flips=None,
                loss="hinge",
                unit_loss="saturated-hinge",
                max_iter=args.target_epochs,
                batch_size=16,
                learning_rate=0.01,
                n_iter_no_change=10**6,
                exact_time_limit=0.5,
                random_state=0,
            )
            t0 = time.perf_counter()
            tr.fit(X, y)
            wall = time.perf_counter() - t0
            h = tr.history
            g = np.sum(h.greedy_objective, axis=0)
            e = np.sum(h.target_objective, axis=0)
            imp = np.sum(h.exact_improved, axis=0)
            nb = int(np.sum(h.n_batches))
            status: dict[str, int] = {}
            for d in h.exact_status:
                for k, v in d.items():
                    status[k] = status.get(k, 0) + v
            for layer in range(len(hidden)):
                out.append(
                    {
                        "dataset": name,
                        "hidden": list(hidden),
                        "layer": layer + 1,
                        "batches": nb,
                        "greedy_total": float(g[layer]),
                        "exact_total": float(e[layer]),
                        "relative_reduction": float((g[layer] - e[layer]) / max(g[layer], 1e-12)),
                        "fraction_improved": float(imp[layer] / max(nb, 1)),
                        "status": status,
                        "seconds": wall,
                    }
                )
                print(f"  target loss {out[-1]}", flush=True)
    return out


# ------------------------------------------------------------------------------ report
def summarize(rows: list[dict[str, Any]], key: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    agg: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        k = (r["dataset"], ",".join(map(str, r["hidden"])), r["method"])
        agg.setdefault(k, []).append(r)
    out = {}
    for k, rs in agg.items():
        acc = np.array([r[key] for r in rs])
        out[k] = {
            "mean": float(acc.mean()),
            "std": float(acc.std()),
            "n": len(rs),
            "seconds": float(np.median([r["selection_seconds"] for r in rs])),
            "epoch_seconds": float(np.median([e for r in rs for e in r["epoch_seconds_all"]])),
            "lrs": [r["lr"] for r in rs],
            "best_epochs": [r["best_epoch"] for r in rs],
        }
    return out


def val_selected(rows: list[dict[str, Any]], names: tuple[str, ...]) -> list[dict[str, Any]]:
    """Per (data set, architecture, seed): the FTPROP variant with the best validation
    accuracy (ties: the first listed), as one method ``ftprop-val``."""
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in rows:
        if r["method"] in names:
            groups.setdefault((r["dataset"], str(r["hidden"]), r["seed"]), []).append(r)
    out = []
    for rs in groups.values():
        rs = sorted(rs, key=lambda r: names.index(r["method"]))
        best = max(rs, key=lambda r: r["val_accuracy"])  # first of the maximal ones
        d = dict(best)
        d["chosen"] = best["method"]
        d["method"] = "ftprop-val"
        out.append(d)
    return out


def _fmt(v: dict[str, Any] | None, seconds: bool = True) -> str:
    if v is None:
        return "-"
    s = f"{v['mean']:.3f} ± {v['std']:.3f}"
    return s + (f" ({v['seconds']:.1f}s)" if seconds else "")


def accuracy_tables(
    s: dict[tuple[str, str, str], dict[str, Any]],
    methods: list[str],
    ftprop: tuple[str, ...],
    datasets: list[str],
    archs: dict[str, tuple[int, ...]],
    goal: dict[str, Any],
    what: str,
) -> list[str]:
    lines: list[str] = []
    for arch, hidden in archs.items():
        hk = ",".join(map(str, hidden))
        if not any(k[1] == hk for k in s):
            continue
        lines += [f"## {arch}", ""]
        lines.append(
            "| data set | " + " | ".join(methods) + " | best FTPROP − SSTE | best FTPROP ≥ SSTE "
            "| ftprop-val ≥ SSTE |"
        )
        lines.append("|---" * (len(methods) + 4) + "|")
        wins = vwins = counted = 0
        for d in datasets:
            cells = [_fmt(s.get((d, hk, m))) for m in methods]
            best = max(
                (s[(d, hk, m)]["mean"] for m in ftprop if (d, hk, m) in s),
                default=None,
            )
            sste = s.get((d, hk, "sste"))
            fv = s.get((d, hk, "ftprop-val"))
            ok = vok = diff = "-"
            if best is not None and sste is not None:
                counted += 1
                diff = f"{best - sste['mean']:+.3f}"
                ok = "yes" if best >= sste["mean"] else "no"
                wins += ok == "yes"
                if fv is not None:
                    vok = "yes" if fv["mean"] >= sste["mean"] else "no"
                    vwins += vok == "yes"
            lines.append(f"| {d} | " + " | ".join(cells) + f" | {diff} | {ok} | {vok} |")
        lines += [
            "",
            f"Best FTPROP variant ({', '.join(ftprop)}) at or above SSTE ({what}): "
            f"**{wins} of {counted}** data sets; the FTPROP variant chosen per seed by "
            f"validation (`ftprop-val`): **{vwins} of {counted}**.",
            "",
        ]
        goal["per_arch"][arch] = {"wins": wins, "val_selected_wins": vwins, "of": counted}
        # chosen learning rates and best epochs
        lines += [
            "<details><summary>chosen learning rates (per seed) and best epochs</summary>",
            "",
            "| data set | " + " | ".join(methods) + " |",
            "|---" * (len(methods) + 1) + "|",
        ]
        for d in datasets:
            cells = []
            for m in methods:
                v = s.get((d, hk, m))
                if v is None:
                    cells.append("-")
                    continue
                lrs = "/".join(f"{g:g}" for g in v["lrs"])
                cells.append(f"{lrs}; ep {int(np.median(v['best_epochs']))}")
            lines.append(f"| {d} | " + " | ".join(cells) + " |")
        lines += ["", "</details>", ""]
    return lines


def markdown(
    rows: list[dict[str, Any]],
    tl: list[dict[str, Any]],
    args: argparse.Namespace,
    wall: float,
    methods: dict[str, dict[str, Any]],
) -> tuple[str, dict[str, Any]]:
    ftprop = tuple(m for m in methods if m.startswith("ftprop-") and m in MAIN_FTPROP)
    rows = rows + val_selected(rows, ftprop)
    s = summarize(rows, "test_accuracy")
    names = [*methods, "ftprop-val"]
    exact_note = (
        " (`ftprop-exact` reuses the rate chosen for `ftprop-greedy`: it refines greedy's "
        "targets, and this saves two thirds of its cost; it gets less selection, not more)"
        if methods.get("ftprop-exact", {}).get("lr_from")
        else ""
    )
    lines = [
        "# FTPROP-MB (numpy) vs straight-through baselines (torch)",
        "",
        f"Generated by `scripts/bench_ftprop.py{' --quick' if args.quick else ''}` in "
        f"{wall / 60:.1f} min on {platform.processor() or platform.machine()} "
        f"({os.cpu_count()} cores, shared; numpy and torch on one thread each).",
        "",
        f"Protocol (every method alike): per seed ({args.seeds} seeds) a stratified 25 % test "
        "part; the rest split 80/20 (stratified) into a fit part and a validation part; inputs "
        "standardised on the fit part; sign hidden units; weights N(0, 1/fan_in), zero biases; "
        f"Adam, batch {args.batch_size}, at most {args.epochs} epochs with early stopping on "
        f"validation accuracy (patience {args.patience}, best epoch kept); learning rate chosen "
        f"from {list(args.lr_grid)} by validation accuracy{exact_note}. The test part is scored "
        "once, for the chosen model. FTPROP: soft-hinge unit loss, cross-entropy output loss; "
        f"exact target step with a {args.exact_time_limit} s limit per batch (greedy fallback). "
        "STE: identity backward; SSTE: g·1{|z|≤1}; ReLU: full-precision reference. "
        "`ftprop-val`: per seed, the FTPROP variant with the best validation accuracy (an "
        "honest single method; the goal's 'best variant' takes the best mean over the variants "
        "after the fact). Cells: test accuracy mean ± std over seeds, median seconds of the "
        "whole selection (all learning rates) in brackets.",
        "",
    ]
    goal: dict[str, Any] = {"per_arch": {}}
    archs = {a: h for a, h in ARCHS.items() if h in args.archs}
    lines += accuracy_tables(s, names, ftprop, args.datasets, archs, goal, "test accuracy")
    # epoch time on mnist1d
    ms = list(methods)
    lines += [
        "## Epoch time on mnist1d (median seconds per training epoch, every learning rate)",
        "",
    ]
    lines.append("| architecture | " + " | ".join(ms) + " | gradient / STE | greedy / STE |")
    lines.append("|---" * (len(ms) + 3) + "|")
    for arch, hidden in archs.items():
        hk = ",".join(map(str, hidden))
        if ("mnist1d", hk, "ste") not in s:
            continue
        ep = {m: s[("mnist1d", hk, m)]["epoch_seconds"] for m in ms if ("mnist1d", hk, m) in s}
        r1 = ep.get("ftprop-gradient", np.nan) / ep["ste"]
        r2 = ep.get("ftprop-greedy", np.nan) / ep["ste"]
        goal.setdefault("mnist1d_epoch_ratio", {})[arch] = {"gradient": r1, "greedy": r2}
        lines.append(
            f"| {arch} | "
            + " | ".join(f"{ep.get(m, float('nan')):.4f}" for m in ms)
            + f" | {r1:.2f}× | {r2:.2f}× |"
        )
    lines.append("")
    if tl:
        lines += [
            "## Exact vs greedy target step: per-batch target objective on small batches",
            "",
            "Batch 16, hinge output loss, saturated-hinge unit loss (piecewise linear, so the "
            "exact step is exact: enumeration of all codes, or a HiGHS MILP), no move limit "
            "(greedy runs to a local optimum), 0.5 s per batch. "
            "Both steps start from the same activations on the same batch (the exact step runs "
            "greedy first). Objective: the layer above's loss with the targets as its input.",
            "",
            "| data set | hidden | targets of layer | batches | greedy total | exact total "
            "| reduction | batches improved | batch outcomes (both layers) |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in tl:
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r["status"].items()))
            lines.append(
                f"| {r['dataset']} | {r['hidden']} | {r['layer']} | {r['batches']} | "
                f"{r['greedy_total']:.4g} | {r['exact_total']:.4g} | "
                f"{r['relative_reduction']:.1%} | {r['fraction_improved']:.1%} | {outcomes} |"
            )
        lines.append("")
    return "\n".join(lines), goal


def variants_markdown(
    rows: list[dict[str, Any]], args: argparse.Namespace, wall: float, methods: list[str]
) -> str:
    s = summarize(rows, "val_accuracy")
    lines = [
        "# FTPROP variants: validation-only study",
        "",
        f"`scripts/bench_ftprop.py --variants {','.join(args.variants)}` ({wall / 60:.1f} min). "
        "Same protocol as the benchmark (fit / validation split of the training part, "
        f"learning rate from {list(args.lr_grid)}, at most {args.epochs} epochs, patience "
        f"{args.patience}), but **no test score is computed**: cells are the validation "
        "accuracy of the selected model, mean ± std over seeds (an optimistic number, equally "
        "so for every method: same grid, same epochs), median selection seconds in brackets.",
        "",
    ]
    for arch, hidden in ARCHS.items():
        hk = ",".join(map(str, hidden))
        if not any(k[1] == hk for k in s):
            continue
        lines += [f"## {arch}", "", "| data set | " + " | ".join(methods) + " |"]
        lines.append("|---" * (len(methods) + 1) + "|")
        for d in args.datasets:
            lines.append(f"| {d} | " + " | ".join(_fmt(s.get((d, hk, m))) for m in methods) + " |")
        means = [
            np.mean([s[(d, hk, m)]["mean"] for d in args.datasets if (d, hk, m) in s] or [np.nan])
            for m in methods
        ]
        lines.append("| **mean** | " + " | ".join(f"**{v:.4f}**" for v in means) + " |")
        lines.append("")
    return "\n".join(lines)


def variant_methods(names: list[str]) -> dict[str, dict[str, Any]]:
    """Methods of a validation-only study: baselines, named :data:`VARIANTS`, or a variant
    with settings overridden, ``greedy/max_flips=null/temperature=2`` (JSON values)."""
    out: dict[str, dict[str, Any]] = {}
    for n in names:
        if n in METHODS:
            out[n] = METHODS[n]
        elif "/" in n:
            base, *kvs = n.split("/")
            spec = (
                dict(METHODS[base])
                if base in METHODS and METHODS[base]["kind"] == "torch"
                else {"kind": "ftprop", **VARIANTS[base.removeprefix("ftprop-")]}
            )
            for kv in kvs:
                k, v = kv.split("=", 1)
                spec[k] = json.loads(v)
            out[n if spec["kind"] == "torch" else "ftprop-" + n.removeprefix("ftprop-")] = spec
        elif n.removeprefix("ftprop-") in VARIANTS:
            out["ftprop-" + n.removeprefix("ftprop-")] = {
                "kind": "ftprop",
                **VARIANTS[n.removeprefix("ftprop-")],
            }
        else:
            raise SystemExit(f"unknown variant {n!r}; known: {sorted(METHODS) + sorted(VARIANTS)}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 data sets, 1 seed, few epochs")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=60, help="most epochs per run")
    ap.add_argument("--patience", type=int, default=12, help="early-stopping patience")
    ap.add_argument("--lr-grid", default=",".join(map(str, LR_GRID)))
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--exact-time-limit", type=float, default=0.02)
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--archs", default="1,2", help="hidden-layer counts to run: 1, 2 or 1,2")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--variants", default="", help="validation-only study of these methods")
    ap.add_argument("--target-datasets", default="breast_cancer,pima")
    ap.add_argument("--target-epochs", type=int, default=3)
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    args.datasets = args.datasets.split(",")
    args.lr_grid = tuple(float(g) for g in args.lr_grid.split(","))
    args.target_datasets = [d for d in args.target_datasets.split(",") if d]
    depth = {int(a) for a in args.archs.split(",")}
    args.archs = [h for h in ARCHS.values() if len(h) in depth]
    args.variants = [v for v in args.variants.split(",") if v]
    if args.quick:
        args.seeds, args.epochs, args.patience = 1, 5, 5
        args.datasets = ["breast_cancer", "mnist1d"]
        args.target_datasets = ["breast_cancer"]
        args.target_epochs = 1
        args.archs = [(64,)]
    if args.variants:
        methods = variant_methods(args.variants)
        args.target_datasets = []
        default_out = "bench_ftprop_variants"
    else:
        methods = {m: METHODS[m] for m in args.methods.split(",")}
        if "ftprop-greedy" in methods and "ftprop-exact" in methods:
            methods["ftprop-exact"] = {**methods["ftprop-exact"], "lr_from": "ftprop-greedy"}
        default_out = "bench_ftprop_quick" if args.quick else "bench_ftprop"
    out = Path(args.out or ROOT / "results" / default_out)
    test = not args.variants
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with threadpool_limits(limits=1, user_api="blas"):
        for name in args.datasets:
            X, y = mo.datasets.load(name)
            for hidden in args.archs:
                for seed in range(args.seeds):
                    rs = run_cell(name, X, y, hidden, seed, args, methods, test=test)
                    rows += rs
                    key = "test_accuracy" if test else "val_accuracy"
                    print(
                        f"{name} {hidden} seed {seed}: "
                        + ", ".join(
                            f"{r['method']} {r[key]:.3f} (lr {r['lr']:g}, ep {r['best_epoch']})"
                            for r in rs
                        ),
                        flush=True,
                    )
        tl = target_loss_experiment(args) if test else []
    wall = time.perf_counter() - t0
    meta = {
        "args": {k: v for k, v in vars(args).items() if k != "archs"},
        "archs": [list(h) for h in args.archs],
        "methods": methods,
        "wall_seconds": wall,
        "runs": rows,
    }
    if test:
        md, goal = markdown(rows, tl, args, wall, methods)
        meta.update({"target_loss": tl, "goals": goal})
    else:
        md = variants_markdown(rows, args, wall, list(methods))
    atomic_write_text(out.with_suffix(".md"), md)
    atomic_write_text(out.with_suffix(".json"), json.dumps(meta, indent=1, default=str))
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
