"""Rendering for ``mixedopt torch-train`` (progress bar, tables); called by mixedopt.cli.

This is command-line code: it prints through the rich console it is given. Under
``torchrun`` only rank 0 prints.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from mixedopt.errors import ValidationError
from mixedopt.torch.capture import save_history
from mixedopt.torch.export import export_model, save_model, to_threshold_net
from mixedopt.torch.summary import summary
from mixedopt.torch.train import TrainConfig, fit

__all__ = ["check_save_net", "parse_options", "run_torch_train", "save_threshold_net"]

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


@torch.no_grad()
def _predict_codes(model: torch.nn.Module, X: torch.Tensor, batch: int = 1024) -> np.ndarray:
    was = model.training
    model.eval()
    par = next(model.parameters())
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
) -> dict[str, Any]:
    """Train with a progress bar, print the final table, save what was asked for."""
    if export_format not in ("export", "torchscript"):
        raise ValidationError(
            f"--export-format must be 'export' or 'torchscript', got {export_format!r}."
        )
    if save_net:
        check_save_net(config)
        from mixedopt.io import network_file_path

        try:  # a folder or a non-.npz name is refused before training, not after
            save_net = str(network_file_path(save_net))
        except ValidationError as exc:
            raise ValidationError(f"--save-net: {exc}") from None
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
