"""SCIP against CP-SAT on small planted cells: the MIP path before and after the selection model.

Issue 13, item 4: on planted instances with ``m = 24, d = 4, h = 2``, integer weights in
``[-2, 2]`` and 10 % label noise the monolithic SCIP model needed far longer than CP-SAT to
prove the minimum number of training errors. This script measures, in one run and on the same
instances, the time to a proven optimum of

* ``cpsat`` — the monolithic CP-SAT model as the engine runs it
  (``solve_problem(method="monolithic", backend="cpsat")``, 1 worker);
* ``scip_before`` — the monolithic SCIP model (``formulation="bigm"``, the default before
  the selection model);
* ``scip_after`` — SCIP with its default ``formulation="auto"``, i.e. the unit-selection
  MIP of :mod:`mixedopt.solvers.scip.selection` on these cells;
* ``auto_cpsat`` / ``auto_scip`` — the engine's ``method="auto"`` (local search, then its
  exact phase: the dichotomy search for CP-SAT, the selection model for SCIP).

Cells (``--cells``): the issue's ``24x4x2`` and two neighbours, ``48x4x2`` (twice the
examples) and ``32x4x3`` (a third hidden unit); planted data from
``mixedopt.datasets.planted(m, d, h, noise=0.1, seed, input_range=8, weight_bound=2)``, the
student has the teacher's domain (integer weights and biases in ``[-2, 2]``), objective
``errors``. One thread per solve, the solver seed is the data seed, the methods run one
after the other on each instance (same load). Per instance the proven optima of all methods
must agree and every returned net is re-counted with the true forward pass (the oracle
check); a disagreement is written to the results and makes the script exit with status 1.

The selection model's design and ``SCIP_DEFAULTS`` were chosen on data seeds 0-4 of these
cells; the default seeds here are 10-14.

Run ``python scripts/bench_scip.py`` (about 20 min on 2 loaded cores) or ``--quick`` (one
seed per cell, 10 s limit: a smoke test). Writes ``results/bench_scip.md`` and
``results/bench_scip.json`` (``_quick`` suffix for ``--quick``) atomically.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mixedopt as mo  # noqa: E402
from mixedopt.exact.engine import solve_problem  # noqa: E402
from mixedopt.files import atomic_write_text  # noqa: E402
from mixedopt.problems.training import TrainingProblem  # noqa: E402

#: method -> (backend, engine method, native options)
METHODS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "cpsat": ("cpsat", "monolithic", {}),
    "scip_before": ("scip", "monolithic", {"formulation": "bigm"}),
    "scip_after": ("scip", "monolithic", {}),
    "auto_cpsat": ("cpsat", "auto", {}),
    "auto_scip": ("scip", "auto", {}),
}
CELLS = {"24x4x2": (24, 4, 2), "48x4x2": (48, 4, 2), "32x4x3": (32, 4, 3)}
NOISE, K, INPUT_RANGE = 0.1, 2, 8
TUNING_SEEDS = [0, 1, 2, 3, 4]


def git_state() -> dict[str, Any]:
    def git(*a: str) -> str:
        try:
            return subprocess.run(
                ["git", *a], cwd=ROOT, capture_output=True, text=True, timeout=30
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return ""

    dirty = [ln[3:] for ln in git("status", "--porcelain", "--", "mixedopt").splitlines() if ln]
    return {
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "uncommitted_library_files": dirty,
    }


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def problem_of(cell: str, seed: int) -> TrainingProblem:
    m, d, h = CELLS[cell]
    X, y, _ = mo.datasets.planted(m, d, h, NOISE, seed, input_range=INPUT_RANGE, weight_bound=K)
    return TrainingProblem.from_data(X, y, hidden=[h], weights="integer", weight_bound=K)


def run(method: str, p: TrainingProblem, limit: float, seed: int) -> dict[str, Any]:
    backend, engine_method, native = METHODS[method]
    load = load1()
    t0, c0 = time.perf_counter(), time.process_time()
    res = solve_problem(
        p,
        backend=backend,
        method=engine_method,
        time_limit=limit,
        seed=seed,
        threads=1,
        **native,
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    true = None if res.net is None else p.errors(res.net)
    return {
        "method": method,
        "status": res.status.value,
        "objective": res.objective,
        "bound": res.bound,
        "true_errors": true,
        "wall": round(wall, 3),
        "cpu": round(cpu, 3),
        "proven_wall": round(wall, 3) if res.status.value == "optimal" else None,
        "load1": load,
        "formulation": res.info.get("formulation"),
        "model": res.info.get("model"),
        "phases": [ph["phase"] for ph in res.info.get("phases", [])],
    }


def oracle(rows: list[dict[str, Any]]) -> list[str]:
    """Disagreements on one instance: proven optima that differ, a reported objective that
    is not the returned net's true error count, a bound above a found objective."""
    bad = []
    proven = {r["method"]: r["objective"] for r in rows if r["status"] == "optimal"}
    if len(set(proven.values())) > 1:
        bad.append(f"proven optima differ: {proven}")
    objs = [r["objective"] for r in rows if r["objective"] is not None]
    for r in rows:
        if r["objective"] is not None and r["true_errors"] != r["objective"]:
            bad.append(f"{r['method']}: objective {r['objective']} but {r['true_errors']} errors")
        if r["bound"] is not None and objs and r["bound"] > min(objs) + 1e-9:
            bad.append(f"{r['method']}: bound {r['bound']} above a found net ({min(objs)})")
    return bad


