"""Certificates of infeasibility: a small set of examples no zero-error net of a given
shape fits, shrunk by deletion filtering with an exact backend.

Examples
--------
>>> import numpy as np
>>> from mixedopt.problems.training import TrainingProblem
>>> from mixedopt.exact.certificate import certificate
>>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1], [2, 2]])
>>> y = np.array([-1, 1, 1, -1, 1])
>>> p = TrainingProblem.from_data(X, y, weights="ternary", objective="weights")
>>> idx, minimal = certificate(p, time_limit=10)
>>> idx.tolist(), minimal  # (1, 1) -> -1 and (2, 2) -> +1 need a bias below -1
([3, 4], True)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Status
from mixedopt.solvers.base import SolveContext
from mixedopt.solvers.registry import DEFAULT_BACKEND
from mixedopt.solvers.registry import get as get_backend

__all__ = ["certificate"]


def _duplicate_conflict(problem: TrainingProblem) -> np.ndarray | None:
    """Two examples with identical inputs and different labels (a minimal certificate)."""
    _, inv = np.unique(problem.X, axis=0, return_inverse=True)
    inv = inv.ravel()
    seen: dict[tuple[int, int], int] = {}
    for k, (g, c) in enumerate(zip(inv.tolist(), problem.y.tolist(), strict=True)):
        for (g2, c2), k2 in seen.items():
            if g2 == g and c2 != c:
                return np.array(sorted((k2, k)))
        seen.setdefault((g, c), k)
    return None


def certificate_after_run(
    problem: TrainingProblem, backend: str, ctx: SolveContext, native: dict[str, Any]
) -> tuple[np.ndarray, bool]:
    """The certificate at the end of an engine run: a duplicate input with two labels if
    there is one, else deletion filtering in the time the run has left (30 s without a
    limit)."""
    dup = _duplicate_conflict(problem)
    if dup is not None:
        return dup, True
    left = ctx.time_left()
    budget = 30.0 if left is None else left
    return certificate(problem, backend=backend, time_limit=budget, seed=ctx.seed, **native)


def certificate(
    problem: TrainingProblem,
    *,
    backend: str = DEFAULT_BACKEND,
    time_limit: float = 30.0,
    seed: int = 0,
    subset: Sequence[int] | None = None,
    **native: Any,
) -> tuple[np.ndarray, bool]:
    """Shrink a set of examples that no zero-error net of this shape fits.

    Deletion filtering with chunks (halves, quarters, ..., single examples): a chunk is
    dropped when the rest is *proven* infeasible by ``backend`` (each test stops at the
    first feasible net). The returned set is always proven infeasible; it is irreducible
    (``minimal=True``) when every single-example test was conclusive within the budget.

    Parameters
    ----------
    problem : TrainingProblem
        Any objective; feasibility means zero training errors.
    subset : sequence of int, optional
        A starting set already known to be infeasible (default: every example).

    Returns
    -------
    indices : ndarray of int
        Example indices (into ``problem``).
    minimal : bool
        Whether every example of the set was shown to be necessary.
    """
    start = time.perf_counter()
    be = get_backend(backend)
    feas = problem if problem.hard else problem.with_objective("weights")
    if "margin" in feas.objective and "margin" not in be.objectives:
        feas = feas.with_objective("weights")
    S = list(range(problem.n_samples)) if subset is None else [int(i) for i in subset]
    conclusive = True

    def infeasible(idx: list[int]) -> bool | None:
        nonlocal conclusive
        left = time_limit - (time.perf_counter() - start)
        if left <= 0.05:
            return None
        sub = feas.subset(np.array(idx, dtype=np.int64))
        res = be.solve(sub, time_limit=left, seed=seed, first_solution=True, **native)
        if res.status is Status.INFEASIBLE:
            return True
        if res.status.has_solution:
            return False
        return None

    chunk = max(1, len(S) // 2)
    while True:
        i = 0
        while i < len(S):
            rest = S[:i] + S[i + chunk :]
            verdict = infeasible(rest) if rest else False
            if verdict is True:
                S = rest
            else:
                if verdict is None:
                    conclusive = False
                i += chunk
            if time_limit - (time.perf_counter() - start) <= 0.05:
                return np.array(sorted(S), dtype=np.int64), False
        if chunk == 1:
            break
        chunk = max(1, chunk // 2)
    return np.array(sorted(S), dtype=np.int64), conclusive
