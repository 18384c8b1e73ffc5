"""The LARS back end (``"lars"``): the exact Lasso path on the Gram matrix ``D^T D``.

One LARS / homotopy path (scikit-learn's ``lars_path_gram``) serves every ``beta``: the
coefficients are piecewise linear in ``beta``. The Gram matrix is accumulated from bit-packed
row blocks, so ``n`` only costs time, not memory, and the certificates need only ``D^T D``,
``D^T y`` and ``y^T y``. A ``beta`` whose certificate misses ``tol`` is refitted on its support
and signs, then redone as a HiGHS QP when ``n P`` is small or polished by FISTA on ``D^T D``.
"""

from __future__ import annotations

import logging
import time
import warnings

import numpy as np

from mixedopt.convex.first_order import prox
from mixedopt.convex.highs import QP_LIMIT, solve_qp_robust
from mixedopt.convex.losses import Certificate
from mixedopt.convex.solution import ConvexSolution, Operator, keep_best_dual
from mixedopt.threads import one_blas_thread

logger = logging.getLogger(__name__)


def gram(op: Operator, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(D^T D, D^T y)``, from row blocks when ``D`` is bit-packed."""
    if op.dense is not None:
        return op.dense.T @ op.dense, op.dense.T @ y
    pm = op.packed
    P = pm.shape[1]
    G = np.zeros((P, P))
    step = pm._row_block()
    for s in range(0, pm.n_rows, step):
        blk = pm.rows(s, s + step).astype(np.float64)
        G += blk.T @ blk
    return G, pm.rmatvec(y)


def gram_certificate(
    G: np.ndarray, Xy: np.ndarray, yy: float, n: int, w: np.ndarray, beta: float
) -> Certificate:
    """The squared-loss certificate from ``D^T D``, ``D^T y`` and ``y^T y`` only."""
    from mixedopt.convex.losses import kkt_residual

    Gw = G @ w
    rr = max(float(yy - 2.0 * w @ Xy + w @ Gw), 0.0)  # ||y - D w||^2
    c = (Xy - Gw) / n  # D^T r / n
    primal = rr / (2 * n) + beta * float(np.sum(np.abs(w)))
    norm = float(np.max(np.abs(c))) if c.size else 0.0
    s = min(1.0, beta / norm) if norm > 0 else 1.0
    dual = float(s * (yy - w @ Xy) / n - s * s * rr / (2 * n))
    return Certificate(primal, dual, max(primal - dual, 0.0), kkt_residual(w, -c, beta))


def polish_gram(
    G: np.ndarray,
    Xy: np.ndarray,
    yy: float,
    n: int,
    beta: float,
    w: np.ndarray,
    cert: Certificate,
) -> tuple[np.ndarray, Certificate]:
    """:func:`_polish_support` from ``D^T D`` and ``D^T y`` only."""
    scale = float(np.max(np.abs(w))) if w.size else 0.0
    S = np.flatnonzero(np.abs(w) > 1e-12 * scale)
    if S.size == 0:
        return w, cert
    sgn = np.sign(w[S])
    wS, *_ = np.linalg.lstsq(G[np.ix_(S, S)], Xy[S] - n * beta * sgn, rcond=None)
    w_ls = np.zeros_like(w)
    w_ls[S] = wS
    new = gram_certificate(G, Xy, yy, n, w_ls, beta)  # its dual is valid whatever the signs
    best_w, best = w, cert
    if np.all(np.sign(wS) == sgn) and new.primal <= cert.primal + 1e-12 * max(1.0, cert.primal):
        best_w, best = w_ls, new
    if new.dual > best.dual:
        best = Certificate(best.primal, new.dual, max(best.primal - new.dual, 0.0), best.kkt)
    return best_w, best


def solve_lars(
    op: Operator,
    y: np.ndarray,
    betas: list[float],
    tol: float,
    max_iter: int,
    deadline: float | None,
    t0: float,
) -> list[ConvexSolution]:
    """All ``betas`` from one LARS-Lasso path; polish any that misses ``tol``."""
    from sklearn.linear_model import lars_path_gram

    n = op.shape[0]
    G, Xy = gram(op, y)
    yy = float(y @ y)
    interrupted = False
    try:
        with warnings.catch_warnings(), one_blas_thread():
            warnings.simplefilter("ignore")
            alphas, _, coefs = lars_path_gram(
                Xy,
                G,
                n_samples=n,
                alpha_min=min(betas),
                method="lasso",
                # a path needs about min(n, P) steps; many more means degenerate cycling
                max_iter=max(1, min(max_iter, 4 * min(n, G.shape[0]) + 10)),
            )
    except KeyboardInterrupt:  # best so far: the empty network
        interrupted = True
        alphas, coefs = np.array([np.inf]), np.zeros((op.shape[1], 1))
        deadline = time.perf_counter()
    t_path = time.perf_counter() - t0
    out = []
    for beta in betas:
        t1 = time.perf_counter()
        w = interpolate_path(alphas, coefs, beta)
        cert = gram_certificate(G, Xy, yy, n, w, beta)
        solver, n_iter = "lars", len(alphas) - 1
        if cert.relative_gap > tol:
            w, cert = polish_gram(G, Xy, yy, n, beta, w, cert)
        if cert.relative_gap > tol and (deadline is None or time.perf_counter() < deadline):
            if n * op.shape[1] <= QP_LIMIT:
                logger.debug(
                    "LARS gap %.2e > tol at beta=%g: solving the QP", cert.relative_gap, beta
                )
                sol = solve_qp_robust(op, y, beta, tol, max_iter, deadline, t1)
                sol.solver = "lars+qp"
                sol.wall_time += t_path
                out.append(sol)
                continue
            logger.debug(
                "LARS gap %.2e > tol at beta=%g: polishing with FISTA on D^T D",
                cert.relative_gap,
                beta,
            )
            with one_blas_thread():
                w, cert, k = fista_gram(G, Xy, yy, n, beta, w, tol, max_iter, deadline)
            solver, n_iter = "lars+fista", n_iter + k
        out.append(
            ConvexSolution.from_certificate(
                w,
                cert,
                beta,
                "squared",
                tol,
                solver=solver,
                n_iter=n_iter,
                wall_time=t_path + time.perf_counter() - t1,
                interrupted=interrupted,
                info={"path_breakpoints": len(alphas)},
            )
        )
    return out


def fista_gram(
    G: np.ndarray,
    Xy: np.ndarray,
    yy: float,
    n: int,
    beta: float,
    w: np.ndarray,
    tol: float,
    max_iter: int,
    deadline: float | None,
    check_every: int = 10,
) -> tuple[np.ndarray, Certificate, int]:
    """FISTA with adaptive restart for the squared loss on ``D^T D`` (cost ``P^2`` per step)."""
    L = max(1.0001 * top_eigenvalue(G) / n, 1e-12)
    x = w.copy()
    yk, t = x.copy(), 1.0
    best_w, best_dual = x.copy(), -np.inf
    cert = gram_certificate(G, Xy, yy, n, x, beta)
    best_cert = cert
    it = 0
    try:
        for it in range(1, max_iter + 1):
            g = (G @ yk - Xy) / n
            x_new = prox(yk - g / L, beta / L)
            if np.sum((yk - x_new) * (x_new - x)) > 0:
                t = 1.0
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            yk = x_new + (t - 1.0) / t_new * (x_new - x)
            x, t = x_new, t_new
            if it % check_every == 0 or it == max_iter:
                cert = keep_best_dual(gram_certificate(G, Xy, yy, n, x, beta), best_dual)
                if cert.relative_gap > tol and it % (10 * check_every) == 0:
                    x_pol, cert = polish_gram(G, Xy, yy, n, beta, x, cert)
                    if x_pol is not x:
                        x, yk, t = x_pol, x_pol.copy(), 1.0
                best_dual = cert.dual
                if cert.primal <= best_cert.primal:
                    best_w, best_cert = x.copy(), cert
                if cert.relative_gap <= tol:
                    break
                if deadline is not None and time.perf_counter() >= deadline:
                    break
    except KeyboardInterrupt:
        pass
    best_cert = keep_best_dual(best_cert, best_dual)
    return best_w, best_cert, it


def top_eigenvalue(G: np.ndarray, iters: int = 50) -> float:
    v = np.random.default_rng(0).standard_normal(G.shape[0])
    lam = 0.0
    for _ in range(iters):
        u = G @ v
        lam_new = float(np.linalg.norm(u))
        if lam_new == 0:
            return 0.0
        v = u / lam_new
        if abs(lam_new - lam) <= 1e-6 * lam_new:
            lam = lam_new
            break
        lam = lam_new
    return lam * 1.01  # power iteration approaches from below


def interpolate_path(alphas: np.ndarray, coefs: np.ndarray, beta: float) -> np.ndarray:
    """The Lasso coefficients at ``beta`` on a piecewise-linear path (``alphas`` decreasing)."""
    if beta >= alphas[0]:
        return np.zeros(coefs.shape[0])
    if beta <= alphas[-1]:
        return coefs[:, -1].copy()
    k = int(np.searchsorted(-alphas, -beta, side="right")) - 1  # alphas[k] >= beta > alphas[k+1]
    a0, a1 = alphas[k], alphas[k + 1]
    frac = (a0 - beta) / (a0 - a1)
    return coefs[:, k] + frac * (coefs[:, k + 1] - coefs[:, k])
