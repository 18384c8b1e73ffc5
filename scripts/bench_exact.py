"""Exact-training benchmark: methods side by side, one run, one machine.

Three tasks (planted integer-weight sign nets, ``K = 3``, inputs in ``[-8, 8]``, made by
``mixedopt.datasets.planted``; seeds recorded in the JSON):

1. **noisy frontier** — 5 % label noise, ``h = 3``: for ``d = 3, 4, 6`` and growing ``m``,
   does a method *prove* the (nonzero) minimum number of training errors within the time
   limit? Reported: the largest ``m`` proven per method. A method stops climbing after two
   consecutive failures.
2. **realizable** — noise-free nets up to ``d = 10, h = 5, m = 10,000``: a zero-error net
   (which is a proof of optimality) within the limit?
3. **digits** — scikit-learn digits, 10 examples per class (100), a 64-16-10 net with
   ternary weights: time to zero training errors, then margin maximisation for the rest of
   the limit; test accuracy on the remaining 1,697 digits.

Methods (``--methods`` filter): ``cpsat`` (naive monolithic CP-SAT), ``scip`` (monolithic
MIP), ``auto`` (``mo.train_exact(method="auto")``: the engine's default pipeline),
``greedy`` (local search alone), ``table`` (local search, then the CP-SAT table model with
its net as hint), ``dichotomy`` (local search, then the exact search over unit dichotomies
with its net as incumbent). Every time limit covers the whole method, heuristic included.
One worker / one thread per solve.

Run ``python scripts/bench_exact.py`` (about 1.5 h) or ``--quick`` (a few minutes). Writes
``results/bench_exact.md`` and ``results/bench_exact.json`` (``_quick`` suffix for
``--quick``) atomically.
"""

from __future__ import annotations

import argparse
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
from mixedopt._files import atomic_write_text  # noqa: E402
from mixedopt.problem import TrainingProblem  # noqa: E402
from mixedopt.result import SolveResult, Status  # noqa: E402

METHODS = ("cpsat", "scip", "auto", "greedy", "table", "dichotomy")
FRONTIER = {3: [200, 400, 1000, 2000, 4000], 4: [100, 200, 400, 800], 6: [100, 200, 400]}
FRONTIER_QUICK = {3: [400, 1000], 4: [200, 400], 6: [100]}
REALIZABLE = [(3, 3, 2000), (6, 3, 2000), (10, 5, 1000), (10, 5, 10000)]
REALIZABLE_QUICK = [(6, 3, 2000), (10, 5, 1000)]
GOALS = {3: 1000, 4: 400, 6: 200}
HEURISTIC_SHARE = 0.15  # most of the limit the local search gets before table / dichotomy


# --------------------------------------------------------------------------- runners
def heuristic_then(
    problem: TrainingProblem, limit: float, seed: int, exact: str
) -> tuple[SolveResult, dict[str, Any]]:
    """Local search for a share of the limit, then an exact method with its net."""
    from mixedopt.solvers.greedy import local_search

    t0 = time.perf_counter()
    budget = min(HEURISTIC_SHARE * limit, max(2.0, 0.01 * problem.n_samples))
    ls = local_search(problem, time_limit=budget, seed=seed, max_stall=100)
    extra = {"heuristic_errors": ls.n_errors, "heuristic_time": round(ls.wall_time, 2)}
    if ls.status is Status.OPTIMAL:
        return ls, extra
    left = max(0.5, limit - (time.perf_counter() - t0))
    if exact == "table":
        from mixedopt.solvers.cpsat_table import solve_table

        res = solve_table(problem, time_limit=left, seed=seed, hint=ls.net)
    else:
        from mixedopt.solvers.dichotomy import applicable, solve_dichotomy

        if not applicable(problem):
            return ls, {**extra, "skipped": "dichotomy not applicable"}
        res = solve_dichotomy(problem, time_limit=left, seed=seed, hint=ls.net)
    return res, extra


