"""The executor interface and the in-process executor.

An :class:`Executor` maps a picklable function over items (results in input order) and can
``submit`` single calls whose futures are collected with :meth:`Executor.wait_any`; that is
all the engine, the ensembles and the benchmark scripts need. Backends: ``"serial"`` (this
process; the default) and ``"ray"`` (:mod:`mixedopt.executors.ray_backend`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mixedopt.errors import ValidationError

__all__ = [
    "EXECUTORS",
    "Executor",
    "SerialExecutor",
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
