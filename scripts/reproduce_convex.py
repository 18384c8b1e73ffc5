"""Reproduce the experiments of Ergen et al., "Globally Optimal Training of Neural Networks
with Threshold Activation Functions" (ICLR 2023) with mixedopt's convex trainers.

(a) Synthetic teacher data (paper appendix B.5 and B.3): ``X ~ N(0, 1)``, labels
    ``sign(tanh(tanh(X W1) W2) w3)`` with ``W ~ U(-1, 1)`` and 20 + 20 teacher units,
    ``(n, d)`` in {(20, 100), (50, 50), (100, 20)}, 2000 test points, ``beta = 1e-3``:

    * three layers: Convex-PI / Convex-SVM (program (7) on a representation of ``M`` random
      step units) against three-layer threshold nets (``m1`` then ``n`` units) trained by
      STE / ReLU-STE / LReLU-STE / CReLU-STE, each from 5 initialisations;
    * two layers: Convex-Lasso (``P`` sampled patterns) against two-layer nets (``m`` units).

    Every objective is the rescaled weight-decay objective of the *returned network*
    (:func:`mixedopt.convex.reconstruct.network_objective`), so the numbers compare.

(b) A Table-2-style comparison on pima, titanic, german, spambase, breast_cancer, digits
    (even vs odd) and mnist1d (digit 0 vs 1): 5 stratified 80/20 splits; on every split,
    ``beta`` (and the learning rate of the heuristics) are chosen on a 75/25 split of the
    training part only, then the model is refitted on the whole training part and tested.
    Convex-Lasso's pattern sampler (``gaussian``, the paper's, or ``data``) is chosen the
    same way, jointly with ``beta``, per split; the chosen samplers are reported, and each
    sampler forced is shown as an ablation that chooses nothing. Reported: test accuracy
    mean ± std, the wall time of the final fit with and without the selection, and how
    many data sets each method wins (highest mean accuracy; ties count for every tied
    method).

Usage::

    python scripts/reproduce_convex.py            # full run, writes results/convex_table.{md,json}
    python scripts/reproduce_convex.py --quick    # a few minutes (smaller grids, 2 splits)

Every run uses one thread per process and ``--jobs`` processes (default 2).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mixedopt as mo  # noqa: E402
from mixedopt.datasets import train_test_split  # noqa: E402
from mixedopt.files import atomic_write_text  # noqa: E402

DATASETS = ["pima", "titanic", "german", "spambase", "breast_cancer", "digits", "mnist1d"]
RULES = {
    "ste": "Nonconvex-STE",
    "relu": "Nonconvex-ReLU",
    "lrelu": "Nonconvex-LReLU",
    "crelu": "Nonconvex-CReLU",
}
CONVEX = {
    "lasso-val": "Convex-Lasso",
    "pi": "Convex-PI",
    "svm": "Convex-SVM",
}
#: Convex-Lasso with one sampler forced (beta still chosen on validation): an ablation
#: reported beside the table, never used to choose anything
LASSO_FIXED = {
    "gaussian": "Convex-Lasso (paper)",
    "data": "Convex-Lasso (data)",
}
#: the default ``sampler`` of ``train_convex`` / ``ConvexThresholdClassifier``
LIBRARY_DEFAULT_SAMPLER = "data"
SYNTH_CASES = [(20, 100), (50, 50), (100, 20)]

FULL = {
    "splits": 5,
    "synth_epochs": 2000,
    "synth_inits": 5,
    "synth_m1": 1000,
    "synth_m": 1000,
    "synth_M": 1000,
    "synth_P": 1000,
    "real_m": 200,
    "real_P": 1000,
    "real_M": 1000,
    "real_epochs": 600,
    "val_epochs": 200,
    "conv_betas": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2],
    "heur_betas": [1e-4, 1e-3],
    "heur_lrs": [0.01, 0.1],
}
QUICK = {
    **FULL,
    "splits": 2,
    "synth_epochs": 500,
    "synth_inits": 2,
    "synth_m1": 200,
    "synth_m": 200,
    "real_m": 100,
    "real_epochs": 300,
    "val_epochs": 100,
    "heur_betas": [1e-3],
    "heur_lrs": [0.1],
}


# ------------------------------------------------------------------------------ data
@functools.lru_cache(maxsize=16)
def load_binary(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The data set as a binary problem (digits: even vs odd; mnist1d: digit 0 vs 1)."""
    if name == "mnist1d":
        X, y = mo.datasets.load("mnist1d:split=all")
        keep = (y == 0) | (y == 1)
        return X[keep], y[keep]
    X, y = mo.datasets.load(name)
    if name == "digits":
        y = np.where(y % 2 == 0, "even", "odd")
    return X, y


