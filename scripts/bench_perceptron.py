"""Benchmark the per-unit fits of :mod:`mixedopt.perceptron` against scikit-learn.

For every size ``m`` (examples) x ``n`` (inputs) two data sets are drawn:

* ``separable``: Gaussian inputs, labels from a planted hyperplane (bias 0.1), points closer
  than 0.1 to it removed (a gap, so the data are separable with geometric margin >= 0.1);
* ``noisy``: the same with 1 % of the labels flipped (not separable).

On each, the mixedopt methods ``lp``, ``max-margin``, ``hinge`` and ``perceptron`` (and
``integer`` at the smallest size, on inputs rounded to a grid of 0.25 and scaled to
integers) run side by side with scikit-learn's ``LinearSVC`` (defaults: squared hinge, C=1)
and ``Perceptron`` (defaults), ``--repeats`` times each, interleaved (repeat r runs every
method once before repeat r+1 starts). Reported: median wall time with the min-max spread,
the geometric margin ``min_k t_k (w·a_k + b) / ||w||`` of the fit (negative = some example
misclassified), the number of misclassified examples, the mixedopt status, and for ``lp`` on
``noisy`` data the size of the conflict set. All linear algebra runs on one BLAS thread.

A method whose run takes longer than ``--cap`` seconds is not repeated, and skipped on the
larger sizes of the same variant (marked ``skipped``); mixedopt methods also get
``time_limit=cap``.

Usage::

    python scripts/bench_perceptron.py              # full grid (a few minutes)
    python scripts/bench_perceptron.py --quick      # m = 1e3 and 1e4, n = 16 and 64
    python scripts/bench_perceptron.py --repeats 5 --cap 30

Writes ``results/bench_perceptron.md`` and ``results/bench_perceptron.json`` (``_quick``
suffix with ``--quick``) atomically, and prints the LP / LinearSVC time ratio at
m = 1e4, n = 64.
"""

from __future__ import annotations

import argparse
import json
import math
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

from mixedopt.files import atomic_write_text  # noqa: E402
from mixedopt.perceptron import fit_unit  # noqa: E402

MO_METHODS = ("lp", "max-margin", "hinge", "perceptron")
SK_METHODS = ("LinearSVC", "sk-Perceptron")
VARIANTS = ("separable", "noisy")


