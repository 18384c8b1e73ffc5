"""Saving, exporting and converting trained torch models.

* :func:`save_model` / :func:`load_model`: the ``state_dict`` (``.pt``, read back with
  ``torch.load(weights_only=True)``) plus a JSON sidecar with the :func:`build_model`
  arguments and free-form metadata; writes are atomic.
* :func:`export_model` / :func:`load_exported`: a self-contained graph, either
  ``torch.export`` (``.pt2``) or TorchScript (``torch.jit.trace``, ``.ts``). Threshold layers
  export as their plain forward (``where``/``ceil``/``clamp``), so the graph needs no
  mixedopt code to run.
* :func:`to_threshold_net`: an MLP with hard-threshold activations as a numpy
  :class:`mixedopt.ThresholdNet`, batch norm folded into the preceding linear layer and,
  optionally, the data set's input preprocessing folded into the first one (so the net reads
  raw inputs, e.g. for ``mixedopt inspect``).

Conventions: both sides use sign(0) = +1 and ``step(0) = 1``, so the converted net makes the
same predictions (exactly, for a float64 torch model; a float32 model can differ where a
pre-activation rounds across 0). BN folding uses the running statistics (eval mode):
``w' = w * g / sqrt(v + eps)``, ``b' = (b - m) * g / sqrt(v + eps) + beta``.

Examples
--------
>>> import numpy as np, torch
>>> from mixedopt.torch import build_model, to_threshold_net
>>> model = build_model("mlp", activation="sign", num_classes=3, in_channels=1,
...                     input_size=(4,), hidden=[6]).double().eval()
>>> net = to_threshold_net(model)
>>> X = np.random.default_rng(0).standard_normal((10, 4))
>>> bool((net.predict(X) == model(torch.from_numpy(X)[:, None]).argmax(1).numpy()).all())
True
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mixedopt.errors import ModelFileError, ValidationError
from mixedopt.files import atomic_path, atomic_write_bytes
from mixedopt.torch.activations import ThresholdActivation

__all__ = [
    "atomic_write_bytes",
    "export_model",
    "load_exported",
    "load_model",
    "save_model",
    "to_threshold_net",
]

MODEL_FORMAT = "mixedopt.torch.model"


def atomic_torch_save(obj: Any, path: str | os.PathLike[str]) -> Path:
    """``torch.save`` through a temporary file in the same folder and ``os.replace``."""
    p = Path(path)
    with atomic_path(p) as tmp:
        torch.save(obj, tmp)
    return p


def _unwrap(model: nn.Module) -> nn.Module:
    return getattr(model, "module", model)


def _sidecar(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".json")


def save_model(
    model: nn.Module, path: str | os.PathLike[str], metadata: dict[str, Any] | None = None
) -> Path:
    """Save ``model.state_dict()`` to ``path`` and its spec + metadata to ``path + ".json"``.

    Parameters
    ----------
    model : torch.nn.Module
        A model from :func:`mixedopt.torch.build_model` (it needs ``model.spec``).
    path : path-like
        Destination of the state dict (``.pt`` by convention).
    metadata : dict, optional
        JSON-serialisable information (training config, accuracy, seed, ...).

    Returns
    -------
    pathlib.Path
    """
    m = _unwrap(model)
    spec = getattr(m, "spec", None)
    if spec is None:
        raise ValidationError("save_model needs a model built by build_model (no .spec).")
    p = Path(path)
    state = {k: v.detach().cpu() for k, v in m.state_dict().items()}
    atomic_torch_save(state, p)
    doc = {
        "format": MODEL_FORMAT,
        "version": 1,
        "spec": spec,
        "metadata": metadata or {},
        "torch_version": torch.__version__,
        "conventions": {"sign(0)": 1, "step(0)": 1},
    }
    try:
        text = json.dumps(doc, indent=2, default=_json_default)
    except TypeError as exc:
        raise ValidationError(f"metadata must be JSON-serialisable: {exc}") from exc
    atomic_write_bytes(_sidecar(p), text.encode())
    return p


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.integer, np.floating)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def load_model(
    path: str | os.PathLike[str], map_location: str | torch.device = "cpu"
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a model saved by :func:`save_model`; returns ``(model, metadata)``.

    Raises
    ------
    ModelFileError
        If either file is missing or corrupt, or the weights do not fit the spec.
    """
    from mixedopt.torch.models import build_model

    p = Path(path)
    side = _sidecar(p)
    if not p.is_file() or not side.is_file():
        raise ModelFileError(f"{p}: need both {p.name} and {side.name} (written by save_model).")
    try:
        doc = json.loads(side.read_text())
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{side}: corrupt JSON ({exc}).") from exc
    if not isinstance(doc, dict) or doc.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"{side}: not a mixedopt torch model file.")
    spec = doc["spec"]
    try:
        state = torch.load(p, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise ModelFileError(f"{p}: cannot read the weights ({exc}).") from exc
    opts = dict(spec.get("options", {}))
    size = spec["input_size"]
    model = build_model(
        spec["name"],
        activation=spec["activation"],
        rule=spec["rule"] or "soft-hinge",
        num_classes=spec["num_classes"],
        in_channels=spec["in_channels"],
        input_size=tuple(size),
        **opts,
    )
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError) as exc:
        raise ModelFileError(f"{p}: weights do not match the saved architecture ({exc}).") from exc
    return model.to(map_location), doc.get("metadata", {})