def ratio_stats(rows: list[dict[str, Any]], cell: str, a: str, b: str, key: str, limit: float):
    """Per seed ratio a/b of ``key`` time, on the instances ``b`` proved (others: None);
    where ``a`` did not prove the optimum its time is at least the limit and the ratio is a
    lower bound (``censored``). Median and range over the seeds with a ratio."""
    per: list[dict[str, Any]] = []
    for seed in sorted({r["seed"] for r in rows if r["cell"] == cell}):
        ra = next(r for r in rows if r["cell"] == cell and r["seed"] == seed and r["method"] == a)
        rb = next(r for r in rows if r["cell"] == cell and r["seed"] == seed and r["method"] == b)
        if rb["status"] != "optimal":
            per.append({"seed": seed, "ratio": None, "censored": False})
            continue
        ta = ra[key] if ra["status"] == "optimal" else max(ra[key], limit)
        per.append(
            {
                "seed": seed,
                "ratio": round(ta / max(rb[key], 1e-3), 2),
                "censored": ra["status"] != "optimal",
            }
        )
    vals = [x["ratio"] for x in per if x["ratio"] is not None]
    return {
        "per_seed": per,
        "median": round(statistics.median(vals), 2) if vals else None,
        "min": min(vals) if vals else None,
        "max": max(vals) if vals else None,
        "censored": sum(x["censored"] for x in per),
        "baseline_unproven": sum(x["ratio"] is None for x in per),
    }


def _t(r: dict[str, Any]) -> str:
    if r["status"] == "optimal":
        return f"{r['wall']:.2f}"
    return f">{r['wall']:.0f} ({r['status']}, {r['objective']}/{r['bound']})"