def teacher_data(n: int, d: int, n_test: int, seed: int) -> tuple[np.ndarray, ...]:
    """The paper's B.5 teacher: sign(tanh(tanh(X W1) W2) w3), X ~ N(0, 1) plus a bias."""
    rng = np.random.default_rng(seed)
    W1 = rng.uniform(-1, 1, (d + 1, 20))
    W2 = rng.uniform(-1, 1, (20, 20))
    w3 = rng.uniform(-1, 1, 20)

    def draw(m: int) -> tuple[np.ndarray, np.ndarray]:
        X = rng.standard_normal((m, d))
        X1 = np.hstack([X, np.ones((m, 1))])
        y = np.where(np.tanh(np.tanh(X1 @ W1) @ W2) @ w3 >= 0, 1, -1)
        return X, y

    X, y = draw(n)
    while np.unique(y).size < 2:  # the tiny training sets need both classes
        X, y = draw(n)
    Xte, yte = draw(n_test)
    return X, y, Xte, yte


# ------------------------------------------------------------------------------ tasks
def _threads() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass


def task_synth_heuristic(args: dict[str, Any]) -> dict[str, Any]:
    _threads()
    from mixedopt.torch.baselines import train_heuristic

    X, y, Xte, yte = teacher_data(args["n"], args["d"], 2000, args["data_seed"])
    res = train_heuristic(
        X,
        y,
        rule=args["rule"],
        hidden=tuple(args["hidden"]),
        beta=args["beta"],
        lr=args["lr"],
        epochs=args["epochs"],
        seed=args["seed"],
        init="default",
    )
    return {
        **args,
        "objective": res.objective,
        "raw_objective": res.raw_objective,
        "train_acc": res.train_accuracy,
        "test_acc": float(np.mean(res.net.predict(Xte) == yte)),
        "time": res.wall_time,
        "epochs_run": res.epochs,
    }


def task_synth_convex(args: dict[str, Any]) -> list[dict[str, Any]]:
    _threads()
    from mixedopt.convex import train_convex

    X, y, Xte, yte = teacher_data(args["n"], args["d"], 2000, args["data_seed"])
    out = []
    runs = [
        ("Convex-PI", "3-layer", {"method": "pi", "depth": 2, "representation_size": args["M"]}),
        ("Convex-SVM", "3-layer", {"method": "svm", "depth": 2, "representation_size": args["M"]}),
        (
            "Convex-Lasso (paper)",
            "2-layer",
            {"method": "lasso", "n_patterns": args["P"], "sampler": "gaussian"},
        ),
        (
            "Convex-Lasso (data)",
            "2-layer",
            {"method": "lasso", "n_patterns": args["P"], "sampler": "data"},
        ),
    ]
    for name, arch, kw in runs:
        t = time.perf_counter()
        res = train_convex(X, y, beta=args["beta"], seed=args["seed"], time_limit=300, **kw)
        out.append(
            {
                **args,
                "method": name,
                "arch": arch,
                "objective": res.objective,
                "bound": res.bound,
                "status": res.status.value,
                "train_acc": 1 - res.n_errors / len(y),
                "test_acc": float(np.mean(res.net.predict(Xte) == yte)),
                "time": time.perf_counter() - t,
                "n_hidden": res.info.get("n_hidden"),
            }
        )
    return out


def _split(name: str, split: int) -> tuple[np.ndarray, ...]:
    X, y = load_binary(name)
    return train_test_split(X, y, test_size=0.2, seed=1000 + split)


