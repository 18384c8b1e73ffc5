"""``mixedopt predict``: score a data set with a saved model.

:func:`run_predict` loads a ``ThresholdNet`` file (run bit-packed, ``net.compile()``, or
with ``--backend reference`` as ``ThresholdNet.predict``), a packed file, or an ``.onnx``
export (run by onnxruntime), predicts every row of the data (any spec
:func:`mixedopt.datasets.load` accepts), prints the predictions (one per line) or writes them
to ``--out`` (``.csv``: ``index,prediction,label``; ``.json``), and reports the accuracy
against the data set's labels.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console

from mixedopt.cli.common import console, err_console, file_out_path, handle_errors
from mixedopt.errors import ValidationError
from mixedopt.files import atomic_write_text

__all__ = ["BACKENDS", "predict_cmd", "run_predict"]

BACKENDS = ("auto", "numba", "numpy", "reference")


def _predictor(model: Path, backend: str) -> tuple[Any, str]:
    """``(object with .predict, description)`` for a model file."""
    if not model.exists():
        raise ValidationError(f"model file {str(model)!r} does not exist.")
    if model.suffix == ".onnx":
        from mixedopt.export import OnnxModel

        return OnnxModel(model), "onnxruntime"
    from mixedopt.network import ThresholdNet
    from mixedopt.packed import PackedNet, is_packed_file

    if backend == "reference":
        return ThresholdNet.load(model), "ThresholdNet.predict"
    if is_packed_file(model):
        packed = PackedNet.load(model, backend=backend)
    else:
        packed = ThresholdNet.load(model).compile(backend=backend)
    return packed, f"packed ({packed.backend})"


def _jsonable(values: np.ndarray) -> list[Any]:
    return [v.item() if isinstance(v, np.generic) else v for v in values.tolist()]


def run_predict(
    console: Console,
    *,
    model: Path,
    data: str,
    out: Path | None = None,
    backend: str = "auto",
    binarize: str | None = None,
    show: bool = True,
) -> dict[str, Any]:
    """Predict ``data`` with ``model``; returns the counts, accuracy and timing."""
    from mixedopt import datasets

    if backend not in BACKENDS:
        raise ValidationError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}.")
    if out is not None and out.suffix not in (".csv", ".json"):
        raise ValidationError(f"--out {str(out)!r} must end in .csv or .json.")
    predictor, how = _predictor(model, backend)
    X, y = datasets.load(data, binarize=binarize)
    t0 = time.perf_counter()
    pred = np.asarray(predictor.predict(X))
    seconds = time.perf_counter() - t0
    y = np.asarray(y)
    numeric = pred.dtype.kind in "iufb" and y.dtype.kind in "iufb"
    same = pred == y if numeric else pred.astype(str) == y.astype(str)
    correct = int(np.count_nonzero(same))
    result: dict[str, Any] = {
        "model": str(model),
        "data": data,
        "engine": how,
        "n": len(pred),
        "correct": correct,
        "accuracy": correct / len(pred),
        "seconds": seconds,
    }
    if out is not None:
        if out.suffix == ".json":
            text = json.dumps({**result, "predictions": _jsonable(pred)}) + "\n"
        else:
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(["index", "prediction", "label"])
            writer.writerows(zip(range(len(pred)), pred.tolist(), y.tolist(), strict=True))
            text = buf.getvalue()
        atomic_write_text(out, text)
    elif show:
        console.file.write("".join(f"{p}\n" for p in pred.tolist()))
    summary = (
        f"{len(pred)} predictions of {model.name} ({how}) on {data} in {seconds:.3f} s; "
        f"accuracy {result['accuracy']:.4f} ({correct}/{len(pred)})"
    )
    # the predictions go to stdout (pipe-friendly) unless written to a file
    (console if out is not None else err_console).print(summary, highlight=False, soft_wrap=True)
    if out is not None:
        console.print(f"wrote {out}", highlight=False)
    return result


@handle_errors
def predict_cmd(
    model: Path = typer.Argument(..., help="A saved net (.npz), a packed .npz, or an .onnx."),
    data: str = typer.Option(
        ..., "--data", "-d", help="Data set: a name, a .csv/.dat file, with options."
    ),
    out: str = typer.Option(None, "--out", "-o", help="Write predictions (.csv or .json)."),
    backend: str = typer.Option(
        "auto", "--backend", "-b", help="auto, numba, numpy (packed) or reference."
    ),
    binarize: str = typer.Option(
        None, "--binarize", help="Encode the features as ±1 first: sign or thermometer."
    ),
) -> None:
    """Predict a data set with a saved model; prints (or writes) predictions and accuracy."""
    run_predict(
        console,
        model=model,
        data=data,
        out=file_out_path(out, "--out"),
        backend=backend,
        binarize=binarize,
    )
