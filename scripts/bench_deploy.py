"""Benchmark deployed threshold nets: bit-packed inference (numpy, numba) against a float32
numpy forward pass and onnxruntime, with file sizes and prediction agreement.

Nets: ``784-256-256-10`` and ``784-1024-1024-10`` sign networks with binary (±1) or ternary
(-1/0/1) weights and biases (``ThresholdNet.random``, seed 0: random weights; the cost of a
forward pass does not depend on training). Inputs: MNIST digits (``mnist5k``) binarized to
±1 (pixel > 127 -> +1, else -1, as int8), so the first layer packs too (raw 0-255 pixels
would make the first layer take the exact float64 path).

Engines, all on the same inputs in the same run, interleaved (repeat r runs every engine once
before repeat r + 1 starts):

* ``reference``: ``ThresholdNet.predict`` (exact integer arithmetic via float64 BLAS);
* ``packed-numpy``: ``net.compile(backend="numpy").predict`` (AND + ``np.bitwise_count``);
* ``packed-numba``: ``net.compile(backend="numba").predict`` (compiled AND + popcount
  kernel, rows split over the threads);
* ``float32-numpy``: ``a = sign(a @ W.T + b)`` with float32 matrices and BLAS (exact here:
  every sum is an integer below 2**24), argmax at the end;
* ``onnxruntime``: the ONNX export (``export_onnx(net, input_bound=1)``: float32 ``Gemm`` +
  ``Where``, exact here) run by onnxruntime's CPU provider.

Every engine may use every core of the machine (BLAS threads, numba row chunks, onnxruntime
intra-op threads). Batch 1000 (the first 1000 digits) and batch 1 (one call per digit, the
mean over ``--calls`` digits). Reported: median time of the repeats with their min-max
spread, throughput, the speed-up of ``packed-numba`` over the others; file sizes (float32
``.npz``: weights and biases as float32 arrays; ``ThresholdNet.save``: int64; the packed
file); predictions of every engine compared with ``ThresholdNet.predict`` on all 5000
digits. The machine's load average before and after is recorded: on a shared machine, only
the ratios within one run are meaningful.

Usage::

    python scripts/bench_deploy.py              # 7 repeats, 200 single-digit calls
    python scripts/bench_deploy.py --quick      # 3 repeats, 30 calls
    python scripts/bench_deploy.py --repeats 11 --calls 500

Writes ``results/bench_deploy.md`` and ``results/bench_deploy.json`` (``_quick`` suffix with
``--quick``) atomically.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mixedopt as mo  # noqa: E402
from mixedopt.files import atomic_write_text  # noqa: E402
from mixedopt.packed import numba_available  # noqa: E402

NETS = ((784, 256, 256, 10), (784, 1024, 1024, 10))
DOMAINS = ("binary", "ternary")
ENGINES = ("reference", "packed-numpy", "packed-numba", "float32-numpy", "onnxruntime")
GOAL_NET = "784-1024-1024-10"


def float32_forward(net: mo.ThresholdNet) -> Callable[[np.ndarray], np.ndarray]:
    """A plain float32 numpy forward pass (what a float deployment of the net would run)."""
    WT = [np.ascontiguousarray(w.T, dtype=np.float32) for w in net.weights]
    B = [b.astype(np.float32) for b in net.biases]
    one, minus = np.float32(1), np.float32(-1)

    def predict(X: np.ndarray) -> np.ndarray:
        a = X
        for W, b in zip(WT[:-1], B[:-1], strict=True):
            a = np.where(a @ W + b >= 0, one, minus)
        return net.classes[np.argmax(a @ WT[-1] + B[-1], axis=1)]

    return predict


def engines(net: mo.ThresholdNet) -> dict[str, tuple[Callable[[np.ndarray], Any], str]]:
    """Engine name -> (predict function, input dtype it is given)."""
    out: dict[str, tuple[Callable[[np.ndarray], Any], str]] = {
        "reference": (net.predict, "int8"),
        "packed-numpy": (net.compile(backend="numpy").predict, "int8"),
    }
    if numba_available():
        out["packed-numba"] = (net.compile(backend="numba").predict, "int8")
    out["float32-numpy"] = (float32_forward(net), "float32")
    try:
        from mixedopt.export import OnnxModel, export_onnx

        model = OnnxModel(export_onnx(net, input_bound=1))
        out["onnxruntime"] = (model.predict, "float32")
    except ImportError:
        pass
    return out


def file_sizes(net: mo.ThresholdNet) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as d:
        f32 = Path(d) / "float32.npz"
        arrays = {}
        for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            arrays[f"W{i}"], arrays[f"b{i}"] = w.astype(np.float32), b.astype(np.float32)
        np.savez(f32, **arrays)
        sizes = {
            "float32_npz": f32.stat().st_size,
            "threshold_net_npz": net.save(Path(d) / "net.npz").stat().st_size,
            "packed_npz": net.compile(backend="numpy").save(Path(d) / "p.npz").stat().st_size,
        }
        try:
            from mixedopt.export import export_onnx

            onnx_path = Path(d) / "net.onnx"
            export_onnx(net, onnx_path, input_bound=1)
            sizes["onnx"] = onnx_path.stat().st_size
        except ImportError:
            pass
    return sizes


def stats(values: list[float]) -> dict[str, float]:
    a = np.asarray(values)
    return {
        "median": float(np.median(a)),
        "min": float(a.min()),
        "max": float(a.max()),
        "q1": float(np.percentile(a, 25)),
        "q3": float(np.percentile(a, 75)),
    }


def bench_net(
    sizes: tuple[int, ...], domain: str, X8: np.ndarray, repeats: int, calls: int
) -> dict[str, Any]:
    net = mo.ThresholdNet.random(list(sizes), seed=0, weights=domain)
    eng = engines(net)
    inputs = {"int8": X8, "float32": X8.astype(np.float32)}
    batch = 1000
    # warm-up (numba: compiled-kernel load; onnxruntime: first run), timed once
    first = {}
    for name, (fn, dt) in eng.items():
        t0 = time.perf_counter()
        fn(inputs[dt][:batch])
        first[name] = time.perf_counter() - t0
    times: dict[str, dict[str, list[float]]] = {n: {"1000": [], "1": []} for n in eng}
    for _ in range(repeats):
        for name, (fn, dt) in eng.items():
            Xb = inputs[dt][:batch]
            t0 = time.perf_counter()
            fn(Xb)
            times[name]["1000"].append(time.perf_counter() - t0)
        for name, (fn, dt) in eng.items():
            rows = inputs[dt]
            t0 = time.perf_counter()
            for i in range(calls):
                fn(rows[i : i + 1])
            times[name]["1"].append((time.perf_counter() - t0) / calls)
    # agreement with ThresholdNet.predict on every digit, batch and single calls
    ref = net.predict(X8)
    agree: dict[str, dict[str, int]] = {}
    for name, (fn, dt) in eng.items():
        full = np.asarray(fn(inputs[dt]))
        single = np.array([fn(inputs[dt][i : i + 1])[0] for i in range(calls)])
        agree[name] = {
            "batch": int(np.count_nonzero(full == ref)),
            "batch_n": len(ref),
            "single": int(np.count_nonzero(single == ref[:calls])),
            "single_n": calls,
        }
    packed = eng["packed-numba" if "packed-numba" in eng else "packed-numpy"][0].__self__
    return {
        "net": "-".join(map(str, sizes)),
        "weights": domain,
        "plan": [s["mode"] for s in packed.plan(X8[:2])],
        "seconds": {n: {b: stats(v) for b, v in d.items()} for n, d in times.items()},
        "first_call_seconds": first,
        "files": file_sizes(net),
        "agreement": agree,
    }


def _ms(s: float) -> str:
    return f"{s * 1e3:.3f}" if s < 0.01 else f"{s * 1e3:.2f}" if s < 1 else f"{s * 1e3:.0f}"


def _speedups(row: dict[str, Any], batch: str) -> dict[str, float]:
    sec = row["seconds"]
    if "packed-numba" not in sec:
        return {}
    mine = sec["packed-numba"][batch]["median"]
    return {n: sec[n][batch]["median"] / mine for n in sec if n != "packed-numba"}


def goals(rows: list[dict[str, Any]]) -> list[tuple[str, str, bool | None]]:
    out: list[tuple[str, str, bool | None]] = []
    goal = next((r for r in rows if r["net"] == GOAL_NET and r["weights"] == "binary"), None)
    if goal is not None:
        sp = _speedups(goal, "1000")
        if sp:
            f32 = sp["float32-numpy"]
            out.append(
                (
                    f"packed binary {GOAL_NET}, batch 1000, >= 5x faster than float32 numpy",
                    f"{f32:.1f}x",
                    f32 >= 5,
                )
            )
            if "onnxruntime" in sp:
                ort = sp["onnxruntime"]
                out.append(
                    (
                        f"packed binary {GOAL_NET}, batch 1000, >= onnxruntime's float model",
                        f"{ort:.1f}x",
                        ort >= 1,
                    )
                )
        else:
            out.append(("packed numba timings", "numba not installed", None))
    ratios = [
        r["files"]["float32_npz"] / r["files"]["packed_npz"]
        for r in rows
        if r["weights"] == "binary"
    ]
    out.append(
        (
            "binary weights on disk >= 30x smaller than float32",
            ", ".join(f"{x:.1f}x" for x in ratios),
            all(x >= 30 for x in ratios),
        )
    )
    total = sum(a["batch_n"] + a["single_n"] for r in rows for a in r["agreement"].values())
    same = sum(a["batch"] + a["single"] for r in rows for a in r["agreement"].values())
    out.append(("100 % prediction agreement everywhere", f"{same}/{total}", same == total))
    return out


def to_markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        "# bench_deploy: packed inference, float32 numpy and onnxruntime",
        "",
        f"Generated by `scripts/bench_deploy.py{' --quick' if meta['quick'] else ''}` on "
        f"{meta['date']} ({meta['cpus']} CPUs, load average {meta['load_before']} before, "
        f"{meta['load_after']} after; {meta['repeats']} repeats, {meta['calls']} single-digit "
        f"calls per repeat). numpy {meta['numpy']}, numba {meta['numba']}, onnxruntime "
        f"{meta['onnxruntime']}, Python {meta['python']}.",
        "",
        "Inputs: MNIST digits (`mnist5k`) binarized to ±1 (pixel > 127), int8 for the packed "
        "engines and `ThresholdNet.predict`, float32 for float32 numpy and onnxruntime (the "
        "conversion is not timed). Nets: `ThresholdNet.random(sizes, seed=0, weights=...)`, "
        "sign activations, argmax output. Every engine may use every core. Times are medians "
        "of the repeats with [min-max]; on a shared machine only ratios from the same run "
        "are meaningful.",
        "",
        "## Goals",
        "",
        "| goal | measured | met |",
        "|---|---|---|",
    ]
    for text, value, ok in goals(rows):
        lines.append(f"| {text} | {value} | {'yes' if ok else 'n/a' if ok is None else 'NO'} |")
    for batch, label in (("1000", "batch 1000 (ms per batch)"), ("1", "batch 1 (ms per call)")):
        lines += ["", f"## Time, {label}", ""]
        names = [n for n in ENGINES if any(n in r["seconds"] for r in rows)]
        lines.append("| net | weights | " + " | ".join(names) + " |")
        lines.append("|---|---|" + "---|" * len(names))
        for r in rows:
            cells = []
            for n in names:
                s = r["seconds"].get(n, {}).get(batch)
                cells.append(f"{_ms(s['median'])} [{_ms(s['min'])}-{_ms(s['max'])}]" if s else "-")
            lines.append(f"| {r['net']} | {r['weights']} | " + " | ".join(cells) + " |")
        lines += ["", f"Speed-up of packed-numba, batch {batch} (median / median):", ""]
        others = [n for n in names if n != "packed-numba"]
        lines.append("| net | weights | " + " | ".join(f"vs {n}" for n in others) + " |")
        lines.append("|---|---|" + "---|" * len(others))
        for r in rows:
            sp = _speedups(r, batch)
            cells = [f"{sp[n]:.1f}x" if n in sp else "-" for n in others]
            lines.append(f"| {r['net']} | {r['weights']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Files",
        "",
        "| net | weights | float32 .npz | ThresholdNet.save (int64) | packed .npz | "
        "float32 / packed | ONNX |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        f = r["files"]
        lines.append(
            f"| {r['net']} | {r['weights']} | {f['float32_npz']:,} | "
            f"{f['threshold_net_npz']:,} | {f['packed_npz']:,} | "
            f"{f['float32_npz'] / f['packed_npz']:.1f}x | {f.get('onnx', 0):,} |"
        )
    lines += [
        "",
        "## Agreement with ThresholdNet.predict",
        "",
        "All 5000 digits in one batch, and the single-digit calls.",
        "",
        "| net | weights | " + " | ".join(ENGINES) + " |",
        "|---|---|" + "---|" * len(ENGINES),
    ]
    for r in rows:
        cells = []
        for n in ENGINES:
            a = r["agreement"].get(n)
            cells.append(
                f"{a['batch']}/{a['batch_n']}, {a['single']}/{a['single_n']}" if a else "-"
            )
        lines.append(f"| {r['net']} | {r['weights']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "How the packed nets run (`PackedNet.plan`): "
        + "; ".join(f"{r['net']} {r['weights']}: {', '.join(r['plan'])}" for r in rows)
        + ". First calls (numba kernel load from its cache, onnxruntime warm-up), seconds: "
        + "; ".join(
            f"{r['net']} {r['weights']}: "
            + ", ".join(f"{k} {v:.3f}" for k, v in r["first_call_seconds"].items())
            for r in rows
        )
        + ".",
        "",
    ]
    return "\n".join(lines)


def _version(name: str) -> str:
    try:
        return __import__(name).__version__
    except ImportError:
        return "not installed"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="3 repeats, 30 single-digit calls.")
    p.add_argument("--repeats", type=int, default=None, help="Repeats (default 7, quick 3).")
    p.add_argument("--calls", type=int, default=None, help="Batch-1 calls per repeat.")
    p.add_argument("--out", type=Path, default=ROOT / "results", help="Output folder.")
    args = p.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    calls = args.calls or (30 if args.quick else 200)
    if repeats < 1 or calls < 1:
        p.error("--repeats and --calls must be >= 1")
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    X, _ = mo.datasets.load("mnist5k")
    X8 = np.where(X > 127, 1, -1).astype(np.int8)
    rows = []
    t0 = time.time()
    for sizes in NETS:
        for domain in DOMAINS:
            row = bench_net(sizes, domain, X8, repeats, calls)
            rows.append(row)
            sec = row["seconds"]
            shown = ", ".join(f"{n} {_ms(sec[n]['1000']['median'])} ms" for n in sec)
            print(f"{row['net']} {domain}, batch 1000: {shown}", flush=True)
    meta = {
        "quick": args.quick,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "load_before": load_before,
        "load_after": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "repeats": repeats,
        "calls": calls,
        "wall_seconds": time.time() - t0,
        "numpy": np.__version__,
        "numba": _version("numba"),
        "onnxruntime": _version("onnxruntime"),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    suffix = "_quick" if args.quick else ""
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / f"bench_deploy{suffix}.md", to_markdown(rows, meta))
    doc = {"meta": meta, "results": rows, "goals": goals(rows)}
    atomic_write_text(args.out / f"bench_deploy{suffix}.json", json.dumps(doc, indent=1) + "\n")
    for text, value, ok in goals(rows):
        print(f"{'ok ' if ok else 'NO ' if ok is False else '-- '} {text}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