def export_model(
    model: nn.Module,
    path: str | os.PathLike[str],
    method: str = "export",
    example_input: torch.Tensor | None = None,
) -> Path:
    """Export a model for inference as a self-contained graph.

    Parameters
    ----------
    model : torch.nn.Module
    path : path-like
        Destination (``.pt2`` for ``torch.export``, ``.ts`` for TorchScript by convention).
    method : {"export", "torchscript"}
        ``torch.export.export`` (batch size dynamic) saved with ``torch.export.save``, or
        ``torch.jit.trace`` saved with ``ScriptModule.save``. Both are torch's own archive
        formats; load them with :func:`load_exported`.
    example_input : Tensor, optional
        Defaults to zeros of shape ``(2, *model.input_shape)``.

    Returns
    -------
    pathlib.Path
    """
    m = _unwrap(model)
    if method not in ("export", "torchscript"):
        raise ValidationError(f"method must be 'export' or 'torchscript', got {method!r}.")
    if example_input is None:
        shape = getattr(m, "input_shape", None)
        if shape is None:
            raise ValidationError("export_model needs example_input (the model has no shape).")
        par = next(m.parameters())
        example_input = torch.zeros((2, *shape), dtype=par.dtype, device=par.device)
    p = Path(path)
    # torch.export.save wants a name ending in .pt2
    suffix = ".tmp.pt2" if method == "export" else ".tmp"
    was_training = m.training
    m.eval()
    try:
        with atomic_path(p, suffix=suffix) as tmp, torch.no_grad():
            if method == "export":
                batch = torch.export.Dim("batch", min=1)
                ep = torch.export.export(m, (example_input,), dynamic_shapes=({0: batch},))
                torch.export.save(ep, tmp)
            else:
                traced = torch.jit.trace(m, example_input)
                traced.save(str(tmp))
    finally:
        m.train(was_training)
    return p


def load_exported(path: str | os.PathLike[str]) -> nn.Module:
    """Load a file written by :func:`export_model` as a callable module."""
    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"{p} not found.")
    try:
        return torch.export.load(p).module()
    except Exception as first:
        try:
            return torch.jit.load(p)
        except Exception as exc:
            raise ModelFileError(
                f"{p}: neither a torch.export nor a TorchScript archive ({first}; {exc})."
            ) from exc


_NUMPY_KIND = {"sign": "sign", "step01": "step"}


def _input_affine(m: nn.Module, n_in: int, scale: Any, shift: Any) -> tuple[np.ndarray, np.ndarray]:
    """``scale``/``shift`` broadcast to the model's input and flattened to ``n_in`` values."""
    shape = tuple(getattr(m, "input_shape", None) or (n_in,))
    if int(np.prod(shape)) != n_in:
        shape = (n_in,)
    out = []
    for label, v, default in (("input_scale", scale, 1.0), ("input_shift", shift, 0.0)):
        a = np.asarray(default if v is None else v, dtype=np.float64)
        try:
            if a.size == n_in and a.shape != shape and a.ndim == 1:
                flat = a.copy()  # already flat
            else:
                flat = np.broadcast_to(a, shape).ravel().copy()
        except ValueError as exc:
            raise ValidationError(
                f"{label} has shape {a.shape}, which does not broadcast to the model's input "
                f"shape {shape} ({n_in} values); give a scalar, one value per channel as "
                "(C, 1, 1), or one value per input."
            ) from exc
        if not np.all(np.isfinite(flat)):
            raise ValidationError(f"{label} must be finite.")
        out.append(flat)
    return out[0], out[1]