def run_method(method: str, problem: TrainingProblem, limit: float, seed: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    extra: dict[str, Any] = {}
    try:
        if method in ("cpsat", "scip"):
            res = mo.solvers.get(method).solve(problem, time_limit=limit, seed=seed, threads=1)
        elif method == "auto":
            from mixedopt.train.exact import solve_problem

            res = solve_problem(problem, method="auto", time_limit=limit, seed=seed)
        elif method == "greedy":
            from mixedopt.solvers.greedy import local_search

            res = local_search(problem, time_limit=limit, seed=seed)
        elif method in ("table", "dichotomy"):
            res, extra = heuristic_then(problem, limit, seed, method)
        else:  # pragma: no cover - argparse restricts the names
            raise ValueError(method)
    except mo.Error as exc:
        return {
            "method": method,
            "status": "error",
            "error": str(exc)[:200],
            "wall_time": round(time.perf_counter() - t0, 2),
        }
    wall = time.perf_counter() - t0
    zero = [ev.wall_time for ev in res.log if ev.objective == 0]
    return {
        "method": method,
        "status": res.status.value,
        "objective": res.objective,
        "bound": res.bound,
        "n_errors": res.n_errors,
        "wall_time": round(wall, 2),
        "time_to_zero": round(min(zero), 2) if zero else None,
        "net": res.net,
        **extra,
    }


def proven_nonzero(r: dict[str, Any]) -> bool:
    return r.get("status") == "optimal" and (r.get("objective") or 0) > 0


# --------------------------------------------------------------------------- tasks
def frontier(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    ladders = FRONTIER_QUICK if args.quick else FRONTIER
    for d in args.dims:
        for method in args.methods:
            if method == "greedy":
                continue  # proves nothing on noisy data
            fails = 0
            for m in ladders[d]:
                for seed in args.seeds:
                    X, y, teacher = mo.datasets.planted(
                        m, d, 3, 0.05, seed, input_range=8, weight_bound=3
                    )
                    p = TrainingProblem.from_data(
                        X, y, hidden=[3], weights="integer", weight_bound=3
                    )
                    r = run_method(method, p, args.time_limit, seed)
                    r.pop("net", None)
                    r.update(task="frontier", d=d, h=3, m=m, seed=seed, noise=0.05)
                    r["teacher_errors"] = int(np.count_nonzero(teacher.predict(X) != y))
                    rows.append(r)
                    print(_line(r), flush=True)
                    fails = 0 if proven_nonzero(r) else fails + 1
                if fails >= 2 * len(args.seeds):
                    break
    return rows


def realizable(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    cases = REALIZABLE_QUICK if args.quick else REALIZABLE
    for d, h, m in cases:
        for seed in args.realizable_seeds:
            X, y, _ = mo.datasets.planted(m, d, h, 0.0, seed, input_range=8, weight_bound=3)
            p = TrainingProblem.from_data(X, y, hidden=[h], weights="integer", weight_bound=3)
            for method in args.methods:
                if method in ("table", "dichotomy"):
                    continue  # the engine's exact phases only matter with noise
                if seed != args.realizable_seeds[0] and method not in ("greedy", "auto"):
                    continue  # extra seeds for the heuristic only
                r = run_method(method, p, args.time_limit, seed)
                r.pop("net", None)
                r.update(task="realizable", d=d, h=h, m=m, seed=seed, noise=0.0)
                rows.append(r)
                print(_line(r), flush=True)
    return rows


def digits(args: argparse.Namespace) -> list[dict[str, Any]]:
    X, y = mo.datasets.load("digits")
    rng = np.random.default_rng(args.seeds[0])
    idx = np.concatenate([rng.choice(np.flatnonzero(y == c), 10, replace=False) for c in range(10)])
    rest = np.setdiff1d(np.arange(len(y)), idx)
    p = TrainingProblem.from_data(
        X[idx], y[idx], hidden=[16], weights="ternary", objective="errors,margin"
    )
    rows = []
    for method in args.methods:
        if method not in ("greedy", "cpsat", "scip", "auto"):
            continue
        prob = p if method == "greedy" else p.with_objective("margin")
        r = run_method(method, prob, args.digits_time_limit, args.seeds[0])
        net = r.pop("net", None)
        r.update(task="digits", sizes=[64, 16, 10], n_train=len(idx), seed=args.seeds[0])
        if net is not None:
            r["train_errors"] = int(p.errors(net))
            r["margin"] = p.margin_value(net) if p.errors(net) == 0 else None
            r["test_accuracy"] = round(float(np.mean(net.predict(X[rest]) == y[rest])), 4)
        rows.append(r)
        print(_line(r), flush=True)
    return rows


def _line(r: dict[str, Any]) -> str:
    keys = ("task", "d", "h", "m", "seed", "method", "status", "objective", "bound", "wall_time")
    return " ".join(f"{k}={r.get(k)}" for k in keys if k in r)


# --------------------------------------------------------------------------- report
def markdown(data: dict[str, Any]) -> str:
    meta = data["meta"]
    L = [
        "# Exact training benchmark",
        "",
        f"`scripts/bench_exact.py{' --quick' if meta['quick'] else ''}` — "
        f"{meta['time_limit']:g} s per solve, 1 thread, "
        f"{meta['machine']}; {'last run: ' if len(meta.get('runs', [])) > 1 else ''}"
        f"load average {meta['load_start']} at start, "
        f"{meta['load_end']} at the end (the machine is shared: timings are noisy). "
        f"Seeds {meta['seeds']}. Total {meta['wall_seconds'] / 60:.1f} min.",
        "",
        *(
            [
                "Runs merged into this file: "
                + "; ".join(
                    f"{', '.join(r['tasks'])} ({r['started']}, {r['minutes']} min, load "
                    f"{r['load_start']} -> {r['load_end']})"
                    for r in meta.get("runs", [])
                )
                + ".",
                "",
            ]
            if len(meta.get("runs", [])) > 1
            else []
        ),
        "Planted nets: `mixedopt.datasets.planted(m, d, h, noise, seed, input_range=8, "
        "weight_bound=3)`; students have the teacher's shape and domain (integer weights and "
        "biases in [-3, 3]); objective = minimum training errors. `OPTIMAL` means the bound "
        "meets the true error count of the returned (re-verified) net.",
        "",
    ]
    fr = data["frontier"]
    if fr:
        L += [
            "## 1. Noisy frontier (5 % noise, h = 3): largest m with a proven nonzero optimum",
            "",
        ]
        dims = sorted({r["d"] for r in fr})
        methods = [m for m in meta["methods"] if any(r["method"] == m for r in fr)]
        L.append("| method | " + " | ".join(f"d = {d}" for d in dims) + " |")
        L.append("|---|" + "---|" * len(dims))
        for meth in methods:
            cells = []
            for d in dims:
                ok = [r for r in fr if r["method"] == meth and r["d"] == d and proven_nonzero(r)]
                if ok:
                    best = max(ok, key=lambda r: r["m"])
                    cells.append(f"**{best['m']}** ({best['wall_time']:.0f} s)")
                else:
                    cells.append("none")
            L.append(f"| {meth} | " + " | ".join(cells) + " |")
        L.append("")
        L.append(
            "Goals: d = 3 at m >= 1000, d = 4 at m >= 400, d = 6 at m >= 200 "
            "(best monolithic model measured earlier: 400, 100, none)."
        )
        L.append("")
        goal_rows = []
        for d, target in GOALS.items():
            if d not in dims:
                continue
            ok = [r for r in fr if r["d"] == d and proven_nonzero(r) and r["m"] >= target]
            who = sorted({r["method"] for r in ok})
            goal_rows.append(
                f"| d = {d}, m >= {target} | {'met' if ok else 'not met'} | "
                f"{', '.join(who) or '-'} |"
            )
        L += ["| goal | result | by |", "|---|---|---|", *goal_rows, ""]
        L += [
            "Every run (status / errors / proven bound / seconds; teacher = errors of the "
            "planted net, an upper bound):",
            "",
            "| d | m | seed | teacher | method | status | errors | bound | s | heuristic |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in sorted(fr, key=lambda r: (r["d"], r["m"], r["seed"], r["method"])):
            L.append(
                f"| {r['d']} | {r['m']} | {r['seed']} | {r.get('teacher_errors')} | "
                f"{r['method']} | {r['status']} | {_f(r.get('objective'))} | "
                f"{_f(r.get('bound'))} | {r['wall_time']:.1f} | "
                f"{_f(r.get('heuristic_errors'))} |"
            )
        L.append("")
    rz = data["realizable"]
    if rz:
        L += [
            "## 2. Realizable planted nets: zero training errors (a proof of optimality)",
            "",
            "| d | h | m | seed | method | status | errors | s | first zero at (s) |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in sorted(rz, key=lambda r: (r["d"], r["m"], r["method"], r["seed"])):
            L.append(
                f"| {r['d']} | {r['h']} | {r['m']} | {r['seed']} | {r['method']} | "
                f"{r['status']} | {_f(r.get('n_errors'))} | {r['wall_time']:.1f} | "
                f"{_f(r.get('time_to_zero'))} |"
            )
        L += ["", "Goal: d = 10, h = 5, m = 10,000 — a zero-error net within 60 s.", ""]
    dg = data["digits"]
    if dg:
        L += [
            "## 3. Digits, 10 examples per class, 64-16-10 ternary",
            "",
            f"{meta['digits_time_limit']:g} s per method. `greedy` minimises errors, then "
            "maximises the margin (sum of unit margins) keeping zero errors; the exact "
            "backends get the margin objective (zero errors required).",
            "",
            "| method | status | train errors | first zero errors at (s) | margin | "
            "test accuracy | s |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in dg:
            L.append(
                f"| {r['method']} | {r['status']} | {_f(r.get('train_errors'))} | "
                f"{_f(r.get('time_to_zero'))} | {_f(r.get('margin'))} | "
                f"{_f(r.get('test_accuracy'))} | {r['wall_time']:.1f} |"
            )
        L += [
            "",
            "Goal: a zero-error net within 5 minutes (published MIP/CP found none with 16 "
            "hidden units at 40-60 examples in 2 hours).",
            "",
        ]
    return "\n".join(L)


def _f(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small ladders, 20 s limits")
    ap.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset")
    ap.add_argument("--tasks", default="frontier,realizable,digits")
    ap.add_argument("--dims", default="3,4,6", help="input dimensions of the frontier")
    ap.add_argument("--seeds", default="0", help="comma-separated data seeds")
    ap.add_argument(
        "--realizable-seeds",
        default="0,1,2,3",
        help="data seeds of the realizable task (every method on the first, greedy and "
        "auto on all)",
    )
    ap.add_argument(
        "--merge",
        action="store_true",
        help="keep the rows of the existing JSON output that this run does not redo (other "
        "tasks; for the frontier, other dims/methods/seeds)",
    )
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--digits-time-limit", type=float, default=300.0)
    ap.add_argument("--out", default=str(ROOT / "results" / "bench_exact"))
    args = ap.parse_args(argv)
    args.methods = [m for m in args.methods.split(",") if m]
    bad = [m for m in args.methods if m not in METHODS]
    if bad:
        ap.error(f"unknown method(s) {bad}; choose from {', '.join(METHODS)}")
    args.tasks = [t for t in args.tasks.split(",") if t]
    args.dims = [int(d) for d in args.dims.split(",") if d]
    args.seeds = [int(s) for s in args.seeds.split(",") if s]
    args.realizable_seeds = [int(s) for s in args.realizable_seeds.split(",") if s]
    if args.quick:
        args.time_limit = min(args.time_limit, 20.0)
        args.digits_time_limit = min(args.digits_time_limit, 30.0)
        args.out += "_quick"
    t0 = time.perf_counter()
    load_start = " ".join(f"{x:.1f}" for x in os.getloadavg())
    data: dict[str, Any] = {"frontier": [], "realizable": [], "digits": []}
    out = Path(args.out)
    previous: dict[str, Any] = {}
    if args.merge and out.with_suffix(".json").exists():
        previous = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
        for task in data:
            if task not in args.tasks:
                data[task] = previous.get(task, [])
    if "frontier" in args.tasks:
        data["frontier"] = frontier(args)
        if args.merge:
            # a partial rerun (some --dims / --methods / --seeds) replaces only its own rows
            def rerun(r: dict[str, Any]) -> bool:
                redo = r["d"] in args.dims and r["method"] in args.methods
                return redo and r["seed"] in args.seeds

            kept = [r for r in previous.get("frontier", []) if not rerun(r)]
            data["frontier"] = sorted(
                kept + data["frontier"], key=lambda r: (r["d"], r["m"], r["seed"], r["method"])
            )
    if "realizable" in args.tasks:
        data["realizable"] = realizable(args)
    if "digits" in args.tasks:
        data["digits"] = digits(args)
    runs = list(previous.get("meta", {}).get("runs", [])) if args.merge else []
    runs.append(
        {
            "tasks": args.tasks
            + (
                [f"dims {args.dims} methods {args.methods} seeds {args.seeds}"]
                if args.merge
                else []
            ),
            "started": time.strftime(
                "%Y-%m-%d %H:%M", time.localtime(time.time() - (time.perf_counter() - t0))
            ),
            "load_start": load_start,
            "load_end": " ".join(f"{x:.1f}" for x in os.getloadavg()),
            "minutes": round((time.perf_counter() - t0) / 60, 1),
        }
    )
    data["meta"] = {
        "runs": runs,
        "quick": args.quick,
        "methods": sorted(
            set(args.methods) | set(previous.get("meta", {}).get("methods", [])),
            key=METHODS.index,
        )
        if args.merge
        else args.methods,
        "time_limit": args.time_limit,
        "digits_time_limit": args.digits_time_limit,
        "seeds": args.seeds,
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
        "load_start": load_start,
        "load_end": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "wall_seconds": time.perf_counter() - t0,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    atomic_write_text(out.with_suffix(".md"), markdown(data) + "\n")
    atomic_write_text(out.with_suffix(".json"), json.dumps(data, indent=1, default=str) + "\n")
    print(f"wrote {out.with_suffix('.md')} and .json", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
