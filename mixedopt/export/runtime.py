"""Run an exported model with onnxruntime: :class:`OnnxModel`.

Examples
--------
>>> import numpy as np
>>> import mixedopt as mo
>>> from mixedopt.export import OnnxModel, export_onnx
>>> net = mo.ThresholdNet.random([4, 3, 1], seed=0, classes=["no", "yes"])
>>> model = OnnxModel(export_onnx(net))
>>> model.predict(np.zeros((2, 4))).tolist() == net.predict(np.zeros((2, 4))).tolist()
True
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from mixedopt.errors import ModelFileError, ValidationError
from mixedopt.export.graph import require
from mixedopt.validation import check_array, check_labels

__all__ = ["OnnxModel"]

_NUMPY_OF = {
    "tensor(double)": np.float64,
    "tensor(float)": np.float32,
    "tensor(int64)": np.int64,
}


class OnnxModel:
    """An ONNX model written by :func:`mixedopt.export.export_onnx`, run by onnxruntime.

    Parameters
    ----------
    model : path, bytes or onnx.ModelProto
    n_threads : int, optional
        onnxruntime's intra-op threads (default: its own choice, every core).

    Attributes
    ----------
    input_shape : tuple
        Shape of one sample (without the batch axis).
    metadata : dict
        The ``mixedopt.*`` metadata of the graph (model kind, classes, conventions).
    """

    def __init__(self, model: Any, *, n_threads: int | None = None) -> None:
        ort = require("onnxruntime")
        if isinstance(model, (str, os.PathLike)):
            p = Path(model)
            if not p.is_file():
                raise ModelFileError(f"model file {str(p)!r} does not exist.")
            data = p.read_bytes()
        elif isinstance(model, bytes):
            data = model
        else:
            data = model.SerializeToString()
        options = ort.SessionOptions()
        if n_threads is not None:
            options.intra_op_num_threads = int(n_threads)
        try:
            self.session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelFileError(f"onnxruntime cannot load the model: {exc}") from exc
        (inp,) = self.session.get_inputs()
        self.input_name = inp.name
        self.input_dtype = _NUMPY_OF.get(inp.type, np.float64)
        self.input_shape = tuple(inp.shape[1:])
        self.outputs = [o.name for o in self.session.get_outputs()]
        meta = self.session.get_modelmeta().custom_metadata_map
        self.metadata = {k: v for k, v in meta.items() if k.startswith("mixedopt.")}

    def _feed(self, X: Any) -> np.ndarray:
        Xa = check_array(X, name="X", ndim=np.ndim(X) if np.ndim(X) > 2 else 2)
        if all(isinstance(s, int) for s in self.input_shape):
            n_in = int(np.prod(self.input_shape))
            if Xa.ndim == 2 and len(self.input_shape) > 1 and Xa.shape[1] == n_in:
                Xa = Xa.reshape(Xa.shape[0], *self.input_shape)  # flat rows of images
            if Xa.shape[1:] != self.input_shape:
                raise ValidationError(
                    f"X has samples of shape {Xa.shape[1:]}, but this model expects "
                    f"{self.input_shape} (or {n_in} flat features)."
                )
        return np.ascontiguousarray(Xa, dtype=self.input_dtype)

    def run(self, X: Any) -> dict[str, np.ndarray]:
        """Every output of the graph for ``X`` (a dict by output name)."""
        values = self.session.run(None, {self.input_name: self._feed(X)})
        return dict(zip(self.outputs, values, strict=True))

    def predict_codes(self, X: Any) -> np.ndarray:
        """Class indices (the ``index`` output)."""
        return self.run(X)["index"]

    def predict(self, X: Any) -> np.ndarray:
        """Labels: the ``label`` output when the graph has one, else the class indices
        mapped through the classes in the metadata (or the indices themselves)."""
        out = self.run(X)
        if "label" in out:
            return out["label"]
        classes = json.loads(self.metadata.get("mixedopt.classes", "null"))
        return np.asarray(classes)[out["index"]] if classes else out["index"]

    def decision_function(self, X: Any) -> np.ndarray:
        """The ``scores`` (ThresholdNet) or ``logits`` (torch model) output."""
        out = self.run(X)
        return out["scores"] if "scores" in out else out["logits"]

    def score(self, X: Any, y: Any) -> float:
        """Accuracy on ``(X, y)``."""
        pred = self.predict(X)
        return float(np.mean(pred == check_labels(y, n_samples=pred.shape[0])))
