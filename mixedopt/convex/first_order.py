"""First-order back ends: coordinate descent (``"cd"``) and FISTA (``"fista"``).

``"cd"`` is scikit-learn's coordinate descent (``Lasso`` / ``MultiTaskLasso``) on a dense
``D``, squared loss, run in chunks so the time limit is honoured; ``"fista"`` is accelerated
proximal gradient in numpy with adaptive restart and backtracking, for any smooth loss on a
dense or bit-packed ``D``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from mixedopt.convex.losses import certificate, loss_grad, loss_value, penalty
from mixedopt.convex.solution import (
    ConvexSolution,
    Operator,
    finish_solution,
    keep_best_dual,
)


def solve_cd(
    op: Operator,
    y: np.ndarray,
    beta: float,
    coef: np.ndarray,
    tol: float,
    max_iter: int,
    deadline: float | None,
    t0: float,
) -> ConvexSolution:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import Lasso, MultiTaskLasso

    A = op.to_dense()
    multi = y.ndim == 2
    est_cls = MultiTaskLasso if multi else Lasso
    chunk = 200 if deadline is not None else max_iter
    model = est_cls(
        alpha=beta, fit_intercept=False, warm_start=True, max_iter=chunk, tol=1.0, copy_X=False
    )
    model.coef_ = coef.T.copy() if multi else coef.copy()
    # sklearn stops when its normalised gap < tol_sk * mean(y^2); our target is a relative gap
    # (gap <= tol * objective, objective <= mean(y^2) / 2): start there, tighten if needed
    sk_tol = 0.25 * tol
    n_iter, interrupted = 0, False
    cert = None
    best_dual = -np.inf
    try:
        while True:
            model.set_params(tol=sk_tol, max_iter=min(chunk, max(1, max_iter - n_iter)))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(A, y)
            n_iter += int(np.max(model.n_iter_))
            coef = (model.coef_.T if multi else model.coef_).astype(np.float64)
            cert = keep_best_dual(
                certificate(op.matvec, op.rmatvec, coef, y, beta, "squared"), best_dual
            )
            best_dual = cert.dual
            if cert.relative_gap <= tol or n_iter >= max_iter:
                break
            if deadline is not None and time.perf_counter() >= deadline:
                break
            if int(np.max(model.n_iter_)) < model.max_iter:  # sklearn converged: tighten
                sk_tol = max(sk_tol * 0.1, 1e-16)
    except KeyboardInterrupt:
        interrupted = True
        coef = (model.coef_.T if multi else model.coef_).astype(np.float64)
        cert = None
    return finish_solution(
        op,
        coef,
        y,
        beta,
        "squared",
        tol,
        "cd",
        n_iter,
        t0,
        interrupted=interrupted,
        cert=cert,
        deadline=deadline,
    )


def prox(v: np.ndarray, thr: float) -> np.ndarray:
    if v.ndim == 1:
        return np.sign(v) * np.maximum(np.abs(v) - thr, 0.0)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    scale = np.maximum(1.0 - thr / np.maximum(norms, 1e-300), 0.0)
    return v * scale


def solve_fista(
    op: Operator,
    y: np.ndarray,
    beta: float,
    loss: str,
    coef: np.ndarray,
    tol: float,
    max_iter: int,
    deadline: float | None,
    t0: float,
    check_every: int = 10,
) -> ConvexSolution:
    n = op.shape[0]
    curv = 1.0 if loss == "squared" else 0.25
    # under a time limit the power iteration gets a quarter of the time left; an estimate
    # cut short is too small, which the backtracking below corrects
    norm_deadline = None
    if deadline is not None:
        now = time.perf_counter()
        norm_deadline = now + 0.25 * max(deadline - now, 0.0)
    L = 1.05 * curv * op.spectral_norm_sq(deadline=norm_deadline) / n
    L = max(L, 1e-12)
    x = coef.copy()
    zx = op.matvec(x)
    yk, zy = x.copy(), zx.copy()
    t = 1.0
    best = (np.inf, x.copy(), zx.copy())
    cert = None
    best_dual = -np.inf
    it, interrupted = 0, False
    try:
        for it in range(1, max_iter + 1):
            gz = loss_grad(zy, y, loss)
            g = op.rmatvec(gz)
            fy = loss_value(zy, y, loss)
            while True:  # backtracking on the quadratic upper bound
                x_new = prox(yk - g / L, beta / L)
                z_new = op.matvec(x_new)
                diff = x_new - yk
                if loss_value(z_new, y, loss) <= fy + np.sum(g * diff) + 0.5 * L * np.sum(
                    diff**2
                ) + 1e-12 * max(1.0, abs(fy)):
                    break
                L *= 2.0
            # adaptive restart (O'Donoghue & Candes): momentum against the step
            if np.sum((yk - x_new) * (x_new - x)) > 0:
                t = 1.0
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            mom = (t - 1.0) / t_new
            yk = x_new + mom * (x_new - x)
            zy = z_new + mom * (z_new - zx)
            x, zx, t = x_new, z_new, t_new
            if it % check_every == 0 or it == max_iter:
                cert = keep_best_dual(
                    certificate(op.matvec, op.rmatvec, x, y, beta, loss, z=zx), best_dual
                )
                best_dual = cert.dual
                if cert.primal < best[0]:
                    best = (cert.primal, x.copy(), zx.copy())
                if cert.relative_gap <= tol:
                    break
            # every iteration: one costs several products with a large pattern matrix
            if deadline is not None and time.perf_counter() >= deadline:
                break
    except KeyboardInterrupt:
        interrupted = True
    obj_x = loss_value(zx, y, loss) + beta * penalty(x)
    if obj_x > best[0]:
        x, zx = best[1], best[2]
        cert = None
    if cert is None or cert.primal != loss_value(zx, y, loss) + beta * penalty(x):
        cert = keep_best_dual(certificate(op.matvec, op.rmatvec, x, y, beta, loss, z=zx), best_dual)
    return finish_solution(
        op,
        x,
        y,
        beta,
        loss,
        tol,
        "fista",
        it,
        t0,
        interrupted=interrupted,
        cert=cert,
        info={"lipschitz": L},
        deadline=deadline,
    )
