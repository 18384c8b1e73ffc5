"""Greedy per-layer target assignment (``mixedopt.assign_targets(..., backend="greedy")``).

Anytime local search over one layer's targets, every move kept realisable:

* even rounds: each unit's **exact marginal effect** — flipping target ``T[k, j]`` changes
  example ``k``'s downstream violations by ``delta_k`` — gives a desired column and row
  weights ``|delta_k|`` (indifferent rows a small weight that keeps them in place);
* odd rounds: for the violated examples (all, or a random half when stuck), the nearest code
  the layers above accept (within ``max_flips`` of ``current``) is proposed;
* the unit is refitted to the desired column — a weighted hinge LP for real weights, integer
  coordinate descent from two starts (the current unit; the LP solution scaled into the box
  and rounded) for discrete ones — and its **realised** column replaces the old one when the
  total violation count drops (sideways moves are taken half of the time);
* the search stops at 0 violations, at the time limit, or after
  :data:`MAX_STALE` rounds without a new best.

Zero violations is optimal; anything else is reported with bound 0 (FEASIBLE).
"""

from __future__ import annotations

import logging
import time

import numpy as np

from mixedopt.problems.layer import MAX_CODE_TABLE_UNITS, RawAssignment, TargetProblem

__all__ = ["MAX_STALE", "greedy_assign"]

logger = logging.getLogger(__name__)

MAX_STALE = 60  # greedy stops after this many rounds without a new best


