"""``mixedopt torch-train``: train a hard-threshold network in PyTorch (progress, tables).

This is command-line code: it prints through the rich console it is given. Under
``torchrun`` only rank 0 prints; with ``--ray-workers N`` the command trains on Ray Train
workers (:func:`mixedopt.torch.fit_ray`) and prints here. torch is an optional extra, so
:mod:`mixedopt.torch` is imported when the command runs, not when ``mixedopt`` starts
(without torch installed the command ends with the error that names the extra).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from mixedopt.cli.common import console, handle_errors, net_out_path
from mixedopt.errors import ValidationError
from mixedopt.validation import as_sequence_of_ints

if TYPE_CHECKING:
    import torch

    from mixedopt.torch.train import TrainConfig

__all__ = [
    "check_save_net",
    "parse_options",
    "run_torch_train",
    "save_threshold_net",
    "torch_train_cmd",
]

# data sources whose raw inputs `mixedopt inspect --data NAME` reads (mixedopt.datasets.load)
_NOT_INSPECTABLE = ("mnist1d", "synthetic", "cifar10", "cifar-10", "mnist", "fashion-mnist", "idx")


def _value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if "," in text:
        return [_value(p) for p in text.split(",") if p.strip()]
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.strip()


def parse_options(items: list[str] | None) -> dict[str, Any]:
    """``["hidden=128,64", "batch_norm=false"]`` -> ``{"hidden": [128, 64], ...}``."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, eq, val = item.partition("=")
        if not eq or not key.strip():
            raise ValidationError(f"--option takes key=value (e.g. hidden=128,64), got {item!r}.")
        v = _value(val)
        if key.strip() in ("hidden", "channels") and not isinstance(v, list):
            v = [v]
        out[key.strip()] = v
    return out


def check_save_net(config: TrainConfig) -> None:
    """Refuse ``--save-net`` before training when the model cannot become a ThresholdNet."""
    if config.model.lower() != "mlp" or config.activation == "relu":
        raise ValidationError(
            "--save-net converts an mlp with a hard-threshold activation to a numpy "
            f"ThresholdNet; --model {config.model} --activation {config.activation} cannot be "
            "converted (use --save or --export for the torch model)."
        )


def _predict_codes(model: torch.nn.Module, X: torch.Tensor, batch: int = 1024) -> np.ndarray:
    import torch

    was = model.training
    model.eval()
    par = next(model.parameters())
    with torch.no_grad():
        out = [
            model(X[s : s + batch].to(par.device, par.dtype)).argmax(1).cpu()
            for s in range(0, X.shape[0], batch)
        ]
    model.train(was)
    return torch.cat(out).numpy()


def save_threshold_net(model: torch.nn.Module, config: TrainConfig, path: str) -> dict[str, Any]:
    """Convert a trained mlp to a ThresholdNet that reads the raw data set, and save it.

    The data set's preprocessing (``TensorData.scaling``) is folded into the first layer, so
    ``mixedopt inspect PATH --data NAME`` works on the rows of ``mixedopt.datasets.load(NAME)``.
    Returns the net's accuracy on the raw test inputs, the torch model's on the loader's test
    inputs, and how many test predictions differ (float32 pre-activations rounding across 0).
    """
    from mixedopt.torch.data import raw_split
    from mixedopt.torch.export import to_threshold_net

    raw = raw_split(
        config.data, config.data_dir, test_size=config.test_size, split_seed=config.split_seed
    )
    net = to_threshold_net(
        model,
        input_scale=raw.scaling.scale,
        input_shift=raw.scaling.shift,
        classes=raw.classes,
    )
    codes_torch = _predict_codes(model, raw.tensors.X_test)
    codes_net = net.predict_codes(raw.X_test)
    y_codes = raw.tensors.y_test.numpy()
    if not str(path).endswith(".npz"):
        path = f"{path}.npz"  # what ThresholdNet.save writes
    report: dict[str, Any] = {
        "path": str(path),
        "net_test_acc": float(np.mean(codes_net == y_codes)),
        "torch_test_acc": float(np.mean(codes_torch == y_codes)),
        "disagreements": int(np.count_nonzero(codes_net != codes_torch)),
        "n_test": int(y_codes.size),
    }
    meta = dict(net.metadata)
    meta["torch_train"] = {
        "data": str(config.data),
        "test_size": config.test_size,
        "split_seed": config.split_seed,
        "raw_inputs": raw.scaling.raw,
        **{k: v for k, v in report.items() if k != "path"},
    }
    name = str(config.data).partition(":")[0].strip().lower()
    report["inspect"] = f"mixedopt inspect {path} --data <raw data set>"
    if name not in _NOT_INSPECTABLE:  # `mixedopt inspect` re-creates the same split
        report["inspect"] = f"mixedopt inspect {path} --split test"
        meta["mixedopt_train"] = {
            "data": str(config.data),
            "test_size": config.test_size,
            "seed": config.split_seed,
            "algo": "torch-train",
        }
    net.metadata = meta
    net.save(path)
    return report


