"""BLAS thread limits for small dense linear algebra.

For small and medium problems a multi-threaded BLAS spends more time synchronising than
multiplying, and collapses when the machine is oversubscribed (on a loaded 2-core box a
68x400 by 400x68 float32 product took 3.0 ms with two OpenBLAS threads and 0.15 ms with one).
Both helpers fall back to running as is when ``threadpoolctl`` is missing or broken.

>>> with one_blas_thread():
...     pass
>>> with blas_scope(1000, 10):     # small: one thread
...     pass
>>> with blas_for_flops(1797 * 64 * 32):
...     pass
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["blas_for_flops", "blas_scope", "one_blas_thread"]

_CONTROLLER: list[Any] = []
_LOCK = threading.Lock()

#: above this many flops the helpers keep every BLAS thread
LARGE_FLOPS = 1e9
#: ``blas_for_flops`` leaves work below this alone (BLAS runs it on one thread anyway, and
#: changing the thread count costs ~20 µs)
SMALL_FLOPS = 1e5


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


@contextlib.contextmanager
def blas_scope(m: int, n: int) -> Iterator[None]:
    """One BLAS thread for an ``m x n`` problem up to ~1e9 flops per ``(n+1)²`` Gram matrix;
    larger problems keep every thread."""
    if m * (n + 1) ** 2 > LARGE_FLOPS:
        yield
        return
    with one_blas_thread():
        yield


@contextlib.contextmanager
def blas_for_flops(flops: float) -> Iterator[None]:
    """One BLAS thread for work of ``flops`` multiply-adds between :data:`SMALL_FLOPS` and
    :data:`LARGE_FLOPS`; as is otherwise."""
    if not SMALL_FLOPS <= flops <= LARGE_FLOPS:
        yield
        return
    with one_blas_thread():
        yield
