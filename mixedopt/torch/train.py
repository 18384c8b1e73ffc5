"""The torch trainer: :func:`fit` (also behind ``mixedopt torch-train``).

Mini-batch training of a :func:`~mixedopt.torch.build_model` network with softmax
cross-entropy; the threshold layers' rule decides what they pass back (FTP-SH by default),
so one ``backward()`` and one optimizer step per batch implement FTPROP-MB.

Hyperparameters not given explicitly come from :data:`PRESETS`, the paper's settings per
architecture (``shared/notes/ftprop.md`` §6): optimizer, learning rate, weight decay (coupled
L2, also for Adam, as in the original runs), batch size and a step schedule (LR x0.1 at the
paper's milestones, rescaled to the number of epochs asked for). ``mlp`` and ``conv1d`` are
not in the paper; their presets are ours.

Reproducibility: one ``seed`` seeds Python's ``random``, numpy's global generator and torch
(CPU and CUDA), and a dedicated generator shuffles the batches; resuming restores all of it.
Checkpoints are written atomically after every epoch (and on Ctrl-C) and read back with
``torch.load(weights_only=True)``.

Examples
--------
>>> from mixedopt.torch import fit
>>> res = fit(model="mlp", data="digits", activation="sign", epochs=1, seed=0,
...           model_options={"hidden": [64]})
>>> 0.0 <= res.final["test_acc"] <= 1.0, len(res.history)
(True, 1)
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mixedopt.errors import ModelFileError, ValidationError
from mixedopt.torch.activations import normalize_kind
from mixedopt.torch.capture import TargetCapture
from mixedopt.torch.data import TensorData, augment_crop_flip, load_data
from mixedopt.torch.distributed import DistInfo, all_reduce_sum, init_distributed
from mixedopt.torch.export import atomic_torch_save
from mixedopt.torch.models import build_model
from mixedopt.torch.rules import get_rule

__all__ = ["PRESETS", "FitResult", "Preset", "TrainConfig", "fit", "resolve_device", "seed_all"]

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "mixedopt.torch.checkpoint"


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
    probe_size: int = 64
    max_steps: int | None = None
    test_size: float = 0.2
    split_seed: int = 0
    sync_bn: bool = False
    eval_batch_size: int = 1024

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    model : torch.nn.Module
        The trained network (unwrapped from DDP), on the training device.
    history : list of dict
        One entry per epoch: ``epoch, train_loss, train_acc, test_loss, test_acc, lr,
        epoch_time``.
    final : dict
        ``test_acc, train_acc, best_test_acc, best_epoch, epochs, wall_time``.
    settings : dict
        The resolved hyperparameters (after presets).
    interrupted : bool
        True when Ctrl-C stopped training (the model is the state at that moment).
    capture : TargetCapture or None
    """

    model: nn.Module
    history: list[dict[str, Any]]
    final: dict[str, Any]
    settings: dict[str, Any]
    config: TrainConfig
    interrupted: bool = False
    capture: TargetCapture | None = None
    world_size: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (no tensors)."""
        return {
            "final": dict(self.final),
            "history": [dict(h) for h in self.history],
            "settings": dict(self.settings),
            "config": self.config.to_dict(),
            "interrupted": self.interrupted,
            "world_size": self.world_size,
        }


# --------------------------------------------------------------------------- helpers
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


def _check_config(c: TrainConfig) -> None:
    def pos_int(name: str, v: Any, allow_none: bool = False) -> None:
        if v is None and allow_none:
            return
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValidationError(f"{name} must be a positive integer, got {v!r}.")

    pos_int("epochs", c.epochs)
    pos_int("batch_size", c.batch_size, allow_none=True)
    pos_int("capture_every", c.capture_every)
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


def _make_optimizer(model: nn.Module, s: dict[str, Any]) -> torch.optim.Optimizer:
    if s["optimizer"] == "adam":
        return torch.optim.Adam(model.parameters(), lr=s["lr"], weight_decay=s["weight_decay"])
    return torch.optim.SGD(
        model.parameters(), lr=s["lr"], momentum=s["momentum"], weight_decay=s["weight_decay"]
    )


def _make_scheduler(opt: torch.optim.Optimizer, s: dict[str, Any], epochs: int) -> Any:
    if s["schedule"] == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    milestones = s["milestones_0based"] if s["schedule"] == "step" else []
    return torch.optim.lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=s["gamma"])


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a trainer checkpoint with ``torch.load(weights_only=True)``."""
    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"checkpoint {p} not found.")
    try:
        ck = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelFileError(f"{p}: not a readable checkpoint ({exc}).") from exc
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
        raise ModelFileError(f"{p}: not a mixedopt torch checkpoint.")
    return ck