def run_torch_train(
    console: Console,
    config: TrainConfig,
    *,
    save: str | None = None,
    save_net: str | None = None,
    export: str | None = None,
    export_format: str = "export",
    capture_path: str | None = None,
    show_summary: bool = False,
    quiet: bool = False,
    json_out: bool = False,
    ray_workers: int = 0,
    ray_address: str | None = None,
    ray_gpu: bool = False,
) -> dict[str, Any]:
    """Train with a progress bar, print the final table, save what was asked for.

    ``ray_workers > 0`` trains on that many Ray Train workers
    (:func:`mixedopt.torch.fit_ray`; at ``ray_address``, one GPU each with ``ray_gpu``)
    instead of in this process; the progress events then come from rank 0 over Ray.
    """
    if export_format not in ("export", "torchscript"):
        raise ValidationError(
            f"--export-format must be 'export' or 'torchscript', got {export_format!r}."
        )
    from mixedopt.torch.capture import save_history
    from mixedopt.torch.export import export_model, save_model
    from mixedopt.torch.summary import summary
    from mixedopt.torch.train import fit

    if save_net:
        check_save_net(config)
        # a folder or a non-.npz name is refused before training, not after
        save_net = str(net_out_path(save_net, "--save-net"))
    main = int(os.environ.get("RANK", "0")) == 0
    show = main and not quiet and not json_out
    state: dict[str, Any] = {}
    progress = Progress(
        TextColumn("[bold]epoch {task.fields[epoch]}/{task.fields[epochs]}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not show,
        transient=False,
    )

    def callback(ev: dict[str, Any]) -> None:
        kind = ev["event"]
        if kind == "start":
            total = (ev["epochs"] - ev["start_epoch"]) * ev["steps_per_epoch"]
            state["task"] = progress.add_task(
                "train", total=total, epoch=ev["start_epoch"] + 1, epochs=ev["epochs"], info=""
            )
            state["settings"] = ev["settings"]
            if show:
                s = ev["settings"]
                console.print(
                    f"[dim]{config.model} / {config.activation} / {config.rule}: "
                    f"{s['optimizer']} lr {s['lr']:g}, weight decay {s['weight_decay']:g}, "
                    f"batch {s['batch_size']}, LR x{s['gamma']:g} at epochs "
                    f"{[m + 1 for m in s['milestones_0based']] or 'none'} "
                    f"({s['preset_source']}); {ev['world_size']} process(es)[/]"
                )
        elif kind == "step":
            progress.update(state["task"], advance=1, epoch=ev["epoch"] + 1)
        elif kind == "epoch":
            info = f"test acc {ev['test_acc']:.4f}  train loss {ev['train_loss']:.4f}"
            progress.update(state["task"], info=info)
            if json_out and main:
                console.print_json(json.dumps(ev))

    with progress:
        if ray_workers:
            from mixedopt.torch.ray_train import fit_ray

            res = fit_ray(
                config,
                num_workers=ray_workers,
                address=ray_address,
                use_gpu=ray_gpu,
                callback=callback,
            )
        else:
            res = fit(config, callback=callback)
    if not main:
        return res.to_dict()
    if save:
        save_model(
            res.model,
            save,
            metadata={"final": res.final, "settings": res.settings, "config": config.to_dict()},
        )
    if export:
        export_model(res.model, export, method=export_format)
    net_report = save_threshold_net(res.model, config, save_net) if save_net else None
    if capture_path and res.capture is not None:
        save_history(res.capture, capture_path)
    out = res.to_dict()
    if net_report is not None:
        out["save_net"] = net_report
    if json_out:
        doc = {"final": res.final, "settings": res.settings}
        if net_report is not None:
            doc["save_net"] = net_report
        console.print_json(json.dumps(doc))
        return out
    if quiet:
        return out
    if show_summary:
        console.print(str(summary(res.model)), highlight=False, soft_wrap=True)
    if len(res.history) <= 30:
        hist = Table(title="per epoch")
        for col in ("epoch", "lr", "train loss", "train acc", "test loss", "test acc", "time"):
            hist.add_column(col, justify="right")
        for h in res.history:
            hist.add_row(
                str(h["epoch"]),
                f"{h['lr']:.3g}",
                f"{h['train_loss']:.4f}",
                f"{h['train_acc']:.4f}",
                f"{h['test_loss']:.4f}",
                f"{h['test_acc']:.4f}",
                f"{h['epoch_time']:.1f}s",
            )
        console.print(hist)
    f = res.final
    table = Table(title="torch-train result" + (" (interrupted)" if res.interrupted else ""))
    table.add_column("")
    table.add_column("value")
    rows = [
        ("model", f"{config.model} ({f['params']:,} parameters)"),
        (
            "activation / rule",
            f"{config.activation} / {config.rule if config.activation != 'relu' else '-'}",
        ),
        ("data", config.data),
        ("epochs", str(f["epochs"])),
        ("train accuracy", f"{f['train_acc']:.4f}"),
        ("test accuracy", f"{f['test_acc']:.4f}"),
        ("best test accuracy", f"{f['best_test_acc']:.4f} (epoch {f['best_epoch']})"),
        ("wall time", f"{f['wall_time']:.1f} s"),
    ]
    if net_report is not None:
        rows.append(
            (
                "ThresholdNet test accuracy",
                f"{net_report['net_test_acc']:.4f} on raw inputs "
                f"({net_report['disagreements']}/{net_report['n_test']} predictions differ "
                "from torch)",
            )
        )
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)
    for label, path in (
        ("model", save),
        ("ThresholdNet", save_net),
        ("export", export),
        ("targets", capture_path),
        ("checkpoint", config.checkpoint),
        ("metrics", config.metrics),
    ):
        if path:
            console.print(f"[dim]{label}: {path}[/]")
    if net_report is not None:
        console.print(f"[dim]inspect it with: {net_report['inspect']}[/]")
    return out