def task_real_convex(args: dict[str, Any]) -> list[dict[str, Any]]:
    _threads()
    from mixedopt.convex import train_convex, train_convex_path

    Xtr, Xte, ytr, yte = _split(args["dataset"], args["split"])
    Xa, Xv, ya, yv = train_test_split(Xtr, ytr, test_size=0.25, seed=args["split"])
    out = []
    val: dict[str, dict[str, Any]] = {}  # per sampler: validation accuracies and time
    for key, kw in (
        *(
            (sampler, {"method": "lasso", "n_patterns": args["P"], "sampler": sampler})
            for sampler in LASSO_FIXED
        ),
        ("pi", {"method": "pi", "representation_size": args["M"]}),
        ("svm", {"method": "svm", "representation_size": args["M"]}),
    ):
        t_val = time.perf_counter()
        if key in LASSO_FIXED:  # one warm-started path on the inner training part
            path = train_convex_path(
                Xa, ya, args["betas"], seed=args["split"], time_limit=300, **kw
            )
            accs = [float(np.mean(r.net.predict(Xv) == yv)) for r in path]
            beta = args["betas"][int(np.argmax(accs))]
        else:  # ±1 labels: beta only rescales the amplitudes, predictions do not change
            beta = 1e-3
        t_val = time.perf_counter() - t_val
        if key in LASSO_FIXED:
            val[key] = {"accs": accs, "time": t_val}
        t = time.perf_counter()
        res = train_convex(Xtr, ytr, beta=beta, seed=args["split"], time_limit=300, **kw)
        wall = time.perf_counter() - t
        out.append(
            {
                "dataset": args["dataset"],
                "split": args["split"],
                "method": LASSO_FIXED.get(key) or CONVEX[key],
                "sampler": key if key in LASSO_FIXED else None,
                "beta": beta,
                "lr": None,
                "test_acc": float(np.mean(res.net.predict(Xte) == yte)),
                "train_acc": 1 - res.n_errors / len(ytr),
                "time": wall,
                "solve_time": res.info.get("solve_time"),
                "val_time": t_val,
                "n_hidden": res.info.get("n_hidden"),
                "objective": res.objective,
                "bound": res.bound,
            }
        )
    # Convex-Lasso proper: the sampler (with its beta) chosen on the validation split only
    sampler = choose_sampler(val)
    fixed = next(r for r in out if r["sampler"] == sampler)  # that sampler's refit, reused
    out.append(
        {
            **fixed,
            "method": CONVEX["lasso-val"],
            "val_accs": {k: v["accs"] for k, v in val.items()},
            "val_time": sum(v["time"] for v in val.values()),  # both samplers' paths
        }
    )
    return out


def choose_sampler(val: dict[str, dict[str, Any]]) -> str:
    """The sampler with the best validation accuracy (over its beta path); ties go to the
    higher mean accuracy over the path, then to the first in :data:`LASSO_FIXED` (the
    paper's ``gaussian``). Test data are never looked at."""
    return max(val, key=lambda k: (max(val[k]["accs"]), float(np.mean(val[k]["accs"]))))


def task_real_heuristic(args: dict[str, Any]) -> dict[str, Any]:
    _threads()
    from mixedopt.torch.baselines import train_heuristic

    Xtr, Xte, ytr, yte = _split(args["dataset"], args["split"])
    Xa, Xv, ya, yv = train_test_split(Xtr, ytr, test_size=0.25, seed=args["split"])
    t_val = time.perf_counter()
    best = (-1.0, None, None)
    for beta in args["betas"]:
        for lr in args["lrs"]:
            r = train_heuristic(
                Xa,
                ya,
                rule=args["rule"],
                hidden=(args["m"],),
                beta=beta,
                lr=lr,
                epochs=args["val_epochs"],
                seed=args["split"],
            )
            acc = float(np.mean(r.net.predict(Xv) == yv))
            if acc > best[0]:
                best = (acc, beta, lr)
    t_val = time.perf_counter() - t_val
    _, beta, lr = best
    res = train_heuristic(
        Xtr,
        ytr,
        rule=args["rule"],
        hidden=(args["m"],),
        beta=beta,
        lr=lr,
        epochs=args["epochs"],
        seed=args["split"],
    )
    return {
        "dataset": args["dataset"],
        "split": args["split"],
        "method": RULES[args["rule"]],
        "beta": beta,
        "lr": lr,
        "test_acc": float(np.mean(res.net.predict(Xte) == yte)),
        "train_acc": res.train_accuracy,
        "time": res.wall_time,
        "solve_time": None,
        "val_time": t_val,
        "n_hidden": args["m"],
        "objective": res.objective,
        "bound": None,
        "epochs_run": res.epochs,
    }


