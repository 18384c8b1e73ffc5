"""Method ``"integer"``: integer weights and bias in ``[-K, K]`` by CP-SAT (exact).

Minimises the weighted number of misclassified examples, ties broken by min ``Σ|w_i|``.
Duplicate rows are merged; each distinct example gets one half-reified row
(``ok → w·a + b >= 0`` for ``t = +1``, ``ok → w·a + b <= -1`` for ``t = -1``, exact on integer
data). The search starts from a rounded soft-margin hyperplane and uses one worker.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from mixedopt.errors import SolverError, ValidationError
from mixedopt.perceptron.data import Data
from mixedopt.perceptron.hyperplane import exact_sign
from mixedopt.perceptron.options import Opts, remaining
from mixedopt.perceptron.result import UnitFit, finish
from mixedopt.perceptron.soft_margin import l2svm

logger = logging.getLogger(__name__)


def _integer_weights(c: np.ndarray) -> tuple[np.ndarray, float]:
    """Integer objective weights for CP-SAT and the factor they were scaled by."""
    if np.all(c == np.round(c)) and float(np.max(c)) < 2**40:
        return c.astype(np.int64), 1.0
    factor = 1e6 / float(np.max(c))
    ci = np.round(c * factor).astype(np.int64)
    logger.warning(
        "integer fit: non-integral sample weights rounded to integers (relative precision 1e-6)"
    )
    return ci, factor


def _integer_hint(
    data: Data, t: np.ndarray, c: np.ndarray, K: int, deadline: float | None
) -> tuple[np.ndarray, int] | None:
    """A rounded soft-margin hyperplane as CP-SAT's starting point: ``(w, b)`` in ``[-K, K]``.

    The real direction is scaled so that its largest weight runs over a grid in
    ``[0.5, K + 0.5]``, rounded and clipped; for each scale the best bias in ``[-K, K]`` is
    chosen (fewest weighted errors, then min ``Σ|w|``).
    """
    if np.all(t == t[0]):
        return np.zeros(data.n, dtype=np.int64), (0 if t[0] > 0 else -1)
    try:
        w_real, _, _, _ = l2svm(data, t.astype(np.float64), c, 1.0, deadline)
    except np.linalg.LinAlgError:  # pragma: no cover
        return None
    top = float(np.max(np.abs(w_real)))
    if not top > 0 or not np.isfinite(top):
        return None
    Ai = data.A.astype(np.int64)
    bs = np.arange(-K, K + 1)
    best: tuple[float, int, np.ndarray, int] | None = None
    for k in np.linspace(0.5, K + 0.5, 8 * K + 1):
        wi = np.clip(np.round(w_real * (k / top)), -K, K).astype(np.int64)
        Z = (Ai @ wi)[:, None] + bs[None, :]
        err = c @ (np.where(Z >= 0, 1, -1) != t[:, None])
        j = int(np.argmin(err))
        cand = (float(err[j]), int(np.abs(wi).sum()), wi, int(bs[j]))
        if best is None or cand[:2] < best[:2]:
            best = cand
    assert best is not None
    return best[2], best[3]


def check_integer_args(data: Data, opts: Opts) -> int:
    """``weight_bound`` is required and ``A`` must be integral; returns ``K``."""
    if opts.weight_bound is None:
        raise ValidationError(
            "method='integer' needs weight_bound=K (weights and bias in [-K, K]), e.g. "
            "weight_bound=3."
        )
    if not data.integral:
        raise ValidationError(
            "method='integer' needs integer-valued A (the constraints are exact integer "
            "rows); round or scale your inputs first, e.g. np.round(A * 10)."
        )
    return opts.weight_bound


def fit_integer(data: Data, t: np.ndarray, c: np.ndarray, opts: Opts, t0: float) -> UnitFit:
    K = check_integer_args(data, opts)
    from ortools.sat.python import cp_model

    A = data.A
    n = A.shape[1]
    if float(np.max(np.abs(A))) * K * (n + 1) >= 2**62:
        raise ValidationError(
            "method='integer': |A| * weight_bound * (n + 1) overflows 64-bit integers; "
            "scale A down."
        )
    Ai = A.astype(np.int64)
    ci, factor = _integer_weights(c)
    keys, inv = np.unique(np.column_stack([Ai, t.astype(np.int64)]), axis=0, return_inverse=True)
    inv = np.asarray(inv).ravel()
    gw = np.bincount(inv, weights=ci.astype(np.float64), minlength=keys.shape[0])
    gw = np.round(gw).astype(np.int64)
    model = cp_model.CpModel()
    w = [model.NewIntVar(-K, K, f"w{i}") for i in range(n)]
    b = model.NewIntVar(-K, K, "b")
    absw = [model.NewIntVar(0, K, f"abs_w{i}") for i in range(n)]
    for a_i, w_i in zip(absw, w, strict=True):
        model.AddAbsEquality(a_i, w_i)
    big = n * K + 1
    ok_vars = []
    ok_coef = []
    ok_groups = np.flatnonzero(gw > 0).tolist()
    for g in ok_groups:
        row = keys[g, :n]
        nz = np.flatnonzero(row)
        expr = cp_model.LinearExpr.weighted_sum(
            [w[i] for i in nz.tolist()] + [b], [int(x) for x in row[nz].tolist()] + [1]
        )
        ok = model.NewBoolVar(f"ok{g}")
        if keys[g, n] > 0:
            model.Add(expr >= 0).OnlyEnforceIf(ok)
        else:
            model.Add(expr <= -1).OnlyEnforceIf(ok)
        ok_vars.append(ok)
        ok_coef.append(-big * int(gw[g]))
    total = int(np.sum(gw))
    model.Minimize(
        cp_model.LinearExpr.weighted_sum(ok_vars + absw, ok_coef + [1] * n) + big * total
    )
    hint = _integer_hint(data, t, c, K, opts.deadline)
    if hint is not None:  # a complete hint: weights, bias, |w| and the satisfied rows
        hw, hb = hint
        for var, val in zip([*w, b], [*hw.tolist(), hb], strict=True):
            model.AddHint(var, int(val))
        for var, val in zip(absw, np.abs(hw).tolist(), strict=True):
            model.AddHint(var, int(val))
        pre = keys[:, :n] @ hw + hb
        sat = np.where(keys[:, n] > 0, pre >= 0, pre <= -1)
        for var, g in zip(ok_vars, ok_groups, strict=True):
            model.AddHint(var, bool(sat[g]))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = int(opts.seed % 2**31)
    if opts.time_limit is not None:
        rem = remaining(opts.deadline)
        solver.parameters.max_time_in_seconds = max(1e-3, rem if rem is not None else 0.0)
    st = solver.Solve(model)
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        wv = np.array([solver.Value(x) for x in w], dtype=np.int64)
        bv = int(solver.Value(b))
        status = "optimal" if st == cp_model.OPTIMAL else "time_limit"
        lb = math.floor(solver.BestObjectiveBound() / big + 1e-9) / factor
    elif st == cp_model.UNKNOWN:  # stopped before a first solution: keep the hint
        if hint is not None:
            wv, bv = hint[0].astype(np.int64), int(hint[1])
        else:
            wv = np.zeros(n, dtype=np.int64)
            bv = 0 if float(c @ (t > 0)) >= float(c @ (t < 0)) else -1
        status = "time_limit"
        lb = 0.0
    else:
        raise SolverError(f"CP-SAT returned {solver.StatusName(st)} for the integer unit fit.")
    viol = exact_sign(A, wv, bv) != t
    errors = float(c[viol].sum())
    if status == "optimal":
        lb = errors
    if viol.any():
        separable: bool | None = False if status == "optimal" else None
    else:
        separable = True
    return finish(
        data,
        t,
        wv,
        bv,
        method="integer",
        status=status,
        separable=separable,
        objective=errors,
        bound=min(lb, errors),
        n_iter=int(solver.NumBranches()),
        t0=t0,
        integer=True,
    )


def unit_cp(
    A: np.ndarray,
    t: np.ndarray,
    *,
    weights: str,
    K: int,
    bias_bounds: tuple[float, float],
    time_limit: float = 10.0,
) -> np.ndarray | None:
    """Exact realisability of the ±1 (or boolean) column ``t`` by one unit with discrete
    weights on integral inputs ``A``: ``(w_1..w_n, b)`` with ``A @ w + b >= 0`` where ``t``
    is active and ``<= -1`` elsewhere (``binary`` weights in ``{-1, 1}``, others in
    ``[-K, K]``; the bias in ``bias_bounds``), or None when proven impossible or out of time.
    A CP-SAT feasibility model, one worker, seed 0.

    >>> import numpy as np
    >>> X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]])
    >>> unit_cp(X, np.array([-1, -1, -1, 1]), weights="integer", K=1, bias_bounds=(-1, 1))
    array([ 1,  1, -1])
    >>> unit_cp(X, np.array([1, -1, -1, 1]), weights="integer", K=1, bias_bounds=(-1, 1)) is None
    True
    """
    from ortools.sat.python import cp_model

    md = cp_model.CpModel()
    n = A.shape[1]
    if weights == "binary":
        dom = cp_model.Domain.FromValues([-1, 1])
        w = [md.NewIntVarFromDomain(dom, f"w{i}") for i in range(n)]
    else:
        w = [md.NewIntVar(-int(K), int(K), f"w{i}") for i in range(n)]
    lo, hi = (int(v) for v in bias_bounds)
    b = md.NewIntVar(lo, hi, "b")
    for k in range(A.shape[0]):
        xk = A[k]
        z = sum(int(xk[i]) * w[i] for i in np.flatnonzero(xk)) + b
        md.Add(z >= 0) if t[k] > 0 else md.Add(z <= -1)
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.max_time_in_seconds = max(0.01, float(time_limit))
    prm.random_seed = 0
    prm.num_workers = 1
    prm.log_to_stdout = False
    st = solver.Solve(md)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return np.array([solver.Value(v) for v in w] + [solver.Value(b)], dtype=np.int64)
