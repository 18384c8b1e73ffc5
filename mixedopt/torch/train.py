"""The torch trainer: :func:`fit` (also behind ``mixedopt torch-train``).

Mini-batch training of a :func:`~mixedopt.torch.build_model` network with softmax
cross-entropy; the threshold layers' rule decides what they pass back (FTP-SH by default),
so one ``backward()`` and one optimizer step per batch implement FTPROP-MB.

Settings not given explicitly come from the paper's presets (:mod:`mixedopt.torch.config`).

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
import gc
import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mixedopt.errors import ModelFileError, ValidationError
from mixedopt.torch.activations import normalize_kind
from mixedopt.torch.capture import TargetCapture
from mixedopt.torch.config import (
    PRESETS,
    Preset,
    TrainConfig,
    check_config,
    make_optimizer,
    make_scheduler,
    resolve_device,
    resolve_settings,
    seed_all,
)
from mixedopt.torch.data import TensorData, augment_crop_flip, load_data
from mixedopt.torch.distributed import (
    DistInfo,
    all_reduce_sum,
    average_buffers,
    init_distributed,
)
from mixedopt.torch.export import atomic_torch_save
from mixedopt.torch.models import build_model

__all__ = [
    "PRESETS",
    "FitResult",
    "Preset",
    "TrainConfig",
    "evaluate",
    "fit",
    "load_checkpoint",
    "resolve_device",
    "resolve_settings",
    "seed_all",
]

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "mixedopt.torch.checkpoint"


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
    check_config(cfg)
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
            _check_resume_options(cfg.resume, spec["name"], spec_opts, cfg.model_options)
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
    opt = make_optimizer(model, settings)
    sched = make_scheduler(opt, settings, cfg.epochs)
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
                    if cfg.capture_steps and step % cfg.capture_steps == 0:
                        capture.record(step=step, epoch=epoch + (b + 1 == n_batches))
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
            average_buffers(base, info)
            # the unwrapped model: a DDP forward may run collectives, and the shards can
            # need different numbers of evaluation batches
            test_loss, test_acc = evaluate(
                base, data.X_test, data.y_test, cfg.eval_batch_size, info
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
                due = (epoch + 1) % cfg.capture_every == 0 or epoch + 1 == cfg.epochs
                if due and capture.snapshots[-1]["step"] != step:
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
    if info.enabled:
        # free the DDP wrapper now: its reducer sits in reference cycles that otherwise
        # survive to interpreter shutdown, where destroying it aborted the process
        # ("terminate called without an active exception", exit -6) in about 1 of 8 runs
        model = opt = sched = None
        gc.collect()
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


def _check_resume_options(
    path: str | None, name: str, saved: dict[str, Any], asked: dict[str, Any]
) -> None:
    """Refuse model options (``--option hidden=128``) that contradict the checkpoint being
    resumed: its architecture is rebuilt from the checkpoint, so a changed width would be
    silently ignored. An option the checkpoint does not record is compared with the
    model's default."""
    import inspect

    from mixedopt.torch.models import MODELS

    def norm(v: Any) -> Any:
        return [norm(x) for x in v] if isinstance(v, (list, tuple)) else v

    params = inspect.signature(MODELS[name]).parameters if name in MODELS else {}
    diffs = []
    for key, value in asked.items():
        if key in saved:
            before = saved[key]
        elif key in params and params[key].default is not inspect.Parameter.empty:
            before = params[key].default
        else:
            diffs.append(f"{key}={norm(value)!r} (the checkpoint's {name} has no such option)")
            continue
        if norm(before) != norm(value):
            diffs.append(f"{key}={norm(value)!r} but the checkpoint has {norm(before)!r}")
    if diffs:
        raise ValidationError(
            f"resuming {path!r}: the model options contradict the checkpoint: "
            + "; ".join(diffs)
            + ". A resumed run continues the checkpoint's model; drop those options "
            "(--option), or train a new model without --resume."
        )