def _run(fn_name: str, args: dict[str, Any]) -> tuple[Any, float, float]:
    """Run one task; also return its wall and CPU seconds (CPU time does not depend on what
    else the machine runs)."""
    t, c = time.perf_counter(), time.process_time()
    out = globals()[fn_name](args)
    return out, time.perf_counter() - t, time.process_time() - c


# --------------------------------------------------------------------------- reports


def summarise_synth(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    table, lines = [], []
    for n, d in SYNTH_CASES:
        case = [r for r in rows if r["n"] == n and r["d"] == d]
        for arch in ("3-layer", "2-layer"):
            conv = [r for r in case if r.get("arch") == arch and r["method"].startswith("Convex")]
            heur = [r for r in case if r.get("arch") == arch and r["method"] in RULES.values()]
            for r in conv:
                table.append(
                    {
                        "n": n,
                        "d": d,
                        "arch": arch,
                        "method": r["method"],
                        "objective": r["objective"],
                        "objective_worst": r["objective"],
                        "train_acc": r["train_acc"],
                        "test_acc": r["test_acc"],
                        "test_acc_best_obj": r["test_acc"],
                        "time": r["time"],
                        "inits": 1,
                        "status": r["status"],
                    }
                )
            for name in RULES.values():
                rs = [r for r in heur if r["method"] == name]
                if not rs:
                    continue
                best = min(rs, key=lambda r: r["objective"])
                table.append(
                    {
                        "n": n,
                        "d": d,
                        "arch": arch,
                        "method": name,
                        "objective": best["objective"],
                        "objective_worst": max(r["objective"] for r in rs),
                        "train_acc": best["train_acc"],
                        "test_acc": float(np.mean([r["test_acc"] for r in rs])),
                        "test_acc_best_obj": best["test_acc"],
                        "time": float(np.median([r["time"] for r in rs])),
                        "inits": len(rs),
                        "status": "-",
                    }
                )
            if conv and heur:
                cmin = min(r["objective"] for r in conv)
                hmin = min(r["objective"] for r in heur)
                lines.append(
                    f"(n, d) = ({n}, {d}), {arch}: best convex objective {cmin:.5f} "
                    f"{'<=' if cmin <= hmin else '>'} best heuristic objective "
                    f"{hmin:.5f} over {len(heur)} runs"
                )
    return table, lines


def summarise_real(rows: list[dict[str, Any]], methods: list[str]) -> dict[str, Any]:
    """Per data set and method: accuracy mean/std, times (fit; validation); winners among
    ``methods`` only (the fixed-sampler Lasso ablation is summarised but never ranked)."""
    out: dict[str, Any] = {"datasets": {}, "wins": {m: 0 for m in methods}}
    for ds in DATASETS:
        rs = [r for r in rows if r["dataset"] == ds]
        if not rs:
            continue
        per = {}
        for m in [*methods, *LASSO_FIXED.values()]:
            mr = [r for r in rs if r["method"] == m]
            if not mr:
                continue
            acc = np.array([r["test_acc"] for r in mr])
            per[m] = {
                "acc_mean": float(acc.mean()),
                "acc_std": float(acc.std()),
                "time_median": float(np.median([r["time"] for r in mr])),
                "time_mean": float(np.mean([r["time"] for r in mr])),
                "val_time_mean": float(np.mean([r["val_time"] for r in mr])),
                "n_hidden_median": float(np.median([r["n_hidden"] for r in mr])),
                "betas": [r["beta"] for r in mr],
                "lrs": [r["lr"] for r in mr],
                "splits": len(mr),
            }
        ranked = {m: v for m, v in per.items() if m in methods}
        best = max(v["acc_mean"] for v in ranked.values())
        winners = [m for m, v in ranked.items() if v["acc_mean"] >= best - 1e-12]
        for m in winners:
            out["wins"][m] += 1
        heur_times = [per[m]["time_mean"] for m in RULES.values() if m in per]
        heur_total = [
            per[m]["time_mean"] + per[m]["val_time_mean"] for m in RULES.values() if m in per
        ]
        picked = [r["sampler"] for r in rs if r["method"] == CONVEX["lasso-val"]]
        out["datasets"][ds] = {
            "methods": per,
            "winners": winners,
            "best_heuristic_time": min(heur_times) if heur_times else None,
            "best_heuristic_time_with_selection": min(heur_total) if heur_total else None,
            "samplers_picked": picked,
            "sampler_majority": _majority(picked),
        }
    return out


def _majority(picked: list[str]) -> str | None:
    """The sampler picked on most splits; ``"tie"`` when two are picked equally often."""
    if not picked:
        return None
    counts = sorted((picked.count(k), k) for k in LASSO_FIXED)
    return "tie" if counts[-1][0] == counts[-2][0] else counts[-1][1]


def _agrees(majority: str | None) -> str:
    if majority in (None, "tie"):
        return "tie"
    return "yes" if majority == LIBRARY_DEFAULT_SAMPLER else "no"


def render(
    synth_table: list[dict[str, Any]],
    synth_lines: list[str],
    real: dict[str, Any],
    methods: list[str],
    cfg: dict[str, Any],
    meta: dict[str, Any],
) -> str:
    L = ["# Convex threshold networks: reproduction of Ergen et al. (ICLR 2023)", ""]
    L += [
        f"Generated by `scripts/reproduce_convex.py{' --quick' if meta['quick'] else ''}` "
        f"on {meta['machine']} with {meta['jobs']} worker process(es), one thread each; "
        f"total wall time **{meta['wall_time']:.0f} s**, every hyper-parameter selection "
        f"included ({meta['cpu_seconds']:.0f} CPU-seconds in the workers). The machine's "
        "2 cores may be shared with other programs, so times are noisy.",
        "",
    ]
    L += [
        "Objectives are the rescaled weight-decay objective of each returned network, "
        "`(1/2n)||f(X) - y||^2 + beta * sum_j |s_j v_j|` (the infimum of eq. (3)/(11) "
        "divided by n over rescalings of the same network), `beta = 1e-3`.",
        "",
    ]
    L += ["## (a) Synthetic teacher data (paper B.5 / B.3)", ""]
    L += [
        f"Three-layer heuristics: widths ({cfg['synth_m1']}, n); convex: representation of "
        f"{cfg['synth_M']} random step units, then program (7). Two-layer heuristics: "
        f"{cfg['synth_m']} units; Convex-Lasso: {cfg['synth_P']} sampled patterns. "
        f"Heuristics: {cfg['synth_inits']} initialisations, lr 0.01, up to "
        f"{cfg['synth_epochs']} full-batch epochs; objective = best over initialisations "
        "(worst in brackets); test accuracy = mean over initialisations (of the best-"
        "objective run in brackets). 2000 test points.",
        "",
    ]
    L += [
        "| (n, d) | net | method | objective | train acc | test acc | time (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in synth_table:
        obj = f"{r['objective']:.5f}"
        acc = f"{r['test_acc']:.3f}"
        if r["inits"] > 1:
            obj += f" ({r['objective_worst']:.5f})"
            acc += f" ({r['test_acc_best_obj']:.3f})"
        L.append(
            f"| ({r['n']}, {r['d']}) | {r['arch']} | {r['method']} | {obj} | "
            f"{r['train_acc']:.3f} | {acc} | {r['time']:.2f} |"
        )
    L += ["", *[f"- {s}" for s in synth_lines], ""]
    L += ["## (b) Real data, two-layer networks (Table 2 style)", ""]
    L += [
        f"{cfg['splits']} stratified 80/20 splits. Hyperparameters chosen per split on a 75/25 "
        "split of the training part only (the validation split; test data are never used "
        "to choose anything), then refitted on the whole training part: Convex-Lasso: "
        "the pattern sampler **and** beta, jointly: one warm-started path over beta in "
        f"{cfg['conv_betas']} per sampler (`gaussian`: the paper's N(0, I) directions; "
        "`data`: 3-sparse directions with offsets between training projections), "
        f"{cfg['real_P']} sampled patterns; the (sampler, beta) with the best validation "
        "accuracy wins (ties: higher mean validation accuracy over the path, then "
        "`gaussian`). Convex-PI/-SVM: representation of "
        f"{cfg['real_M']} random step units, program (7) (with ±1 labels beta only rescales "
        "the amplitudes, so it is not tuned); heuristics: "
        f"{cfg['real_m']} hidden units, beta in {cfg['heur_betas']} x lr in "
        f"{cfg['heur_lrs']}, full-batch SGD + ReduceLROnPlateau, up to {cfg['real_epochs']} "
        f"epochs ({cfg['val_epochs']} while validating). Cells: test accuracy mean ± std "
        "over the splits (wall time of the final fit; of the final fit plus the "
        "hyper-parameter selection on the validation split). Convex: sampling + solve + "
        "reconstruction; heuristics: training. **Bold** = highest mean accuracy.",
        "",
    ]
    head = "| data set | " + " | ".join(methods) + " |"
    L += [head, "|---|" + "---|" * len(methods)]
    for ds, info in real["datasets"].items():
        cells = []
        for m in methods:
            v = info["methods"].get(m)
            if v is None:
                cells.append("-")
                continue
            acc = f"{v['acc_mean']:.3f} ± {v['acc_std']:.3f}"
            if m in info["winners"]:
                acc = f"**{acc}**"
            cells.append(
                f"{acc} ({v['time_mean']:.2f} s; {v['time_mean'] + v['val_time_mean']:.2f} s)"
            )
        L.append(f"| {ds} | " + " | ".join(cells) + " |")
    L.append("| wins | " + " | ".join(str(real["wins"][m]) for m in methods) + " |")
    L += [
        "",
        "Median hidden units of the final Convex-Lasso networks: "
        + "; ".join(
            f"{ds} {info['methods'][CONVEX['lasso-val']]['n_hidden_median']:.0f}"
            for ds, info in real["datasets"].items()
            if CONVEX["lasso-val"] in info["methods"]
        ),
        "",
    ]
    if any(info["samplers_picked"] for info in real["datasets"].values()):
        L += [
            "### Convex-Lasso sampler: chosen on the validation splits",
            "",
            "Which sampler the validation split picked on each split (the Convex-Lasso "
            "column above uses exactly these picks), and, as an ablation that chose "
            "nothing, the test accuracy of Convex-Lasso with each sampler forced (beta "
            "still validated). The library default "
            f'(`sampler="{LIBRARY_DEFAULT_SAMPLER}"` in `train_convex` / '
            "`ConvexThresholdClassifier`) was set in commit 792ea5e after comparing the "
            "test accuracies of an earlier version of this table: a choice made on test "
            "data. The last column says whether the validation choice agrees with it.",
            "",
            "| data set | picked per split | majority | paper (`gaussian`) forced | "
            "`data` forced | agrees with the default |",
            "|---|---|---|---|---|---|",
        ]
        for ds, info in real["datasets"].items():
            picked = info["samplers_picked"]
            forced = [
                f"{info['methods'][m]['acc_mean']:.3f} ± {info['methods'][m]['acc_std']:.3f}"
                if m in info["methods"]
                else "-"
                for m in LASSO_FIXED.values()
            ]
            counts = ", ".join(f"{k} {picked.count(k)}/{len(picked)}" for k in LASSO_FIXED)
            L.append(
                f"| {ds} | {counts} | {info['sampler_majority']} | {forced[0]} | "
                f"{forced[1]} | "
                f"{_agrees(info['sampler_majority'])} |"
            )
        L.append("")
    L += ["## Goals", "", *[f"- {g}" for g in meta["goals"]], ""]
    return "\n".join(L)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small grids, 2 splits (minutes)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated subset")
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument(
        "--out", default=None, help="output stem (default results/convex_table[_quick])"
    )
    a = ap.parse_args(argv)
    cfg = QUICK if a.quick else FULL
    datasets = [d for d in a.datasets.split(",") if d]
    unknown = set(datasets) - set(DATASETS)
    if unknown:
        ap.error(f"unknown data sets {sorted(unknown)}; choose from {DATASETS}")
    out = (
        Path(a.out)
        if a.out
        else ROOT / "results" / ("convex_table_quick" if a.quick else "convex_table")
    )
    t0 = time.perf_counter()
    tasks: list[tuple[str, dict[str, Any], float]] = []  # (function, args, cost estimate)
    if not a.skip_synthetic:
        for ci, (n, d) in enumerate(SYNTH_CASES):
            base = {"n": n, "d": d, "data_seed": 42 + ci, "beta": 1e-3}
            tasks.append(
                (
                    "task_synth_convex",
                    {**base, "M": cfg["synth_M"], "P": cfg["synth_P"], "seed": 0},
                    1.0,
                )
            )
            for rule, name in RULES.items():
                for s in range(cfg["synth_inits"]):
                    for arch, hidden in (
                        ("3-layer", (cfg["synth_m1"], n)),
                        ("2-layer", (cfg["synth_m"],)),
                    ):
                        tasks.append(
                            (
                                "task_synth_heuristic",
                                {
                                    **base,
                                    "rule": rule,
                                    "method": name,
                                    "arch": arch,
                                    "hidden": list(hidden),
                                    "lr": 0.01,
                                    "epochs": cfg["synth_epochs"],
                                    "seed": s,
                                },
                                n * sum(hidden) * 1e-5,
                            )
                        )
    if not a.skip_real:
        for ds in datasets:
            X, _ = load_binary(ds)
            size = X.shape[0] * (X.shape[1] + 1) * 1e-5
            for sp in range(cfg["splits"]):
                tasks.append(
                    (
                        "task_real_convex",
                        {
                            "dataset": ds,
                            "split": sp,
                            "P": cfg["real_P"],
                            "M": cfg["real_M"],
                            "betas": cfg["conv_betas"],
                        },
                        size,
                    )
                )
                for rule in RULES:
                    tasks.append(
                        (
                            "task_real_heuristic",
                            {
                                "dataset": ds,
                                "split": sp,
                                "rule": rule,
                                "m": cfg["real_m"],
                                "betas": cfg["heur_betas"],
                                "lrs": cfg["heur_lrs"],
                                "epochs": cfg["real_epochs"],
                                "val_epochs": cfg["val_epochs"],
                            },
                            size * cfg["real_m"] * 0.05,
                        )
                    )
    tasks.sort(key=lambda t: -t[2])  # longest first, for load balance
    print(f"{len(tasks)} tasks on {a.jobs} process(es)", flush=True)
    results: list[tuple[str, Any]] = []
    cpu_total = task_wall = 0.0
    with ProcessPoolExecutor(max_workers=a.jobs, mp_context=get_context("spawn")) as pool:
        futs = [(fn, pool.submit(_run, fn, args)) for fn, args, _ in tasks]
        for i, (fn, f) in enumerate(futs, 1):
            res, w, c = f.result()
            results.append((fn, res))
            cpu_total += c
            task_wall += w
            if i % 10 == 0 or i == len(futs):
                print(f"  {i}/{len(futs)} done, {time.perf_counter() - t0:.0f} s", flush=True)
    synth_rows: list[dict[str, Any]] = []
    real_rows: list[dict[str, Any]] = []
    for fn, r in results:
        if fn == "task_synth_convex":
            synth_rows += r
        elif fn == "task_synth_heuristic":
            synth_rows.append(r)
        elif fn == "task_real_convex":
            real_rows += r
        else:
            real_rows.append(r)
    methods = [*CONVEX.values(), *RULES.values()]
    synth_table, synth_lines = summarise_synth(synth_rows)
    real = summarise_real(real_rows, methods)
    wall = time.perf_counter() - t0
    goals = []
    if synth_table:
        ok = all("<=" in s for s in synth_lines if "3-layer" in s)
        ok2 = all("<=" in s for s in synth_lines if "2-layer" in s)
        goals.append(
            f"synthetic, convex objective <= every heuristic's: three-layer "
            f"{'yes' if ok else 'NO'} (program (7) is a lower bound for every such "
            f"network), two-layer Convex-Lasso {'yes' if ok2 else 'NO'}"
        )
    if real["datasets"]:
        nds = len(real["datasets"])
        lasso = CONVEX["lasso-val"]
        w = real["wins"][lasso]
        beats = sum(
            1
            for v in real["datasets"].values()
            if v["methods"][lasso]["acc_mean"]
            > max(v["methods"][m]["acc_mean"] for m in RULES.values() if m in v["methods"])
        )
        goals.append(
            f"{lasso} (sampler and beta chosen on the validation split): best mean test "
            f"accuracy of all methods on {w}/{nds} data sets (goal: at least half -> "
            f"{'met' if 2 * w >= nds else 'NOT met'}); above every heuristic on {beats}/{nds}"
        )
        agree = [
            ds
            for ds, v in real["datasets"].items()
            if v["sampler_majority"] == LIBRARY_DEFAULT_SAMPLER
        ]
        ties = [ds for ds, v in real["datasets"].items() if v["sampler_majority"] == "tie"]
        n_data = sum(
            v["samplers_picked"].count(LIBRARY_DEFAULT_SAMPLER) for v in real["datasets"].values()
        )
        n_all = sum(len(v["samplers_picked"]) for v in real["datasets"].values())
        goals.append(
            f"the validation splits pick the library default sampler "
            f"`{LIBRARY_DEFAULT_SAMPLER}` (chosen earlier on test accuracies) on {n_data}/"
            f"{n_all} splits; it is the majority pick on {len(agree)}/{nds} data sets"
            + (f" (tied on {len(ties)})" if ties else "")
        )
        conv_any = sum(
            1 for v in real["datasets"].values() if any(m in v["winners"] for m in CONVEX.values())
        )
        goals.append(f"some convex method best on {conv_any}/{nds} data sets")
        for method in CONVEX.values():
            faster = [
                ds
                for ds, v in real["datasets"].items()
                if v["best_heuristic_time"] is not None
                and v["methods"][method]["time_mean"] < v["best_heuristic_time"]
            ]
            faster_sel = [
                ds
                for ds, v in real["datasets"].items()
                if v["best_heuristic_time_with_selection"] is not None
                and v["methods"][method]["time_mean"] + v["methods"][method]["val_time_mean"]
                < v["best_heuristic_time_with_selection"]
            ]
            goals.append(
                f"{method} fit time below the fastest heuristic's training time on "
                f"{len(faster)}/{nds} data sets; with hyper-parameter selection included "
                f"on both sides on {len(faster_sel)}/{nds}"
            )
    goals.append(
        f"whole script, hyper-parameter selection included: {wall:.0f} s wall on {a.jobs} "
        f"process(es) (goal < 1800 s); the tasks "
        f"used {cpu_total:.0f} CPU-seconds in {task_wall:.0f} task-seconds, i.e. about "
        f"{cpu_total / max(a.jobs, 1):.0f} s on {a.jobs} otherwise idle cores (wall exceeds "
        "CPU when other programs share the cores)"
    )
    meta = {
        "cpu_seconds": cpu_total,
        "task_seconds": task_wall,
        "quick": a.quick,
        "jobs": a.jobs,
        "wall_time": wall,
        "goals": goals,
        "machine": f"{platform.machine()} / {os.cpu_count()} CPUs / Python "
        f"{platform.python_version()}",
    }
    md = render(synth_table, synth_lines, real, methods, cfg, meta)
    atomic_write_text(out.with_suffix(".md"), md)
    atomic_write_text(
        out.with_suffix(".json"),
        json.dumps(
            {
                "config": cfg,
                "meta": meta,
                "synthetic": {"table": synth_table, "runs": synth_rows, "claims": synth_lines},
                "real": {**real, "runs": real_rows},
            },
            indent=1,
            default=float,
        ),
    )
    print(md)


if __name__ == "__main__":
    main()