def planted(m: int, n: int, *, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian inputs labelled by a planted hyperplane with a 0.1 gap (see module notes)."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(n)
    w /= np.linalg.norm(w)
    parts: list[np.ndarray] = []
    have = 0
    while have < m:
        Z = rng.standard_normal((2 * m, n))
        Z = Z[np.abs(Z @ w + 0.1) >= 0.1]
        parts.append(Z)
        have += Z.shape[0]
    X = np.concatenate(parts)[:m]
    t = np.where(X @ w + 0.1 >= 0, 1, -1)
    if noise > 0:
        flip = rng.random(m) < noise
        t[flip] *= -1
    return X, t


def geometric(X: np.ndarray, t: np.ndarray, w: np.ndarray, b: float) -> tuple[float, int]:
    z = X @ w + b
    viol = int(np.count_nonzero(np.where(z >= 0, 1, -1) != t))
    nw = float(np.linalg.norm(w))
    return (float(np.min(t * z)) / nw if nw > 0 else 0.0), viol


def run_one(method: str, X: np.ndarray, t: np.ndarray, cap: float) -> dict[str, Any]:
    """Fit once; return time, margin, violations and method details."""
    if method in SK_METHODS:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import Perceptron
        from sklearn.svm import LinearSVC

        clf = LinearSVC() if method == "LinearSVC" else Perceptron(random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0 = time.perf_counter()
            clf.fit(X, t)
            dt = time.perf_counter() - t0
        margin, viol = geometric(X, t, clf.coef_.ravel(), float(clf.intercept_[0]))
        return {"time": dt, "margin": margin, "n_violations": viol, "status": "", "n_iter": None}
    kwargs: dict[str, Any] = {"time_limit": cap}
    if method == "integer":
        kwargs["weight_bound"] = 3
    t0 = time.perf_counter()
    fit = fit_unit(X, t, method=method, **kwargs)
    dt = time.perf_counter() - t0
    return {
        "time": dt,
        "margin": fit.margin,
        "n_violations": fit.n_violations,
        "status": fit.status,
        "separable": fit.separable,
        "conflict_size": None if fit.conflict is None else len(fit.conflict),
        "n_iter": fit.n_iter,
    }


def bench(args: argparse.Namespace) -> dict[str, Any]:
    ms = [1000, 10000] if args.quick else [1000, 10000, 100000]
    ns = [16, 64] if args.quick else [16, 64, 256]
    records: list[dict[str, Any]] = []
    too_slow: dict[tuple[str, str, int], int] = {}  # (variant, method, n) -> m that hit the cap
    for variant in VARIANTS:
        for n in ns:
            for m in ms:
                X, t = planted(m, n, noise=0.01 if variant == "noisy" else 0.0, seed=m + n)
                methods = list(MO_METHODS) + list(SK_METHODS)
                if m == ms[0] and n == ns[0]:
                    methods.append("integer")
                runs: dict[str, list[dict[str, Any]]] = {k: [] for k in methods}
                skipped: dict[str, str] = {}
                for method in methods:
                    prev = too_slow.get((variant, method, n))
                    if prev is not None and m > prev:
                        skipped[method] = f"over {args.cap:g}s at m={prev}"
                for r in range(args.repeats):
                    for method in methods:
                        if method in skipped:
                            continue
                        if r > 0 and runs[method] and runs[method][0]["time"] > args.cap:
                            continue
                        Xm = np.round(X * 4) if method == "integer" else X
                        out = run_one(method, Xm, t, args.cap)
                        runs[method].append(out)
                        if out["time"] > args.cap:
                            too_slow[(variant, method, n)] = m
                for method in methods:
                    rec: dict[str, Any] = {"variant": variant, "m": m, "n": n, "method": method}
                    if method in skipped:
                        rec["skipped"] = skipped[method]
                    else:
                        times = [o["time"] for o in runs[method]]
                        last = runs[method][-1]
                        rec.update(
                            times=times,
                            median=float(np.median(times)),
                            min=float(np.min(times)),
                            max=float(np.max(times)),
                            **{k: v for k, v in last.items() if k != "time"},
                        )
                    records.append(rec)
                    show = rec.get("skipped") or f"{rec['median']:.4f}s"
                    print(f"{variant:9s} m={m:<6d} n={n:<3d} {method:13s} {show}", flush=True)
    return {"records": records, "ms": ms, "ns": ns}


def lp_ratio(records: list[dict[str, Any]], m: int, n: int, variant: str) -> dict[str, Any] | None:
    cell = {r["method"]: r for r in records if (r["m"], r["n"], r["variant"]) == (m, n, variant)}
    lp, svc = cell.get("lp"), cell.get("LinearSVC")
    if not lp or not svc or "times" not in lp or "times" not in svc:
        return None
    k = min(len(lp["times"]), len(svc["times"]))
    per = [a / b for a, b in zip(lp["times"][:k], svc["times"][:k], strict=True)]
    return {
        "m": m,
        "n": n,
        "variant": variant,
        "ratio_of_medians": lp["median"] / svc["median"],
        "median_of_ratios": float(np.median(per)),
        "per_repeat": per,
    }


def fmt_cell(r: dict[str, Any]) -> str:
    if "skipped" in r:
        return "skipped"
    spread = f"{r['min']:.3g}–{r['max']:.3g}"
    mg = r["margin"]
    mg_s = "inf" if math.isinf(mg) else f"{mg:.3g}"
    extra = f", {r['status']}" if r.get("status") else ""
    if r.get("conflict_size"):
        extra += f", conflict {r['conflict_size']}"
    return f"{r['median']:.3g}s ({spread}); γ={mg_s}; err={r['n_violations']}{extra}"


def to_markdown(res: dict[str, Any], meta: dict[str, Any]) -> str:
    recs = res["records"]
    lines = [
        "# Per-unit fits: mixedopt.perceptron vs scikit-learn",
        "",
        f"Generated by `scripts/bench_perceptron.py{' --quick' if meta['quick'] else ''}` "
        f"in {meta['wall_minutes']:.1f} min on {meta['machine']} "
        f"({meta['cpus']} cores, shared; load average {meta['load_before']} before, "
        f"{meta['load_after']} after; one BLAS thread), {meta['repeats']} repeats, "
        f"cap {meta['cap']:g}s per run. Python {meta['python']}, numpy {meta['numpy']}, "
        f"scipy {meta['scipy']}, scikit-learn {meta['sklearn']}, highspy {meta['highspy']}, "
        f"ortools {meta['ortools']}.",
        "",
        "Data: Gaussian inputs labelled by a planted hyperplane with a 0.1 gap (`separable`); "
        "`noisy` flips 1 % of the labels (not separable). Cells: median seconds "
        "(min–max over repeats); γ = geometric margin of the returned hyperplane "
        "(negative: misclassified examples); err = misclassified examples; mixedopt status; "
        "conflict = size of the irreducible conflict set (lp, noisy). `integer` runs only at "
        "the smallest size, on inputs rounded to multiples of 0.25 and scaled by 4, with "
        "|w_i|, |b| <= 3.",
        "",
    ]
    for rr in meta["ratios"]:
        lines.append(
            f"**LP / LinearSVC time at m={rr['m']}, n={rr['n']} ({rr['variant']}): "
            f"{rr['ratio_of_medians']:.2f}× (ratio of medians; median of per-repeat ratios "
            f"{rr['median_of_ratios']:.2f}×).**"
        )
        lines.append("")
    for variant in VARIANTS:
        lines.append(f"## {variant}")
        lines.append("")
        methods = [m for m in (*MO_METHODS, "integer", *SK_METHODS)]
        methods = [x for x in methods if any(r["method"] == x for r in recs)]
        lines.append("| m | n | " + " | ".join(methods) + " |")
        lines.append("|---|---|" + "---|" * len(methods))
        for n in res["ns"]:
            for m in res["ms"]:
                cell = {
                    r["method"]: r
                    for r in recs
                    if (r["m"], r["n"], r["variant"]) == (m, n, variant)
                }
                row = [fmt_cell(cell[x]) if x in cell else "" for x in methods]
                lines.append(f"| {m} | {n} | " + " | ".join(row) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return _clean(obj.item())
    return obj


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--repeats", type=int, default=3, help="runs per cell (default 3)")
    ap.add_argument("--cap", type=float, default=20.0, help="seconds per run before skipping")
    ap.add_argument("--out", type=Path, default=ROOT / "results", help="output folder")
    args = ap.parse_args(argv)
    if args.repeats < 1 or args.cap <= 0:
        ap.error("--repeats must be >= 1 and --cap > 0")
    from threadpoolctl import threadpool_limits

    load_before = os.getloadavg()
    t0 = time.perf_counter()
    with threadpool_limits(limits=1):
        # warm-up: imports, HiGHS banner, first-call overheads
        Xw, tw = planted(200, 8, noise=0.02, seed=0)
        for meth in (*MO_METHODS, *SK_METHODS):
            run_one(meth, Xw, tw, args.cap)
        res = bench(args)
    wall = time.perf_counter() - t0
    ratios = [
        r for r in (lp_ratio(res["records"], 10000, 64, v) for v in VARIANTS) if r is not None
    ]
    from importlib.metadata import version

    import scipy
    import sklearn

    meta = {
        "quick": args.quick,
        "repeats": args.repeats,
        "cap": args.cap,
        "wall_minutes": wall / 60,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_before": " ".join(f"{x:.1f}" for x in load_before),
        "load_after": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "highspy": version("highspy"),
        "ortools": version("ortools"),
        "ratios": ratios,
    }
    suffix = "_quick" if args.quick else ""
    atomic_write_text(args.out / f"bench_perceptron{suffix}.md", to_markdown(res, meta))
    payload = {"meta": meta, "records": res["records"]}
    atomic_write_text(
        args.out / f"bench_perceptron{suffix}.json", json.dumps(_clean(payload), indent=1) + "\n"
    )
    for rr in ratios:
        print(
            f"LP / LinearSVC at m={rr['m']}, n={rr['n']} ({rr['variant']}): "
            f"{rr['ratio_of_medians']:.2f}x (median of per-repeat ratios "
            f"{rr['median_of_ratios']:.2f}x)"
        )
    print(f"wrote {args.out / f'bench_perceptron{suffix}.md'} in {wall / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
