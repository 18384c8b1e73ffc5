"""``mixedopt export``: a saved model as an ONNX graph or a packed file.

:func:`run_export` reads a ``ThresholdNet`` file (``mixedopt train --out``, ``net.save``, or
a packed file) or, for ONNX, a torch model saved by ``mixedopt torch-train --save`` (``.pt``
+ ``.pt.json``), writes the export, and with ``--check DATA`` runs both on a data set and
counts the agreeing predictions.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console

from mixedopt.cli.common import console, file_out_path, handle_errors, net_out_path
from mixedopt.errors import ValidationError

__all__ = ["FORMATS", "export_cmd", "run_export"]

FORMATS = ("onnx", "packed")


def _onnx_out(out: str) -> Path:
    p = file_out_path(out, "--out")
    assert p is not None
    if p.suffix == "":
        return p.with_name(p.name + ".onnx")
    if p.suffix != ".onnx":
        raise ValidationError(
            f"--out {out!r} is not an .onnx file name; name it {str(p.with_suffix('.onnx'))!r}."
        )
    return p


def _load_model(model: Path, fmt: str) -> tuple[Any, str]:
    """``(model, kind)``: a ThresholdNet (``"net"``) or a torch model (``"torch"``)."""
    if not model.exists():
        raise ValidationError(f"model file {str(model)!r} does not exist.")
    if model.suffix == ".pt":
        if fmt != "onnx":
            raise ValidationError(
                f"{str(model)!r} is a torch model: it exports to onnx only (--format onnx); "
                "a packed file holds a numpy ThresholdNet (`torch-train --save-net`)."
            )
        from mixedopt.torch import load_model

        torch_model, _ = load_model(model)
        return torch_model.eval(), "torch"
    from mixedopt.network import ThresholdNet

    return ThresholdNet.load(model), "net"


def run_export(
    console: Console,
    *,
    model: Path,
    fmt: str,
    out: str,
    input_bound: float | None = None,
    check: str | None = None,
) -> dict[str, Any]:
    """Export ``model`` as ``fmt`` to ``out``; returns what was written (and the check)."""
    if fmt not in FORMATS:
        raise ValidationError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}.")
    path = _onnx_out(out) if fmt == "onnx" else net_out_path(out, "--out")
    assert path is not None
    if path.resolve() == model.resolve():
        raise ValidationError(f"--out {out!r} is the model file itself; give another name.")
    if input_bound is not None and fmt != "onnx":
        raise ValidationError("--input-bound applies to --format onnx only.")
    obj, kind = _load_model(model, fmt)
    if kind == "torch" and input_bound is not None:
        raise ValidationError("--input-bound applies to ThresholdNet models only.")
    t0 = time.perf_counter()
    if fmt == "onnx":
        from mixedopt.export import ONNX_OPSET, OnnxModel, export_onnx

        options = {"input_bound": input_bound} if kind == "net" else {}
        export_onnx(obj, path, **options)
        info = f"ONNX opset {ONNX_OPSET}"
    else:
        obj.compile(backend="numpy").save(path)
        info = "packed .npz"
    result: dict[str, Any] = {
        "out": str(path),
        "format": fmt,
        "bytes": path.stat().st_size,
        "model_bytes": model.stat().st_size,
        "seconds": time.perf_counter() - t0,
    }
    console.print(
        f"wrote {path} ({info}, {result['bytes']:,} bytes; model file {result['model_bytes']:,})",
        highlight=False,
        soft_wrap=True,
    )
    if check is not None:
        from mixedopt import datasets

        X, _ = datasets.load(check)
        if kind == "torch":
            raise ValidationError("--check needs a ThresholdNet model (raw data rows).")
        ref = obj.predict(X)
        if fmt == "onnx":
            got = OnnxModel(path).predict(X)
        else:
            from mixedopt.packed import PackedNet

            got = PackedNet.load(path).predict(X)
        agree = int(np.count_nonzero(np.asarray(got) == ref))
        result["check"] = {"data": check, "agree": agree, "n": len(ref)}
        console.print(
            f"check on {check}: {agree}/{len(ref)} predictions agree with the model",
            highlight=False,
            soft_wrap=True,
        )
        if agree != len(ref):
            raise ValidationError(
                f"the export disagrees with the model on {len(ref) - agree} of {len(ref)} "
                f"samples of {check}; see docs/deploy.md on float inputs and --input-bound."
            )
    return result


@handle_errors
def export_cmd(
    model: Path = typer.Argument(
        ..., help="A saved net (.npz, or packed .npz), or a torch model (.pt) for onnx."
    ),
    fmt: str = typer.Option("onnx", "--format", "-f", help="onnx or packed."),
    out: str = typer.Option(..., "--out", "-o", help="The file to write (.onnx / .npz)."),
    input_bound: float = typer.Option(
        None,
        "--input-bound",
        help="onnx: the inputs are integers with |x| <= this (1 for ±1 pixels): exact first "
        "layer, float32 where exact.",
    ),
    check: str = typer.Option(
        None, "--check", help="A data set to run model and export on; all must agree."
    ),
) -> None:
    """Export a saved model: ONNX (onnxruntime) or the packed file (1-bit binary weights)."""
    run_export(console, model=model, fmt=fmt, out=out, input_bound=input_bound, check=check)
