"""Exact mini-batch target assignment for FTPROP's ``exact`` target step (the adapter).

:func:`solve_assignment` is the one function the target step calls; everything that knows
about solvers is here, so that pointing the step at another engine (for instance
:func:`mixedopt.assign_targets` when it solves this problem) changes only this file.

Problem: with the layer above fixed (weights ``W``, ``b`` and its loss), choose level targets
``K`` of shape ``(B, n)`` minimising ``sum_i loss_above(W v(K_i) + b)``. It is separable over
rows. Methods:

* ``enumerate``: every one of ``n_levels ** n`` codes, in chunks, checking the time limit
  between chunks; exact for any loss.
* ``highs``: one mixed-integer linear program for the batch (one-hot level variables, one
  slack per hinge term, a big-M indicator per saturated term), solved by HiGHS through
  :func:`scipy.optimize.milp`. Exact for the piecewise-linear losses (hinge output loss;
  hinge, saturated-hinge and linear unit losses). The soft hinge is replaced by the
  saturated hinge and the cross-entropy by the hinge (its surrogates, same range and kink),
  and the result is then only a candidate: the caller compares it with greedy on the true
  objective.
* ``auto`` (default): ``enumerate`` when there are at most ``enum_limit`` codes, else
  ``highs``.
* ``assign-targets``: :func:`mixedopt.assign_targets` (SCIP), which solves the *constrained*
  problem of the FTPROP paper: every unit's target column must be realisable from the
  layer's inputs, and the number of violated downstream targets is minimised. Sign layers
  only; its answer is a whole-batch candidate (``whole_batch``), kept by the caller only
  when it does not raise the target objective. Much slower: meant for small layers and
  batches.

Examples
--------
>>> import numpy as np
>>> from mixedopt.ftprop.unit_steps import levels_of
>>> from mixedopt.ftprop.target_objective import UpperLayer
>>> up = UpperLayer(W=np.array([[1.0, -2.0]]), b=np.array([0.5]), y=np.array([0, 1]),
...                 loss="cross-entropy", scale=0.5)
>>> sol = solve_assignment(levels_of("sign"), up, time_limit=5)
>>> sol.status, sol.K.tolist()          # h = (-1, +1) for class 0, (+1, -1) for class 1
('optimal', [[0, 1], [1, 0]])
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from itertools import combinations, product
from math import comb
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from mixedopt.errors import ValidationError
from mixedopt.ftprop.target_objective import CHUNK, UpperLayer
from mixedopt.ftprop.unit_steps import Levels
from mixedopt.network import ThresholdNet
from mixedopt.solvers.registry import EXACT_REAL_TARGET_BACKEND
from mixedopt.targets import assign_targets

__all__ = ["BACKENDS", "Assignment", "nothing", "solve_assignment"]

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "enumerate", "highs", "assign-targets")
_PL_UNIT = ("hinge", "saturated-hinge", "linear")


@dataclass
class Assignment:
    """Answer of :func:`solve_assignment`.

    ``K`` holds the best targets found (rows where ``has`` is False are placeholders),
    ``solved`` marks rows proven optimal for the true objective, ``status`` is
    ``"optimal"`` (every row proven), ``"surrogate"`` (optimal for a surrogate loss only) or
    ``"limit"`` (time limit hit first).
    """

    K: np.ndarray | None
    has: np.ndarray
    solved: np.ndarray
    status: str
    method: str
    whole_batch: bool = False


def solve_assignment(
    lv: Levels,
    upper: UpperLayer,
    *,
    time_limit: float | None,
    enum_limit: int = 4096,
    backend: str = "auto",
    inputs: np.ndarray | None = None,
    current: np.ndarray | None = None,
    max_moves: int | None = None,
    seed: int = 0,
) -> Assignment:
    """Solve the batch target assignment (see the module docstring).

    With ``max_moves``, each row's targets may differ from ``current`` (level indices) by at
    most that many one-level moves (the same neighbourhood a greedy search with that many
    moves can reach); the enumeration then covers that ball only. ``inputs`` (the layer's
    inputs) are needed by ``assign-targets`` only.
    """
    if backend not in BACKENDS:
        raise ValidationError(f"unknown exact_backend {backend!r}; choose one of {BACKENDS}.")
    if backend == "assign-targets":
        return _assign_targets(lv, upper, inputs, current, time_limit, seed)
    n = upper.W.shape[1]
    if max_moves is not None and current is not None and max_moves < n * (lv.n_levels - 1):
        size = _ball_size(lv, n, max_moves)
        if backend == "enumerate" or (backend == "auto" and size <= enum_limit):
            return _enumerate_ball(lv, upper, current, max_moves, time_limit)
        return _milp(lv, upper, time_limit, current=current, max_moves=max_moves)
    n_codes = lv.n_levels**n if n < 64 else float("inf")
    if backend == "enumerate" or (backend == "auto" and n_codes <= enum_limit):
        return _enumerate(lv, upper, time_limit)
    return _milp(lv, upper, time_limit)


def _ball_size(lv: Levels, n: int, moves: int) -> float:
    """Number of targets within ``moves`` one-level moves of a point (binary units: sets of
    at most ``moves`` flips; staircase units: integer steps with ``sum |step| <= moves``)."""
    k_max = min(moves, n)
    if lv.binary:
        return float(sum(comb(n, k) for k in range(k_max + 1)))
    return float(sum(comb(n, k) * 2**k * comb(moves, k) for k in range(k_max + 1)))


def _patterns(n: int, moves: int, signed: bool) -> np.ndarray:
    """All move patterns within the ball: rows of flips (0/1) with at most ``moves`` ones, or
    of integer steps with ``sum |step| <= moves`` (``signed``)."""
    rows = [np.zeros(n, dtype=np.int8)]
    for k in range(1, min(moves, n) + 1):
        for units in combinations(range(n), k):
            if not signed:
                r = np.zeros(n, dtype=np.int8)
                r[list(units)] = 1
                rows.append(r)
                continue
            for mags in product(range(1, moves + 1), repeat=k):
                if sum(mags) > moves:
                    continue
                for signs in product((1, -1), repeat=k):
                    r = np.zeros(n, dtype=np.int8)
                    r[list(units)] = np.asarray(mags) * np.asarray(signs)
                    rows.append(r)
    return np.stack(rows)


def _enumerate_ball(
    lv: Levels, upper: UpperLayer, K0: np.ndarray, moves: int, time_limit: float | None
) -> Assignment:
    t0 = time.perf_counter()
    B, n = K0.shape
    m = upper.W.shape[0]
    sp = lv.spacing
    P = _patterns(n, moves, signed=not lv.binary)
    p = P.shape[0]
    Z0 = lv.values[K0] @ upper.W.T + upper.b
    best = np.full(B, np.inf)
    arg = np.zeros(B, dtype=np.int64)
    done = np.zeros(B, dtype=bool)
    r_step = max(1, CHUNK // max(1, p * max(n, m)))
    for rs in range(0, B, r_step):
        re = min(B, rs + r_step)
        rows = np.arange(rs, re)
        k0 = K0[rs:re].astype(np.int64)
        if lv.binary:
            step = (1 - 2 * k0) * sp  # value change of a flip, per row and unit
            Z = Z0[rs:re, None, :] + np.einsum(
                "pn,rnm->rpm", P.astype(np.float64), step[:, :, None] * upper.W.T[None]
            )
            valid = np.ones((re - rs, p), dtype=bool)
        else:
            D = (P.astype(np.float64) * sp) @ upper.W.T
            Z = Z0[rs:re, None, :] + D[None]
            kk = k0[:, None, :] + P[None].astype(np.int64)
            valid = ((kk >= 0) & (kk < lv.n_levels)).all(axis=2)
        L = upper.row_loss(Z, rows)
        L[~valid] = np.inf
        j = np.argmin(L, axis=1)
        best[rs:re] = L[np.arange(re - rs), j]
        arg[rs:re] = j
        done[rs:re] = True
        if time_limit is not None and time.perf_counter() - t0 > time_limit and re < B:
            break
    if lv.binary:
        K = np.where(P[arg] == 1, 1 - K0, K0).astype(np.int8)
    else:
        K = (K0 + P[arg]).astype(np.int8)
    return Assignment(
        K=K,
        has=done,
        solved=done,
        status="optimal" if done.all() else "limit",
        method="enumerate-ball",
    )


def _codes(lv: Levels, n: int) -> np.ndarray:
    q = lv.n_levels
    idx = np.unravel_index(np.arange(q**n), (q,) * n)
    return np.stack(idx, axis=1).astype(np.int8)


def _enumerate(lv: Levels, upper: UpperLayer, time_limit: float | None) -> Assignment:
    t0 = time.perf_counter()
    B, n = upper.n_rows, upper.W.shape[1]
    m = upper.W.shape[0]
    codes = _codes(lv, n)
    C = codes.shape[0]
    Zc = lv.values[codes] @ upper.W.T + upper.b
    best = np.full(B, np.inf)
    arg = np.zeros(B, dtype=np.int64)
    done = np.zeros(B, dtype=bool)
    c_step = max(1, min(C, CHUNK // max(1, m)))
    r_step = max(1, CHUNK // max(1, c_step * m))
    out_of_time = False
    for rs in range(0, B, r_step):
        re = min(B, rs + r_step)
        rows = np.arange(rs, re)
        for cs in range(0, C, c_step):
            ce = min(C, cs + c_step)
            Z = np.broadcast_to(Zc[None, cs:ce], (re - rs, ce - cs, m))
            L = upper.row_loss(Z, rows)
            j = np.argmin(L, axis=1)
            v = L[np.arange(re - rs), j]
            upd = v < best[rs:re]
            best[rs:re] = np.where(upd, v, best[rs:re])
            arg[rs:re] = np.where(upd, cs + j, arg[rs:re])
            if time_limit is not None and time.perf_counter() - t0 > time_limit:
                out_of_time = ce < C or re < B
                if ce == C:
                    done[rs:re] = True
                break
        else:
            done[rs:re] = True
        if out_of_time:
            break
    has = np.isfinite(best)
    return Assignment(
        K=codes[arg],
        has=has,
        solved=done,
        status="optimal" if done.all() else "limit",
        method="enumerate",
    )


def _milp(
    lv: Levels,
    upper: UpperLayer,
    time_limit: float | None,
    *,
    current: np.ndarray | None = None,
    max_moves: int | None = None,
) -> Assignment:
    t0 = time.perf_counter()
    W, b = upper.W, upper.b
    m, n = W.shape
    B = upper.n_rows
    Q = lv.n_levels
    v = lv.values
    nx = B * n * Q
    xcol = np.arange(nx).reshape(B, n, Q)

    # one-hot: sum_q x_ijq = 1
    rows_eq = np.repeat(np.arange(B * n), Q)
    A_eq = sparse.csr_matrix((np.ones(nx), (rows_eq, np.arange(nx))), shape=(B * n, nx))

    # each linear term: coef * (sum_jq W[k, j] v[q] x_ijq) for (row i, unit k); built below
    cost = np.zeros(nx)
    extra_cost: list[float] = []
    extra_int: list[int] = []
    cons_rows: list[np.ndarray] = []
    cons_cols: list[np.ndarray] = []
    cons_vals: list[np.ndarray] = []
    lbs: list[float] = []
    exact = True
    n_var = nx
    n_con = 0

    def add(i: int, wvec: np.ndarray, lo: float, slack: list[tuple[int, float]]) -> None:
        """Constraint  sum_jq wvec[j] v[q] x_ijq + sum coef * slack >= lo."""
        nonlocal n_con
        coefs = (wvec[:, None] * v[None, :]).ravel()
        cols = xcol[i].ravel()
        sc = [c for c, _ in slack]
        sv = [a for _, a in slack]
        cons_rows.append(np.full(coefs.size + len(sc), n_con))
        cons_cols.append(np.concatenate([cols, np.asarray(sc, dtype=np.int64)]))
        cons_vals.append(np.concatenate([coefs, np.asarray(sv, dtype=np.float64)]))
        lbs.append(lo)
        n_con += 1

    def new_var(c: float, integer: bool) -> int:
        nonlocal n_var
        extra_cost.append(c)
        extra_int.append(int(integer))
        n_var += 1
        return n_var - 1

    if upper.is_output:
        assert upper.y is not None
        exact = upper.loss == "hinge"
        y = upper.y.astype(np.int64)
        for i in range(B):
            xi = new_var(upper.scale, False)
            if m == 1:
                s = 2.0 * y[i] - 1.0
                add(i, s * W[0], 1.0 - s * b[0], [(xi, 1.0)])
            else:
                for k in range(m):
                    if k != y[i]:
                        add(i, W[y[i]] - W[k], 1.0 + b[k] - b[y[i]], [(xi, 1.0)])
    else:
        assert upper.targets is not None and upper.weights is not None and upper.levels is not None
        ulv = upper.levels
        loss = upper.loss
        exact = loss in _PL_UNIT
        sat = loss in ("saturated-hinge", "soft-hinge")
        thr = ulv.thresholds
        vmax = float(np.max(np.abs(v)))
        for i in range(B):
            for k in range(m):
                u_w = upper.weights[i, k]
                if u_w <= 0:
                    continue
                for tau, th in enumerate(thr):
                    sig = ulv.scale if tau < upper.targets[i, k] else -ulv.scale
                    if loss == "linear":
                        # cost -u_w * sig * (z - th): only the x part matters
                        cost[xcol[i]] += -u_w * sig * (W[k][:, None] * v[None, :])
                        continue
                    xi = new_var(u_w, False)
                    slack = [(xi, 1.0)]
                    if sat:
                        big = 1.0 + abs(sig) * (abs(b[k] - th) + np.abs(W[k]).sum() * vmax)
                        ci = new_var(2.0 * u_w, True)
                        slack.append((ci, big))
                    add(i, sig * W[k], 1.0 - sig * (b[k] - th), slack)

    n_extra = n_var - nx
    c_all = np.concatenate([cost, np.asarray(extra_cost, dtype=np.float64)])
    integrality = np.concatenate([np.ones(nx), np.asarray(extra_int, dtype=np.float64)])
    ub = np.concatenate([np.ones(nx), np.where(np.asarray(extra_int) == 1, 1.0, np.inf)])
    lb = np.zeros(n_var)
    constraints = [
        LinearConstraint(sparse.hstack([A_eq, sparse.csr_matrix((B * n, n_extra))]), 1.0, 1.0)
    ]
    if max_moves is not None and current is not None:
        # at most max_moves level moves per row: sum_jq |q - k0_ij| x_ijq <= max_moves
        dist = np.abs(np.arange(Q)[None, None, :] - current.astype(np.int64)[:, :, None])
        rows_b = np.repeat(np.arange(B), n * Q)
        A_ball = sparse.csr_matrix(
            (dist.ravel().astype(np.float64), (rows_b, np.arange(nx))), shape=(B, n_var)
        )
        constraints.append(LinearConstraint(A_ball, -np.inf, float(max_moves)))
    if n_con:
        A = sparse.csr_matrix(
            (np.concatenate(cons_vals), (np.concatenate(cons_rows), np.concatenate(cons_cols))),
            shape=(n_con, n_var),
        )
        constraints.append(LinearConstraint(A, np.asarray(lbs), np.inf))
    options: dict[str, object] = {"disp": False, "mip_rel_gap": 1e-7}
    if time_limit is not None:
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0:
            return nothing(B, n)
        options["time_limit"] = max(left, 1e-3)
    res = milp(
        c_all,
        integrality=integrality,
        bounds=Bounds(lb, ub),
        constraints=constraints,
        options=options,
    )
    if res.x is None:
        logger.debug("target MILP returned no solution (status %s)", res.status)
        return nothing(B, n)
    K = np.argmax(res.x[:nx].reshape(B, n, Q), axis=2).astype(np.int8)
    optimal = res.status == 0
    status = "limit" if not optimal else ("optimal" if exact else "surrogate")
    solved = np.full(B, optimal and exact)
    return Assignment(K=K, has=np.ones(B, dtype=bool), solved=solved, status=status, method="highs")


def _assign_targets(
    lv: Levels,
    upper: UpperLayer,
    inputs: np.ndarray | None,
    current: np.ndarray | None,
    time_limit: float | None,
    seed: int,
) -> Assignment:
    """Realisable targets from :func:`mixedopt.assign_targets` (SCIP), sign layers only."""
    B, n = upper.n_rows, upper.W.shape[1]
    if inputs is None or lv.name != "sign":
        logger.debug("assign-targets needs a sign layer and its inputs; skipped")
        return nothing(B, n, "assign-targets")
    if upper.is_output:
        assert upper.y is not None
        k = upper.W.shape[0]
        above: Any = ThresholdNet(
            [upper.W], [upper.b], classes=[0, 1] if k == 1 else list(range(k))
        )
        y_down: Any = upper.y
    else:
        assert upper.targets is not None and upper.levels is not None
        if upper.levels.name != "sign":
            return nothing(B, n, "assign-targets")
        above, y_down = (upper.W, upper.b), 2 * upper.targets.astype(np.int64) - 1
    ta = assign_targets(
        inputs,
        above,
        y_down,
        n_units=n,
        current=None if current is None else 2 * current.astype(np.int64) - 1,
        weights="real",
        backend=EXACT_REAL_TARGET_BACKEND,
        time_limit=time_limit,
        seed=seed,
    )
    K = (np.asarray(ta.targets) > 0).astype(np.int8)
    optimal = ta.status.value == "optimal"
    return Assignment(
        K=K,
        has=np.ones(B, dtype=bool),
        solved=np.zeros(B, dtype=bool),
        status="realisable" if optimal else "limit",
        method="assign-targets",
        whole_batch=True,
    )


def nothing(B: int, n: int, method: str = "highs") -> Assignment:
    """The answer without targets for a batch of ``B`` rows and ``n`` units (status
    ``"limit"``): no time was left to solve, or ``method`` could not answer."""
    return Assignment(
        K=None,
        has=np.zeros(B, dtype=bool),
        solved=np.zeros(B, dtype=bool),
        status="limit",
        method=method,
    )