@torch.no_grad()
def evaluate(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    batch_size: int = 1024,
    dist_info: DistInfo | None = None,
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy on ``(X, y)`` (sharded over DDP processes)."""
    info = dist_info or DistInfo()
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    idx = torch.arange(info.rank, X.shape[0], info.world)
    tot = torch.zeros(3, dtype=torch.float64, device=dev)
    for s in range(0, idx.numel(), batch_size):
        b = idx[s : s + batch_size]
        xb, yb = X[b].to(dev, non_blocking=True), y[b].to(dev, non_blocking=True)
        out = model(xb)
        tot[0] += nn.functional.cross_entropy(out, yb, reduction="sum").double()
        tot[1] += (out.argmax(1) == yb).sum()
        tot[2] += yb.numel()
    all_reduce_sum(tot, info)
    model.train(was)
    n = max(tot[2].item(), 1.0)
    return tot[0].item() / n, tot[1].item() / n


# ------------------------------------------------------------------------------ fit
def fit(
    config: TrainConfig | None = None,
    *,
    data: TensorData | None = None,
    model: nn.Module | None = None,
    callback: Callable[[dict[str, Any]], None] | None = None,
    **overrides: Any,
) -> FitResult:
    """Train a threshold network (FTPROP-MB with the chosen rule).

    Parameters
    ----------
    config : TrainConfig, optional
        All settings; keyword ``overrides`` replace its fields (``fit(model="mlp",
        data="digits", epochs=3)`` works without a config).
    data : TensorData or str, optional
        Pre-loaded data (otherwise ``config.data`` is loaded); a string sets ``config.data``.
    model : torch.nn.Module or str, optional
        Pre-built network (otherwise built from the config and the data's shape); a string
        sets ``config.model`` instead.
    callback : callable, optional
        Receives progress events (dicts with ``"event"`` in ``"start"``, ``"step"``,
        ``"epoch"``, ``"end"``) on the main process. Library code never prints.

    Returns
    -------
    FitResult

    Raises
    ------
    ValidationError
        Bad settings; :class:`~mixedopt.errors.DataError` bad data;
        :class:`~mixedopt.errors.ModelFileError` an unreadable ``resume`` checkpoint.
    """
    if isinstance(model, str):  # fit(model="mlp", ...) names the architecture
        overrides["model"], model = model, None
    if isinstance(data, (str, os.PathLike)):  # fit(data="digits", ...) names the data
        overrides["data"], data = os.fspath(data), None
    cfg = dataclasses.replace(config or TrainConfig(), **overrides) if overrides else config
    cfg = cfg or TrainConfig()
    _check_config(cfg)
    emit = callback or (lambda _e: None)
    device = resolve_device(cfg.device)
    info = init_distributed(device.type)
    return _fit(cfg, data, model, emit, device, info)


def _fit(
    cfg: TrainConfig,
    data: TensorData | None,
    model: nn.Module | None,
    emit: Callable[[dict[str, Any]], None],
    device: torch.device,
    info: DistInfo,
) -> FitResult:
    t_start = time.perf_counter()
    if info.enabled and device.type == "cuda":
        device = torch.device("cuda", info.local_rank)
    seed_all(cfg.seed)
    settings = resolve_settings(cfg)
    if settings["batch_size"] % info.world:
        raise ValidationError(
            f"batch_size {settings['batch_size']} must be divisible by the {info.world} "
            "processes (it is the total batch size)."
        )
    if data is None:
        data = load_data(cfg.data, cfg.data_dir, test_size=cfg.test_size, split_seed=cfg.split_seed)
    ck = load_checkpoint(cfg.resume) if cfg.resume else None
    if model is None:
        spec_opts = dict(cfg.model_options)
        if ck is not None:
            spec = ck["spec"]
            if (spec["name"], spec["activation"]) != (
                cfg.model.lower(),
                normalize_kind(cfg.activation),
            ):
                logger.warning(
                    "resuming a %s/%s checkpoint: its architecture wins over the config",
                    spec["name"],
                    spec["activation"],
                )
            spec_opts = dict(spec.get("options", {}))
        model = build_model(
            ck["spec"]["name"] if ck else cfg.model,
            activation=ck["spec"]["activation"] if ck else cfg.activation,
            rule=(ck["spec"]["rule"] or cfg.rule) if ck else cfg.rule,
            num_classes=data.num_classes,
            in_channels=data.in_channels,
            input_size=data.input_size,
            **spec_opts,
        )
    if ck is not None:
        try:
            model.load_state_dict(ck["model"])
        except RuntimeError as exc:
            raise ModelFileError(f"{cfg.resume}: weights do not fit the model ({exc}).") from exc
    model.to(device)
    base = model
    if info.enabled:
        if cfg.sync_bn:
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
            base = model
        model = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    opt = _make_optimizer(model, settings)
    sched = _make_scheduler(opt, settings, cfg.epochs)
    gen = torch.Generator().manual_seed(cfg.seed)
    start_epoch, history, step = 0, [], 0
    if ck is not None:
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        gen.set_state(ck["rng"]["shuffle"])
        torch.set_rng_state(ck["rng"]["torch"])
        start_epoch, history, step = int(ck["epoch"]), list(ck["history"]), int(ck["step"])

    X_tr = data.X_train.to(device)
    y_tr = data.y_train.to(device)
    capture: TargetCapture | None = None
    if cfg.capture_targets:
        capture = TargetCapture(
            base, data.X_train[: cfg.probe_size], data.y_train[: cfg.probe_size], seed=cfg.seed
        ).attach()
        if start_epoch == 0:
            capture.record(step=0, epoch=0)
    augment = data.augment if cfg.augment is not False else None
    if cfg.augment and augment is None and X_tr.ndim == 4:
        augment = "crop-flip"

    B = settings["batch_size"]
    n = X_tr.shape[0]
    # every process needs at least one example of the last (partial) global batch
    n_batches = n // B + (1 if n % B >= info.world else 0)
    if n_batches == 0:
        raise ValidationError(f"{n} training examples cannot feed {info.world} processes.")
    if cfg.max_steps:
        n_batches = min(n_batches, cfg.max_steps)
    emit(
        {
            "event": "start",
            "epochs": cfg.epochs,
            "steps_per_epoch": n_batches,
            "start_epoch": start_epoch,
            "settings": settings,
            "world_size": info.world,
        }
    )
    metrics_f = None
    if cfg.metrics and info.is_main:
        Path(cfg.metrics).parent.mkdir(parents=True, exist_ok=True)
        metrics_f = open(cfg.metrics, "a", encoding="utf-8")
    interrupted = False
    epoch = start_epoch
    loss_fn = nn.CrossEntropyLoss()
    try:
        for epoch in range(start_epoch, cfg.epochs):
            t0 = time.perf_counter()
            model.train()
            perm = torch.randperm(n, generator=gen)
            acc = torch.zeros(3, dtype=torch.float64, device=device)
            for b in range(n_batches):
                idx = perm[b * B : (b + 1) * B]
                scale = 1.0
                if info.enabled:
                    # a strided share of the global batch; the loss is rescaled so that DDP's
                    # gradient average equals the gradient of the global batch mean
                    n_glob = idx.numel()
                    idx = idx[info.rank :: info.world]
                    scale = idx.numel() * info.world / n_glob
                idx = idx.to(device)
                xb, yb = X_tr[idx], y_tr[idx]
                if augment == "crop-flip":
                    xb = augment_crop_flip(xb, gen)
                out = model(xb)
                raw = loss_fn(out, yb)
                loss = raw * scale if scale != 1.0 else raw
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
                if capture is not None:
                    capture.end_step(step, epoch)
                with torch.no_grad():
                    acc[0] += raw.detach().double() * yb.numel()
                    acc[1] += (out.argmax(1) == yb).sum()
                    acc[2] += yb.numel()
                emit(
                    {
                        "event": "step",
                        "epoch": epoch,
                        "batch": b + 1,
                        "step": step,
                        "steps_per_epoch": n_batches,
                    }
                )
            lr_used = opt.param_groups[0]["lr"]
            sched.step()
            all_reduce_sum(acc, info)
            test_loss, test_acc = evaluate(
                model, data.X_test, data.y_test, cfg.eval_batch_size, info
            )
            rec: dict[str, Any] = {
                "epoch": epoch + 1,
                "train_loss": acc[0].item() / max(acc[2].item(), 1),
                "train_acc": acc[1].item() / max(acc[2].item(), 1),
                "test_loss": test_loss,
                "test_acc": test_acc,
                "lr": lr_used,
                "epoch_time": time.perf_counter() - t0,
                "steps": step,
            }
            if capture is not None:
                if (epoch + 1) % cfg.capture_every == 0 or epoch + 1 == cfg.epochs:
                    capture.record(step=step, epoch=epoch + 1)
                snap = capture.snapshots[-1]
                rec["target_disagreement"] = [round(v, 6) for v in snap["disagreement"]]
            history.append(rec)
            if metrics_f is not None:
                metrics_f.write(json.dumps(rec) + "\n")
                metrics_f.flush()
            if cfg.checkpoint and info.is_main:
                _save_checkpoint(cfg, base, opt, sched, gen, epoch + 1, step, history, settings)
            emit({"event": "epoch", **rec})
    except KeyboardInterrupt:
        interrupted = True
        logger.warning("interrupted during epoch %d; returning the model as it is", epoch + 1)
        if cfg.checkpoint and info.is_main:
            _save_checkpoint(cfg, base, opt, sched, gen, epoch, step, history, settings)
    finally:
        if metrics_f is not None:
            metrics_f.close()
        if capture is not None:
            capture.detach()
    best = max(history, key=lambda h: h["test_acc"]) if history else None
    final = {
        "epochs": len(history),
        "train_acc": history[-1]["train_acc"] if history else math.nan,
        "test_acc": history[-1]["test_acc"] if history else math.nan,
        "test_loss": history[-1]["test_loss"] if history else math.nan,
        "best_test_acc": best["test_acc"] if best else math.nan,
        "best_epoch": best["epoch"] if best else None,
        "wall_time": time.perf_counter() - t_start,
        "params": sum(p.numel() for p in base.parameters()),
    }
    emit({"event": "end", **final, "interrupted": interrupted})
    return FitResult(
        model=base,
        history=history,
        final=final,
        settings=settings,
        config=cfg,
        interrupted=interrupted,
        capture=capture,
        world_size=info.world,
    )


def _save_checkpoint(
    cfg: TrainConfig,
    model: nn.Module,
    opt: torch.optim.Optimizer,
    sched: Any,
    gen: torch.Generator,
    epoch: int,
    step: int,
    history: list[dict[str, Any]],
    settings: dict[str, Any],
) -> None:
    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": 1,
        "spec": model.spec,
        "config": cfg.to_dict(),
        "settings": settings,
        "epoch": epoch,
        "step": step,
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict(),
        "history": history,
        "rng": {"torch": torch.get_rng_state(), "shuffle": gen.get_state()},
    }
    atomic_torch_save(payload, cfg.checkpoint)  # type: ignore[arg-type]
