"""Training settings: :class:`TrainConfig`, the paper's :data:`PRESETS`, devices and seeds.

Hyperparameters not given explicitly come from :data:`PRESETS`, the paper's settings per
architecture (``shared/notes/ftprop.md`` §6): optimizer, learning rate, weight decay (coupled
L2, also for Adam, as in the original runs), batch size and a step schedule (LR x0.1 at the
paper's milestones, rescaled to the number of epochs asked for). ``mlp`` and ``conv1d`` are
not in the paper; their presets are ours.

Examples
--------
>>> from mixedopt.torch.config import TrainConfig, resolve_settings
>>> s = resolve_settings(TrainConfig(model="convnet4", epochs=300))
>>> s["optimizer"], s["lr"], s["milestones_0based"]
('adam', 0.00025, [199, 249])
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from mixedopt.errors import ValidationError
from mixedopt.torch.activations import normalize_kind
from mixedopt.torch.rules import get_rule

__all__ = [
    "PRESETS",
    "Preset",
    "TrainConfig",
    "check_config",
    "make_optimizer",
    "make_scheduler",
    "resolve_device",
    "resolve_settings",
    "seed_all",
]


@dataclass(frozen=True)
class Preset:
    """Training settings of one architecture (``weight_decay`` may depend on the activation:
    keys ``"sign"``, ``"step01"``, ``"staircase"``, ``"relu"``)."""

    optimizer: str
    lr: float
    weight_decay: float | dict[str, float]
    batch_size: int
    paper_epochs: int
    milestones: tuple[int, ...]
    source: str

    def weight_decay_for(self, activation: str) -> float:
        if isinstance(self.weight_decay, float):
            return self.weight_decay
        key = "staircase" if activation.startswith("staircase") else activation
        return self.weight_decay[key]


_THRESH_WD = {"sign": 5e-6, "step01": 5e-6, "staircase": 5e-5, "relu": 5e-4}
PRESETS: dict[str, Preset] = {
    "convnet4": Preset("adam", 2.5e-4, 5e-4, 64, 300, (200, 250), "FTPROP paper, CIFAR-10"),
    "convnet8": Preset("adam", 1e-3, 5e-4, 64, 300, (200, 250), "FTPROP paper, CIFAR-10"),
    "alexnet": Preset("adam", 1e-4, _THRESH_WD, 128, 80, (56, 64), "FTPROP paper, ImageNet"),
    "resnet18": Preset(
        "sgd",
        0.1,
        {"sign": 5e-7, "step01": 5e-7, "staircase": 1e-5, "relu": 1e-4},
        256,
        90,
        (30, 60),
        "FTPROP paper, ImageNet",
    ),
    "mlp": Preset("adam", 1e-3, 0.0, 64, 30, (20, 25), "mixedopt default (not in the paper)"),
    "conv1d": Preset("adam", 1e-3, 0.0, 64, 30, (20, 25), "mixedopt default (not in the paper)"),
}


@dataclass
class TrainConfig:
    """Everything :func:`fit` needs; ``None`` means "from the preset of the model".

    ``milestones`` are epochs counted from 1 at whose start the learning rate is multiplied
    by ``gamma`` (the paper's convention); ``schedule`` is ``"step"`` (default),
    ``"cosine"`` or ``"constant"``. ``batch_size`` is the total batch over all DDP
    processes. ``max_steps`` caps the steps per epoch (for smoke tests and benchmarks).
    """

    model: str = "convnet4"
    activation: str = "sign"
    rule: str = "soft-hinge"
    data: str = "digits"
    data_dir: str | None = None
    epochs: int = 10
    batch_size: int | None = None
    optimizer: str | None = None
    lr: float | None = None
    weight_decay: float | None = None
    momentum: float = 0.9
    schedule: str = "step"
    milestones: list[int] | None = None
    gamma: float = 0.1
    seed: int = 0
    device: str = "auto"
    model_options: dict[str, Any] = field(default_factory=dict)
    augment: bool | None = None
    checkpoint: str | None = None
    resume: str | None = None
    metrics: str | None = None
    capture_targets: bool = False
    capture_every: int = 1
    capture_steps: int | None = None
    probe_size: int = 64
    max_steps: int | None = None
    test_size: float = 0.2
    split_seed: int = 0
    sync_bn: bool = False
    eval_batch_size: int = 1024

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def seed_all(seed: int) -> None:
    """Seed Python's ``random``, numpy's global generator and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - legacy global state used by other code
    torch.manual_seed(seed)


def resolve_device(device: str) -> torch.device:
    """``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:<i>"``."""
    if not isinstance(device, str):
        raise ValidationError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}.")
    d = device.strip().lower()
    if d == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if d == "cpu":
        return torch.device("cpu")
    if d.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValidationError(
                f"--device {device} but no CUDA device is visible to this torch "
                f"({torch.__version__}); use --device cpu or auto."
            )
        return torch.device(d)
    raise ValidationError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}.")


