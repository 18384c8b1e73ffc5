"""The discrete side of FTPROP: choosing the targets of a hidden layer on a mini-batch.

Given a hidden layer's current activations (as level indices ``K``, see
:class:`~mixedopt.ftprop.unit_steps.Levels`) and the layer above it
(:class:`~mixedopt.ftprop.target_objective.UpperLayer`: its weights, and either the class
labels with the output loss, or its own targets, per-target weights and unit loss), a target
step returns new level targets ``K`` and per-target weights ``U`` for the hidden layer's own
(weighted) unit loss. Each step lowers the **target objective**, the layer above's loss with
the targets as its input (:mod:`mixedopt.ftprop.target_objective`).

* :func:`gradient_targets` — the FTPROP paper's heuristic: ``t = -sign(dL/dh)`` (for a
  staircase, one level in that direction), weights ``|dL/dh|``; a zero gradient keeps the
  current level with weight 0 (the unit is ignored).
* :func:`greedy_targets` — vectorised best-improvement flip search from the current
  activations: every round, each row moves the one unit (one level up or down) that lowers
  its objective most among the few most promising to first order; rows stop at a local
  optimum. Only strictly improving moves are
  made, so the objective never ends above the starting one.
* :func:`exact_targets` — greedy first, then the batch assignment solved by
  :func:`mixedopt.ftprop.exact_targets.solve_assignment` under a time limit; each row keeps
  the better of the two, so exact is never worse than greedy on the same batch.

For greedy and exact, a target's weight is the rise of the objective when that unit moves
off its target (one level), divided by the level spacing: a finite-difference version of
``|dL/dh|`` that is zero for targets the layer above does not need.

Examples
--------
>>> import numpy as np
>>> from mixedopt.ftprop.unit_steps import levels_of
>>> from mixedopt.ftprop.target_objective import UpperLayer, target_objective
>>> from mixedopt.ftprop.target_steps import greedy_targets
>>> lv = levels_of("sign")
>>> up = UpperLayer(W=np.array([[1.0, 1.0]]), b=np.array([0.0]), y=np.array([1]),
...                 loss="hinge", scale=1.0)
>>> K0 = np.array([[0, 0]], dtype=np.int8)          # activations (-1, -1): output -2
>>> res = greedy_targets(K0, lv, up)
>>> res.K.tolist(), target_objective(K0, lv, up), res.objective
([[1, 1]], 3.0, 0.0)
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixedopt.ftprop.exact_targets import nothing, solve_assignment
from mixedopt.ftprop.target_objective import CHUNK, UpperLayer, target_objective
from mixedopt.ftprop.unit_steps import Levels

__all__ = [
    "TARGET_STEPS",
    "TargetStepResult",
    "complete_targets",
    "exact_targets",
    "gradient_targets",
    "greedy_targets",
    "target_weights",
]

logger = logging.getLogger(__name__)

TARGET_STEPS = ("gradient", "greedy", "exact")

#: :func:`exact_targets` skips the exact solve when greedy left less than this many seconds
MIN_EXACT_S = 1e-3


@dataclass
class TargetStepResult:
    """Targets chosen by a target step on one batch."""

    K: np.ndarray
    weights: np.ndarray
    objective_start: float = float("nan")
    objective: float = float("nan")
    n_moves: int = 0
    rounds: int = 0
    status: str = "heuristic"
    info: dict[str, Any] = field(default_factory=dict)


# -------------------------------------------------------------------------- gradient
def gradient_targets(D: np.ndarray, K_cur: np.ndarray, lv: Levels) -> TargetStepResult:
    """The paper's target heuristic from ``D = dL_above / dh`` (shape ``(B, n)``).

    Targets ``-sign(D)`` (one level in that direction for a staircase), weights ``|D|``;
    where ``D == 0`` the current level is kept with weight 0.
    """
    if lv.binary:
        K = np.where(D < 0, 1, np.where(D > 0, 0, K_cur)).astype(np.int8)
    else:
        step = -np.sign(D).astype(np.int8)
        K = np.clip(K_cur + step, 0, lv.n_levels - 1).astype(np.int8)
    return TargetStepResult(K=K, weights=np.abs(D), status="gradient")


# ---------------------------------------------------------------------------- greedy
def _moves(K: np.ndarray, lv: Levels) -> tuple[np.ndarray, np.ndarray]:
    """Value changes ``(r, n, c)`` of each candidate move and their validity."""
    sp = lv.spacing
    if lv.binary:
        delta = np.where(K == 1, -sp, sp)[..., None]
        return delta, np.ones(delta.shape, dtype=bool)
    top = lv.n_levels - 1
    delta = np.stack([np.full(K.shape, sp), np.full(K.shape, -sp)], axis=-1)
    valid = np.stack([top > K, K > 0], axis=-1)
    return delta, valid


def greedy_targets(
    K0: np.ndarray,
    lv: Levels,
    upper: UpperLayer,
    *,
    max_rounds: int | None = None,
    n_candidates: int = 8,
    tol: float = 1e-12,
    deadline: float | None = None,
) -> TargetStepResult:
    """Best-improvement move search from level targets ``K0`` (shape ``(B, n)``).

    Every round, each active row scores all its moves to first order (``delta * dL/dh``),
    evaluates the ``n_candidates`` most promising exactly, and makes the best one if it
    lowers the row objective. For a convex loss above (hinge, cross-entropy, linear) a move
    whose first-order change is not negative cannot improve and is skipped, so with
    ``n_candidates >= n`` the search is exact best-improvement.

    Parameters
    ----------
    max_rounds : int, optional
        Most moves per row (default: ``n * (n_levels - 1)``, i.e. until a local optimum).
    n_candidates : int
        Moves evaluated exactly per row and round.
    tol : float
        A move must lower the row objective by more than ``tol * (1 + |objective|)``.
    deadline : float, optional
        A :func:`time.perf_counter` value: no new round starts once it has passed (the
        moves made so far are kept).

    Returns
    -------
    TargetStepResult
        ``objective <= objective_start`` always; ``weights`` from :func:`target_weights`.
    """
    K = np.array(K0, dtype=np.int8, copy=True)
    B, n = K.shape
    W = upper.W
    WT = W.T
    Z = lv.values[K] @ WT + upper.b
    cur = upper.row_loss(Z)
    start = float(cur.sum())
    limit = n * (lv.n_levels - 1) if max_rounds is None else int(max_rounds)
    k = max(1, min(int(n_candidates), n * (1 if lv.binary else 2)))
    convex = upper.convex
    active = np.arange(B)
    rounds = moves = 0
    while active.size and rounds < limit:
        if deadline is not None and time.perf_counter() > deadline:
            break
        Za, Ka = Z[active], K[active]
        r = active.size
        D = upper.row_grad(Za, active) @ W
        delta, valid = _moves(Ka, lv)
        c = delta.shape[2]
        g1 = (delta * D[..., None]).reshape(r, -1)
        g1[~valid.reshape(r, -1)] = np.inf
        if k < g1.shape[1]:
            idx = np.argpartition(g1, k - 1, axis=1)[:, :k]
        else:
            idx = np.broadcast_to(np.arange(g1.shape[1]), (r, g1.shape[1]))
        g1k = np.take_along_axis(g1, idx, axis=1)
        unit = idx // c
        d = delta.reshape(r, -1)[np.arange(r)[:, None], idx]
        skip = ~np.isfinite(g1k) | ((g1k >= 0) if convex else False)
        step = max(1, CHUNK // max(1, k * W.shape[0]))
        L = np.empty((r, idx.shape[1]))
        for s in range(0, r, step):
            e = min(r, s + step)
            Zc = Za[s:e, None, :] + d[s:e, :, None] * WT[unit[s:e]]
            L[s:e] = upper.row_loss(Zc, active[s:e])
        L[skip] = np.inf
        j = np.argmin(L, axis=1)
        ar = np.arange(r)
        best = L[ar, j]
        c_cur = cur[active]
        imp = best < c_cur - tol * (1.0 + np.abs(c_cur))
        if not imp.any():
            break
        rows = active[imp]
        u = unit[ar, j][imp]
        dd = d[ar, j][imp]
        if lv.binary:
            K[rows, u] = (dd > 0).astype(np.int8)
        else:
            K[rows, u] += np.sign(dd).astype(np.int8)
        Z[rows] += dd[:, None] * WT[u]
        cur[rows] = best[imp]
        moves += rows.size
        rounds += 1
        active = rows
    obj = target_objective(K, lv, upper)  # recomputed: no drift from the incremental updates
    if obj > start:  # pragma: no cover - only by rounding; keep the starting targets then
        K, obj = np.array(K0, dtype=np.int8, copy=True), start
    return TargetStepResult(
        K=K,
        weights=target_weights(K, lv, upper),
        objective_start=start,
        objective=obj,
        n_moves=moves,
        rounds=rounds,
        status="greedy",
    )


def _candidate_losses(
    Z: np.ndarray, K: np.ndarray, rows: np.ndarray, lv: Levels, upper: UpperLayer
) -> np.ndarray:
    """Row objective after each single move, shape ``(r, n, c)`` (+inf where invalid)."""
    delta, valid = _moves(K, lv)
    r, n, c = delta.shape
    m = upper.W.shape[0]
    out = np.empty((r, n, c))
    step = max(1, CHUNK // max(1, n * c * m))
    WT = upper.W.T[None, :, None, :]
    for s in range(0, r, step):
        e = min(r, s + step)
        Zc = Z[s:e, None, None, :] + delta[s:e, :, :, None] * WT
        out[s:e] = upper.row_loss(Zc, rows[s:e])
    out[~valid] = np.inf
    return out


def target_weights(K: np.ndarray, lv: Levels, upper: UpperLayer) -> np.ndarray:
    """Per-target weights of level targets ``K``: how much the target objective rises when
    the unit moves off its target by one level (the smaller rise over the possible moves),
    divided by the level spacing and clipped at 0. A target the layer above does not need
    (or one it would rather see moved) gets weight 0."""
    Z = lv.values[K] @ upper.W.T + upper.b
    cur = upper.row_loss(Z)
    L = _candidate_losses(Z, K, np.arange(K.shape[0]), lv, upper)
    inc = L.min(axis=-1) - cur[:, None]
    inc[~np.isfinite(inc)] = 0.0
    return np.maximum(inc, 0.0) / lv.spacing


def complete_targets(K: np.ndarray, lv: Levels, upper: UpperLayer) -> tuple[np.ndarray, np.ndarray]:
    """Targets and weights that also use the moves a search left undone.

    :func:`target_weights` gives weight 0 to a target whose one-level move would still lower
    the target objective (the search ran out of moves). Here such a unit is given that move
    as its target instead, weighted by the drop it brings (divided by the level spacing):
    every unit is pointed at its best level given the others, with weight ``|ΔL|`` — the
    discrete, finite-difference counterpart of the gradient step's ``-sign(dL/dh)`` and
    ``|dL/dh|``. At a local optimum of the search (no improving move) this equals
    ``(K, target_weights(K))``.
    """
    Z = lv.values[K] @ upper.W.T + upper.b
    cur = upper.row_loss(Z)
    L = _candidate_losses(Z, K, np.arange(K.shape[0]), lv, upper)  # (B, n, c)
    j = np.argmin(L, axis=-1)
    best = np.take_along_axis(L, j[..., None], axis=-1)[..., 0]
    diff = best - cur[:, None]
    move = np.isfinite(diff) & (diff < -1e-12 * (1.0 + np.abs(cur[:, None])))
    K2 = np.array(K, dtype=np.int8, copy=True)
    if lv.binary:
        K2[move] = 1 - K2[move]
    else:  # candidate 0 moves up one level, candidate 1 down
        K2[move] += np.where(j[move] == 0, 1, -1).astype(np.int8)
    w = np.where(np.isfinite(diff), np.abs(diff), 0.0) / lv.spacing
    return K2, w


# ----------------------------------------------------------------------------- exact
def exact_targets(
    K0: np.ndarray,
    lv: Levels,
    upper: UpperLayer,
    *,
    time_limit: float | None = 0.1,
    enum_limit: int = 4096,
    backend: str = "auto",
    seed: int | None = 0,
    max_rounds: int | None = None,
    inputs: np.ndarray | None = None,
    deadline: float | None = None,
) -> TargetStepResult:
    """Greedy, then the exact batch assignment under ``time_limit`` seconds; per row, the
    better of the two. ``deadline`` (a :func:`time.perf_counter` value, optional) also
    bounds greedy's rounds and the assignment.

    With ``max_rounds`` (greedy's move budget) the exact search covers the same
    neighbourhood: targets at most that many one-level moves from ``K0``. The solver
    (:func:`mixedopt.ftprop.exact_targets.solve_assignment`) enumerates every candidate
    when there are at most ``enum_limit`` of them (exact for any loss), and
    otherwise solves a mixed-integer program (HiGHS) that is exact for piecewise-linear
    losses (hinge output loss; hinge, saturated-hinge or linear unit losses) and uses the
    saturated hinge / hinge as a surrogate of the soft hinge / cross-entropy. ``status`` is
    ``"optimal"`` when every row is proven optimal for the true objective, ``"surrogate"``
    when the solve was optimal only for the surrogate, ``"fallback"`` when the time limit was
    hit (rows without a better solver answer keep their greedy targets). With
    ``backend="assign-targets"`` (realisable targets, :func:`mixedopt.assign_targets`;
    ``inputs`` are then the layer's inputs) the answer replaces greedy's for the whole batch
    when its target objective is no higher (status ``"realisable"`` when proven optimal).
    """
    t0 = time.perf_counter()
    g = greedy_targets(K0, lv, upper, max_rounds=max_rounds, deadline=deadline)
    left = None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - t0))
    if deadline is not None:
        left = max(0.0, min(np.inf if left is None else left, deadline - time.perf_counter()))
    if left is not None and left < MIN_EXACT_S:
        # greedy used the budget: no solve (a solver refuses a zero time limit)
        sol = nothing(*K0.shape)
    else:
        sol = solve_assignment(
            lv,
            upper,
            time_limit=left,
            enum_limit=enum_limit,
            backend=backend,
            inputs=inputs,
            current=K0,
            max_moves=max_rounds,
            seed=0 if seed is None else int(seed),
        )
    K = g.K.copy()
    Zg = lv.values[g.K] @ upper.W.T + upper.b
    lg = upper.row_loss(Zg)
    better = np.zeros(K.shape[0], dtype=bool)
    status = sol.status if sol.status != "limit" else "fallback"
    if sol.K is not None:
        Zs = lv.values[sol.K] @ upper.W.T + upper.b
        ls = upper.row_loss(Zs)
        if sol.whole_batch:  # a joint answer (realisable columns): all rows or none
            if ls.sum() <= lg.sum():
                better[:] = True
            else:
                status = "fallback"
        else:
            better = sol.has & (ls < lg - 1e-12 * (1.0 + np.abs(lg)))
        K[better] = sol.K[better]
        lg = np.where(better, ls, lg)
    weights = target_weights(K, lv, upper)
    return TargetStepResult(
        K=K,
        weights=weights,
        objective_start=g.objective_start,
        objective=min(float(lg.sum()), g.objective),
        n_moves=g.n_moves,
        rounds=g.rounds,
        status=status,
        info={
            "greedy_objective": g.objective,
            "rows_improved": int(better.sum()),
            "method": sol.method,
            "wall_time": time.perf_counter() - t0,
        },
    )
