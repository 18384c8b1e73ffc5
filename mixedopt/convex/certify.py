"""Certificates of convex training: the global lower bound and the status of a result.

Every network :func:`~mixedopt.convex.train.train_convex` returns is compared with the
value of program (7) on the training set (identical inputs grouped), a lower bound for every
network whose last hidden layer is a step layer, of any width and depth; the result is
``OPTIMAL`` only when the relative gap to that bound is within ``tol``.

Examples
--------
>>> import numpy as np
>>> from mixedopt.convex.certify import certify_bound
>>> y = np.array([1.0, -1.0, 1.0, -1.0])
>>> lb = certify_bound(y, 1e-3, "squared", False, np.arange(4))
>>> 0.0 <= lb < 1e-2
True
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from mixedopt.convex.complete import solve_complete
from mixedopt.result import SolveResult, Status, relative_gap

__all__: list[str] = []


def certify_bound(
    Y: np.ndarray,
    beta: float,
    loss: str,
    group: bool,
    groups: np.ndarray,
    time_limit: float | None = None,
) -> float:
    """Value of program (7) per output, summed, with identical inputs grouped: a lower bound
    for every network whose last hidden layer is a step layer (any width and depth).
    ``time_limit`` (seconds, all outputs together) stops the iterative solve of the logistic
    loss early: its dual value is still a valid, weaker bound."""
    if Y.ndim == 1:
        return solve_complete(
            Y, beta, loss=loss, groups=groups, time_limit=time_limit
        ).dual_objective
    K = Y.shape[1]
    b = beta / np.sqrt(K) if group else beta  # sum_j ||W_j||_2 >= sum_j ||W_j||_1 / sqrt(K)
    t0 = time.perf_counter()
    total = 0.0
    for k in range(K):
        left = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1e-3)
        total += solve_complete(
            Y[:, k], b, loss=loss, groups=groups, time_limit=left
        ).dual_objective
    return float(total)


def predict_codes(F: np.ndarray) -> np.ndarray:
    return (F >= 0).astype(np.int64) if F.ndim == 1 else np.argmax(F, axis=1)


def certified_result(
    net: Any,
    objective: float,
    bound: float | None,
    tol: float,
    t0: float,
    method: str,
    info: dict[str, Any],
    interrupted: bool = False,
) -> SolveResult:
    gap = relative_gap(objective, bound)
    status = Status.OPTIMAL if gap is not None and gap <= tol else Status.FEASIBLE
    return SolveResult(
        status=status,
        net=net,
        objective=float(objective),
        bound=None if bound is None else float(min(bound, objective)),
        wall_time=time.perf_counter() - t0,
        backend="convex",
        method=f"convex-{method}",
        interrupted=interrupted,
        info=info,
    )
