"""The separability test: least squares, a least-distance working set, Farkas certificates.

Works on ``A1``, the standardised inputs with a trailing column of ones (an invertible
affine map of ``[A 1]``: it changes neither separability nor the conflict sets), and decides
whether ``t_k v·A1_k >= 1`` is feasible.

A least-squares fit ``A1 v ≈ t`` is tried first; if it already classifies every example
strictly correctly it *is* a certificate of separability. Otherwise a cutting-plane loop
solves the least-distance problem ``min ||v|| s.t. t_k v·A1_k >= 1`` on a small working set
of examples with the Lawson–Hanson NNLS algorithm (Lawson & Hanson 1974, ch. 23): either it
returns a point that satisfies the working set's constraints (then all examples are checked
and the violated ones join the working set), or a vector ``u >= 0`` with
``Σ_k u_k t_k A1_k = 0``, ``Σ u_k = 1`` — a Farkas certificate of non-separability whose
support has linearly independent columns, so at most ``n + 2`` examples (see
:mod:`mixedopt.perceptron.conflict` for making it irreducible). HiGHS solves the full LP
only when the working-set loop cannot decide (numerical ties). A separating hyperplane is
re-evaluated exactly on all examples (:func:`separator_fit`), a conflict by its Farkas
residual. Sets whose margin is below about ``1e-9`` of the (standardised) data scale are
treated as not separable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixedopt.perceptron.data import Data, WorkingSet, lsq_start
from mixedopt.perceptron.highs import quiet_highs
from mixedopt.perceptron.hyperplane import exact_sign, float_decision, resolve_signs
from mixedopt.perceptron.options import expired, remaining

logger = logging.getLogger(__name__)

INFEAS_TOL = 1e-9  # NNLS residual below this: the working set looks non-separable
_FARKAS_TOL = 1e-9  # relative residual accepted for a Farkas certificate


def ldp(MW: np.ndarray, kappa: float = 1.0) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Least-distance problem ``min ||x|| s.t. MW x >= 1`` by NNLS (Lawson & Hanson, ch. 23).

    The last coordinate is scaled by ``kappa`` (it is penalised by ``1/kappa²``). Returns
    ``(x, u, rnorm)``; ``rnorm ≈ 0`` means infeasible and then ``u`` is a Farkas vector.
    """
    from scipy.optimize import nnls

    k, d = MW.shape
    E = np.empty((d + 1, k))
    E[:d] = MW.T
    if kappa != 1.0:
        E[d - 1] *= kappa
    E[d] = 1.0
    f = np.zeros(d + 1)
    f[d] = 1.0
    try:
        u, rn = nnls(E, f, maxiter=max(200, 20 * (d + 1)))
    except (RuntimeError, ValueError) as exc:  # iteration limit or bad numerics
        logger.debug("NNLS failed on a %d x %d working set: %s", k, d, exc)
        return None
    r = E @ u - f
    if not r[d] < 0:
        return np.zeros(d), u, 0.0
    x = -r[:d] / r[d]
    x[d - 1] *= kappa
    return x, u, float(rn)