def to_threshold_net(
    model: nn.Module,
    *,
    fold_batch_norm: bool = True,
    input_scale: Any = None,
    input_shift: Any = None,
    fold_input: bool = True,
    classes: Any = None,
) -> Any:
    """Convert an MLP with hard-threshold activations to a :class:`mixedopt.ThresholdNet`.

    The model must be ``[Flatten] > (Linear > [BatchNorm1d] > [Dropout] > threshold) x k >
    Linear`` (what ``build_model("mlp", ...)`` makes with a threshold activation). Batch norm
    is folded with its running statistics, so convert a trained model (eval-mode behaviour).

    Parameters
    ----------
    model : torch.nn.Module
    fold_batch_norm : bool, default True
    input_scale, input_shift : float or array-like, optional
        An input preprocessing ``x_model = (x_raw - input_shift) * input_scale`` (what
        ``mixedopt.torch.load_data`` applies: ``TensorData.scaling.scale`` / ``.shift``),
        broadcastable to the model's input shape or one value per flattened input. With
        ``fold_input`` it is folded into the first linear layer, ``W' = W * scale``,
        ``b' = b - W' @ shift``, so the net reads **raw** inputs (flattened rows, e.g.
        ``mixedopt.datasets.load("digits")``).
    fold_input : bool, default True
        False keeps the net on preprocessed inputs and only records the preprocessing in
        ``net.metadata["input_preprocessing"]``.
    classes : sequence, optional
        Labels of the output units (default ``0..k-1``, the class codes of ``load_data``;
        pass ``TensorData.classes`` to predict the original labels).

    Returns
    -------
    mixedopt.ThresholdNet
        Float64 weights; ``output="argmax"`` for several output units, ``"sign"`` for one.

    Raises
    ------
    ValidationError
        For any other layer type or a ``relu`` activation; if folding is asked for a model
        whose first layer is not a Linear layer over the flattened input; if the scale or
        shift does not fit the input.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from mixedopt.torch import build_model, to_threshold_net
    >>> model = build_model("mlp", num_classes=3, in_channels=1, input_size=(4,),
    ...                     hidden=[6]).double().eval()
    >>> net = to_threshold_net(model, input_scale=1 / 16, input_shift=8.0)
    >>> X_raw = np.random.default_rng(0).integers(0, 17, (10, 4)).astype(float)
    >>> x_model = torch.from_numpy((X_raw - 8.0) / 16)[:, None]
    >>> bool((net.predict(X_raw) == model(x_model).argmax(1).numpy()).all())
    True
    """
    from mixedopt.network import ThresholdNet

    m = _unwrap(model)
    mods = list(m.children()) if isinstance(m, nn.Sequential) else [m]
    preprocess = input_scale is not None or input_shift is not None
    if preprocess and fold_input:
        first = next((x for x in mods if not isinstance(x, nn.Flatten | nn.Dropout)), None)
        if not isinstance(first, nn.Linear):
            raise ValidationError(
                "cannot fold the input preprocessing into "
                f"{type(first).__name__ if first is not None else 'an empty model'}: folding "
                "needs a first Linear layer over the flattened input (build_model('mlp', ...)); "
                "pass fold_input=False to keep the net on preprocessed inputs."
            )
    weights: list[np.ndarray] = []
    biases: list[np.ndarray] = []
    acts: list[str] = []
    expect_linear = True
    folded = False
    for i, mod in enumerate(mods):
        if isinstance(mod, nn.Flatten) and i == 0:
            continue
        if isinstance(mod, nn.Dropout):
            continue
        if isinstance(mod, nn.Linear):
            if not expect_linear:
                raise ValidationError("two linear layers in a row: no activation between them.")
            W = mod.weight.detach().double().cpu().numpy()
            b = (
                mod.bias.detach().double().cpu().numpy()
                if mod.bias is not None
                else np.zeros(W.shape[0])
            )
            weights.append(W)
            biases.append(b)
            expect_linear = False
            continue
        if isinstance(mod, nn.BatchNorm1d) and not expect_linear and fold_batch_norm:
            if mod.running_mean is None or mod.running_var is None:
                raise ValidationError("cannot fold a BatchNorm1d without running statistics.")
            scale = 1.0 / np.sqrt(mod.running_var.detach().double().cpu().numpy() + mod.eps)
            if mod.affine:
                scale = scale * mod.weight.detach().double().cpu().numpy()
            shift = -mod.running_mean.detach().double().cpu().numpy() * scale
            if mod.affine:
                shift = shift + mod.bias.detach().double().cpu().numpy()
            weights[-1] = weights[-1] * scale[:, None]
            biases[-1] = biases[-1] * scale + shift
            folded = True
            continue
        if isinstance(mod, ThresholdActivation) and not expect_linear:
            if not mod.is_threshold:
                raise ValidationError(
                    "only hard-threshold activations convert to a ThresholdNet, not 'relu'."
                )
            acts.append(_NUMPY_KIND.get(mod.kind, mod.kind))
            expect_linear = True
            continue
        raise ValidationError(
            f"cannot convert layer {i} ({type(mod).__name__}): to_threshold_net takes an MLP "
            "made of Linear, BatchNorm1d and threshold activations (build_model('mlp', ...))."
        )
    if expect_linear or not weights:
        raise ValidationError("the model must end with a Linear output layer.")
    spec = getattr(m, "spec", {})
    meta: dict[str, Any] = {"source": "mixedopt.torch", "spec": spec, "batch_norm_folded": folded}
    if preprocess:
        sc, sh = _input_affine(m, weights[0].shape[1], input_scale, input_shift)
        if fold_input:
            weights[0] = weights[0] * sc[None, :]
            biases[0] = biases[0] - weights[0] @ sh
        meta["input_preprocessing"] = {
            "formula": "x_model = (x_raw - shift) * scale",
            "shift": np.asarray(0.0 if input_shift is None else input_shift, float).tolist(),
            "scale": np.asarray(1.0 if input_scale is None else input_scale, float).tolist(),
            "folded": bool(fold_input),
            "net_reads": "raw inputs" if fold_input else "preprocessed inputs",
        }
    return ThresholdNet(
        weights,
        biases,
        activations=acts if acts else "sign",
        classes=classes,
        metadata=meta,
    )
