"""Multi-process data parallelism (DDP) for the trainer.

Start one process per device with ``torchrun``; every process runs the same command::

    torchrun --standalone --nproc_per_node 2 -m mixedopt.cli torch-train --model mlp ...

:func:`mixedopt.torch.fit` sees ``WORLD_SIZE > 1`` in the environment and joins the group
(``gloo`` on CPU, ``nccl`` on CUDA, one GPU per process by ``LOCAL_RANK``), or uses a group
the caller already initialised. ``batch_size`` is the **total** batch: each of the ``W``
processes takes ``batch_size / W`` examples of the same shuffled global batch, and DDP
averages the gradients, so without batch norm a W-process run follows the same trajectory
as one process (up to floating-point summation order). Only rank 0 writes checkpoints,
metrics and progress. Batch-norm batch statistics are per process unless ``sync_bn=True``;
the running statistics are averaged over the processes at the end of every epoch.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from mixedopt.errors import ValidationError

__all__ = ["DistInfo", "all_reduce_sum", "average_buffers", "init_distributed"]

logger = logging.getLogger(__name__)


@dataclass
class DistInfo:
    """Where this process stands: ``world`` processes, this one is ``rank``."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device_type: str) -> DistInfo:
    """Join (or reuse) a process group when running under ``torchrun``.

    A group created here lives until the process exits (destroyed by an ``atexit`` hook),
    so several :func:`~mixedopt.torch.fit` calls in one torchrun process share it.
    """
    if not dist.is_available():
        return DistInfo()
    if dist.is_initialized():
        return DistInfo(
            dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0))
        )
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    backend = "nccl" if device_type == "cuda" else "gloo"
    if backend == "nccl" and not dist.is_nccl_available():
        raise ValidationError(
            "CUDA DDP needs NCCL, which this torch build lacks; use --device cpu."
        )
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device_type == "cuda":
        torch.cuda.set_device(local)
    dist.init_process_group(backend=backend)
    # keep the group for the life of the process (later fits reuse it; re-initialising a
    # torchrun group after destroying it hangs) and close it cleanly at exit
    atexit.register(_destroy)
    info = DistInfo(dist.get_rank(), dist.get_world_size(), local)
    logger.info("joined a %s process group: rank %d of %d", backend, info.rank, info.world)
    return info


def _destroy() -> None:
    if dist.is_initialized():
        # every rank reaches exit before any tears its connections down: a rank that
        # destroyed the group while a peer was still closing aborted the peer's gloo
        # threads ("terminate called without an active exception", exit code -6)
        with contextlib.suppress(Exception):
            dist.barrier()
        dist.destroy_process_group()


def all_reduce_sum(t: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """Sum a tensor over the processes (a no-op for one process)."""
    if info.enabled:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def average_buffers(model: torch.nn.Module, info: DistInfo) -> None:
    """Average floating-point buffers (BN running statistics) over the processes.

    DDP broadcasts rank 0's buffers before each forward, but the last training step updates
    them locally; averaging before evaluation and checkpoints keeps the replicas identical and
    uses every process's data. Integer buffers (``num_batches_tracked``) are equal already.
    """
    if not info.enabled:
        return
    for buf in model.buffers():
        if buf.is_floating_point():
            dist.all_reduce(buf, op=dist.ReduceOp.SUM)
            buf.div_(info.world)