def check_config(c: TrainConfig) -> None:
    """Raise a :class:`~mixedopt.errors.ValidationError` naming the first bad setting."""

    def pos_int(name: str, v: Any, allow_none: bool = False) -> None:
        if v is None and allow_none:
            return
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValidationError(f"{name} must be a positive integer, got {v!r}.")

    pos_int("epochs", c.epochs)
    pos_int("batch_size", c.batch_size, allow_none=True)
    pos_int("capture_every", c.capture_every)
    pos_int("capture_steps", c.capture_steps, allow_none=True)
    pos_int("probe_size", c.probe_size)
    pos_int("max_steps", c.max_steps, allow_none=True)
    pos_int("eval_batch_size", c.eval_batch_size)
    if isinstance(c.seed, bool) or not isinstance(c.seed, int) or c.seed < 0:
        raise ValidationError(f"seed must be a non-negative integer, got {c.seed!r}.")
    for name in ("lr", "weight_decay"):
        v = getattr(c, name)
        if v is not None and (not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0):
            raise ValidationError(f"{name} must be a finite number >= 0, got {v!r}.")
    if c.lr is not None and c.lr == 0:
        raise ValidationError("lr must be > 0.")
    if c.optimizer is not None and c.optimizer.lower() not in ("adam", "sgd"):
        raise ValidationError(f"optimizer must be 'adam' or 'sgd', got {c.optimizer!r}.")
    if c.schedule not in ("step", "cosine", "constant"):
        raise ValidationError(
            f"schedule must be 'step', 'cosine' or 'constant', got {c.schedule!r}."
        )
    if not 0 < c.gamma <= 1:
        raise ValidationError(f"gamma must be in (0, 1], got {c.gamma!r}.")
    if c.milestones is not None and any(
        isinstance(m, bool) or not isinstance(m, int) or m < 1 for m in c.milestones
    ):
        raise ValidationError(f"milestones must be epochs >= 1, got {c.milestones!r}.")
    normalize_kind(c.activation)
    get_rule(c.rule)


def resolve_settings(c: TrainConfig) -> dict[str, Any]:
    """Fill the ``None`` fields of ``c`` from :data:`PRESETS` (the paper's settings)."""
    key = c.model.strip().lower()
    preset = PRESETS.get(key, PRESETS["mlp"])
    kind = normalize_kind(c.activation)
    if c.milestones is not None:
        milestones = sorted({m - 1 for m in c.milestones if 1 < m <= c.epochs})
    else:
        scaled = {round(m * c.epochs / preset.paper_epochs) for m in preset.milestones}
        milestones = sorted({m - 1 for m in scaled if 1 < m <= c.epochs})
    return {
        "optimizer": (c.optimizer or preset.optimizer).lower(),
        "lr": float(c.lr if c.lr is not None else preset.lr),
        "weight_decay": float(
            c.weight_decay if c.weight_decay is not None else preset.weight_decay_for(kind)
        ),
        "momentum": float(c.momentum),
        "batch_size": int(c.batch_size or preset.batch_size),
        "schedule": c.schedule,
        "milestones_0based": milestones,
        "gamma": float(c.gamma),
        "preset_source": preset.source,
    }


def make_optimizer(model: nn.Module, s: dict[str, Any]) -> torch.optim.Optimizer:
    """Adam or SGD (with momentum) with coupled L2 weight decay, from resolved settings."""
    if s["optimizer"] == "adam":
        return torch.optim.Adam(model.parameters(), lr=s["lr"], weight_decay=s["weight_decay"])
    return torch.optim.SGD(
        model.parameters(), lr=s["lr"], momentum=s["momentum"], weight_decay=s["weight_decay"]
    )


def make_scheduler(opt: torch.optim.Optimizer, s: dict[str, Any], epochs: int) -> Any:
    """Per-epoch schedule: step (``MultiStepLR``), cosine, or constant (no milestones)."""
    if s["schedule"] == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    milestones = s["milestones_0based"] if s["schedule"] == "step" else []
    return torch.optim.lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=s["gamma"])
