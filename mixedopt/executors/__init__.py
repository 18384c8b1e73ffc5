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

from mixedopt.executors.base import (
    EXECUTORS,
    Executor,
    SerialExecutor,
    check_n_jobs,
    get_executor,
    resolve_executor,
)

__all__ = [
    "EXECUTORS",
    "Executor",
    "SerialExecutor",
    "check_n_jobs",
    "get_executor",
    "resolve_executor",
]