def markdown(data: dict[str, Any]) -> str:
    meta = data["meta"]
    L = [
        "# SCIP vs CP-SAT on small planted cells (issue 13, item 4)",
        "",
        f"Command: `{meta['command']}`  ",
        f"Started {meta['started']}, commit {meta['git']['commit']}"
        + (
            f" (uncommitted library files: {', '.join(meta['git']['uncommitted_library_files'])})"
            if meta["git"]["uncommitted_library_files"]
            else ""
        )
        + f"; {meta['machine']}; load average (1/5/15 min) {meta['load_start']} at the start, "
        f"{meta['load_end']} at the end: the machine is shared, so only ratios from the same "
        "run count.  ",
        f"Planted data: integer inputs in [-{INPUT_RANGE}, {INPUT_RANGE}], teacher and student "
        f"integer weights and biases in [-{K}, {K}], {NOISE:.0%} label noise, objective "
        f"errors. Data seeds {meta['seeds']} (the selection model was designed on seeds "
        f"{TUNING_SEEDS}). Time limit {meta['time_limit']:g} s per solve, 1 thread each, "
        "solver seed = data seed; the methods run one after the other on each instance.",
        "",
        "Times are wall seconds to a proven optimum (`>` = not proven within the limit; then "
        "status and objective/bound). `cpsat`: monolithic CP-SAT as the engine runs it; "
        "`scip before`: the monolithic SCIP model (`formulation='bigm'`, the default before "
        "this change); `scip after`: SCIP's default `formulation='auto'` (here the "
        "unit-selection MIP); `auto`: the engine's `method='auto'` (local search, then its "
        "exact phase) with each backend. Ratios are SCIP time / CP-SAT time on the same "
        "instance; where SCIP did not prove the optimum the limit stands in (a lower bound, "
        "marked `>=`).",
        "",
    ]
    for cell in meta["cells"]:
        m, d, h = CELLS[cell]
        rows = [r for r in data["rows"] if r["cell"] == cell]
        L += [f"## m = {m}, d = {d}, h = {h}", ""]
        L.append(
            "| seed | optimum | cpsat | scip before | scip after | before/cpsat | "
            "after/cpsat | cpu after/cpsat | auto cpsat | auto scip | minimal sets / "
            "dichotomies | load |"
        )
        L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        st = data["summary"][cell]
        for seed in meta["seeds"]:
            by = {r["method"]: r for r in rows if r["seed"] == seed}
            opt = {r["objective"] for r in by.values() if r["status"] == "optimal"}

            def rat(name: str, seed: int = seed, st: dict[str, Any] = st) -> str:
                x = next(v for v in st[name]["per_seed"] if v["seed"] == seed)
                if x["ratio"] is None:
                    return "-"
                return (">=" if x["censored"] else "") + f"{x['ratio']:.2f}"

            model = by["scip_after"].get("model") or {}
            sets = (
                f"{model.get('minimal_error_sets')} / {model.get('dichotomies')}"
                if "dichotomies" in model
                else "-"
            )
            L.append(
                f"| {seed} | {', '.join(map(str, sorted(opt))) or '-'} | {_t(by['cpsat'])} | "
                f"{_t(by['scip_before'])} | {_t(by['scip_after'])} | {rat('before_wall')} | "
                f"{rat('after_wall')} | {rat('after_cpu')} | {_t(by['auto_cpsat'])} | "
                f"{_t(by['auto_scip'])} | {sets} | {by['cpsat']['load1']:.1f} |"
            )
        L.append("")
        for name, label in [
            ("before_wall", "scip before / cpsat (wall)"),
            ("after_wall", "scip after / cpsat (wall)"),
            ("after_cpu", "scip after / cpsat (CPU)"),
            ("auto_wall", "auto scip / auto cpsat (wall)"),
        ]:
            s = st[name]
            notes = []
            if s["censored"]:
                notes.append(f"{s['censored']} lower bounds (>=: SCIP not proven)")
            if s["baseline_unproven"]:
                notes.append(f"{s['baseline_unproven']} without a ratio (CP-SAT not proven)")
            extra = f" ({'; '.join(notes)})" if notes else ""
            if s["median"] is None:
                L.append(f"- {label}: no ratio{extra}")
            else:
                L.append(
                    f"- {label}: median **{s['median']}**, range {s['min']}-{s['max']} "
                    f"over {len(s['per_seed']) - s['baseline_unproven']} seeds{extra}"
                )
        proven = {
            meth: sum(r["status"] == "optimal" for r in rows if r["method"] == meth)
            for meth in METHODS
        }
        L.append(
            "- proven optimal (of "
            + str(len(meta["seeds"]))
            + "): "
            + ", ".join(f"{k} {v}" for k, v in proven.items())
        )
        L.append("")
    L.append("## Oracle check")
    L.append("")
    if data["oracle_failures"]:
        for f in data["oracle_failures"]:
            L.append(f"- FAILED: {f}")
    else:
        L.append(
            "Every proven optimum agrees across the methods on every instance, and every "
            "reported objective is the returned net's error count under the true forward pass."
        )
    L.append("")
    return "\n".join(L)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cells", default=",".join(CELLS))
    ap.add_argument("--seeds", default="10,11,12,13,14")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--quick", action="store_true", help="one seed, 10 s limit (smoke test)")
    ap.add_argument("--out", default=str(ROOT / "results" / "bench_scip"))
    args = ap.parse_args()
    cells = [c for c in args.cells.split(",") if c]
    bad = [c for c in cells if c not in CELLS]
    if bad:
        ap.error(f"unknown cell(s) {bad}; choose from {', '.join(CELLS)}")
    seeds = [int(s) for s in args.seeds.split(",") if s]
    if args.quick:
        seeds, args.time_limit = seeds[:1], min(args.time_limit, 10.0)
        args.out += "_quick"
    elif len(set(seeds)) < 5:
        ap.error("give at least 5 distinct data seeds")
    started = time.strftime("%Y-%m-%d %H:%M")
    load_start = " ".join(f"{x:.1f}" for x in os.getloadavg())
    t0 = time.perf_counter()
    # import the solvers and run each model once before timing anything
    warm = problem_of(cells[0], 999)
    for meth in METHODS:
        run(meth, warm, 5.0, 0)
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    for cell in cells:
        for seed in seeds:
            p = problem_of(cell, seed)
            inst = []
            for meth in METHODS:
                r = run(meth, p, args.time_limit, seed)
                r.update(cell=cell, seed=seed)
                inst.append(r)
                print(
                    f"{cell} seed {seed} {meth:12s} {r['status']:9s} obj {r['objective']} "
                    f"bound {r['bound']} wall {r['wall']:.2f} cpu {r['cpu']:.2f} "
                    f"load {r['load1']}",
                    flush=True,
                )
            failures += [f"{cell} seed {seed}: {b}" for b in oracle(inst)]
            rows += inst
    pairs = {
        "before_wall": ("scip_before", "cpsat", "wall"),
        "after_wall": ("scip_after", "cpsat", "wall"),
        "after_cpu": ("scip_after", "cpsat", "cpu"),
        "auto_wall": ("auto_scip", "auto_cpsat", "wall"),
    }
    summary = {
        cell: {
            name: ratio_stats(rows, cell, a, b, key, args.time_limit)
            for name, (a, b, key) in pairs.items()
        }
        for cell in cells
    }
    data: dict[str, Any] = {
        "rows": rows,
        "summary": summary,
        "oracle_failures": failures,
        "meta": {
            "command": " ".join(["python scripts/bench_scip.py", *sys.argv[1:]]),
            "cells": cells,
            "seeds": seeds,
            "tuning_seeds": TUNING_SEEDS,
            "time_limit": args.time_limit,
            "quick": args.quick,
            "methods": {
                k: {"backend": b, "method": m, "native": n} for k, (b, m, n) in METHODS.items()
            },
            "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
            "started": started,
            "git": git_state(),
            "load_start": load_start,
            "load_end": " ".join(f"{x:.1f}" for x in os.getloadavg()),
            "wall_seconds": round(time.perf_counter() - t0, 1),
            "python": platform.python_version(),
            "numpy": np.__version__,
        },
    }
    out = Path(args.out)
    atomic_write_text(out.with_suffix(".md"), markdown(data) + "\n")
    atomic_write_text(out.with_suffix(".json"), json.dumps(data, indent=1, default=str) + "\n")
    print(f"wrote {out.with_suffix('.md')} and .json", flush=True)
    if failures:
        print("ORACLE CHECK FAILED:\n" + "\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
