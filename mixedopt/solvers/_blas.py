"""One BLAS thread for the numpy-heavy solvers (local search, dichotomy search).

Their matrix products are small; on a loaded machine a multi-threaded BLAS spends more time
spinning than multiplying (measured on the 2-core box: a 68x400 by 400x68 float32 product
took 3.0 ms with OpenBLAS's 2 threads under load and 0.15 ms with one).

>>> with one_blas_thread():
...     pass
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["one_blas_thread"]

_CONTROLLER: list[Any] = []
_LOCK = threading.Lock()


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread inside the block (no-op without threadpoolctl)."""
    try:
        with _LOCK:
            if not _CONTROLLER:
                from threadpoolctl import ThreadpoolController

                _CONTROLLER.append(ThreadpoolController())
        ctx: Any = _CONTROLLER[0].limit(limits=1, user_api="blas")
    except Exception:  # pragma: no cover - threadpoolctl missing or broken: run as is
        ctx = contextlib.nullcontext()
    with ctx:
        yield
