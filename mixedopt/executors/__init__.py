"""Executors: where independent pieces of work run (this process, or a Ray cluster).

The default is :class:`SerialExecutor`: everything in this process, Ray never imported.
``get_executor("ray", n_jobs=N, address=...)`` gives a
:class:`~mixedopt.executors.ray_backend.RayExecutor` (a local cluster started on first
use, or an existing one by address). Only this package imports Ray; a missing Ray gives
:class:`~mixedopt.errors.SolverUnavailableError` naming the ``mixedopt[ray]`` extra.

>>> from mixedopt.executors import get_executor
>>> with get_executor() as ex:
...     ex.map(abs, [-1, 2, -3])
[1, 2, 3]
"""

import importlib.util
from typing import Any

from mixedopt.errors import SolverUnavailableError
from mixedopt.executors.base import (
    EXECUTORS,
    Executor,
    LocalIncumbent,
    SerialExecutor,
    SharedIncumbent,
    WorkerLost,
    check_n_jobs,
    resolve_executor,
)

__all__ = [
    "EXECUTORS",
    "Executor",
    "LocalIncumbent",
    "SerialExecutor",
    "SharedIncumbent",
    "WorkerLost",
    "check_available",
    "check_n_jobs",
    "get_executor",
    "resolve_executor",
]


def get_executor(
    executor: str | None = None, *, n_jobs: Any = 1, address: str | None = None
) -> Executor:
    """The executor for ``executor`` / ``n_jobs`` / ``address`` (see :func:`resolve_executor`).

    Parameters
    ----------
    executor : {"serial", "ray"} or None
        ``None``: serial for one job, Ray for more.
    n_jobs : int, default 1
        Workers (``-1``: every core of this machine; on a cluster, the tasks in flight).
    address : str, optional
        An existing Ray cluster (``"auto"``, ``"ray://host:10001"``); default: start a
        local one with ``n_jobs`` CPUs on first use.

    Examples
    --------
    >>> get_executor().name
    'serial'
    """
    name = resolve_executor(executor, n_jobs, address)
    if name == "serial":
        return SerialExecutor()
    from mixedopt.executors.ray_backend import RayExecutor

    return RayExecutor(n_jobs=check_n_jobs(n_jobs), address=address)


def check_available(executor: str) -> None:
    """Raise :class:`~mixedopt.errors.SolverUnavailableError` naming the extra when the
    package of ``executor`` is not installed (checked without importing it).

    >>> check_available("serial")
    """
    if executor == "ray":
        try:
            found = importlib.util.find_spec("ray") is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise SolverUnavailableError(
                "executor='ray' needs Ray, which is not installed: pip install 'mixedopt[ray]'"
            )