def _farkas_support(MW: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Check ``u >= 0, MWᵀu ≈ 0, Σu > 0``; return (support, normalised u) or None."""
    S = np.flatnonzero(u > 0)
    if S.size == 0:
        return None
    uS = u[S] / u[S].sum()
    res = float(np.max(np.abs(MW[S].T @ uS)))
    scale = float(uS @ np.max(np.abs(MW[S]), axis=1))
    if res <= _FARKAS_TOL * max(scale, 1e-300):
        return S, uS
    return None


@dataclass
class Sep:
    status: str  # "separable" | "infeasible" | "time_limit" | "unknown"
    v: np.ndarray | None = None  # separator in the coordinates of the rows given
    rows: np.ndarray | None = None  # Farkas support (row indices)
    u: np.ndarray | None = None  # Farkas weights on rows
    rounds: int = 0
    via: str = ""


def separate(
    A1: np.ndarray,
    tf: np.ndarray,
    *,
    deadline: float | None = None,
    v0: np.ndarray | None = None,
) -> Sep:
    """Decide whether ``t_k v·A1_k >= 1`` is feasible (see the module notes)."""
    d = A1.shape[1]
    if np.all(tf == tf[0]):
        v = np.zeros(d)
        v[-1] = tf[0]
        return Sep("separable", v, via="one class")
    if v0 is None:
        v0 = lsq_start(A1, tf)
    z = (A1 @ v0) * tf
    if float(np.min(z)) > 0:
        return Sep("separable", v0, via="least squares")
    ws = WorkingSet(z, 2 * d)
    rounds = 0
    while True:
        if expired(deadline):
            return Sep("time_limit", rounds=rounds)
        rounds += 1
        W = ws.rows
        MW = A1[W] * tf[W, None]
        out = ldp(MW)
        if out is None:
            break
        x, u, rn = out
        if rn <= INFEAS_TOL:
            cert = _farkas_support(MW, u)
            if cert is not None:
                return Sep("infeasible", rows=W[cert[0]], u=cert[1], rounds=rounds, via="nnls")
            break
        z = (A1 @ x) * tf
        if float(np.min(z)) > 0:
            return Sep("separable", x, rounds=rounds, via="nnls")
        cand = ws.outside(z < 1.0 - 1e-9)
        if cand.size == 0:
            break
        ws.add(z, cand, d)
    logger.debug("working-set loop undecided after %d rounds; solving the full LP", rounds)
    res = highs_separate(A1, tf, deadline)
    res.rounds += rounds
    return res


def _highs_with_deadline(deadline: float | None) -> Any:
    """A silent HiGHS instance whose time limit ends at ``deadline``."""
    h = quiet_highs()
    rem = remaining(deadline)
    if rem is not None:
        h.setOptionValue("time_limit", max(rem, 1e-3))
    return h


def highs_separate(A1: np.ndarray, tf: np.ndarray, deadline: float | None) -> Sep:
    """Full-size HiGHS decision: the Farkas LP, then (if separable) the feasibility LP."""
    import highspy

    inf = highspy.kHighsInf
    m, d = A1.shape
    M = A1 * tf[:, None]
    # Farkas LP: lambda >= 0, Mᵀ lambda = 0, Σ lambda = 1 (a vertex has <= d + 1 nonzeros)
    h = _highs_with_deadline(deadline)
    h.setOptionValue("primal_feasibility_tolerance", 1e-10)
    h.setOptionValue("dual_feasibility_tolerance", 1e-10)
    h.addRows(
        d + 1,
        np.r_[np.zeros(d), 1.0],
        np.r_[np.zeros(d), 1.0],
        0,
        np.zeros(0, np.int32),
        np.zeros(0, np.int32),
        np.zeros(0),
    )
    vals = np.concatenate([M, np.ones((m, 1))], axis=1)
    h.addCols(
        m,
        np.zeros(m),
        np.zeros(m),
        np.full(m, inf),
        m * (d + 1),
        np.arange(0, m * (d + 1), d + 1, dtype=np.int32),
        np.tile(np.arange(d + 1, dtype=np.int32), m),
        np.ascontiguousarray(vals).ravel(),
    )
    h.run()
    st = h.getModelStatus()
    if st == highspy.HighsModelStatus.kOptimal:
        lam = np.asarray(h.getSolution().col_value)
        lam[lam < 0] = 0.0
        cert = _farkas_support(M, lam)
        if cert is not None:
            return Sep("infeasible", rows=cert[0], u=cert[1], rounds=1, via="highs")
        return Sep("unknown", rounds=1, via="highs")
    if st == highspy.HighsModelStatus.kTimeLimit:
        return Sep("time_limit", rounds=1, via="highs")
    if st != highspy.HighsModelStatus.kInfeasible:
        return Sep("unknown", rounds=1, via="highs")
    # separable: find v with M v >= 1
    h = _highs_with_deadline(deadline)
    h.addVars(d, np.full(d, -inf), np.full(d, inf))
    h.addRows(
        m,
        np.ones(m),
        np.full(m, inf),
        m * d,
        np.arange(0, m * d, d, dtype=np.int32),
        np.tile(np.arange(d, dtype=np.int32), m),
        np.ascontiguousarray(M).ravel(),
    )
    h.run()
    st = h.getModelStatus()
    if st == highspy.HighsModelStatus.kOptimal:
        v = np.asarray(h.getSolution().col_value, dtype=np.float64)
        if float(np.min(M @ v)) > 0:
            return Sep("separable", v, rounds=2, via="highs")
    if st == highspy.HighsModelStatus.kTimeLimit:
        return Sep("time_limit", rounds=2, via="highs")
    return Sep("unknown", rounds=2, via="highs")


def separator_fit(data: Data, t: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Map a standardised separator back; verify it exactly; rescale to functional margin 1."""
    w, b = data.from_std(v)
    z, err = float_decision(data.Af, w, b, data.rowmax)
    zt = z * t
    zmin = float(np.min(zt))
    if not zmin > 0:
        return None
    if np.any(zt <= err) and np.any(resolve_signs(data.A, z, err, w, b) != t):
        return None
    w, b = w / zmin, b / zmin
    if zmin <= 1e6 * float(np.max(err)) and np.any(exact_sign(data.A, w, b) != t):
        return None  # pragma: no cover - rescaling rounded a point onto the wrong side
    return w, b
