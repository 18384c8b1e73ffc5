"""Multi-node training through Ray Train: :func:`fit_ray` runs :func:`~mixedopt.torch.fit` on
``num_workers`` Ray workers.

Ray Train's ``TorchTrainer`` starts one worker process per replica (one GPU each with
``use_gpu=True``) and initialises the torch process group before the training function runs
(``gloo`` on CPU, ``nccl`` on GPU). Every worker then calls the same :func:`fit` as under
``torchrun``, which finds that group already initialised (:mod:`mixedopt.torch.distributed`)
and trains data-parallel exactly as DDP does there: ``batch_size`` is the total batch, each
worker takes a strided share of every global batch, DDP averages the gradients, evaluation
is all-reduced. So the checkpoints are the same files: rank 0 writes ``checkpoint`` (and
``metrics``) after every epoch, and ``resume`` continues from any checkpoint, whether a
single process, torchrun or Ray wrote it.

Paths (``checkpoint``, ``resume``, ``metrics``, ``data_dir``, a table ``data`` file) are
made absolute here, because Ray workers run in their own working directory; on a cluster of
several machines they must name storage every node can read (rank 0, which writes the
checkpoint, may run on any node). Ray itself comes through
:mod:`mixedopt.executors.ray_train` (the executor layer is the only one that imports Ray);
without it the call ends with an error naming ``pip install 'mixedopt[ray]'``.

Examples
--------
>>> from mixedopt.torch import fit_ray
>>> res = fit_ray(model="mlp", data="digits", epochs=2, batch_size=64,
...               num_workers=2)                         # doctest: +SKIP
>>> res.world_size, round(res.final["test_acc"], 2)      # doctest: +SKIP
(2, 0.93)
"""

from __future__ import annotations

import dataclasses
import logging
import os
import queue as _pyqueue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from mixedopt.errors import Error, SolverError, ValidationError
from mixedopt.executors.ray_train import RayTrainModules, connect, require_ray_train
from mixedopt.torch.config import TrainConfig, check_config, resolve_settings
from mixedopt.torch.data import TensorData
from mixedopt.torch.models import build_model
from mixedopt.torch.train import FitResult, fit

__all__ = ["fit_ray"]

logger = logging.getLogger(__name__)

#: step events are sent to the driver in batches at most this often (seconds)
STEP_FLUSH_S = 0.25
_PATH_FIELDS = ("checkpoint", "resume", "metrics", "data_dir")


