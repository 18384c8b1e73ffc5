"""The Ray executor: the one module of mixedopt that imports Ray.

A local cluster is started on first use (``ray.init(num_cpus=n_jobs)``) and shut down by
:meth:`RayExecutor.close`; with ``address=`` an existing cluster is joined and left running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from mixedopt.errors import SolverUnavailableError
from mixedopt.executors.base import Executor

__all__ = ["RayExecutor", "require_ray"]

logger = logging.getLogger("mixedopt.executors")

#: the extra that installs Ray
EXTRA_HINT = "pip install 'mixedopt[ray]'"


def require_ray() -> ModuleType:
    """The ``ray`` module, or a clear error naming the extra.

    Raises
    ------
    SolverUnavailableError
        Ray is not installed.
    """
    try:
        import ray
    except ImportError as exc:
        raise SolverUnavailableError(
            f"executor='ray' needs Ray, which is not installed: {EXTRA_HINT}"
        ) from exc
    return ray


def _call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The one remote function: calls ``fn`` (any picklable callable, builtins included)."""
    return fn(*args, **kwargs)


class RayExecutor(Executor):
    """Runs calls as Ray tasks (one CPU each), at most ``n_jobs`` at once per :meth:`map`.

    Parameters
    ----------
    n_jobs : int
        CPUs of the local cluster this executor starts (ignored when joining ``address``,
        where it bounds the calls :meth:`map` keeps in flight).
    address : str, optional
        An existing cluster; default: a new local one.
    """

    name = "ray"

    def __init__(self, *, n_jobs: int = 2, address: str | None = None) -> None:
        self.n_workers = int(n_jobs)
        self.address = address
        self._started = False
        self._remote: dict[Any, Any] = {}

    # -- cluster -----------------------------------------------------------------------
    def ray(self) -> ModuleType:
        """The ``ray`` module, connected (starting a local cluster if none is up)."""
        ray = require_ray()
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": logging.WARNING,
            }
            if self.address is not None:
                ray.init(address=self.address, **kwargs)
            else:
                ray.init(num_cpus=self.n_workers, **kwargs)
                self._started = True
            logger.info("ray: connected (%s)", self.address or f"local, {self.n_workers} CPUs")
        return ray

    def close(self) -> None:
        if self._started:
            ray = require_ray()
            if ray.is_initialized():
                ray.shutdown()
            self._started = False
        self._remote.clear()

    # -- calls -------------------------------------------------------------------------
    def _task(self) -> Any:
        task = self._remote.get("call")
        if task is None:
            task = self.ray().remote(num_cpus=1, max_retries=0)(_call)
            self._remote["call"] = task
        return task

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self._task().remote(fn, args, kwargs)

    def result(self, future: Any, timeout: float | None = None) -> Any:
        return self.ray().get(future, timeout=timeout)

    def wait_any(
        self, futures: Sequence[Any], timeout: float | None = None
    ) -> tuple[list[Any], list[Any]]:
        done, pending = self.ray().wait(list(futures), num_returns=1, timeout=timeout)
        return list(done), list(pending)

    def cancel(self, future: Any) -> None:
        try:
            self.ray().cancel(future, force=True)
        except Exception:  # pragma: no cover - already finished or gone
            logger.debug("ray: cancel failed", exc_info=True)