@handle_errors
def torch_train_cmd(
    model: str = typer.Option(
        "convnet4", "--model", "-m", help="convnet4, convnet8, alexnet, resnet18, mlp, conv1d."
    ),
    activation: str = typer.Option(
        "sign", "--activation", "-a", help="sign, step01, staircase3, staircase5 or relu."
    ),
    rule: str = typer.Option(
        "soft-hinge", "--rule", "-r", help="soft-hinge (FTP-SH), sste, ste, truncated-hinge, ..."
    ),
    data: str = typer.Option(
        "digits", "--data", "-d", help="digits, mnist1d, synthetic, cifar10, mnist, or a table."
    ),
    data_dir: str = typer.Option(None, "--data-dir", help="Folder of CIFAR-10 batches / IDX."),
    epochs: int = typer.Option(10, "--epochs", "-e", help="Epochs."),
    batch_size: int = typer.Option(None, "--batch-size", "-b", help="Total batch (preset)."),
    optimizer: str = typer.Option(None, "--optimizer", help="adam or sgd (preset)."),
    lr: float = typer.Option(None, "--lr", help="Learning rate (preset)."),
    weight_decay: float = typer.Option(None, "--weight-decay", help="Coupled L2 (preset)."),
    momentum: float = typer.Option(0.9, "--momentum", help="SGD momentum."),
    schedule: str = typer.Option("step", "--schedule", help="step, cosine or constant."),
    milestones: str = typer.Option(None, "--milestones", help="Epochs of LR x gamma, '20,25'."),
    gamma: float = typer.Option(0.1, "--gamma", help="LR factor at each milestone."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of torch, numpy and shuffling."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    option: list[str] = typer.Option(
        None, "--option", "-o", help="Model option key=value (hidden=128,64; batch_norm=true)."
    ),
    augment: bool = typer.Option(None, "--augment/--no-augment", help="Crop+flip images."),
    checkpoint: str = typer.Option(None, "--checkpoint", help="Checkpoint written every epoch."),
    resume: str = typer.Option(None, "--resume", help="Continue from this checkpoint."),
    metrics: str = typer.Option(None, "--metrics", help="Append per-epoch JSON lines here."),
    save: str = typer.Option(None, "--save", help="Save the model (.pt + .pt.json)."),
    save_net: str = typer.Option(
        None, "--save-net", help="Save an mlp as a numpy ThresholdNet (.npz) on raw inputs."
    ),
    export: str = typer.Option(None, "--export", help="Export the model graph to this file."),
    export_format: str = typer.Option("export", "--export-format", help="export/torchscript."),
    capture_targets: str = typer.Option(
        None, "--capture-targets", help="Record targets per threshold layer to this .npz."
    ),
    capture_steps: int = typer.Option(
        None, "--capture-steps", help="Also snapshot targets every this many steps."
    ),
    max_steps: int = typer.Option(None, "--max-steps", help="Cap on steps per epoch."),
    summary: bool = typer.Option(False, "--summary", help="Print the bit-aware model summary."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or tables."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
    ray_workers: int = typer.Option(
        0, "--ray-workers", min=0, help="Train on this many Ray Train workers (DDP); 0: here."
    ),
    ray_address: str = typer.Option(
        None, "--ray-address", help="Ray cluster for --ray-workers (default: a local one)."
    ),
    ray_gpu: bool = typer.Option(False, "--ray-gpu", help="One GPU per Ray worker (NCCL)."),
) -> None:
    """Train a hard-threshold network in PyTorch (FTPROP-MB with a target-propagation rule)."""
    from mixedopt.torch.train import TrainConfig

    if not ray_workers and (ray_address is not None or ray_gpu):
        raise ValidationError("--ray-address and --ray-gpu go with --ray-workers N (N >= 1).")
    config = TrainConfig(
        model=model,
        activation=activation,
        rule=rule,
        data=data,
        data_dir=data_dir,
        epochs=epochs,
        batch_size=batch_size,
        optimizer=optimizer,
        lr=lr,
        weight_decay=weight_decay,
        momentum=momentum,
        schedule=schedule,
        milestones=as_sequence_of_ints(milestones, name="--milestones") if milestones else None,
        gamma=gamma,
        seed=seed,
        device=device,
        model_options=parse_options(option),
        augment=augment,
        checkpoint=checkpoint,
        resume=resume,
        metrics=metrics,
        capture_targets=capture_targets is not None,
        capture_steps=capture_steps,
        max_steps=max_steps,
    )
    res = run_torch_train(
        console,
        config,
        save=save,
        save_net=save_net,
        export=export,
        export_format=export_format,
        capture_path=capture_targets,
        show_summary=summary,
        quiet=quiet,
        json_out=json_out,
        ray_workers=ray_workers,
        ray_address=ray_address,
        ray_gpu=ray_gpu,
    )
    if res["interrupted"]:
        raise typer.Exit(130)
