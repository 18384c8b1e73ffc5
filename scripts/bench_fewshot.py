"""MNIST few-shot benchmark (issue 13): one exact net, an exact ensemble and two baselines.

Protocol (Icarte et al. 2019, BeMi 2025): ``mo.datasets.load("mnist5k")`` (5,000 digits,
500 per class, raw integer pixels 0-255); for each of ``--per-class`` (default 10 and 40)
and each of ``--seeds`` (default 0-4), ``mo.datasets.few_shot_split(X, y, per_class=n,
seed=s)`` draws ``n`` training images per class and **every remaining digit is the test
set**. Rows, all from the same code in the same run, on the same splits:

* ``mixedopt single``: ``mo.ExactThresholdClassifier(hidden=(16,), weights="ternary",
  time_limit=T)`` with every other parameter at its default, on the raw pixels
  (784-16-10, ternary weights) — the configuration the issue's goals are measured on;
* ``mixedopt ovo``: the same call with ``ensemble="ovo"`` (45 binary 784-16-1 ternary nets,
  majority vote; ``--ensemble-time-limit`` is the budget of the whole ensemble, split
  equally across the pairs);
* ``SSTE sign MLP``: ``mixedopt.torch.build_model("mlp", activation="sign", rule="sste",
  hidden=[16])`` — the same 784-16-10 shape with real weights (batch norm before the sign
  units, which folds into a threshold at inference), full-batch Adam on pixels / 255;
* ``logistic regression``: scikit-learn's ``LogisticRegression`` on pixels / 255.

Reported per row and training-set size: median test accuracy over the seeds with its range
(min-max), median fit time, training accuracy, solve statuses with objective and bound per
stage (mixedopt rows), and non-zero weights (weights and biases; for the ensemble the sum
over its nets).

Run ``python scripts/bench_fewshot.py`` (the benchmark: 2 sizes x 5 seeds, 120 s per
single net and 180 s per ensemble, about an hour on 2 cores) or ``--quick`` (a smoke run:
1 seed, 10 per class, 20 s single net, 45 s ensemble, about 2 minutes). Writes
``results/bench_fewshot.md`` and ``.json`` (``_quick`` suffix for ``--quick``) atomically.
``--n-jobs N`` (``--executor ray``, ``--address``) runs the (size, seed, row) cells as
tasks, N at a time; each cell's fit time is then its own wall time beside the others.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import _cells  # noqa: E402

import mixedopt as mo  # noqa: E402
from mixedopt.files import atomic_write_text  # noqa: E402

ROWS = ("single", "single_noinit", "single_lex", "ovo", "sste", "logreg")
LABELS = {
    "single": "mixedopt single 784-16-10 ternary (exact), defaults",
    "single_noinit": "mixedopt single, init=None (the engine's own start, before issue 13)",
    "single_lex": "mixedopt single, objective='errors,margin,weights' (BeMi's order)",
    "ovo": "mixedopt ovo ensemble, 45 x 784-16-1 ternary (exact)",
    "sste": "SSTE sign MLP 784-16-10, real weights (mixedopt.torch)",
    "logreg": "logistic regression (scikit-learn)",
}
ANCHORS = {
    10: {"Icarte 2019": 0.511, "BeMi 2025 ensemble": 0.684},
    40: {"BeMi 2025 ensemble": 0.818},
}


def _nonzero_net(net: Any) -> int:
    return int(
        sum(np.count_nonzero(w) for w in net.weights) + sum(np.count_nonzero(b) for b in net.biases)
    )


def _stages(res: Any) -> list[dict[str, Any]]:
    return [
        {k: p.get(k) for k in ("phase", "status", "objective", "bound", "wall_time")}
        for p in res.info.get("phases", [])
    ]


def run_single(Xtr, ytr, Xte, yte, seed, time_limit, **params):
    clf = mo.ExactThresholdClassifier(
        hidden=(16,), weights="ternary", time_limit=time_limit, random_state=seed, **params
    )
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(Xtr, ytr)
    fit_s = time.perf_counter() - t
    res = clf.result_
    return {
        "test_acc": float(clf.score(Xte, yte)),
        "train_acc": float(clf.score(Xtr, ytr)),
        "fit_s": fit_s,
        "status": res.status.value,
        "objective": res.objective,
        "bound": res.bound,
        "phases": _stages(res),
        "stages": res.info.get("stages"),
        "nonzero": _nonzero_net(clf.net_),
    }


def run_ovo(Xtr, ytr, Xte, yte, seed, time_limit):
    clf = mo.ExactThresholdClassifier(
        hidden=(16,), weights="ternary", time_limit=time_limit, random_state=seed, ensemble="ovo"
    )
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(Xtr, ytr)
    fit_s = time.perf_counter() - t
    statuses: dict[str, int] = {}
    for r in clf.results_:
        statuses[r.status.value] = statuses.get(r.status.value, 0) + 1
    return {
        "test_acc": float(clf.score(Xte, yte)),
        "train_acc": float(clf.score(Xtr, ytr)),
        "fit_s": fit_s,
        "status": clf.status_.value,
        "pair_statuses": statuses,
        "pair_objectives": [r.objective for r in clf.results_],
        "pair_bounds": [r.bound for r in clf.results_],
        "pair_training_errors": int(sum(r.n_errors or 0 for r in clf.results_)),
        "nonzero": int(sum(_nonzero_net(n) for n in clf.nets_)),
    }


def train_sste(Xtr, ytr, seed, epochs=300):
    """The SSTE sign MLP 784-16-10 (real weights) trained full-batch on pixels / 255, in eval
    mode; returns ``(model, seconds of the training loop)``."""
    import torch

    from mixedopt.torch import build_model

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model = build_model(
        "mlp",
        activation="sign",
        rule="sste",
        num_classes=10,
        in_channels=1,
        input_size=(784,),
        hidden=[16],
    )
    xt = torch.tensor(Xtr / 255.0, dtype=torch.float32).reshape(len(Xtr), 1, 784)
    yt = torch.tensor(ytr, dtype=torch.long)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    t = time.perf_counter()
    model.train()
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
    fit_s = time.perf_counter() - t
    model.eval()
    return model, fit_s


def run_sste(Xtr, ytr, Xte, yte, seed, epochs):
    import torch

    model, fit_s = train_sste(Xtr, ytr, seed, epochs)
    with torch.no_grad():
        acc = []
        for X, y in ((Xtr, ytr), (Xte, yte)):
            out = model(torch.tensor(X / 255.0, dtype=torch.float32).reshape(len(X), 1, 784))
            acc.append(float((out.argmax(1).numpy() == y).mean()))
    nz = sum(
        int(torch.count_nonzero(p)) for name, p in model.named_parameters() if name.startswith("fc")
    )
    return {"test_acc": acc[1], "train_acc": acc[0], "fit_s": fit_s, "nonzero": nz}


def run_logreg(Xtr, ytr, Xte, yte, seed):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=2000, random_state=seed)
    t = time.perf_counter()
    clf.fit(Xtr / 255.0, ytr)
    fit_s = time.perf_counter() - t
    return {
        "test_acc": float(clf.score(Xte / 255.0, yte)),
        "train_acc": float(clf.score(Xtr / 255.0, ytr)),
        "fit_s": fit_s,
        "nonzero": int(np.count_nonzero(clf.coef_) + np.count_nonzero(clf.intercept_)),
    }


def run_cell(n, s, r, tl, etl, epochs):
    """One cell: row ``r`` on the ``n``-per-class split of seed ``s`` (a task of its own)."""
    X, y = mo.datasets.load("mnist5k")
    Xtr, Xte, ytr, yte = mo.datasets.few_shot_split(X, y, per_class=n, seed=s)
    if r == "single":
        out = run_single(Xtr, ytr, Xte, yte, s, tl)
    elif r == "single_noinit":
        out = run_single(Xtr, ytr, Xte, yte, s, tl, init=None)
    elif r == "single_lex":
        out = run_single(Xtr, ytr, Xte, yte, s, tl, objective="errors,margin,weights")
    elif r == "ovo":
        out = run_ovo(Xtr, ytr, Xte, yte, s, etl)
    elif r == "sste":
        out = run_sste(Xtr, ytr, Xte, yte, s, epochs)
    else:
        out = run_logreg(Xtr, ytr, Xte, yte, s)
    out["seed"] = s
    return out


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    acc = np.array([r["test_acc"] for r in runs])
    return {
        "test_acc_mean": float(np.mean(acc)),
        "test_acc_median": float(np.median(acc)),
        "test_acc_min": float(acc.min()),
        "test_acc_max": float(acc.max()),
        "train_acc_median": float(np.median([r["train_acc"] for r in runs])),
        "fit_s_median": float(np.median([r["fit_s"] for r in runs])),
        "nonzero_median": float(np.median([r["nonzero"] for r in runs])),
        "n_seeds": len(runs),
    }


def _status_text(row: str, runs: list[dict[str, Any]]) -> str:
    if row.startswith("single"):
        parts = []
        for r in runs:
            ph = "; ".join(
                f"{s['phase']} {s['status']} {s['objective']}/{s['bound']}" for s in r["phases"]
            )
            st = "; ".join(
                f"{s['criterion']} {s['value']}/{s['bound']} ({s['bound_kind']}, {s['status']})"
                for s in (r.get("stages") or [])
            )
            parts.append(f"{r['status']} [stages: {st}] (phases: {ph})")
        return " · ".join(parts)
    if row == "ovo":
        return " · ".join(
            ", ".join(f"{k} {v}" for k, v in sorted(r["pair_statuses"].items())) for r in runs
        )
    return "–"


def render(payload: dict[str, Any]) -> str:
    a = payload["args"]
    note = _cells.timing_note(payload.get("run") or {"executor": "serial"})
    lines = [
        "# MNIST few-shot benchmark"
        + (" — QUICK SMOKE RUN (not the benchmark)" if a["quick"] else ""),
        "",
    ]
    if a["quick"]:
        lines += [
            "> This is the `--quick` smoke run of `scripts/bench_fewshot.py`: one seed, short "
            "time limits. It checks that every row runs; its numbers are **not** the benchmark "
            "(run the script without `--quick` for that).",
            "",
        ]
    lines += [
        f"Data: `mnist5k` (5,000 MNIST digits, raw pixels), `few_shot_split(per_class=n, "
        f"seed=s)`, test on every remaining digit. Seeds {a['seeds']}; single-net limit "
        f"{a['time_limit']} s, ensemble limit {a['ensemble_time_limit']} s for all 45 pairs "
        f"({a['ensemble_time_limit'] / 45:.2f} s each); SSTE {a['epochs']} full-batch epochs. "
        f"Machine: {payload['machine']}. Generated by `python scripts/bench_fewshot.py"
        f"{' --quick' if a['quick'] else ''}` in {payload['wall_s']:.0f} s.",
        "",
        *([note, ""] if note else []),
        "| n/class | method | test acc (mean) | (median) | range over seeds | train acc "
        "| fit s (median) | non-zero weights |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for n, rows in payload["results"].items():
        for row, d in rows.items():
            s = d["summary"]
            lines.append(
                f"| {n} | {LABELS[row]} | {s['test_acc_mean']:.3f} | {s['test_acc_median']:.3f} | "
                f"{s['test_acc_min']:.3f}–{s['test_acc_max']:.3f} | {s['train_acc_median']:.3f} | "
                f"{s['fit_s_median']:.1f} | {s['nonzero_median']:.0f} |"
            )
        for name, v in ANCHORS.get(int(n), {}).items():
            lines.append(f"| {n} | anchor: {name} (published) | {v:.3f} | | | | | |")
    lines += ["", "## Solve statuses (per seed)", ""]
    lines.append(
        "Single nets: final status; per criterion of the objective `value/bound (bound kind, "
        "stage status)` (`result.info['stages']`: a later stage is optimal only when the whole "
        "order is proven; otherwise its bound is the trivial one of its range); then per "
        "engine phase `phase status objective/bound`. Ensemble: pairwise statuses."
    )
    lines.append("")
    for n, rows in payload["results"].items():
        for row in ("single", "single_noinit", "single_lex", "ovo"):
            if row in rows:
                lines.append(f"* {n}/class, {row}: {_status_text(row, rows[row]['runs'])}")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--quick", action="store_true", help="smoke run: 1 seed, 10/class, short limits"
    )
    ap.add_argument("--per-class", default=None, help="comma list (default 10,40)")
    ap.add_argument("--seeds", default=None, help="comma list (default 0,1,2,3,4)")
    ap.add_argument("--time-limit", type=float, default=None, help="single net, s (120)")
    ap.add_argument("--ensemble-time-limit", type=float, default=None, help="all pairs, s (180)")
    ap.add_argument("--epochs", type=int, default=300, help="SSTE full-batch epochs")
    ap.add_argument("--rows", default=",".join(ROWS), help=f"subset of {','.join(ROWS)}")
    ap.add_argument("--out", default=str(ROOT / "results"))
    _cells.add_arguments(ap)
    a = ap.parse_args(argv)
    q = a.quick
    per_class = [int(v) for v in (a.per_class or ("10" if q else "10,40")).split(",")]
    seeds = [int(v) for v in (a.seeds or ("0" if q else "0,1,2,3,4")).split(",")]
    tl = a.time_limit or (20.0 if q else 120.0)
    etl = a.ensemble_time_limit or (45.0 if q else 180.0)
    rows = [r for r in a.rows.split(",") if r]
    bad = set(rows) - set(ROWS)
    if bad:
        ap.error(f"unknown rows {sorted(bad)}; choose from {ROWS}")
    mo.datasets.load("mnist5k")
    # import the solvers and torch once, before any fit is timed (seconds on a first import)
    import mixedopt.exact.engine

    if "sste" in rows:
        import mixedopt.torch  # noqa: F401
    t0 = time.perf_counter()

    def show(cell: tuple[Any, ...], out: dict[str, Any]) -> None:
        n, s, r = cell[:3]
        print(
            f"n={n} seed={s} {r}: test {out['test_acc']:.3f} train "
            f"{out['train_acc']:.3f} fit {out['fit_s']:.1f}s",
            file=sys.stderr,
            flush=True,
        )

    cells = [(n, s, r, tl, etl, a.epochs) for n in per_class for s in seeds for r in rows]
    with _cells.open_executor(a) as ex:
        outs = _cells.run_cells(run_cell, cells, ex, on_done=show)
        run = _cells.describe(a, ex)
    results: dict[str, Any] = {}
    for n in per_class:
        done = list(zip(cells, outs, strict=True))
        per_row = {r: [o for c, o in done if c[0] == n and c[2] == r] for r in rows}
        results[str(n)] = {r: {"summary": summarise(v), "runs": v} for r, v in per_row.items()}
    payload = {
        "args": {
            "quick": q,
            "per_class": per_class,
            "seeds": seeds,
            "time_limit": tl,
            "ensemble_time_limit": etl,
            "epochs": a.epochs,
            "rows": rows,
        },
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "mixedopt_version": getattr(mo, "__version__", "?"),
        "wall_s": time.perf_counter() - t0,
        "run": run,
        "anchors": ANCHORS,
        "results": results,
    }
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "bench_fewshot_quick" if q else "bench_fewshot"
    atomic_write_text(out / f"{stem}.json", json.dumps(payload, indent=1, default=str) + "\n")
    atomic_write_text(out / f"{stem}.md", render(payload))
    print(f"wrote {out / stem}.md and .json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
