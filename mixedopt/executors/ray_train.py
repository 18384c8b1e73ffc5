"""Ray Train for the torch backend: the modules :func:`mixedopt.torch.fit_ray` needs.

Only the executor layer imports Ray; :mod:`mixedopt.torch` gets ``ray``, ``ray.train``,
``ray.train.torch`` and ``ray.util.queue`` through :func:`require_ray_train`, so a missing
Ray (or a Ray without its ``train`` extra) ends with one clear error naming
``pip install 'mixedopt[ray]'``. This module imports neither torch nor the rest of mixedopt.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from mixedopt.errors import SolverUnavailableError
from mixedopt.executors.ray_backend import EXTRA_HINT, RayExecutor, require_ray

__all__ = ["RayTrainModules", "connect", "require_ray_train"]


@dataclass(frozen=True)
class RayTrainModules:
    """The Ray modules of distributed torch training.

    Attributes
    ----------
    ray : module
        ``ray`` (``init``, ``is_initialized``, ``shutdown``).
    train : module
        ``ray.train`` (``ScalingConfig``, ``RunConfig``, ``report``, ``get_context``).
    torch : module
        ``ray.train.torch`` (``TorchTrainer``, ``TorchConfig``).
    queue : module
        ``ray.util.queue`` (``Queue``, ``Empty``): progress events from the workers.
    """

    ray: ModuleType
    train: ModuleType
    torch: ModuleType
    queue: ModuleType


def require_ray_train() -> RayTrainModules:
    """``ray``, ``ray.train``, ``ray.train.torch`` and ``ray.util.queue``, or a clear error.

    Raises
    ------
    SolverUnavailableError
        Ray, its ``train`` extra or torch is not installed; the message names
        ``pip install 'mixedopt[ray]'``.

    Examples
    --------
    >>> mods = require_ray_train()   # doctest: +SKIP
    >>> mods.torch.TorchTrainer      # doctest: +SKIP
    <class 'ray.train.v2.torch.torch_trainer.TorchTrainer'>
    """
    ray = require_ray()
    try:
        import ray.train as train
        import ray.train.torch as train_torch
        import ray.util.queue as queue
    except ImportError as exc:
        raise SolverUnavailableError(
            f"Ray Train (ray[train], with torch) is not installed or failed to import ({exc}): "
            f"{EXTRA_HINT}"
        ) from exc
    return RayTrainModules(ray=ray, train=train, torch=train_torch, queue=queue)


def connect(*, address: str | None, num_cpus: int) -> RayExecutor:
    """Connect this process to Ray, as :class:`~mixedopt.executors.ray_backend.RayExecutor`
    does: the cluster at ``address``, the one this process is already connected to, or a
    new local one with ``num_cpus`` CPUs.

    Returns
    -------
    RayExecutor
        Holds the connection: its ``close()`` shuts down a local cluster it started and
        leaves any other running.
    """
    ex = RayExecutor(n_jobs=num_cpus, address=address)
    ex.ray()
    return ex