def fit_ray(
    config: TrainConfig | None = None,
    *,
    num_workers: int = 2,
    use_gpu: bool = False,
    address: str | None = None,
    cpus_per_worker: int = 1,
    storage_path: str | None = None,
    data: TensorData | None = None,
    callback: Callable[[dict[str, Any]], None] | None = None,
    **overrides: Any,
) -> FitResult:
    """Train with :func:`~mixedopt.torch.fit` on ``num_workers`` Ray Train workers (DDP).

    Parameters
    ----------
    config : TrainConfig, optional
        The settings, as for :func:`fit`; keyword ``overrides`` replace its fields.
        ``batch_size`` is the total batch over the workers (divisible by ``num_workers``).
        ``device="auto"`` becomes ``"cuda"`` with ``use_gpu`` and ``"cpu"`` without.
    num_workers : int, default 2
        Training processes (replicas).
    use_gpu : bool, default False
        One GPU per worker and the ``nccl`` backend; otherwise CPU workers with ``gloo``.
    address : str, optional
        An existing Ray cluster (``"auto"``, ``"ray://head:10001"``). Default: the cluster
        this process is connected to, or a new local one with
        ``num_workers * cpus_per_worker`` CPUs, shut down again at the end.
    cpus_per_worker : int, default 1
        CPUs reserved per worker; also its torch thread count.
    storage_path : str, optional
        Where Ray Train keeps its own run records (default: a temporary folder, removed at
        the end, for a local cluster; Ray's default for ``address``). mixedopt's
        checkpoints go to ``checkpoint`` as always.
    data : TensorData, optional
        Pre-loaded data, sent to every worker (default: each worker loads ``config.data``).
    callback : callable, optional
        Receives rank 0's progress events (as :func:`fit`'s callback) in this process, in
        order; ``"step"`` events arrive in batches (every ``STEP_FLUSH_S`` seconds).

    Returns
    -------
    FitResult
        Rank 0's result; ``model`` rebuilt here on the CPU with the trained weights,
        ``world_size`` the number of workers.

    Raises
    ------
    ValidationError
        Bad settings (checked here, before any worker starts).
    SolverUnavailableError
        Ray or Ray Train is not installed (the message names ``mixedopt[ray]``).
    SolverError
        A worker failed; a mixedopt error raised in a worker (a bad ``resume`` file, bad
        data) is raised here as itself.
    """
    if isinstance(data, (str, os.PathLike)):
        overrides["data"], data = os.fspath(data), None
    cfg = dataclasses.replace(config or TrainConfig(), **overrides)
    check_config(cfg)
    for name, value in (("num_workers", num_workers), ("cpus_per_worker", cpus_per_worker)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValidationError(f"{name} must be a positive integer, got {value!r}.")
    if not isinstance(use_gpu, bool):
        raise ValidationError(f"use_gpu must be True or False, got {use_gpu!r}.")
    cfg = _for_workers(cfg, use_gpu)
    batch = resolve_settings(cfg)["batch_size"]
    if batch % num_workers:
        raise ValidationError(
            f"batch_size {batch} must be divisible by num_workers={num_workers} (it is the "
            "total batch over the workers)."
        )
    mods = require_ray_train()
    cluster = connect(address=address, num_cpus=num_workers * cpus_per_worker)
    tmp = None
    if storage_path is None and address is None:
        tmp = tempfile.mkdtemp(prefix="mixedopt-raytrain-")
        storage_path = tmp
    try:
        return _run(mods, cfg, data, callback, num_workers, use_gpu, cpus_per_worker, storage_path)
    finally:
        cluster.close()  # shuts down a local cluster started here, nothing else
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _for_workers(cfg: TrainConfig, use_gpu: bool) -> TrainConfig:
    """The config as the workers need it: absolute paths and the device Ray gives them."""
    changes: dict[str, Any] = {}
    for name in _PATH_FIELDS:
        value = getattr(cfg, name)
        if value is not None:
            changes[name] = os.path.abspath(os.fspath(value))
    if isinstance(cfg.data, str) and os.path.exists(cfg.data):  # a table file
        changes["data"] = os.path.abspath(cfg.data)
    device = str(cfg.device).strip().lower()
    if device == "auto":
        changes["device"] = "cuda" if use_gpu else "cpu"
    elif device.startswith("cuda") and not use_gpu:
        raise ValidationError(
            f"device={cfg.device!r} needs GPU workers: pass use_gpu=True (--ray-gpu), or "
            "device='cpu'."
        )
    elif device == "cpu" and use_gpu:
        raise ValidationError("use_gpu=True trains on the workers' GPUs: use device='auto'.")
    elif device.startswith("cuda"):
        changes["device"] = "cuda"  # each worker's own GPU (by its local rank)
    return dataclasses.replace(cfg, **changes)


def _run(
    mods: RayTrainModules,
    cfg: TrainConfig,
    data: TensorData | None,
    callback: Callable[[dict[str, Any]], None] | None,
    num_workers: int,
    use_gpu: bool,
    cpus_per_worker: int,
    storage_path: str | None,
) -> FitResult:
    events = mods.queue.Queue()
    loop_config = {
        "config": cfg,
        "data": data,
        "events": events,
        "threads": cpus_per_worker,
        "send_steps": callback is not None,
    }
    trainer = mods.torch.TorchTrainer(
        _train_worker,
        train_loop_config=loop_config,
        scaling_config=mods.train.ScalingConfig(
            num_workers=num_workers,
            use_gpu=use_gpu,
            resources_per_worker={"CPU": cpus_per_worker, **({"GPU": 1} if use_gpu else {})},
        ),
        run_config=mods.train.RunConfig(
            name=f"mixedopt-{cfg.model}-{os.getpid()}-{int(time.time())}",
            storage_path=storage_path,
        ),
    )
    drained: list[Any] = []
    stop = threading.Event()

    def drain() -> None:
        # rank 0's events, handed to the callback in order while training runs
        while True:
            try:
                item = events.get(timeout=0.2)
            except (mods.queue.Empty, _pyqueue.Empty):
                if stop.is_set() and events.empty():
                    return
                continue
            kind, payload = item
            if kind == "events":
                for ev in payload:
                    if callback is not None:
                        callback(ev)
            else:
                drained.append(payload)

    reader = threading.Thread(target=drain, name="mixedopt-raytrain-events", daemon=True)
    reader.start()
    failure: BaseException | None = None
    try:
        trainer.fit()
    except Exception as exc:
        failure = exc
    finally:
        stop.set()
        reader.join()
        events.shutdown()
    if failure is not None:
        raise _worker_error(failure) from failure
    if not drained:
        raise SolverError("Ray Train finished but rank 0 sent no result; see the Ray logs.")
    return _result(drained[-1], cfg, num_workers)


def _worker_error(exc: BaseException) -> BaseException:
    """The mixedopt error a worker raised (a bad resume file, bad data), else a SolverError."""
    seen: list[BaseException] = [exc]
    for attr in ("worker_failures", "errors"):
        extra = getattr(exc, attr, None)
        if isinstance(extra, dict):
            seen.extend(e for e in extra.values() if isinstance(e, BaseException))
    while seen:
        err = seen.pop(0)
        if isinstance(err, Error):
            return err
        for attr in ("cause", "__cause__", "__context__"):
            nxt = getattr(err, attr, None)
            if isinstance(nxt, BaseException) and nxt not in seen:
                seen.append(nxt)
    return SolverError(f"Ray Train failed: {type(exc).__name__}: {exc}")


def _result(payload: dict[str, Any], cfg: TrainConfig, world: int) -> FitResult:
    spec = payload["spec"]
    model = build_model(
        spec["name"],
        activation=spec["activation"],
        rule=spec["rule"] or "soft-hinge",
        num_classes=spec["num_classes"],
        in_channels=spec["in_channels"],
        input_size=tuple(spec["input_size"]),
        **dict(spec.get("options", {})),
    )
    model.load_state_dict(payload["state"])
    doc = payload["result"]
    return FitResult(
        model=model,
        history=doc["history"],
        final=doc["final"],
        settings=doc["settings"],
        config=cfg,
        interrupted=doc["interrupted"],
        world_size=world,
    )


def _train_worker(loop: dict[str, Any]) -> None:
    """One Ray Train worker: :func:`fit` inside the process group Ray initialised."""
    mods = require_ray_train()
    torch.set_num_threads(int(loop["threads"]))
    rank = mods.train.get_context().get_world_rank()
    cfg: TrainConfig = loop["config"]
    if cfg.device.startswith("cuda"):
        # fit picks cuda:<LOCAL_RANK>; point it at the GPU Ray gave this worker
        os.environ["LOCAL_RANK"] = str(mods.torch.get_device().index or 0)
    events = loop["events"]
    pending: list[dict[str, Any]] = []
    last = [time.monotonic()]

    def emit(ev: dict[str, Any]) -> None:
        if rank != 0:
            return
        if ev["event"] == "step" and not loop["send_steps"]:
            return
        pending.append(ev)
        now = time.monotonic()
        if ev["event"] != "step" or now - last[0] >= STEP_FLUSH_S:
            events.put(("events", list(pending)))
            pending.clear()
            last[0] = now

    res = fit(cfg, data=loop["data"], callback=emit)
    if rank == 0:
        if pending:
            events.put(("events", list(pending)))
        model: nn.Module = res.model
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        events.put(("result", {"spec": model.spec, "state": state, "result": res.to_dict()}))
    final = {k: v for k, v in res.final.items() if isinstance(v, (int, float))}
    mods.train.report(final)
