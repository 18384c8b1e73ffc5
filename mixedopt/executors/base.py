"""The executor interface and the in-process executor.

An :class:`Executor` maps a picklable function over items (results in input order) and can
``submit`` single calls whose futures are collected with :meth:`Executor.wait_any`; that is
all the engine, the ensembles and the benchmark scripts need. Backends: ``"serial"`` (this
process; the default) and ``"ray"`` (:mod:`mixedopt.executors.ray_backend`).

A parallel search also shares state between its calls: :meth:`Executor.put` stores a large
argument once (Ray's object store; here: the object itself), and :meth:`Executor.incumbent`
gives a :class:`SharedIncumbent`, the best value found anywhere with its payload, a stop
flag and requests for work (a Ray actor; here: :class:`LocalIncumbent`). A call lost with
its worker raises :class:`WorkerLost` from :meth:`Executor.result`, so that the caller can
run it again instead of mistaking the loss for a result.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mixedopt.errors import Error, ValidationError

__all__ = [
    "EXECUTORS",
    "Executor",
    "LocalIncumbent",
    "SerialExecutor",
    "SharedIncumbent",
    "WorkerLost",
    "check_n_jobs",
    "resolve_executor",
]

#: the executor names ``executor=`` accepts
EXECUTORS = ("serial", "ray")


def check_n_jobs(n_jobs: Any) -> int:
    """``n_jobs`` as a worker count: a positive int, or ``-1`` for every core here.

    >>> check_n_jobs(2), check_n_jobs(-1) >= 1
    (2, True)
    """
    if isinstance(n_jobs, bool) or not hasattr(n_jobs, "__index__"):
        raise ValidationError(f"n_jobs must be a positive int or -1, got {n_jobs!r}.")
    n = int(n_jobs)
    if n == -1:
        return max(1, os.cpu_count() or 1)
    if n < 1:
        raise ValidationError(f"n_jobs must be a positive int or -1, got {n_jobs!r}.")
    return n


def resolve_executor(executor: str | None, n_jobs: Any = 1, address: str | None = None) -> str:
    """The executor name for these settings: ``None`` means ``"serial"`` for one job and
    ``"ray"`` for more (or when ``address`` is given).

    >>> resolve_executor(None, 1), resolve_executor(None, 2), resolve_executor("serial", 1)
    ('serial', 'ray', 'serial')
    """
    n = check_n_jobs(n_jobs)
    if address is not None and not isinstance(address, str):
        raise ValidationError(f"address must be a Ray address string or None, got {address!r}.")
    if executor is None:
        return "ray" if (n > 1 or address is not None) else "serial"
    if executor not in EXECUTORS:
        raise ValidationError(
            f"executor must be one of {', '.join(map(repr, EXECUTORS))} or None, got {executor!r}."
        )
    if executor == "serial" and n > 1:
        raise ValidationError(
            f"executor='serial' runs one job at a time, got n_jobs={n}: use executor='ray' "
            "(pip install 'mixedopt[ray]') or n_jobs=1."
        )
    if executor == "serial" and address is not None:
        raise ValidationError("address= names a Ray cluster: use executor='ray' with it.")
    return executor


class WorkerLost(Error, RuntimeError):
    """A call's worker died (killed, out of memory, node lost) before it returned: the call
    produced no result and may be run again."""


class SharedIncumbent:
    """The best (smallest) value found by any worker, with its payload, plus a stop flag
    and a count of parts of work wanted by idle workers; shared by the calls of one run.

    Every method is one round trip (a Ray actor call on a cluster); workers poll it every
    fraction of a second, not in inner loops. Subclasses: :class:`LocalIncumbent` (this
    process) and the Ray actor of :mod:`mixedopt.executors.ray_backend`.
    """

    def offer(self, value: float, payload: Any = None) -> bool:
        """Keep ``(value, payload)`` if ``value`` is smaller than the best; True if kept."""
        raise NotImplementedError

    def get(self) -> tuple[float, Any]:
        """``(best value, its payload)``; ``(inf, None)`` before any offer."""
        raise NotImplementedError

    def poll(self) -> tuple[float, bool, int]:
        """``(best value, stop requested, parts of work wanted)`` in one round trip."""
        raise NotImplementedError

    def poll_latest(self, max_age: float = 0.3) -> tuple[float, bool, int]:
        """Like :meth:`poll`, without waiting when called often: the latest answer
        received while a fresh one is on its way; an answer older than ``max_age``
        seconds (or none yet) is waited for. Workers call this every tenth of a second,
        so that a slow board (a busy machine) does not stall them; here: :meth:`poll`."""
        return self.poll()

    def stop(self) -> None:
        """Ask every worker to stop (the time limit or Ctrl-C of the whole run)."""
        raise NotImplementedError

    def want(self, parts: int) -> None:
        """Ask running workers to give back this many parts of their work (0: none)."""
        raise NotImplementedError

    def claim(self) -> bool:
        """A worker takes one request of :meth:`want`; True if one was left."""
        raise NotImplementedError


class LocalIncumbent(SharedIncumbent):
    """A :class:`SharedIncumbent` in this process (thread-safe).

    >>> board = LocalIncumbent(10)
    >>> board.offer(7, "net"), board.offer(8, "worse"), board.get()
    (True, False, (7, 'net'))
    >>> board.want(1); board.poll(), board.claim(), board.claim()
    ((7, False, 1), True, False)
    """

    def __init__(self, value: float = math.inf, payload: Any = None) -> None:
        self._lock = threading.Lock()
        self._value = value
        self._payload = payload
        self._stop = False
        self._wanted = 0

    def offer(self, value: float, payload: Any = None) -> bool:
        with self._lock:
            if value < self._value:
                self._value, self._payload = value, payload
                return True
            return False

    def get(self) -> tuple[float, Any]:
        with self._lock:
            return self._value, self._payload

    def poll(self) -> tuple[float, bool, int]:
        with self._lock:
            return self._value, self._stop, self._wanted

    def stop(self) -> None:
        with self._lock:
            self._stop = True

    def want(self, parts: int) -> None:
        with self._lock:
            self._wanted = max(0, int(parts))

    def claim(self) -> bool:
        with self._lock:
            if self._wanted > 0:
                self._wanted -= 1
                return True
            return False


class Executor:
    """Runs independent calls; a context manager (``close`` on exit).

    Subclasses implement :meth:`submit`, :meth:`result`, :meth:`wait_any` and :meth:`cancel`.
    """

    #: registry name
    name: str = "base"
    #: how many calls run at once
    n_workers: int = 1

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Start ``fn(*args, **kwargs)``; returns a future for :meth:`result`."""
        raise NotImplementedError

    def result(self, future: Any, timeout: float | None = None) -> Any:
        """The value of ``future`` (re-raises the call's exception)."""
        raise NotImplementedError

    def wait_any(
        self, futures: Sequence[Any], timeout: float | None = None
    ) -> tuple[list[Any], list[Any]]:
        """``(done, pending)``: at least one done future unless ``timeout`` passed first."""
        raise NotImplementedError

    def cancel(self, future: Any) -> None:
        """Stop a running call if the backend can (best effort)."""

    def put(self, value: Any) -> Any:
        """Store ``value`` once for many calls; pass the returned reference as a
        top-level argument of :meth:`submit` (each call receives the value)."""
        return value

    def incumbent(self, value: float = math.inf, payload: Any = None) -> SharedIncumbent:
        """A new :class:`SharedIncumbent` starting at ``(value, payload)``, reachable from
        every call that receives it as an argument."""
        return LocalIncumbent(value, payload)

    def start(self) -> None:
        """Connect now (a Ray cluster) instead of at the first call."""

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """``[fn(item) for item in items]``, run on the workers, results in input order."""
        futures = [self.submit(fn, item) for item in items]
        return [self.result(f) for f in futures]

    def close(self) -> None:
        """Release what the executor holds (a local Ray cluster it started)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class _Done:
    """A finished serial call: its value or its exception."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self.value = value
        self.error = error


class SerialExecutor(Executor):
    """Runs every call at once, in this process (``submit`` returns a finished future).

    >>> ex = SerialExecutor()
    >>> ex.result(ex.submit(pow, 2, 10))
    1024
    """

    name = "serial"
    n_workers = 1

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> _Done:
        try:
            return _Done(fn(*args, **kwargs))
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            return _Done(error=exc)

    def result(self, future: Any, timeout: float | None = None) -> Any:
        if future.error is not None:
            raise future.error
        return future.value

    def wait_any(
        self, futures: Sequence[Any], timeout: float | None = None
    ) -> tuple[list[Any], list[Any]]:
        return list(futures), []
