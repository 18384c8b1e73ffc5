"""Rendering for ``mixedopt torch-train`` (progress bar, tables); called by mixedopt.cli.

This is command-line code: it prints through the rich console it is given. Under
``torchrun`` only rank 0 prints.
"""

from __future__ import annotations

import json
import os
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from mixedopt.errors import ValidationError
from mixedopt.torch.capture import save_history
from mixedopt.torch.export import export_model, save_model
from mixedopt.torch.summary import summary
from mixedopt.torch.train import TrainConfig, fit

__all__ = ["parse_options", "run_torch_train"]


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


def run_torch_train(
    console: Console,
    config: TrainConfig,
    *,
    save: str | None = None,
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
    if capture_path and res.capture is not None:
        save_history(res.capture, capture_path)
    if json_out:
        console.print_json(json.dumps({"final": res.final, "settings": res.settings}))
        return res.to_dict()
    if quiet:
        return res.to_dict()
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
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)
    for label, path in (
        ("model", save),
        ("export", export),
        ("targets", capture_path),
        ("checkpoint", config.checkpoint),
        ("metrics", config.metrics),
    ):
        if path:
            console.print(f"[dim]{label}: {path}[/]")
    return res.to_dict()
