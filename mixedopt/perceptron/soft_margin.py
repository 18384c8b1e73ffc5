"""The soft-margin fit: the L2-SVM (squared hinge) by a finite Newton method.

``min ½||w||² + (C/2) Σ_k c_k max(0, 1 - t_k (w·a_k + b))²`` — the default loss of
scikit-learn's ``LinearSVC``, bias not penalised — solved exactly: Newton steps on the active
set with an exact line search along the piecewise quadratic objective. It is the fallback of
``"lp"`` and ``"max-margin"`` on non-separable data and the starting point of ``"integer"``.
"""

from __future__ import annotations

import numpy as np

from mixedopt.perceptron.data import Data, lsq_start
from mixedopt.perceptron.options import Opts, expired


def l2svm(
    data: Data,
    tf: np.ndarray,
    c: np.ndarray,
    C: float,
    deadline: float | None,
    x0: np.ndarray | None = None,
) -> tuple[np.ndarray, float, float, int]:
    """``min ½||w||² + (C/2) Σ c_k max(0, 1 - t_k(w·a_k+b))²`` by finite Newton steps.

    Works in the globally scaled coordinates (``data.G1``). Returns ``(w, b, objective,
    iterations)`` in the original coordinates.
    """
    X = data.G1
    d = X.shape[1]
    Cs = C * data.scale**2
    P = np.ones(d)
    P[-1] = 0.0
    x = lsq_start(X, tf) if x0 is None else x0.copy()

    def obj(z: np.ndarray, xx: np.ndarray) -> float:
        h = np.maximum(0.0, 1.0 - z)
        return 0.5 * float(P @ (xx * xx)) + 0.5 * Cs * float(c @ (h * h))

    z = (X @ x) * tf
    f = obj(z, x)
    it = 0
    for it in range(1, 201):  # noqa: B007 - the count is returned
        if expired(deadline):
            break
        I = np.flatnonzero((z < 1.0) & (c > 0))
        r = c[I] * (1.0 - z[I])
        g = P * x - Cs * (X[I].T @ (r * tf[I]))
        gscale = 1.0 + float(np.max(np.abs(P * x))) + Cs * float(np.sum(c))
        if float(np.max(np.abs(g))) <= 1e-12 * gscale:
            break
        XI = X[I]
        H = (XI.T * (Cs * c[I])) @ XI
        H[np.diag_indices_from(H)] += P + 1e-12 * max(1.0, float(np.trace(H)) / d)
        try:
            step = -np.linalg.solve(H, g)
        except np.linalg.LinAlgError:  # pragma: no cover
            step = -np.linalg.lstsq(H, g, rcond=None)[0]
        dz = (X @ step) * tf
        alpha = _line_search(x, step, z, dz, c, Cs, P)
        x_new = x + alpha * step
        z_new = z + alpha * dz
        f_new = obj(z_new, x_new)
        if f_new > f:  # no progress (numerics): stop at the better point
            break
        done = f - f_new <= 1e-15 * max(1.0, abs(f))
        x, z, f = x_new, z_new, f_new
        if done:
            break
    w, b = data.from_global(x)
    return w, b, f / data.scale**2, it


def _line_search(
    x: np.ndarray,
    step: np.ndarray,
    z: np.ndarray,
    dz: np.ndarray,
    c: np.ndarray,
    Cs: float,
    P: np.ndarray,
) -> float:
    """Exact minimiser of the (piecewise quadratic, convex) objective along ``step``."""
    a0 = float(P @ (x * step))
    a1 = float(P @ (step * step))

    def deriv(alpha: float) -> tuple[float, float]:
        h = 1.0 - z - alpha * dz
        act = (h > 0) & (c > 0)
        g = a0 + alpha * a1 - Cs * float(np.sum(c[act] * h[act] * dz[act]))
        hess = a1 + Cs * float(np.sum(c[act] * dz[act] ** 2))
        return g, hess

    lo, hi = 0.0, 1.0
    g_hi, _ = deriv(hi)
    grow = 0
    while g_hi < 0 and grow < 60:
        lo, hi = hi, 2.0 * hi
        g_hi, _ = deriv(hi)
        grow += 1
    alpha = hi
    for _ in range(100):
        g, hess = deriv(alpha)
        if abs(g) <= 1e-13 * (abs(a0) + 1.0):
            return alpha
        if g > 0:
            hi = alpha
        else:
            lo = alpha
        nxt = alpha - g / hess if hess > 0 else 0.5 * (lo + hi)
        if not lo < nxt < hi:
            nxt = 0.5 * (lo + hi)
        if hi - lo <= 1e-15 * max(1.0, hi):
            return alpha
        alpha = nxt
    return alpha


def soft_fit(
    data: Data, t: np.ndarray, c: np.ndarray, opts: Opts
) -> tuple[np.ndarray, float, float, int]:
    """The soft-margin fit of ±1 targets ``t`` with the options' ``C`` and deadline."""
    return l2svm(data, t.astype(np.float64), c, opts.C, opts.deadline)
