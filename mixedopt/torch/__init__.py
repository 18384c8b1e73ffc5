"""PyTorch backend: hard-threshold layers trained by feasible target propagation.

Hard-threshold units (``sign``, ``0/1`` steps, staircases = quantized ReLUs) have zero
gradient almost everywhere. In mini-batch feasible target propagation (FTPROP-MB, Friesen &
Domingos, ICLR 2018) each unit sets a target ``t = -sign(dL/dh)`` for its output and passes
back the gradient of a per-unit loss of its pre-activation, weighted by ``|dL/dh|``. With the
soft hinge (FTP-SH, the default) this is backprop with ``tanh'`` as the surrogate derivative;
the saturated straight-through estimator (SSTE) is FTP with the saturated hinge.

Only this package imports torch; ``import mixedopt`` never does. Without PyTorch installed,
importing it raises :class:`mixedopt.errors.SolverUnavailableError` naming the extra.

Examples
--------
>>> import torch
>>> from mixedopt.torch import ThresholdActivation, build_model
>>> act = ThresholdActivation("sign", rule="soft-hinge")
>>> act(torch.tensor([-0.5, 0.0, 2.0]))
tensor([-1.,  1.,  1.])
>>> model = build_model("mlp", activation="sign", num_classes=3, in_channels=1, input_size=4)
>>> model(torch.zeros(2, 1, 4, 4)).shape
torch.Size([2, 3])
"""

from __future__ import annotations

from mixedopt.errors import SolverUnavailableError

try:
    import torch as _torch  # noqa: F401
except ImportError as _exc:  # pragma: no cover - exercised in a subprocess test
    raise SolverUnavailableError(
        f"the torch backend needs PyTorch: pip install 'mixedopt[torch]' (import failed: {_exc})"
    ) from _exc

from mixedopt.torch.activations import (
    KINDS,
    Staircase,
    Step,
    ThresholdActivation,
    staircase,
    step,
    threshold,
)
from mixedopt.torch.capture import (
    TargetCapture,
    capture_history_to_dict,
    load_history,
    save_history,
)
from mixedopt.torch.data import InputScaling, RawSplit, TensorData, load_data, raw_split
from mixedopt.torch.export import (
    export_model,
    load_exported,
    load_model,
    save_model,
    to_threshold_net,
)
from mixedopt.torch.models import MODELS, build_model
from mixedopt.torch.ray_train import fit_ray
from mixedopt.torch.rules import RULES, FTPRule, Rule, available_rules, get_rule
from mixedopt.torch.summary import ModelSummary, summary
from mixedopt.torch.train import PRESETS, FitResult, TrainConfig, fit

__all__ = [
    "KINDS",
    "MODELS",
    "PRESETS",
    "RULES",
    "FTPRule",
    "FitResult",
    "InputScaling",
    "ModelSummary",
    "RawSplit",
    "Rule",
    "Staircase",
    "Step",
    "TargetCapture",
    "TensorData",
    "ThresholdActivation",
    "TrainConfig",
    "available_rules",
    "build_model",
    "capture_history_to_dict",
    "export_model",
    "fit",
    "fit_ray",
    "get_rule",
    "load_data",
    "load_exported",
    "load_history",
    "load_model",
    "raw_split",
    "save_history",
    "save_model",
    "staircase",
    "step",
    "summary",
    "threshold",
    "to_threshold_net",
]
