"""``mixedopt inspect``: the target assignment of a saved network.

:func:`run_inspect` loads a model saved by ``mixedopt train --out`` (or ``torch-train
--save-net``), re-creates the data split it was trained on, and prints and saves the report
of :func:`mixedopt.inspect.build.inspect_targets` (table, HTML, PNG figures, JSON).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console

from mixedopt.cli.common import console, handle_errors, split_data
from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet

__all__ = ["inspect_cmd", "run_inspect"]


def run_inspect(
    console: Console,
    *,
    model: Path,
    data: str | None,
    out: Path | None,
    split: str | None,
    target_step: str | None,
    history: Path | None = None,
) -> dict[str, Any]:
    """Inspect a saved model on its data; write the report folder; returns the file map."""
    # imported here: the inspect package loads scipy and networkx, which `mixedopt --help`
    # should not wait for
    from mixedopt.inspect.build import inspect_targets

    if out is not None and out.exists() and not out.is_dir():
        same = model.exists() and out.resolve() == model.resolve()
        raise ValidationError(
            f"--out {str(out)!r} is "
            + ("the model file itself" if same else "an existing file")
            + "; --out names a folder for report.html, the PNGs and the JSON (e.g. "
            f"--out {str(out.with_suffix('')) + '_report'!r})."
        )
    net = ThresholdNet.load(model)
    meta = net.metadata.get("mixedopt_train", {})
    prov = net.metadata.get("training_targets") or {}
    data = data or meta.get("data") or net.metadata.get("data") or prov.get("data")
    if not data:
        raise ValidationError(
            f"{model} does not record its data set; pass --data (a name or a file)."
        )
    if split is None:  # the samples the stored targets were produced on, else train
        split = prov.get("split") if prov.get("data") == data else None
        split = split or ("train" if meta else "all")
    if split not in ("train", "test", "all"):
        raise ValidationError(f"--split must be train, test or all, got {split!r}.")
    test_size = float(meta.get("test_size", prov.get("test_size", 0.25)))
    seed = int(meta.get("seed", prov.get("seed", 0)))
    X_tr, X_te, y_tr, y_te = split_data(data, test_size if split != "all" else 0.0, seed)
    X, y = (X_tr, y_tr) if split in ("train", "all") else (X_te, y_te)
    if X.shape[0] == 0:
        raise ValidationError(f"the {split} split is empty (test_size {test_size}).")
    samples = (
        f"{data}, {split} split ({X.shape[0]} samples"
        + ("" if split == "all" else f"; test_size {test_size:g}, seed {seed}")
        + ")"
    )
    q = meta.get("input_quantizer")
    if q is not None:
        X = np.round((X - np.asarray(q["mean"])) / np.asarray(q["scale"])).astype(np.int64)
    hist: Any = net.metadata.get("history")
    if history is not None:
        from mixedopt.torch.capture import load_history  # torch is optional

        hist = load_history(history)
    rows = prov.get("indices")
    if rows is not None and prov.get("data") == data and prov.get("split") == split:
        # FTPROP's targets may cover only part of the split (its early-stopping split)
        rows = np.asarray(rows, dtype=np.int64)
        if split == "train" and len(rows) < X.shape[0]:
            X_all, y_all = split_data(data, 0.0, seed)[::2]
            X, y = X_all[rows], y_all[rows]
            samples += f"; the {len(rows)} the training targets were set on"
    rep = inspect_targets(net, X, y, target_step=target_step, history=hist, samples=samples)
    rep.print(console)
    for note in rep.notes:
        console.print(f"[yellow]note:[/] {note}")
    files: dict[str, Any] = {}
    if out is not None:
        files = rep.save(out)
        console.print(f"wrote [green]{out}[/]: " + ", ".join(p.name for p in files.values()))
    return {"files": {k: str(v) for k, v in files.items()}, "accuracy": rep.accuracy}


@handle_errors
def inspect_cmd(
    model: Path = typer.Argument(..., help="A model saved by `mixedopt train --out`."),
    data: str = typer.Option(None, "--data", "-d", help="Data set (default: the training one)."),
    out: Path = typer.Option(None, "--out", "-o", help="Folder for report.html, PNGs, JSON."),
    split: str = typer.Option(
        None,
        "--split",
        help="train, test or all (default: the samples the stored targets were produced on).",
    ),
    target_step: str = typer.Option(
        None,
        "--target-step",
        help="Compute targets by one FTPROP step (greedy, gradient or exact) instead of "
        "showing the stored ones or re-assigning them per layer.",
    ),
    history: Path = typer.Option(
        None, "--history", help="A torch target-capture history (.npz) to show."
    ),
) -> None:
    """Report the target assignment of a saved network: table, HTML, PNG figures, JSON."""
    run_inspect(
        console,
        model=model,
        data=data,
        out=out,
        split=split,
        target_step=target_step,
        history=history,
    )
