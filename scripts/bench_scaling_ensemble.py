"""Scaling benchmark (issue 15): the one-vs-one ensemble on 2 Ray workers, and torch on 2 Ray
Train workers, each against its single-process baseline in the same run.

1. **Ensemble.** ``mo.ExactThresholdClassifier(hidden=(16,), weights="ternary",
   ensemble="ovo", time_limit=T)`` on ``mnist5k`` few-shot splits (``few_shot_split(X, y,
   per_class=10, seed=s)``, test on every remaining digit) for each seed: the serial fit
   (``n_jobs=1``) and the same fit with ``n_jobs=2, executor="ray"`` on a local cluster that
   is already up (*warm*: started once, its two workers warmed by one untimed ensemble fit),
   interleaved per seed; then, after that cluster is shut down, the same parallel fit once
   more per seed with no cluster up (*cold*: the fit starts a local cluster and shuts it down,
   all inside the timed call). Speedup = serial fit seconds / parallel fit seconds, per seed;
   reported: median and range. Also: test accuracy of both, the share of test predictions
   on which they agree (pairs that stop at their time limit, or whose local search is cut by
   its time budget, can end at another incumbent), the pairwise statuses.
2. **Torch.** ``mixedopt.torch`` sign MLP on ``digits`` (64-128-10, batch norm, sign units,
   soft-hinge rule) for each seed: one process (``fit``), two processes under ``torchrun``
   (DDP, gloo) and two Ray Train workers (``fit_ray``, gloo), same settings (total batch 64).
   Reported: final test accuracy of each, the largest absolute weight difference of the Ray
   model from the torchrun model (both are the same 2-process DDP computation) and from the
   single-process model (batch-norm statistics are per process in DDP, so these differ), and
   wall times (Ray Train's include starting its controller and workers).

The machine is shared: the load average is recorded before and after every timed call.
Run ``python scripts/bench_scaling_ensemble.py`` (about 8 minutes on 2 cores) or ``--quick``
(1 seed, short limits; a smoke run, labelled as such). Writes
``results/bench_scaling_ensemble.md`` / ``.json`` (``_quick`` suffix for ``--quick``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mixedopt as mo  # noqa: E402
from mixedopt.files import atomic_write_text  # noqa: E402


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --------------------------------------------------------------------------- ensemble
def fit_ovo(Xtr, ytr, seed: int, time_limit: float, n_jobs: int) -> tuple[Any, float]:
    clf = mo.ExactThresholdClassifier(
        hidden=(16,),
        weights="ternary",
        time_limit=time_limit,
        random_state=seed,
        ensemble="ovo",
        n_jobs=n_jobs,
        executor="ray" if n_jobs > 1 else None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        clf.fit(Xtr, ytr)
        return clf, time.perf_counter() - t


def _ovo_record(clf: Any, fit_s: float, load: list[float], Xte, yte) -> dict[str, Any]:
    return {
        "fit_s": round(fit_s, 3),
        "n_jobs": clf.n_jobs,
        "test_acc": round(float(clf.score(Xte, yte)), 4),
        "pair_statuses": dict(Counter(r.status.value for r in clf.results_)),
        "pair_wall_sum_s": round(float(sum(r.wall_time for r in clf.results_)), 2),
        "load_before": load,
        "load_after": _load(),
    }


def ensemble_part(args: argparse.Namespace) -> dict[str, Any]:
    from mixedopt.executors import get_executor

    X, y = mo.datasets.load("mnist5k")
    splits = {
        s: mo.datasets.few_shot_split(X, y, per_class=args.per_class, seed=s) for s in args.seeds
    }
    rows: dict[int, dict[str, Any]] = {s: {"seed": s} for s in args.seeds}
    with get_executor("ray", n_jobs=args.n_jobs) as ex:
        t = time.perf_counter()
        ex.ray()  # the warm cluster: fits below find it connected and reuse it
        start_s = time.perf_counter() - t
        Xtr, _, ytr, _ = splits[args.seeds[0]]
        _, warmup_s = fit_ovo(Xtr, ytr, 0, 4.5, args.n_jobs)  # workers import everything
        print(f"cluster up in {start_s:.1f} s; warm-up fit {warmup_s:.1f} s", flush=True)
        for s in args.seeds:
            Xtr, Xte, ytr, yte = splits[s]
            load = _load()
            a, ta = fit_ovo(Xtr, ytr, s, args.time_limit, 1)
            rows[s]["serial"] = _ovo_record(a, ta, load, Xte, yte)
            load = _load()
            b, tb = fit_ovo(Xtr, ytr, s, args.time_limit, args.n_jobs)
            rows[s]["warm"] = _ovo_record(b, tb, load, Xte, yte)
            rows[s]["agreement"] = round(float(np.mean(a.predict(Xte) == b.predict(Xte))), 4)
            rows[s]["identical_nets"] = sum(
                all(
                    np.array_equal(u, v)
                    for u, v in zip(n1.weights + n1.biases, n2.weights + n2.biases, strict=True)
                )
                for n1, n2 in zip(a.nets_, b.nets_, strict=True)
            )
            print(
                f"seed {s}: serial {ta:.1f} s, {args.n_jobs} warm Ray workers {tb:.1f} s",
                flush=True,
            )
    for s in args.seeds:  # no cluster up now: each fit starts (and stops) its own
        Xtr, Xte, ytr, yte = splits[s]
        load = _load()
        c, tc = fit_ovo(Xtr, ytr, s, args.time_limit, args.n_jobs)
        rows[s]["cold"] = _ovo_record(c, tc, load, Xte, yte)
        print(f"seed {s}: {args.n_jobs} cold Ray workers {tc:.1f} s", flush=True)
    out = []
    for s in args.seeds:
        r = rows[s]
        r["speedup_warm"] = round(r["serial"]["fit_s"] / r["warm"]["fit_s"], 3)
        r["speedup_cold"] = round(r["serial"]["fit_s"] / r["cold"]["fit_s"], 3)
        out.append(r)
    return {"cluster_start_s": round(start_s, 2), "warmup_fit_s": round(warmup_s, 2), "rows": out}


# --------------------------------------------------------------------------- torch
TORCH_WORKER = textwrap.dedent(
    """
    import json, os, sys, torch
    torch.set_num_threads(1)
    from mixedopt.torch import fit
    kw = json.loads(sys.argv[1])
    res = fit(**kw)
    if int(os.environ["RANK"]) == 0:
        torch.save({"state": res.model.state_dict(), "final": res.final}, sys.argv[2])
    """
)


def _torchrun(kw: dict[str, Any], out: Path, n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "worker.py"
        script.write_text(TORCH_WORKER)
        cmd = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            str(n),
            str(script),
            json.dumps(kw),
            str(out),
        ]
        env = dict(os.environ, OMP_NUM_THREADS="1", GLOO_SOCKET_IFNAME="lo")
        with subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        ) as proc:
            try:
                _, err = proc.communicate(timeout=600)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                raise RuntimeError("torchrun did not finish in 600 s") from None
        if proc.returncode != 0:
            raise RuntimeError(f"torchrun failed ({proc.returncode}): {err[-2000:]}")
    import torch

    return torch.load(out, weights_only=True)


def _max_diff(a: dict[str, Any], b: dict[str, Any]) -> float:
    return float(
        max(
            (a[k].double() - b[k].double()).abs().max().item()
            for k in a
            if a[k].is_floating_point()
        )
    )


def torch_part(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from mixedopt.executors.ray_train import connect
    from mixedopt.torch import fit, fit_ray

    torch.set_num_threads(1)
    t = time.perf_counter()
    cluster = connect(address=None, num_cpus=args.n_jobs)
    start_s = time.perf_counter() - t
    rows = []
    try:
        for s in args.torch_seeds:
            kw = {
                "model": "mlp",
                "data": "digits",
                "activation": "sign",
                "rule": "soft-hinge",
                "epochs": args.torch_epochs,
                "batch_size": 64,
                "seed": s,
                "device": "cpu",
                "model_options": {"hidden": [128]},
            }
            row: dict[str, Any] = {"seed": s}
            load = _load()
            t = time.perf_counter()
            one = fit(**kw)
            row["single"] = {
                "test_acc": one.final["test_acc"],
                "wall_s": round(time.perf_counter() - t, 2),
                "load_before": load,
            }
            with tempfile.TemporaryDirectory() as tmp:
                load = _load()
                t = time.perf_counter()
                ddp = _torchrun(kw, Path(tmp) / "rank0.pt", args.n_jobs)
                row["torchrun"] = {
                    "test_acc": ddp["final"]["test_acc"],
                    "wall_s": round(time.perf_counter() - t, 2),
                    "load_before": load,
                }
            load = _load()
            t = time.perf_counter()
            ray = fit_ray(**kw, num_workers=args.n_jobs)
            row["ray_train"] = {
                "test_acc": ray.final["test_acc"],
                "wall_s": round(time.perf_counter() - t, 2),
                "worker_fit_s": round(ray.final["wall_time"], 2),
                "load_before": load,
            }
            rs = ray.model.state_dict()
            row["max_weight_diff_ray_vs_torchrun"] = _max_diff(rs, ddp["state"])
            row["max_weight_diff_ray_vs_single"] = _max_diff(rs, one.model.state_dict())
            rows.append(row)
            print(
                f"torch seed {s}: test acc single {row['single']['test_acc']:.4f}, torchrun "
                f"{row['torchrun']['test_acc']:.4f}, Ray Train {row['ray_train']['test_acc']:.4f}",
                flush=True,
            )
    finally:
        cluster.close()
    return {"cluster_start_s": round(start_s, 2), "config": "mlp 64-128-10 sign, BN", "rows": rows}


# --------------------------------------------------------------------------- report
def _med(xs: list[float]) -> str:
    return f"{np.median(xs):.2f} ({min(xs):.2f}-{max(xs):.2f})"


def render(data: dict[str, Any]) -> str:
    a = data["args"]
    L = [
        "# Scaling benchmark: one-vs-one ensemble and Ray Train"
        + (" — QUICK SMOKE RUN (not the benchmark)" if a["quick"] else ""),
        "",
        f"`python scripts/bench_scaling_ensemble.py{' --quick' if a['quick'] else ''}` — "
        f"{data['machine']}; started {data['started']}, {data['wall_s'] / 60:.1f} min in all; "
        f"commit `{data['commit']}`. **The machine is shared and loaded**: load average "
        f"{data['load_start']} at the start, {data['load_end']} at the end (2 cores; a load "
        "above 2 means other work competed for the same cores, and a 2-worker run cannot "
        "be twice as fast when a core is busy elsewhere). Every number below comes from this "
        "one run.",
        "",
        f"Ray workers ran at **nice {a['worker_niceness']}** (`--worker-niceness`, "
        "`RAY_worker_niceness`; the serial baseline and the driver run at nice 0). Ray's "
        "own default is nice 15, which on a loaded machine hands the cores to the other work "
        "first.",
        "",
    ]
    ens = data.get("ensemble")
    if ens:
        rows = ens["rows"]
        warm = [r["speedup_warm"] for r in rows]
        cold = [r["speedup_cold"] for r in rows]
        L += [
            "## 1. One-vs-one ensemble, serial vs 2 Ray workers",
            "",
            f"`ExactThresholdClassifier(hidden=(16,), weights='ternary', ensemble='ovo', "
            f"time_limit={a['time_limit']:g})` on `mnist5k`, `few_shot_split(per_class="
            f"{a['per_class']}, seed=s)` (45 pairs, {a['time_limit'] / 45:.2f} s budget each), "
            f"seeds {a['seeds']}. Serial = `n_jobs=1`; warm = `n_jobs={a['n_jobs']}, "
            "executor='ray'` with a local cluster already up (started in "
            f"{ens['cluster_start_s']:.1f} s, workers warmed by one untimed fit of "
            f"{ens['warmup_fit_s']:.1f} s); cold = the same call with no cluster up (it starts "
            "and stops a local cluster inside the timed call). Serial and warm runs alternate "
            "per seed; the cold runs come after.",
            "",
            "| seed | serial s | warm 2-worker s | speedup | cold 2-worker s | speedup | "
            "mean pair solve s serial / warm | worker occupancy (warm) | "
            "test acc serial / warm | prediction agreement | identical pair nets | "
            "pair statuses serial / warm | load before serial / warm |",
            "|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---|---|",
        ]
        for r in rows:
            se, wa, co = r["serial"], r["warm"], r["cold"]

            def st(x: dict[str, Any]) -> str:
                return ", ".join(f"{k} {v}" for k, v in sorted(x["pair_statuses"].items()))

            occ = wa["pair_wall_sum_s"] / (a["n_jobs"] * wa["fit_s"])
            L.append(
                f"| {r['seed']} | {se['fit_s']:.1f} | {wa['fit_s']:.1f} | "
                f"**{r['speedup_warm']:.2f}x** | {co['fit_s']:.1f} | {r['speedup_cold']:.2f}x | "
                f"{se['pair_wall_sum_s'] / 45:.2f} / {wa['pair_wall_sum_s'] / 45:.2f} | "
                f"{occ:.0%} | {se['test_acc']:.3f} / {wa['test_acc']:.3f} | "
                f"{r['agreement']:.3f} | {r['identical_nets']}/45 | {st(se)} / {st(wa)} | "
                f"{se['load_before'][0]:.1f} / {wa['load_before'][0]:.1f} |"
            )
        met = np.median(warm) >= 1.7
        L += [
            "",
            f"Median speedup (range over seeds): warm **{_med(warm)}x**, cold {_med(cold)}x. "
            f"Goal (>= 1.7x on 2 workers, warm cluster): **{'met' if met else 'not met'}**.",
            "",
            "Reading the columns: *mean pair solve s* is the mean wall time of one pairwise "
            "`train_exact` call (its `wall_time`), *worker occupancy* the summed pair solve "
            "times over (workers x fit wall time): near 100 % means the executor kept both "
            "workers busy, so a speedup short of 2x comes from each pair solving slower when "
            "two run at once (the cores are shared with each other and with the machine's "
            "other load), not from idle workers or task overhead.",
            "",
            "Why the parallel nets can differ: a pair whose solve stops at its time limit "
            "(status `feasible`), or whose local search is cut by its share of the limit, may "
            "end at another incumbent when it runs beside other work; pairs proven `optimal` "
            "by a zero-error net reached before any time cut are the same nets. The cold "
            "column includes starting Ray (the warm cluster took "
            f"{ens['cluster_start_s']:.1f} s to start here), so it pays off only for longer "
            "fits, or with `address=` a cluster that stays up.",
            "",
        ]
    tor = data.get("torch")
    if tor:
        rows = tor["rows"]
        L += [
            "## 2. Torch: one process vs 2 torchrun (DDP) processes vs 2 Ray Train workers",
            "",
            f"`mixedopt.torch` sign MLP on `digits` (64-128-10, batch norm, soft-hinge rule), "
            f"{a['torch_epochs']} epochs, total batch 64 (32 per process), Adam preset, "
            f"CPU, one thread per process; seeds {a['torch_seeds']}. torchrun: "
            "`torch.distributed.run --standalone --nproc_per_node 2` (gloo); Ray Train: "
            f"`fit_ray(num_workers=2)` on a local cluster (started in "
            f"{tor['cluster_start_s']:.1f} s, not counted). Both 2-process runs are the same "
            "DDP computation, so their weights should agree up to float summation order; "
            "batch-norm batch statistics are per process there, so they differ slightly from "
            "the single process.",
            "",
            "| seed | test acc 1 process | torchrun x2 | Ray Train x2 | max abs weight diff "
            "Ray vs torchrun | vs 1 process | wall s: 1 process / torchrun / Ray Train "
            "(its workers' fit) |",
            "|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in rows:
            L.append(
                f"| {r['seed']} | {r['single']['test_acc']:.4f} | "
                f"{r['torchrun']['test_acc']:.4f} | {r['ray_train']['test_acc']:.4f} | "
                f"{r['max_weight_diff_ray_vs_torchrun']:.2e} | "
                f"{r['max_weight_diff_ray_vs_single']:.2e} | {r['single']['wall_s']:.1f} / "
                f"{r['torchrun']['wall_s']:.1f} / {r['ray_train']['wall_s']:.1f} "
                f"({r['ray_train']['worker_fit_s']:.1f}) |"
            )
        d1 = [abs(r["ray_train"]["test_acc"] - r["single"]["test_acc"]) for r in rows]
        d2 = [abs(r["torchrun"]["test_acc"] - r["single"]["test_acc"]) for r in rows]
        L += [
            "",
            f"|test acc - 1 process|: Ray Train median {np.median(d1):.4f} (max "
            f"{max(d1):.4f}); torchrun median {np.median(d2):.4f} (max {max(d2):.4f}). "
            "Ray Train's wall time is dominated by starting its controller and worker "
            "processes on this loaded machine; the workers' own fit time is in parentheses.",
            "",
        ]
    return "\n".join(L)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 seed, short limits (smoke run)")
    ap.add_argument("--parts", default="ensemble,torch", help="ensemble,torch")
    ap.add_argument("--seeds", default=None, help="ensemble seeds (default 0,1,2)")
    ap.add_argument("--per-class", type=int, default=10)
    ap.add_argument("--time-limit", type=float, default=None, help="ensemble budget (90 s)")
    ap.add_argument("--n-jobs", type=int, default=2, help="Ray workers")
    ap.add_argument("--torch-seeds", default=None, help="default 0,1,2")
    ap.add_argument("--torch-epochs", type=int, default=None, help="default 15")
    ap.add_argument(
        "--worker-niceness",
        type=int,
        default=0,
        help="nice value of the Ray workers (RAY_worker_niceness; Ray's own default is 15)",
    )
    ap.add_argument("--out", default=str(ROOT / "results" / "bench_scaling_ensemble"))
    ap.add_argument(
        "--source-commit",
        default=None,
        help="the commit a `git archive` copy being run was made from (default: git HEAD)",
    )
    a = ap.parse_args(argv)
    # Ray starts its workers at nice 15 unless told otherwise: on a shared, loaded machine
    # they then lose the cores to everything else while the serial baseline runs at nice 0
    os.environ["RAY_worker_niceness"] = str(a.worker_niceness)
    q = a.quick
    a.seeds = [int(v) for v in (a.seeds or ("0" if q else "0,1,2")).split(",")]
    a.torch_seeds = [int(v) for v in (a.torch_seeds or ("0" if q else "0,1,2")).split(",")]
    a.time_limit = a.time_limit or (22.5 if q else 90.0)
    a.torch_epochs = a.torch_epochs or (3 if q else 15)
    parts = [p for p in a.parts.split(",") if p]
    import mixedopt.exact.engine  # noqa: F401 - imported before any timed fit

    started = time.strftime("%Y-%m-%d %H:%M")
    load_start = _load()
    t0 = time.perf_counter()
    data: dict[str, Any] = {}
    if "ensemble" in parts:
        data["ensemble"] = ensemble_part(a)
    if "torch" in parts:
        data["torch"] = torch_part(a)
    commit = (
        a.source_commit
        or subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    )
    data.update(
        args={
            "quick": q,
            "seeds": a.seeds,
            "per_class": a.per_class,
            "time_limit": a.time_limit,
            "n_jobs": a.n_jobs,
            "torch_seeds": a.torch_seeds,
            "torch_epochs": a.torch_epochs,
            "parts": parts,
            "worker_niceness": a.worker_niceness,
        },
        machine=f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}",
        started=started,
        commit=commit,
        load_start=load_start,
        load_end=_load(),
        wall_s=time.perf_counter() - t0,
    )
    out = Path(a.out + ("_quick" if q else ""))
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out.with_suffix(".json"), json.dumps(data, indent=1, default=str) + "\n")
    atomic_write_text(out.with_suffix(".md"), render(data) + "\n")
    print(f"wrote {out.with_suffix('.md')} and .json", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
