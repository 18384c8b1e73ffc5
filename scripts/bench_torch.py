#!/usr/bin/env python
"""Benchmark of the PyTorch backend -> results/bench_torch.md and results/bench_torch.json.

Sections (all by default; pick with --sections):

* ``timing``: time per training step of convnet4 on batches of 64 random 3x32x32 images,
  ReLU vs sign + soft-hinge vs 2-bit staircase + soft-hinge, measured in one run with the
  variants interleaved (rotated order in every round); medians, quartiles and ratios to
  ReLU (paired per round). Goal: a threshold step costs at most 1.15x a ReLU step.
* ``accuracy``: digits (1x8x8 images, convnet4 as in the FTPROP paper) and MNIST-1D (conv1d),
  sign and 2-bit staircase, FTP-SH vs SSTE vs ReLU, 3 seeds, mean +- std of the final-epoch
  test accuracy. Same budget for every rule: the learning rate is picked from the same grid
  for each (data set, activation, rule) by accuracy on a validation split of the training set
  (seed 0), then 3 seeds train on the full training set. Goal: FTP-SH mean >= SSTE mean in at
  least 3 of the 4 (data set, activation) cells.
* ``ddp``: 2 processes (torchrun, gloo on CPU) vs 1 process at the same total batch size,
  digits / convnet4 / sign / FTP-SH, same seeds. Goal: the same accuracy.

Usage::

    python scripts/bench_torch.py --threads 1,2        # CPU, all sections (~25 min on 2 cores)
    python scripts/bench_torch.py --quick              # smoke run (~2 min)
    python scripts/bench_torch.py --device cuda --out /tmp/bench_torch_cuda   # on a GPU

Accuracy runs use one CPU thread per run (the models are tiny: more threads only add
synchronisation); timing uses torch's default thread count, or each of ``--threads 1,2``
(on a shared, oversubscribed machine one thread gives far steadier numbers). On CUDA the DDP
section still runs on CPU (gloo), since it needs two processes and the machine may have one
GPU. ``--merge`` reruns some sections and keeps the others of an existing OUT.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from mixedopt.files import atomic_write_text
from mixedopt.torch import TensorData, ThresholdActivation, build_model, fit, load_data
from mixedopt.torch.train import seed_all

ROOT = Path(__file__).resolve().parents[1]
ACCURACY_SETUP = {
    "digits": {"model": "convnet4", "epochs": 30},
    "mnist1d": {"model": "conv1d", "epochs": 30},
}
ACTIVATIONS = ("sign", "staircase3")
RULES = ("soft-hinge", "sste")
LR_GRID = (3e-4, 1e-3, 3e-3, 1e-2)


def log(msg: str) -> None:
    print(msg, flush=True)


# -------------------------------------------------------------------------- timing
def bench_timing(device: torch.device, rounds: int, steps: int, warmup: int) -> dict[str, Any]:
    variants = {
        "relu": ("relu", "soft-hinge"),
        "sign + soft-hinge": ("sign", "soft-hinge"),
        "staircase3 + soft-hinge": ("staircase3", "soft-hinge"),
    }
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, 32, 32, generator=gen).to(device)
    y = torch.randint(0, 10, (64,), generator=gen).to(device)
    models, opts = {}, {}
    for name, (act, rule) in variants.items():
        torch.manual_seed(0)
        models[name] = build_model("convnet4", act, rule, 10, 3, 32).to(device)
        opts[name] = torch.optim.Adam(models[name].parameters(), lr=2.5e-4, weight_decay=5e-4)
    loss_fn = torch.nn.CrossEntropyLoss()

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    def run(name: str, k: int) -> float:
        m, o = models[name], opts[name]
        sync()
        t0 = time.perf_counter()
        for _ in range(k):
            loss = loss_fn(m(x), y)
            o.zero_grad(set_to_none=True)
            loss.backward()
            o.step()
        sync()
        return (time.perf_counter() - t0) / k

    for name in variants:
        run(name, warmup)
    names = list(variants)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            times[name].append(run(name, steps))
    base = times["relu"]
    out: dict[str, Any] = {"rounds": rounds, "steps_per_round": steps, "variants": {}}
    for name in names:
        t = sorted(times[name])
        paired = [a / b for a, b in zip(times[name], base, strict=True)]
        q = statistics.quantiles(t, n=4) if len(t) >= 2 else [t[0]] * 3
        out["variants"][name] = {
            "median_ms": 1e3 * statistics.median(t),
            "p25_ms": 1e3 * q[0],
            "p75_ms": 1e3 * q[2],
            "min_ms": 1e3 * t[0],
            "max_ms": 1e3 * t[-1],
            "ratio_of_medians": statistics.median(t) / statistics.median(base),
            "paired_ratio_median": statistics.median(paired),
            "paired_ratio_min": min(paired),
            "paired_ratio_max": max(paired),
            "times_ms": [1e3 * v for v in times[name]],
        }
    # the activation layers alone (their three convnet4 shapes, forward + backward), timed
    # the same interleaved way: a noise-robust view of what the thresholds themselves cost
    shapes = [(64, 32, 17, 17), (64, 64, 8, 8), (64, 1024)]
    zs = [torch.randn(sh, generator=gen).to(device) for sh in shapes]
    acts = {name: ThresholdActivation(act, rule) for name, (act, rule) in variants.items()}

    def run_acts(name: str, k: int) -> float:
        sync()
        t0 = time.perf_counter()
        for _ in range(k):
            for z in zs:
                zz = z.detach().requires_grad_(True)
                acts[name](zz).backward(z)
        sync()
        return (time.perf_counter() - t0) / k

    act_times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            act_times[name].append(run_acts(name, steps * 3))
    relu_step = statistics.median(base)
    for name in names:
        a = statistics.median(act_times[name])
        out["variants"][name]["activations_ms"] = 1e3 * a
        out["variants"][name]["activations_share_of_relu_step"] = a / relu_step
    extra = {
        name: (statistics.median(act_times[name]) - statistics.median(act_times["relu"]))
        / relu_step
        for name in names
    }
    for name in names:
        out["variants"][name]["activation_overhead_vs_relu_step"] = extra[name]
    worst = max(v["ratio_of_medians"] for k, v in out["variants"].items() if k != "relu")
    out["worst_ratio"] = worst
    out["goal"] = "threshold step <= 1.15x ReLU step"
    out["goal_met"] = worst <= 1.15
    return out


# ------------------------------------------------------------------------ accuracy
def _validation_split(data: TensorData, seed: int = 0) -> TensorData:
    """Hold out 20% of the training set (stratified) as the evaluation set."""
    from mixedopt.datasets import train_test_split

    idx = torch.arange(len(data.y_train)).numpy()
    tr, va, _, _ = train_test_split(idx, data.y_train.numpy(), test_size=0.2, seed=seed)
    tr_t, va_t = torch.as_tensor(tr), torch.as_tensor(va)
    return TensorData(
        data.X_train[tr_t],
        data.y_train[tr_t],
        data.X_train[va_t],
        data.y_train[va_t],
        data.classes,
        name=f"{data.name}-validation",
    )


def _train(
    data: TensorData,
    model: str,
    act: str,
    rule: str,
    lr: float,
    epochs: int,
    seed: int,
    device: str,
) -> dict[str, Any]:
    res = fit(
        model=model,
        data=data,
        activation=act,
        rule=rule,
        lr=lr,
        epochs=epochs,
        seed=seed,
        device=device,
        batch_size=64,
    )
    return {
        "test_acc": res.final["test_acc"],
        "best_test_acc": res.final["best_test_acc"],
        "train_acc": res.final["train_acc"],
        "wall_time": res.final["wall_time"],
    }


def bench_accuracy(device: str, seeds: list[int], quick: bool) -> dict[str, Any]:
    grid = (1e-3,) if quick else LR_GRID
    cells: dict[str, Any] = {}
    for dname, setup in ACCURACY_SETUP.items():
        data = load_data(dname)
        val = _validation_split(data)
        epochs = 5 if quick else setup["epochs"]
        combos = [(a, r) for a in ACTIVATIONS for r in RULES] + [("relu", "-")]
        for act, rule in combos:
            t0 = time.perf_counter()
            val_acc = {}
            for lr in grid:
                if len(grid) == 1:
                    break
                v = _train(
                    val,
                    setup["model"],
                    act,
                    rule if rule != "-" else "soft-hinge",
                    lr,
                    epochs,
                    0,
                    device,
                )
                val_acc[lr] = v["test_acc"]
            lr = max(grid, key=lambda g: (val_acc.get(g, 0.0), -g))
            runs = [
                _train(
                    data,
                    setup["model"],
                    act,
                    rule if rule != "-" else "soft-hinge",
                    lr,
                    epochs,
                    s,
                    device,
                )
                for s in seeds
            ]
            accs = [r["test_acc"] for r in runs]
            key = f"{dname}/{act}/{rule}"
            cells[key] = {
                "data": dname,
                "model": setup["model"],
                "activation": act,
                "rule": rule,
                "epochs": epochs,
                "lr": lr,
                "validation_acc": {str(k): v for k, v in val_acc.items()},
                "test_acc": accs,
                "mean": statistics.fmean(accs),
                "std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
                "best_epoch_test_acc_mean": statistics.fmean(r["best_test_acc"] for r in runs),
                "train_acc_mean": statistics.fmean(r["train_acc"] for r in runs),
                "seconds": time.perf_counter() - t0,
            }
            c = cells[key]
            log(
                f"  {key:32s} lr {lr:g}  test {c['mean']:.4f} +- {c['std']:.4f}  "
                f"({c['seconds']:.0f} s)"
            )
    comparisons = []
    for dname in ACCURACY_SETUP:
        for act in ACTIVATIONS:
            sh, ss = cells[f"{dname}/{act}/soft-hinge"], cells[f"{dname}/{act}/sste"]
            comparisons.append(
                {
                    "data": dname,
                    "activation": act,
                    "ftp_sh": sh["mean"],
                    "sste": ss["mean"],
                    "ftp_sh_ge_sste": sh["mean"] >= ss["mean"],
                }
            )
    wins = sum(c["ftp_sh_ge_sste"] for c in comparisons)
    return {
        "cells": cells,
        "comparisons": comparisons,
        "ftp_sh_ge_sste_cells": wins,
        "goal": "FTP-SH mean >= SSTE mean in >= 3 of 4 cells",
        "goal_met": wins >= 3,
        "lr_grid": list(grid),
        "seeds": seeds,
        "batch_size": 64,
    }


# ----------------------------------------------------------------------------- ddp
DDP_CONFIG = {"model": "convnet4", "data": "digits", "activation": "sign", "rule": "soft-hinge"}


def ddp_worker(spec: dict[str, Any]) -> None:
    """One torchrun process: train every seed, rank 0 writes the accuracies."""
    torch.set_num_threads(1)
    data = load_data(spec["data"])
    # exactness check: a ReLU net (no batch norm, no thresholds to amplify rounding) after
    # one epoch should match the single-process weights up to float summation order
    relu = fit(
        model=spec["model"],
        data=data,
        activation="relu",
        lr=spec["lr"],
        epochs=1,
        seed=0,
        device="cpu",
        batch_size=64,
    ).model
    if int(os.environ.get("RANK", "0")) == 0:
        torch.save(relu.state_dict(), spec["out"] + ".relu.pt")
    out = []
    for seed in spec["seeds"]:
        res = fit(
            model=spec["model"],
            data=data,
            activation=spec["activation"],
            rule=spec["rule"],
            lr=spec["lr"],
            epochs=spec["epochs"],
            seed=seed,
            device="cpu",
            batch_size=64,
        )
        out.append(
            {
                "seed": seed,
                "test_acc": res.final["test_acc"],
                "world_size": res.world_size,
                "checksum": float(sum(p.double().sum() for p in res.model.parameters())),
            }
        )
    if int(os.environ.get("RANK", "0")) == 0:
        Path(spec["out"]).write_text(json.dumps(out))


def bench_ddp(seeds: list[int], lr: float, epochs: int, single: list[float] | None) -> dict:
    spec = dict(DDP_CONFIG, seeds=seeds, lr=lr, epochs=epochs)
    t0 = time.perf_counter()
    if single is None:
        torch.set_num_threads(1)
        data = load_data(spec["data"])
        single = [
            fit(
                model=spec["model"],
                data=data,
                activation=spec["activation"],
                rule=spec["rule"],
                lr=lr,
                epochs=epochs,
                seed=s,
                device="cpu",
                batch_size=64,
            ).final["test_acc"]
            for s in seeds
        ]
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        spec["out"] = str(Path(tmp) / "ddp.json")
        env = dict(os.environ, OMP_NUM_THREADS="1")
        cmd = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            str(Path(__file__).resolve()),
            "--ddp-worker",
            json.dumps(spec),
        ]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
        if proc.returncode != 0:
            raise RuntimeError(f"torchrun failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        two = json.loads(Path(spec["out"]).read_text())
        relu_two = torch.load(spec["out"] + ".relu.pt", weights_only=True)
    torch.set_num_threads(1)
    relu_one = fit(
        model=spec["model"],
        data=load_data(spec["data"]),
        activation="relu",
        lr=lr,
        epochs=1,
        seed=0,
        device="cpu",
        batch_size=64,
    ).model.state_dict()
    relu_diff = max((relu_one[k] - relu_two[k]).abs().max().item() for k in relu_one)
    acc2 = [r["test_acc"] for r in two]
    m1, m2 = statistics.fmean(single), statistics.fmean(acc2)
    s1 = statistics.stdev(single) if len(single) > 1 else 0.0
    s2 = statistics.stdev(acc2) if len(acc2) > 1 else 0.0
    tol = max(0.01, 2 * max(s1, s2))
    return {
        "config": {k: v for k, v in spec.items() if k != "out"},
        "total_batch_size": 64,
        "one_process": {"test_acc": single, "mean": m1, "std": s1},
        "two_processes": {
            "test_acc": acc2,
            "mean": m2,
            "std": s2,
            "world_size": two[0]["world_size"],
        },
        "relu_one_epoch_max_weight_diff": relu_diff,
        "abs_diff_of_means": abs(m1 - m2),
        "tolerance": tol,
        "goal": "2-process mean within max(0.01, 2 std) of the 1-process mean",
        "goal_met": abs(m1 - m2) <= tol,
        "seconds_two_processes": time.perf_counter() - t1,
        "seconds_one_process": t1 - t0,
    }


# -------------------------------------------------------------------------- output


def render_markdown(r: dict[str, Any]) -> str:
    m = r["meta"]
    lines = [
        "# Torch backend benchmark",
        "",
        f"Generated by `scripts/bench_torch.py {' '.join(m['argv'])}` on {m['date']}.",
        f"Device: {m['device_name']}; torch {m['torch']}; Python {m['python']}; "
        f"{m['cpu_count']} CPUs, torch threads {m['threads']}; load average at start "
        f"{m['load_start']}, at end {m.get('load_end')}. Total {m.get('seconds', 0):.0f} s.",
        "",
    ]
    if "timing" in r:
        t = r["timing"]
        runs = t.get("runs", [t])
        lines += ["## (a) Time per training step: convnet4, batch 64 x 3x32x32", ""]
        for run in runs:
            lines += [
                f"### {run.get('threads', '?')} torch thread(s)",
                "",
                _measured(run),
                "",
                f"Adam step included; {run['rounds']} rounds x {run['steps_per_round']} steps "
                "per variant, variants interleaved in rotated order. Ratios are to ReLU: of the "
                "medians, and the median (range) of the per-round paired ratios.",
                "",
                "| variant | median ms | p25-p75 ms | min-max ms | ratio of medians | "
                "paired ratio median (range) | activation layers alone, ms | their extra cost "
                "vs ReLU, share of a ReLU step |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for name, v in run["variants"].items():
                lines.append(
                    f"| {name} | {v['median_ms']:.1f} | {v['p25_ms']:.1f}-{v['p75_ms']:.1f} | "
                    f"{v['min_ms']:.1f}-{v['max_ms']:.1f} | {v['ratio_of_medians']:.3f} | "
                    f"{v['paired_ratio_median']:.3f} ({v['paired_ratio_min']:.2f}-"
                    f"{v['paired_ratio_max']:.2f}) | {v.get('activations_ms', float('nan')):.2f} "
                    f"| {100 * v.get('activation_overhead_vs_relu_step', float('nan')):+.1f}% |"
                )
            lines += [
                "",
                "The last two columns time the three activation layers alone (forward + "
                "backward at their convnet4 shapes), interleaved the same way: a view of the "
                "thresholds' own cost that the step-to-step noise of a shared machine does not "
                "drown.",
                "",
            ]
        worst = max(run["worst_ratio"] for run in runs)
        met = all(run["goal_met"] for run in runs)
        lines += [
            f"Goal ({t['goal']}): worst ratio of medians {worst:.3f}, "
            f"**{'met' if met else 'NOT met'}**.",
            "",
        ]
    if "accuracy" in r:
        a = r["accuracy"]
        lines += [
            "## (b) Test accuracy: FTP-SH vs SSTE vs ReLU",
            "",
            _measured(a),
            "",
            f"Final-epoch test accuracy, mean +- std over seeds {a['seeds']}; batch "
            f"{a['batch_size']}, Adam with the preset weight decay and step schedule "
            f"(LR x0.1 at 2/3 and 5/6 of the epochs). Learning rate per row picked from "
            f"{a['lr_grid']} by validation accuracy (20% of the training set held out, "
            "seed 0), the same budget for every rule. digits: 1,437 train / 360 test; "
            "MNIST-1D: 4,000 / 1,000.",
            "",
            "| data (model) | activation | rule | lr | test acc | best-epoch test acc | "
            "train acc |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in a["cells"].values():
            lines.append(
                f"| {c['data']} ({c['model']}, {c['epochs']} ep) | {c['activation']} | "
                f"{c['rule']} | {c['lr']:g} | {c['mean']:.4f} +- {c['std']:.4f} | "
                f"{c['best_epoch_test_acc_mean']:.4f} | {c['train_acc_mean']:.4f} |"
            )
        lines += [
            "",
            "| data | activation | FTP-SH | SSTE | FTP-SH >= SSTE |",
            "|---|---|---|---|---|",
        ]
        for c in a["comparisons"]:
            lines.append(
                f"| {c['data']} | {c['activation']} | {c['ftp_sh']:.4f} | "
                f"{c['sste']:.4f} | {'yes' if c['ftp_sh_ge_sste'] else 'no'} |"
            )
        lines += [
            "",
            f"Goal ({a['goal']}): {a['ftp_sh_ge_sste_cells']} of 4, "
            f"**{'met' if a['goal_met'] else 'NOT met'}**.",
            "",
        ]
    if "ddp" in r:
        d = r["ddp"]
        c = d["config"]
        lines += [
            "## DDP: 2 processes vs 1 at the same total batch size",
            "",
            _measured(d),
            "",
            f"{c['data']} / {c['model']} / {c['activation']} / {c['rule']}, lr {c['lr']:g}, "
            f"{c['epochs']} epochs, total batch {d['total_batch_size']} (2 x 32 with DDP, "
            f"gloo on CPU), seeds {c['seeds']}.",
            "",
            "| processes | test acc per seed | mean +- std |",
            "|---|---|---|",
            f"| 1 | {', '.join(f'{v:.4f}' for v in d['one_process']['test_acc'])} | "
            f"{d['one_process']['mean']:.4f} +- {d['one_process']['std']:.4f} |",
            f"| 2 | {', '.join(f'{v:.4f}' for v in d['two_processes']['test_acc'])} | "
            f"{d['two_processes']['mean']:.4f} +- {d['two_processes']['std']:.4f} |",
            "",
            "Exactness check: a ReLU convnet4 trained 1 epoch with 2 processes differs "
            "from the 1-process weights by at most "
            f"{d['relu_one_epoch_max_weight_diff']:.1e} (float summation order); sign "
            "networks amplify such differences (a pre-activation near 0 flips), so their "
            "runs diverge and only the accuracy distribution is comparable.",
            "",
            f"Goal ({d['goal']}): difference {d['abs_diff_of_means']:.4f}, tolerance "
            f"{d['tolerance']:.4f}, **{'met' if d['goal_met'] else 'NOT met'}**.",
            "",
        ]
    return "\n".join(lines)


def _stamp(device: torch.device) -> dict[str, Any]:
    """When and where a section was measured (sections can be rerun with --merge)."""
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "device": str(device),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }


def _measured(section: dict[str, Any]) -> str:
    m = section.get("measured")
    if not m:
        return ""
    return f"Finished {m['date']} on {m['device']}, load average then {m['load_average']}."


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--quick", action="store_true", help="small smoke run")
    p.add_argument("--sections", default="timing,accuracy,ddp")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument(
        "--threads",
        type=lambda v: [int(x) for x in v.split(",") if x.strip()],
        default=None,
        help="torch thread counts for the timing section, e.g. 1,2 (default: torch's)",
    )
    p.add_argument(
        "--out",
        default=str(ROOT / "results" / "bench_torch"),
        help="output prefix (.md and .json are added)",
    )
    p.add_argument(
        "--merge",
        action="store_true",
        help="keep the other sections of an existing OUT.json (rerun one section)",
    )
    p.add_argument("--ddp-worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.ddp_worker:
        ddp_worker(json.loads(args.ddp_worker))
        return 0
    from mixedopt.torch.train import resolve_device

    device = resolve_device(args.device)
    sections = {s.strip() for s in args.sections.split(",") if s.strip()}
    unknown = sections - {"timing", "accuracy", "ddp"}
    if unknown:
        p.error(f"unknown sections {sorted(unknown)}")
    seeds = list(range(1 if args.quick else args.seeds))
    t_all = time.perf_counter()
    results: dict[str, Any] = {
        "meta": {
            "argv": sys.argv[1:] if argv is None else argv,
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "device": str(device),
            "device_name": (
                torch.cuda.get_device_name(device)
                if device.type == "cuda"
                else f"CPU ({platform.processor() or platform.machine()})"
            ),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "threads": torch.get_num_threads(),
            "load_start": [round(v, 2) for v in os.getloadavg()],
            "quick": args.quick,
        }
    }
    out = Path(args.out)
    if args.merge and out.with_suffix(".json").is_file():
        old = json.loads(out.with_suffix(".json").read_text())
        for key in ("timing", "accuracy", "ddp"):
            if key in old and key not in sections:
                results[key] = old[key]
    default_threads = torch.get_num_threads()
    if "timing" in sections:
        log("timing: convnet4 steps, batch 64x3x32x32")
        gpu = device.type == "cuda"
        runs = []
        for n_threads in args.threads or [default_threads]:
            seed_all(0)
            torch.set_num_threads(n_threads)
            run = bench_timing(
                device,
                rounds=4 if args.quick else 30,
                steps=(20 if gpu else 2) if args.quick else (30 if gpu else 3),
                warmup=10 if gpu else 2,
            )
            run["threads"] = torch.get_num_threads()
            run["measured"] = _stamp(device)
            runs.append(run)
            for k, v in run["variants"].items():
                log(
                    f"  {n_threads} thread(s) {k:26s} {v['median_ms']:8.1f} ms  "
                    f"x{v['ratio_of_medians']:.3f}"
                )
        torch.set_num_threads(default_threads)
        results["timing"] = {
            "runs": runs,
            "goal": runs[0]["goal"],
            "worst_ratio": max(r["worst_ratio"] for r in runs),
            "goal_met": all(r["goal_met"] for r in runs),
        }
    if "accuracy" in sections:
        log("accuracy: FTP-SH vs SSTE vs ReLU")
        if device.type == "cpu":
            torch.set_num_threads(1)
        results["accuracy"] = bench_accuracy(str(device), seeds, args.quick)
        results["accuracy"]["measured"] = _stamp(device)
        log(f"  FTP-SH >= SSTE in {results['accuracy']['ftp_sh_ge_sste_cells']} of 4 cells")
    if "ddp" in sections:
        log("ddp: 2 processes vs 1 (CPU, gloo)")
        acc = results.get("accuracy", {}).get("cells", {})
        cell = acc.get("digits/sign/soft-hinge")
        epochs = 5 if args.quick else ACCURACY_SETUP["digits"]["epochs"]
        lr = cell["lr"] if cell else 1e-3
        single = cell["test_acc"] if (cell and device.type == "cpu") else None
        results["ddp"] = bench_ddp(seeds, lr, epochs, single)
        results["ddp"]["measured"] = _stamp(torch.device("cpu"))
        d = results["ddp"]
        log(
            f"  1 process {d['one_process']['mean']:.4f}, 2 processes "
            f"{d['two_processes']['mean']:.4f}"
        )
    torch.set_num_threads(default_threads)
    results["meta"]["seconds"] = time.perf_counter() - t_all
    results["meta"]["load_end"] = [round(v, 2) for v in os.getloadavg()]
    atomic_write_text(out.with_suffix(".json"), json.dumps(results, indent=2))
    atomic_write_text(out.with_suffix(".md"), render_markdown(results))
    log(
        f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')} "
        f"({results['meta']['seconds']:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
