"""ONNX export of threshold networks, with the predictions of mixedopt.

* :func:`export_onnx`: a numpy :class:`~mixedopt.ThresholdNet` (exact integer arithmetic
  where the weights are integers, so ``sign(0) = +1`` and argmax ties hold exactly; see
  :mod:`mixedopt.export.net`) or a torch backend model (MLP and CNNs with their threshold
  activations; see :mod:`mixedopt.export.torch_model`) to an ONNX graph at opset
  :data:`ONNX_OPSET`.
* :class:`OnnxModel`: runs an exported file with onnxruntime (``predict``,
  ``decision_function``).

onnx and onnxruntime are optional (``pip install 'mixedopt[deploy]'``); without them these
functions raise :class:`~mixedopt.errors.SolverUnavailableError` naming the extra.
``docs/deploy.md`` lists what is exported as what.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> import mixedopt as mo
>>> from mixedopt.export import OnnxModel, export_onnx
>>> net = mo.ThresholdNet.random([6, 4, 3], seed=0, weights="ternary", activation="step")
>>> path = pathlib.Path(tempfile.mkdtemp()) / "net.onnx"
>>> _ = export_onnx(net, path, input_bound=3)
>>> X = np.random.default_rng(0).integers(-3, 4, size=(8, 6))
>>> bool(np.array_equal(OnnxModel(path).predict(X), net.predict(X)))
True
"""

from __future__ import annotations

import os
import sys
from typing import Any

from mixedopt.errors import ValidationError
from mixedopt.export.graph import IR_VERSION, ONNX_OPSET, require
from mixedopt.export.net import net_to_onnx
from mixedopt.export.runtime import OnnxModel
from mixedopt.export.torch_model import torch_to_onnx
from mixedopt.files import atomic_write_bytes

__all__ = [
    "IR_VERSION",
    "ONNX_OPSET",
    "OnnxModel",
    "export_onnx",
    "net_to_onnx",
    "onnx_available",
    "torch_to_onnx",
]


def _is_torch_module(model: Any) -> bool:
    if "torch" not in sys.modules:  # a torch module cannot exist without torch imported
        return False
    return isinstance(model, sys.modules["torch"].nn.Module)


def export_onnx(model: Any, path: str | os.PathLike[str] | None = None, **options: Any) -> Any:
    """Export a threshold network to ONNX; write it to ``path`` when given (atomically).

    Parameters
    ----------
    model : ThresholdNet, PackedNet or torch.nn.Module
    path : path-like, optional
        Where to write the ``.onnx`` file.
    **options
        For numpy nets :func:`~mixedopt.export.net.net_to_onnx` (``input_bound``,
        ``input_dtype``); for torch models :func:`~mixedopt.export.torch_model.torch_to_onnx`
        (``input_shape``, ``classes``).

    Returns
    -------
    onnx.ModelProto

    Raises
    ------
    ValidationError
        For anything else than a threshold net or a supported torch model.
    SolverUnavailableError
        When onnx (or torch, for torch models) is not installed.
    """
    if hasattr(model, "weights") and hasattr(model, "activation_names"):
        proto = net_to_onnx(model, **options)
    elif _is_torch_module(model):
        proto = torch_to_onnx(model, **options)
    else:
        raise ValidationError(
            f"cannot export a {type(model).__name__}: give a mixedopt ThresholdNet, a "
            "PackedNet or a torch model of mixedopt.torch.build_model."
        )
    if path is not None:
        atomic_write_bytes(path, proto.SerializeToString())
    return proto


def onnx_available() -> bool:
    """Whether onnx and onnxruntime import."""
    try:
        require("onnx")
        require("onnxruntime")
    except ImportError:
        return False
    return True
