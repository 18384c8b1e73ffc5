"""ONNX export of the torch backend's sequential models (MLP and CNNs) with their threshold
activations; torch and :mod:`mixedopt.torch` are imported lazily.

Each module of an ``nn.Sequential`` (what :func:`mixedopt.torch.build_model` makes for
``mlp``, ``conv1d``, ``convnet4``, ``convnet8``, ``alexnet``) becomes standard ONNX ops,
evaluated as the model is in ``eval()`` mode:

=========================  ==================================================================
torch module               ONNX (opset 17)
=========================  ==================================================================
Linear                     ``Gemm(x, W, b, transB=1)``
Conv1d / Conv2d            ``Conv`` (pads, strides, dilations, groups)
BatchNorm1d / 2d           ``Mul(x, alpha) + beta`` per channel, ``alpha = w / sqrt(var +
                           eps)``, ``beta = b - mean alpha`` (running statistics)
MaxPool1d / 2d             ``MaxPool``
Flatten                    ``Flatten``
Dropout, Dropout2d         nothing (identity in eval mode)
threshold "sign"           ``Where(GreaterOrEqual(x, 0), 1, -1)`` (sign(0) = +1)
threshold "step01"         ``Cast(GreaterOrEqual(x, 0))``
threshold "staircase<n>"   ``k = ReduceSum(Cast(Greater(x (n-1), [0..n-1])))``, ``k / n``, the
                           product in float64 (as the torch forward computes it)
threshold "relu", ReLU     ``Relu``
=========================  ==================================================================

Outputs ``logits`` and ``index`` (``ArgMax``, ties to the first index as ``torch.argmax``).
The graph computes in the model's dtype (float32 by default; a ``model.double()`` exports a
float64 graph). Float sums in another library may round differently from torch's in the
last bit, so a pre-activation within an ulp of a threshold could in principle go the other
way; the tests check the predictions are identical on every test input (float64 graphs
make that practically certain; note that onnxruntime's CPU ``Conv`` has no float64 kernel).

Examples
--------
>>> import torch
>>> from mixedopt.torch import build_model
>>> from mixedopt.export import OnnxModel, export_onnx
>>> model = build_model("mlp", activation="sign", num_classes=3, in_channels=1,
...                     input_size=(6,), hidden=[8]).eval()
>>> x = torch.randn(5, 1, 6)
>>> onnx_model = OnnxModel(export_onnx(model))
>>> bool((onnx_model.predict_codes(x.numpy()) == model(x).argmax(1).numpy()).all())
True
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.export.graph import Graph, require

__all__ = ["torch_to_onnx"]


def _pair(v: Any, n: int) -> list[int]:
    return [int(x) for x in v] if isinstance(v, (tuple, list)) else [int(v)] * n


def _threshold(g: Graph, x: str, kind: str, dt: np.dtype) -> str:
    if kind == "relu":
        return g.node("Relu", [x])
    ge = g.node("GreaterOrEqual", [x, g.const(np.zeros((), dt))])
    if kind == "sign":
        return g.node("Where", [ge, g.const(np.ones((), dt)), g.const(-np.ones((), dt))])
    if kind == "step01":
        return g.cast(ge, dt)
    if kind.startswith("staircase") and kind[9:].isdigit() and int(kind[9:]) >= 2:
        n = int(kind[9:])
        x64 = x if dt == np.float64 else g.cast(x, np.float64)
        v = g.node("Mul", [x64, g.const(np.float64(n - 1))])  # exact for float32 x
        passed = g.node(
            "Greater",
            [g.node("Unsqueeze", [v, g.const([-1], np.int64)]), g.const(np.arange(n, dtype=float))],
        )
        k = g.node(
            "ReduceSum",
            [g.cast(passed, np.float64), g.const([-1], np.int64)],
            keepdims=0,
        )
        level = g.node("Div", [k, g.const(np.float64(n))])
        return level if dt == np.float64 else g.cast(level, dt)
    raise ValidationError(f"threshold kind {kind!r} has no ONNX export.")


def torch_to_onnx(
    model: Any,
    *,
    input_shape: tuple[int, ...] | None = None,
    classes: Any = None,
    name: str = "mixedopt_torch_model",
) -> Any:
    """Export a sequential torch model with threshold activations to ``onnx.ModelProto``.

    Parameters
    ----------
    model : torch.nn.Module
        An ``nn.Sequential`` of the modules in the module docstring (DDP-wrapped is fine).
    input_shape : tuple of int, optional
        Shape of one sample; default ``model.input_shape`` (set by ``build_model``).
    classes : sequence, optional
        Labels of the output units, recorded in the metadata (``OnnxModel.predict`` maps
        indices through them).
    name : str

    Returns
    -------
    onnx.ModelProto
        Input ``X [N, *input_shape]`` in the model's dtype; outputs ``logits``, ``index``.

    Raises
    ------
    ValidationError
        For a module without an ONNX form here (e.g. the residual blocks of resnet18), or
        a model without an input shape.
    """
    torch = require("torch")
    from mixedopt.torch import ThresholdActivation

    nn = torch.nn
    m = getattr(model, "module", model)
    mods = list(m.children()) if isinstance(m, nn.Sequential) else [m]
    shape = tuple(input_shape or getattr(m, "input_shape", None) or ())
    if not shape:
        raise ValidationError("give input_shape: the model has no input_shape attribute.")
    params = list(m.parameters())
    dt = np.dtype(np.float64 if params and params[0].dtype == torch.float64 else np.float32)
    g = Graph(name)
    x = g.input("X", dt, ["N", *shape])
    rank = 1 + len(shape)

    def arr(t: Any) -> np.ndarray:
        return t.detach().cpu().numpy().astype(dt)

    with torch.no_grad():
        for i, mod in enumerate(mods):
            if isinstance(mod, (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Identity)):
                continue
            if isinstance(mod, nn.Flatten):
                if mod.start_dim != 1 or mod.end_dim != -1:
                    raise ValidationError(f"layer {i}: only Flatten(1, -1) is exported.")
                x, rank = g.node("Flatten", [x], axis=1), 2
            elif isinstance(mod, nn.Linear):
                b = mod.bias if mod.bias is not None else torch.zeros(mod.out_features)
                x = g.node("Gemm", [x, g.const(arr(mod.weight)), g.const(arr(b))], transB=1)
            elif isinstance(mod, (nn.Conv1d, nn.Conv2d)):
                k = len(mod.kernel_size)
                if isinstance(mod.padding, str) or mod.padding_mode != "zeros":
                    raise ValidationError(f"layer {i}: only numeric zero padding is exported.")
                inputs = [x, g.const(arr(mod.weight))]
                if mod.bias is not None:
                    inputs.append(g.const(arr(mod.bias)))
                x = g.node(
                    "Conv",
                    inputs,
                    kernel_shape=list(mod.kernel_size),
                    strides=_pair(mod.stride, k),
                    pads=_pair(mod.padding, k) * 2,
                    dilations=_pair(mod.dilation, k),
                    group=int(mod.groups),
                )
            elif isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
                if mod.running_mean is None or mod.running_var is None:
                    raise ValidationError(f"layer {i}: batch norm without running statistics.")
                # as torch's CPU inference kernel: x * alpha + beta
                invstd = 1 / torch.sqrt(mod.running_var + mod.eps)
                w = mod.weight if mod.affine else torch.ones_like(invstd)
                bb = mod.bias if mod.affine else torch.zeros_like(invstd)
                alpha = invstd * w
                beta = bb - mod.running_mean * alpha
                bshape = (-1,) + (1,) * (rank - 2)
                x = g.node("Mul", [x, g.const(arr(alpha).reshape(bshape))])
                x = g.node("Add", [x, g.const(arr(beta).reshape(bshape))])
            elif isinstance(mod, (nn.MaxPool1d, nn.MaxPool2d)):
                k = rank - 2
                if mod.return_indices:
                    raise ValidationError(f"layer {i}: MaxPool with return_indices.")
                kernel = _pair(mod.kernel_size, k)
                stride = _pair(mod.stride if mod.stride is not None else mod.kernel_size, k)
                x = g.node(
                    "MaxPool",
                    [x],
                    kernel_shape=kernel,
                    strides=stride,
                    pads=_pair(mod.padding, k) * 2,
                    dilations=_pair(mod.dilation, k),
                    ceil_mode=int(mod.ceil_mode),
                )
            elif isinstance(mod, ThresholdActivation):
                x = _threshold(g, x, mod.kind, dt)
            elif isinstance(mod, nn.ReLU):
                x = g.node("Relu", [x])
            else:
                raise ValidationError(
                    f"cannot export layer {i} ({type(mod).__name__}): the ONNX export takes "
                    "nn.Sequential models of Linear, Conv1d/2d, BatchNorm1d/2d, MaxPool1d/2d, "
                    "Flatten, Dropout and threshold activations (mlp, conv1d, convnet4, "
                    "convnet8, alexnet)."
                )
    index = g.node("ArgMax", [x], axis=1, keepdims=0)
    g.output(x, dt, ["N", None], name="logits")
    g.output(index, np.int64, ["N"], name="index")
    spec = getattr(m, "spec", None)
    cls = None if classes is None else [c.item() if hasattr(c, "item") else c for c in classes]
    meta = {
        "mixedopt.model": "torch",
        "mixedopt.spec": json.dumps(spec),
        "mixedopt.classes": json.dumps(cls),
        "mixedopt.dtype": dt.name,
        "mixedopt.conventions": "sign(0) = +1, step(0) = 1, argmax ties to the first index",
    }
    return g.build(meta)