def _fit_discrete(
    tp: TargetProblem,
    target: np.ndarray,
    start: np.ndarray,
    rng: np.random.Generator,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Integer coordinate descent on ``(w, b)`` minimising weighted mismatches."""
    A = tp.A.astype(np.float64)
    n = tp.n_inputs
    K = int(tp.weight_bound or 1)
    lo_b, hi_b = tp.bias_bounds() or (-K, K)
    wvals = np.array([-1, 1]) if tp.weights == "binary" else np.arange(-K, K + 1)
    bvals = np.arange(int(lo_b), int(hi_b) + 1)
    t = np.asarray(target) > 0
    sw = (tp.sample_weight if weights is None else weights).astype(np.float64)
    v = np.asarray(start, dtype=np.float64).copy()
    Aext = np.hstack([A, np.ones((A.shape[0], 1))])
    z = Aext @ v

    def cost(zz: np.ndarray) -> np.ndarray:
        ok_act = zz >= tp.tol if not tp.integral else zz >= 0
        ok_in = zz <= -tp.eps
        wrong = np.where(t[:, None] if zz.ndim == 2 else t, ~ok_act, ~ok_in)
        return (wrong * (sw[:, None] if zz.ndim == 2 else sw)).sum(axis=0)

    best = float(cost(z))
    for _ in range(20):
        improved = False
        for i in rng.permutation(n + 1):
            vals = bvals if i == n else wvals
            zz = (z - Aext[:, i] * v[i])[:, None] + Aext[:, i][:, None] * vals[None, :]
            c = cost(zz)
            j = int(np.argmin(c))
            if c[j] < best - 1e-12:
                best = float(c[j])
                v[i] = vals[j]
                z = zz[:, j]
                improved = True
        if not improved or best == 0:
            break
    return v


def _mismatch(tp: TargetProblem, target: np.ndarray, v: np.ndarray, weights: np.ndarray) -> float:
    z = tp.A @ v[:-1] + v[-1]
    wrong = np.where(np.asarray(target) > 0, z < tp.tol, z > -tp.eps)
    return float(np.sum(weights * wrong))


def _fit_column(
    tp: TargetProblem,
    desired: np.ndarray,
    start: np.ndarray,
    rng: np.random.Generator,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Fit one unit to ``desired`` (rows weighted by ``weights``, default the sample
    weights); returns ``(realised column, params)`` or None when the fitted unit leaves an
    example in the models' dead band (not exactly realisable)."""
    wts = tp.sample_weight.astype(np.float64) if weights is None else weights
    from mixedopt.perceptron.box_lp import hinge_fit

    if tp.weights == "real":
        from mixedopt.perceptron.box_lp import unit_lp

        v = hinge_fit(tp.A, desired, sample_weight=wts, K=tp.weight_bound, eps=tp.eps)
        col = np.where(tp.A @ v[:-1] + v[-1] >= 0, 1, -1).astype(np.int8)
        exact = unit_lp(tp.A, col > 0, K=tp.weight_bound, eps=tp.eps, tol=tp.tol)
        if exact is None:
            return None
        return np.where(tp.A @ exact[:-1] + exact[-1] >= 0, 1, -1).astype(np.int8), exact
    v = _fit_discrete(tp, desired, start, rng, wts)
    # second start: the hinge LP solution scaled into the box and rounded
    lp = hinge_fit(tp.A, desired, sample_weight=wts, eps=1.0)
    K = float(tp.weight_bound or 1)
    scale = np.max(np.abs(lp[:-1]), initial=0.0)
    if scale > 0:
        lp_start = np.round(lp * (K / scale))
        lo_b, hi_b = tp.bias_bounds() or (-K, K)
        lp_start[:-1] = np.clip(lp_start[:-1], -K, K)
        if tp.weights == "binary":
            lp_start[:-1] = np.where(lp_start[:-1] >= 0, 1, -1)
        lp_start[-1] = np.clip(lp_start[-1], lo_b, hi_b)
        v2 = _fit_discrete(tp, desired, lp_start, rng, wts)
        if _mismatch(tp, desired, v2, wts) < _mismatch(tp, desired, v, wts):
            v = v2
    z = tp.A @ v[:-1] + v[-1]
    if not tp.integral and np.any((z > -tp.eps) & (z < tp.tol)):
        return None
    return np.where(z >= 0, 1, -1).astype(np.int8), v


def _marginal(tp: TargetProblem, T: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit ``j``'s desired column and row weights from its exact marginal effect: flipping
    ``T[k, j]`` changes example ``k``'s violations by ``delta_k``; rows that gain want the
    flip (weight ``-delta``), rows that lose want to keep (weight ``delta``); indifferent
    rows get a small weight that keeps them where they are."""
    T_flip = T.copy()
    T_flip[:, j] = -T_flip[:, j]
    delta = (tp.violations_per_example(T_flip) - tp.violations_per_example(T)).astype(float)
    if tp.max_flips is not None:
        assert tp.current is not None
        far = np.sum(T_flip != tp.current, axis=1) > tp.max_flips
        delta = np.where(far, np.maximum(delta, 1.0) * 10.0, delta)
    desired = np.where(delta < 0, -T[:, j], T[:, j]).astype(np.int8)
    w = np.where(delta == 0, 0.05, np.abs(delta)) * tp.sample_weight
    return desired, w


def _propose(
    tp: TargetProblem, T: np.ndarray, rows: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Nearest downstream-better codes for ``rows`` of ``T`` (within ``max_flips``)."""
    D = T.copy()
    if tp.n_units <= MAX_CODE_TABLE_UNITS:
        codes = tp.all_codes()
        viol = tp.code_violations()
        for k in rows:
            cand = viol[k]
            if tp.max_flips is not None:
                assert tp.current is not None
                far = np.sum(codes != tp.current[k][None, :], axis=1) > tp.max_flips
                cand = np.where(far, np.iinfo(np.int64).max, cand)
            best = cand.min()
            if best >= viol[k][_code_index(T[k])]:
                continue
            idx = np.flatnonzero(cand == best)
            dist = np.sum(codes[idx] != T[k][None, :], axis=1)
            near = idx[dist == dist.min()]
            D[k] = codes[rng.choice(near)]
        return D
    # wide layers: greedy single flips
    for k in rows:
        row = T[k].copy()
        cur_v = tp.violations_per_example(row[None, :])[0]
        for _ in range(tp.max_flips if tp.max_flips is not None else tp.n_units):
            if cur_v == 0:
                break
            trials = np.repeat(row[None, :], tp.n_units, axis=0)
            np.fill_diagonal(trials, -np.diag(trials))
            if tp.max_flips is not None:
                assert tp.current is not None
                ok = np.sum(trials != tp.current[k][None, :], axis=1) <= tp.max_flips
            else:
                ok = np.ones(tp.n_units, bool)
            vv = np.where(ok, tp.violations_per_example(trials), np.iinfo(np.int64).max)
            j = int(np.argmin(vv + rng.random(tp.n_units) * 0.5))
            if vv[j] > cur_v or not ok[j]:
                break
            row, cur_v = trials[j], vv[j]
        D[k] = row
    return D


def _code_index(code: np.ndarray) -> int:
    bits = (np.asarray(code) > 0).astype(np.int64)
    return int(bits @ (1 << np.arange(len(bits))[::-1]))


def greedy_assign(
    tp: TargetProblem,
    *,
    time_limit: float | None,
    seed: int = 0,
    initial: tuple[np.ndarray, np.ndarray] | None = None,
) -> RawAssignment:
    """Anytime local search (see the module docstring); status is ``limit`` unless 0."""
    start_t = time.perf_counter()
    rng = np.random.default_rng(seed)
    n, d = tp.n_units, tp.n_inputs
    B = tp.n_samples
    deadline = None if time_limit is None else start_t + time_limit
    # start: current targets refitted (so that they are realisable), else constant +1
    params = np.zeros((n, d + 1))
    if tp.weights == "binary":
        params[:, :-1] = 1.0
        params[:, -1] = float(d)
    elif tp.weights == "real":
        params[:, -1] = tp.tol if tp.weight_bound is None else min(tp.weight_bound, 1.0)
    if initial is not None:
        params = np.hstack([initial[0], initial[1][:, None]]).astype(np.float64)
    T = np.empty((B, n), dtype=np.int8)
    for j in range(n):
        T[:, j] = np.where(tp.A @ params[j, :-1] + params[j, -1] >= 0, 1, -1)
    if tp.current is not None and initial is None:
        for j in range(n):
            fit = _fit_column(tp, tp.current[:, j], params[j], rng)
            if fit is not None:
                T[:, j], params[j] = fit
    if tp.max_flips is not None:
        assert tp.current is not None
        # a start outside the flip budget falls back to the current targets' realised part
        far = np.sum(T != tp.current, axis=1) > tp.max_flips
        if np.any(far):
            logger.debug("greedy: %d start rows exceed max_flips", int(far.sum()))
    cur_v = _objective(tp, T)
    best = (cur_v, T.copy(), params.copy())
    stale = 0
    it = 0
    while best[0] > 0 and stale < MAX_STALE:
        if deadline is not None and time.perf_counter() >= deadline:
            break
        it += 1
        per = tp.violations_per_example(T)
        bad = np.flatnonzero(per > 0)
        if bad.size == 0:
            break
        rows = bad if stale % 2 == 0 else rng.choice(bad, size=max(1, bad.size // 2), replace=False)
        # odd rounds: multi-bit proposals (nearest downstream-correct codes); even rounds:
        # each unit's exact marginal effect
        D = _propose(tp, T, rows, rng) if it % 2 == 0 else None
        improved = False
        for j in rng.permutation(n):
            if deadline is not None and time.perf_counter() >= deadline:
                break
            if D is None:
                desired, wts = _marginal(tp, T, j)
            else:
                desired, wts = D[:, j], None
            if np.array_equal(desired, T[:, j]):
                continue
            fit = _fit_column(tp, desired, params[j], rng, wts)
            if fit is None or np.array_equal(fit[0], T[:, j]):
                continue
            col, v = fit
            T2 = T.copy()
            T2[:, j] = col
            v2 = _objective(tp, T2)
            # accept improvements, and sideways moves half of the time (plateaus: a code
            # often needs several units to change before the layer above agrees)
            if v2 < cur_v or (v2 == cur_v and rng.random() < 0.5):
                T, cur_v, params[j] = T2, v2, v
                if cur_v < best[0]:
                    best = (cur_v, T.copy(), params.copy())
                    improved = True
        stale = 0 if improved else stale + 1
    best_v, T, params = best
    return RawAssignment(
        "optimal" if best_v == 0 else "limit",
        T,
        params[:, :-1],
        params[:, -1],
        bound=0.0,
        info={"iterations": it},
    )


def _objective(tp: TargetProblem, T: np.ndarray) -> float:
    """Violations, with rows outside the flip budget counted as infeasible (huge)."""
    v = tp.violations(T)
    if tp.max_flips is not None:
        assert tp.current is not None
        far = np.sum(T != tp.current, axis=1) > tp.max_flips
        v += int(far.sum()) * (int(tp.sample_weight.sum()) * max(1, tp.y.size) + 1)
    return v
