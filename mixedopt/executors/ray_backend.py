"""The Ray executor: the one module of mixedopt that imports Ray.

A local cluster is started on first use (``ray.init(num_cpus=n_jobs)``, workers at the
caller's priority: :data:`WORKER_NICENESS`) and shut down by
:meth:`RayExecutor.close`; with ``address=`` an existing cluster is joined and left running
(as is a cluster this process had already connected to). Calls are Ray tasks of one CPU,
never retried by Ray (a lost call raises :class:`~mixedopt.executors.base.WorkerLost`, and
the caller decides); :meth:`RayExecutor.incumbent` is a small actor (no CPU reserved).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from mixedopt.errors import SolverUnavailableError
from mixedopt.executors.base import Executor, SharedIncumbent, WorkerLost

__all__ = ["RayExecutor", "RayIncumbent", "require_ray"]

logger = logging.getLogger("mixedopt.executors")

#: the extra that installs Ray
EXTRA_HINT = "pip install 'mixedopt[ray]'"
#: niceness of the worker processes of a local cluster started here. Ray's default (15)
#: puts the workers below every ordinary process: on a busy machine two workers got less
#: CPU together than the one process they were meant to beat. 0 is the caller's priority.
#: A cluster joined by address keeps its own setting.
WORKER_NICENESS = 0


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


def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The one remote function: calls ``fn`` (any picklable callable, builtins included).
    Arguments are passed at the top level, so that object references from
    :meth:`RayExecutor.put` arrive as their values."""
    return fn(*args, **kwargs)


def _lost_errors(ray: ModuleType) -> tuple[type[BaseException], ...]:
    """Ray's exceptions for a call that died with its worker, node or object."""
    names = (
        "WorkerCrashedError",
        "NodeDiedError",
        "LocalRayletDiedError",
        "ObjectLostError",
        "OwnerDiedError",
        "OutOfMemoryError",
        "TaskCancelledError",
        "ActorDiedError",
        "ActorUnavailableError",
    )
    return tuple(getattr(ray.exceptions, n) for n in names if hasattr(ray.exceptions, n))


class _Board:
    """The actor behind :class:`RayIncumbent` (methods run one at a time)."""

    def __init__(self, value: float, payload: Any) -> None:
        self.value, self.payload = value, payload
        self.stopped = False
        self.wanted = 0

    def offer(self, value: float, payload: Any) -> bool:
        if value < self.value:
            self.value, self.payload = value, payload
            return True
        return False

    def get(self) -> tuple[float, Any]:
        return self.value, self.payload

    def poll(self) -> tuple[float, bool, int]:
        return self.value, self.stopped, self.wanted

    def stop(self) -> None:
        self.stopped = True

    def want(self, parts: int) -> None:
        self.wanted = max(0, int(parts))

    def claim(self) -> bool:
        if self.wanted > 0:
            self.wanted -= 1
            return True
        return False


class RayIncumbent(SharedIncumbent):
    """A :class:`~mixedopt.executors.base.SharedIncumbent` held by a Ray actor; picklable,
    so that tasks receive it as an argument. Each method waits for the actor's answer (a
    net offered is stored before the worker goes on, so a worker that dies later loses
    nothing it shared)."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self._pending: Any = None
        self._pending_t = 0.0
        self._last: tuple[float, bool, int] | None = None
        self._last_t = 0.0

    def __getstate__(self) -> dict[str, Any]:
        return {"actor": self.actor}  # no request in flight travels with a copy

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["actor"])  # type: ignore[misc]

    def _get(self, ref: Any) -> Any:
        return require_ray().get(ref)

    def poll_latest(self, max_age: float = 0.3) -> tuple[float, bool, int]:
        ray = require_ray()
        now = time.perf_counter()
        if self._pending is not None:
            ready, _ = ray.wait([self._pending], timeout=0)
            if ready:
                self._last = tuple(ray.get(self._pending))  # type: ignore[assignment]
                self._last_t, self._pending = self._pending_t, None
        if self._last is None or now - self._last_t > max_age:
            # polled rarely (a long stretch of work between checks): an answer asked for
            # at the last check would be as old, so ask now and wait (one round trip)
            self._last = tuple(ray.get(self.actor.poll.remote()))  # type: ignore[assignment]
            self._last_t, self._pending = now, None
        elif self._pending is None:
            self._pending, self._pending_t = self.actor.poll.remote(), now
        assert self._last is not None
        return self._last

    def offer(self, value: float, payload: Any = None) -> bool:
        return bool(self._get(self.actor.offer.remote(value, payload)))

    def get(self) -> tuple[float, Any]:
        return tuple(self._get(self.actor.get.remote()))  # type: ignore[return-value]

    def poll(self) -> tuple[float, bool, int]:
        return tuple(self._get(self.actor.poll.remote()))  # type: ignore[return-value]

    def stop(self) -> None:
        self._get(self.actor.stop.remote())

    def want(self, parts: int) -> None:
        self._get(self.actor.want.remote(parts))

    def claim(self) -> bool:
        return bool(self._get(self.actor.claim.remote()))

    def kill(self) -> None:
        """End the actor (the run is over)."""
        try:
            require_ray().kill(self.actor)
        except Exception:  # pragma: no cover - already gone
            logger.debug("ray: could not kill the incumbent actor", exc_info=True)


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
        self._boards: list[RayIncumbent] = []

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
                ray.init(
                    num_cpus=self.n_workers,
                    _system_config={"worker_niceness": WORKER_NICENESS},
                    **kwargs,
                )
                self._started = True
            logger.info("ray: connected (%s)", self.address or f"local, {self.n_workers} CPUs")
        return ray

    def start(self) -> None:
        self.ray()

    def close(self) -> None:
        for board in self._boards:
            board.kill()
        self._boards.clear()
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
        return self._task().remote(fn, *args, **kwargs)

    def result(self, future: Any, timeout: float | None = None) -> Any:
        ray = self.ray()
        try:
            return ray.get(future, timeout=timeout)
        except _lost_errors(ray) as exc:
            raise WorkerLost(f"a Ray worker was lost: {type(exc).__name__}: {exc}") from exc

    def put(self, value: Any) -> Any:
        return self.ray().put(value)

    def incumbent(self, value: float = math.inf, payload: Any = None) -> RayIncumbent:
        actor = self._remote.get("board")
        if actor is None:
            actor = self.ray().remote(num_cpus=0, max_restarts=0)(_Board)
            self._remote["board"] = actor
        board = RayIncumbent(actor.remote(value, payload))
        self._boards.append(board)
        return board

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
