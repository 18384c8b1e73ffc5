"""Method ``"max-margin"``: the hard-margin SVM ``min ||w||² s.t. t_k (w·a_k + b) >= 1``.

It runs the separability test first (not separable → the conflict set and the soft-margin
fit with ``status="infeasible"``, as ``"lp"`` does). On separable data the working-set loop of
:mod:`mixedopt.perceptron.separability` runs on the least-distance problem with the bias
penalised by ``1/κ²`` (κ = 100), and the exact hard-margin problem is solved on the resulting
active set (a KKT linear system). ``status="optimal"`` means the KKT conditions were verified
(multipliers >= 0, stationarity, all margins >= 1, to about 1e-9 relative); otherwise the best
separating hyperplane found comes back as ``"feasible"``.
"""

from __future__ import annotations

import numpy as np

from mixedopt.perceptron.data import Data, WorkingSet
from mixedopt.perceptron.hyperplane import exact_sign
from mixedopt.perceptron.lp import fit_lp, not_separable
from mixedopt.perceptron.options import Opts, expired
from mixedopt.perceptron.result import UnitFit, finish
from mixedopt.perceptron.separability import INFEAS_TOL, ldp, separate, separator_fit

_KAPPA = 100.0  # bias column scale in the max-margin LDP (penalises b by 1/kappa²)


def _kkt_polish(X: np.ndarray, tf: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Hard-margin SVM with the rows ``X`` active (all at margin 1).

    ``min ||w|| s.t. X w + b = t``: eliminating ``b`` leaves the minimum-norm solution of the
    centred system; the multipliers solve ``w = Σ lambda_k t_k x_k``, ``Σ lambda_k t_k = 0``.
    Least squares on the rows themselves (not their Gram matrix) keeps the conditioning.
    Returns ``(v, lambda, stationarity residual relative to ||w||)``.
    """
    s = X.shape[0]
    w = np.linalg.lstsq(X - X.mean(axis=0), tf - tf.mean(), rcond=1e-10)[0]
    b = float(np.mean(tf - X @ w))
    E = np.vstack([X.T, np.ones(s)])
    rhs = np.r_[w, 0.0]
    y = np.linalg.lstsq(E, rhs, rcond=1e-10)[0]
    res = float(np.linalg.norm(E @ y - rhs)) / max(float(np.linalg.norm(w)), 1e-300)
    return np.r_[w, b], y * tf, res


def _geometric_margin(z: np.ndarray, v: np.ndarray) -> float:
    return float(np.min(z)) / max(float(np.linalg.norm(v[:-1])), 1e-300)


def fit_max_margin(data: Data, t: np.ndarray, c: np.ndarray, opts: Opts, t0: float) -> UnitFit:
    tf = t.astype(np.float64)
    sep = separate(data.A1, tf, deadline=opts.deadline)
    if sep.status == "infeasible" and sep.rows is not None and sep.u is not None:
        return not_separable(data, t, c, opts, t0, sep, method="max-margin", count_soft_iters=True)
    wb = separator_fit(data, t, sep.v) if sep.status == "separable" and sep.v is not None else None
    if wb is None:  # time limit or numerical trouble: whatever the LP path returns
        return fit_lp(data, t, c, opts, t0)
    if np.all(t == t[0]):  # one class: w = 0 is optimal
        w, b = np.zeros(data.n), float(t[0])
        return finish(
            data,
            t,
            w,
            b,
            method="max-margin",
            status="optimal",
            separable=True,
            objective=0.0,
            t0=t0,
        )
    X = data.G1
    d = X.shape[1]
    best = data.to_global(*wb)
    z = (X @ best) * tf
    best_margin = _geometric_margin(z, best)
    ws = WorkingSet(z, 2 * d)
    rounds = 0
    status = "time_limit"
    rmax = float(np.max(np.linalg.norm(X[:, :-1], axis=1)))
    while not expired(opts.deadline):
        rounds += 1
        W = ws.rows
        MW = X[W] * tf[W, None]
        out = ldp(MW, kappa=_KAPPA)
        if out is None or out[2] <= INFEAS_TOL:  # pragma: no cover - numerical trouble
            status = "feasible"
            break
        x, u, _ = out
        S = W[u > 0]
        xp, lam, res = _kkt_polish(X[S, :-1], tf[S])
        # constraint values carry rounding of order eps * ||w|| * ||x|| (ill-conditioned data)
        tol = 1e-9 * (1.0 + float(np.linalg.norm(xp[:-1])) * rmax)
        zW = MW @ xp
        zS = (X[S] @ xp) * tf[S]
        polished = bool(
            lam.size
            and np.min(lam) >= -1e-9 * max(1.0, float(np.max(lam)))  # dual feasibility
            and res <= 1e-8  # stationarity
            and np.max(np.abs(zS - 1.0)) <= tol  # complementary slackness
            and np.min(zW) >= 1.0 - tol  # primal feasibility on the working set
        )
        xx = xp if polished else x
        z = (X @ xx) * tf
        gm = _geometric_margin(z, xx)
        if gm > best_margin:  # keep the separator with the largest geometric margin
            best, best_margin = xx, gm
        cand = ws.outside(z < 1.0 - tol)
        if cand.size == 0:
            status = "optimal" if polished and float(np.min(z)) >= 1.0 - tol else "feasible"
            if float(np.min(z)) > 0:
                best = xx  # the final solution (rounding must not prefer an earlier one)
            break
        ws.add(z, cand, d)
    w, b = data.from_global(best)
    if np.any(exact_sign(data.A, w, b) != t):  # pragma: no cover - fall back to the LP one
        w, b = wb
        status = "feasible"
    return finish(
        data,
        t,
        w,
        b,
        method="max-margin",
        status=status,
        separable=True,
        objective=0.5 * float(w @ w),
        n_iter=sep.rounds + rounds,
        t0=t0,
    )
