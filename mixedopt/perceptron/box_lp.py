"""Small LPs for one unit with fixed inputs and a fixed target column (real weights).

Semantics shared with the MIP models: with ``|w_i|, |b| <= K``, an active example needs
``z >= tol`` and an inactive one ``z <= -eps`` (see
:attr:`mixedopt.problems.training.TrainingProblem.active_tol` and ``eps``). Used by the brute-force
oracle and the target-assignment checks.

These are not :func:`mixedopt.perceptron.fit_unit` in other clothes: ``fit_unit`` is
scale-free (functional margin 1, no bound on ``w`` or ``b``), while a column is realisable in
the models only with ``|w_i|, |b| <= K`` and the asymmetric gap ``z >= tol`` / ``z <= -eps``
of :meth:`~mixedopt.problems.training.TrainingProblem.eps` and ``active_tol``; near-tied
examples make the two answers differ. :func:`hinge_fit` minimises the plain weighted hinge
around the centre ``-eps/2`` of that gap, without the ``||w||_1`` term of
``fit_unit(method="hinge")``.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import linprog

__all__ = ["best_unit_params", "hinge_fit", "unit_lp"]


def unit_lp(
    A: np.ndarray,
    active: np.ndarray,
    *,
    K: float | None,
    eps: float,
    tol: float = 0.0,
    support: np.ndarray | None = None,
    maximize_margin: bool = False,
    margin_rows: np.ndarray | None = None,
    min_margin: float = 0.0,
) -> np.ndarray | None:
    """Solve the unit LP; returns ``(w_1..w_n, b)`` or None when infeasible.

    ``K=None`` leaves the weights unbounded (scale-free realisability). ``support`` (bool,
    length n + 1) fixes the other coordinates to 0. With
    ``maximize_margin`` the margin ``mu`` (on ``margin_rows``, default all) is maximised:
    active ``z >= tol + mu``, inactive ``z <= -eps - mu``; ``min_margin`` is a lower bound
    on ``mu``.
    """
    A = np.asarray(A, dtype=np.float64)
    m, n = A.shape
    active = np.asarray(active, dtype=bool)
    box = (None, None) if K is None or not np.isfinite(K) else (-K, K)
    mr = np.ones(m) if margin_rows is None else np.asarray(margin_rows, dtype=np.float64)
    sgn = np.where(active, -1.0, 1.0)
    # rows: sgn * (A w + b) + mr * mu <= rhs
    Aub = np.hstack([sgn[:, None] * A, sgn[:, None], mr[:, None]])
    rhs = np.where(active, -tol, -eps)
    bounds = [box] * (n + 1)
    if support is not None:
        bounds = [box if s else (0.0, 0.0) for s in support]
    use_mu = maximize_margin or min_margin > 0
    bounds.append((min_margin, None) if use_mu else (0.0, 0.0))
    c = np.zeros(n + 2)
    if maximize_margin:
        c[-1] = -1.0
    if m == 0:
        return np.zeros(n + 1)
    res = linprog(c, A_ub=Aub, b_ub=rhs, bounds=bounds, method="highs")
    if res.status != 0:
        return None
    v = res.x[: n + 1]
    v[np.abs(v) < 1e-12] = 0.0
    return v


def _margin(A: np.ndarray, active: np.ndarray, v: np.ndarray, eps: float, rows) -> float:
    z = A @ v[:-1] + v[-1]
    s = np.where(z >= 0, z, -eps - z)
    if rows is not None:
        s = s[np.asarray(rows, bool)]
    return float(s.min()) if s.size else 0.0


def best_unit_params(
    A: np.ndarray,
    active: np.ndarray,
    *,
    K: float,
    eps: float,
    tol: float = 0.0,
    objective: tuple[str, ...] = ("errors",),
    margin_rows: np.ndarray | None = None,
) -> tuple[np.ndarray, int, float] | None:
    """Best real parameters realising ``active`` on ``A``: ``(params, n_nonzero, margin)``.

    The non-error criteria of ``objective`` are applied in order: ``weights`` minimises the
    support (exhaustively over subsets), ``margin`` maximises the margin. None when the
    column is not realisable.
    """
    A = np.asarray(A, dtype=np.float64)
    n = A.shape[1]
    crit = [c for c in objective if c in ("weights", "margin")]
    kw = {"K": K, "eps": eps, "tol": tol, "margin_rows": margin_rows}
    v = unit_lp(A, active, **kw)
    if v is None:
        return None

    def support_search(min_margin: float = 0.0, maximize: bool = False):
        for size in range(n + 2):
            best = None
            for S in itertools.combinations(range(n + 1), size):
                sup = np.zeros(n + 1, bool)
                sup[list(S)] = True
                u = unit_lp(
                    A, active, support=sup, maximize_margin=maximize, min_margin=min_margin, **kw
                )
                if u is None:
                    continue
                if not maximize:
                    return u
                if best is None or _margin(A, active, u, eps, margin_rows) > _margin(
                    A, active, best, eps, margin_rows
                ):
                    best = u
            if best is not None:
                return best
        return None

    has_rows = margin_rows is None or bool(np.any(margin_rows))
    if crit and crit[0] == "margin" and has_rows:
        u = unit_lp(A, active, maximize_margin=True, **kw)
        v = v if u is None else u
        if "weights" in crit:
            mu = max(0.0, _margin(A, active, v, eps, margin_rows) - 1e-7)
            u = support_search(min_margin=mu)
            v = v if u is None else u
    elif crit and crit[0] == "weights":
        u = support_search(maximize="margin" in crit and has_rows)
        v = v if u is None else u
    return v, int(np.count_nonzero(v)), _margin(A, active, v, eps, margin_rows)


def hinge_fit(
    A: np.ndarray,
    target: np.ndarray,
    *,
    sample_weight: np.ndarray | None = None,
    K: float | None = None,
    eps: float = 1.0,
) -> np.ndarray:
    """Weighted L1-hinge fit of one unit to a ±1 ``target`` (an LP); returns ``(w, b)``.

    The hinge is centred on the middle of the models' dead band ``(-eps, 0)``: active
    examples want ``z >= eps/2``, inactive ones ``z <= -3 eps/2``, each shortfall paid
    linearly (weighted by ``sample_weight``). The result need not realise ``target``; its
    realised column is ``A w + b >= 0``.
    """
    A = np.asarray(A, dtype=np.float64)
    m, n = A.shape
    t = np.asarray(target) > 0
    sw = np.ones(m) if sample_weight is None else np.asarray(sample_weight, np.float64)
    box = (None, None) if K is None or not np.isfinite(K) else (-K, K)
    sgn = np.where(t, -1.0, 1.0)
    Aub = np.hstack([sgn[:, None] * A, sgn[:, None], -np.eye(m)])
    rhs = np.where(t, -0.5 * eps, -1.5 * eps)
    c = np.concatenate([np.zeros(n + 1), sw])
    bounds = [box] * (n + 1) + [(0.0, None)] * m
    res = linprog(c, A_ub=Aub, b_ub=rhs, bounds=bounds, method="highs")
    if res.status != 0:
        return np.zeros(n + 1)
    return res.x[: n + 1]
