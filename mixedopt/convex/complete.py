"""The complete-arrangement program (7) and its closed form.

When every subset of the (distinct) training points is an arrangement pattern, the
two-layer problem reduces to an ``n``-dimensional program (Ergen et al., Theorem 2.3 and
Corollary 4.1), in the normalisation of :mod:`mixedopt.convex.losses`:

    p* = min_delta (1/n) sum_i l(delta_i, y_i) + beta * (max(delta_+) + max(delta_-)).

Because ``max_{d in {0,1}^n} v^T d = sum(v_+)``, its value is also a lower bound on the
objective of *every* threshold network whose last hidden layer is a step layer (any width,
any pattern set): we use it as the global bound for Convex-Lasso.

Squared loss has a closed form: ``delta* = clip(y, -t_-, t_+)`` where ``t_+ >= 0`` solves
``sum_{y_i > 0} (y_i - t_+)_+ = n beta`` (``t_+ = 0`` when ``sum y_+ <= n beta``), likewise
``t_-``. For ±1 labels with class counts ``n_+, n_-`` and ``n beta < min(n_+, n_-)`` this is
``delta*_i = (1 - n beta / n_{±}) y_i``. Duplicate rows (which no pattern can split) are
handled as groups: ``delta`` is constant on a group and the closed form uses group means and
sizes. Logistic loss is solved by FISTA with this closed form as the proximal step, hinge
loss as an LP (HiGHS).

Examples
--------
>>> import numpy as np
>>> from mixedopt.convex.complete import solve_complete
>>> y = np.array([1.0, 1.0, 1.0, -1.0, -1.0])
>>> sol = solve_complete(y, beta=0.1)           # n beta = 0.5
>>> np.round(sol.delta, 4).tolist()             # (1 - 0.5/3) and (1 - 0.5/2)
[0.8333, 0.8333, 0.8333, -0.75, -0.75]
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixedopt.convex.losses import check_loss, dual_value, loss_grad, loss_value
from mixedopt.errors import SolverError, ValidationError
from mixedopt.perceptron.highs import quiet_highs
from mixedopt.result import Status
from mixedopt.validation import check_positive

__all__ = [
    "CompleteSolution",
    "closed_form_pm1",
    "complete_penalty",
    "complete_prox",
    "solve_complete",
    "solve_complete_qp",
]


@dataclass
class CompleteSolution:
    """Solution of program (7) with its certificate.

    Attributes
    ----------
    delta : ndarray (n,)
        Optimal network output on every training sample.
    delta_groups : ndarray (G,)
        The same per group of identical rows (``groups`` maps samples to groups).
    objective, dual_objective, gap : float
        Normalised primal value, a feasible dual value, their difference.
    """

    delta: np.ndarray
    delta_groups: np.ndarray
    groups: np.ndarray
    objective: float
    dual_objective: float
    gap: float
    status: Status
    beta: float
    loss: str
    solver: str
    n_iter: int = 0
    wall_time: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def relative_gap(self) -> float:
        return self.gap / max(abs(self.objective), 1e-12)


def complete_penalty(delta: np.ndarray) -> float:
    """``max(delta_+) + max(delta_-)`` (0 for an empty part)."""
    if delta.size == 0:
        return 0.0
    return float(max(np.max(delta), 0.0) + max(-np.min(delta), 0.0))


def _clip_level(v: np.ndarray, w: np.ndarray, lam: float) -> float:
    """``t >= 0`` with ``sum w (v - t)_+ = lam`` for ``v > 0`` (0 when ``sum w v <= lam``)."""
    if v.size == 0 or float(np.sum(w * v)) <= lam:
        return 0.0
    order = np.argsort(-v, kind="stable")
    vs, ws = v[order], w[order]
    cw, cs = np.cumsum(ws), np.cumsum(ws * vs)
    t = (cs - lam) / cw
    nxt = np.r_[vs[1:], 0.0]
    k = int(np.argmax(t >= nxt))  # first k whose level falls below the next value
    return float(t[k])


def complete_prox(v: Any, lam: float, weights: Any = None) -> np.ndarray:
    """``argmin_d sum_g w_g (d_g - v_g)^2 / 2 + lam (max d_+ + max d_-)``: clip ``v``.

    >>> complete_prox(np.array([3.0, 1.0, -2.0]), 1.0).tolist()
    [2.0, 1.0, -1.0]
    """
    v = np.asarray(v, dtype=np.float64)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=np.float64)
    pos, neg = v > 0, v < 0
    t_pos = _clip_level(v[pos], w[pos], lam)
    t_neg = _clip_level(-v[neg], w[neg], lam)
    return np.clip(v, -t_neg, t_pos)


def closed_form_pm1(y: Any, beta: float) -> tuple[np.ndarray, float]:
    """The explicit solution of (7) for ±1 labels and ``n beta < min(n_+, n_-)``:
    ``delta_i = (1 - n beta / n_{y_i}) y_i`` and
    ``p* = beta (2 - n beta / (2 n_+) - n beta / (2 n_-))`` (normalised).

    >>> d, p = closed_form_pm1(np.array([1, 1, -1, -1]), 0.25)
    >>> d.tolist(), p
    ([0.5, 0.5, -0.5, -0.5], 0.375)
    """
    y = np.asarray(y, dtype=np.float64)
    n = y.size
    n_pos, n_neg = int(np.sum(y > 0)), int(np.sum(y < 0))
    B = n * float(beta)
    if not np.all(np.isin(y, (-1.0, 1.0))) or B >= min(n_pos, n_neg):
        raise ValidationError("closed_form_pm1 needs ±1 labels of both classes and n*beta < n±.")
    delta = np.where(y > 0, 1.0 - B / n_pos, -(1.0 - B / n_neg))
    p = float(beta) * (2.0 - B / (2 * n_pos) - B / (2 * n_neg))
    return delta, p


def _certificate(
    delta_g: np.ndarray,
    groups: np.ndarray,
    y: np.ndarray,
    beta: float,
    loss: str,
    theta: np.ndarray | None = None,
) -> tuple[float, float]:
    """(primal, dual) of program (7) for ``delta`` constant on groups."""
    z = delta_g[groups]
    primal = loss_value(z, y, loss) + beta * complete_penalty(delta_g)
    th = -loss_grad(z, y, loss) if theta is None else theta
    G = np.bincount(groups, weights=th, minlength=delta_g.size)
    norm = max(float(np.sum(np.maximum(G, 0))), float(np.sum(np.maximum(-G, 0))))
    if norm > beta:
        th = th * (beta / norm)
    return primal, dual_value(th, y, loss)


def _check_groups(groups: Any, n: int) -> tuple[np.ndarray, int]:
    if groups is None:
        return np.arange(n), n
    g = np.asarray(groups)
    if g.shape != (n,) or g.dtype.kind not in "iu" or (n and g.min() < 0):
        raise ValidationError("groups must give one non-negative integer group per sample.")
    G = int(g.max()) + 1 if n else 0
    if np.bincount(g, minlength=G).min() == 0:
        raise ValidationError("groups must number the groups 0..G-1 without gaps.")
    return g.astype(np.intp), G


def solve_complete(
    y: Any,
    beta: float,
    *,
    loss: str = "squared",
    groups: Any = None,
    tol: float = 1e-9,
    max_iter: int = 20_000,
    time_limit: float | None = None,
) -> CompleteSolution:
    """Solve program (7) (or its logistic / hinge version) with a duality-gap certificate.

    Parameters
    ----------
    y : array-like (n,)
        Real targets (squared loss) or ±1 labels.
    beta : float
        Regularisation, > 0, normalised as in :mod:`~mixedopt.convex.losses`.
    loss : {"squared", "logistic", "hinge"}
    groups : array-like of int (n,), optional
        Group of identical rows of every sample (``0..G-1``); ``delta`` is shared in a group.
    tol : float
        Relative gap for ``OPTIMAL`` (closed form and LP reach it up to rounding).

    Returns
    -------
    CompleteSolution
    """
    t0 = time.perf_counter()
    loss = check_loss(loss)
    beta = float(check_positive(beta, name="beta"))
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or y.size == 0:
        raise ValidationError(f"y must be a non-empty 1-D array, got shape {y.shape}.")
    if loss != "squared" and not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValidationError(f"the {loss} loss needs labels in {{-1, +1}}.")
    n = y.size
    groups, G = _check_groups(groups, n)
    counts = np.bincount(groups, minlength=G).astype(np.float64)
    theta = None
    n_iter = 0
    info: dict[str, Any] = {}
    if loss == "squared":
        ybar = np.bincount(groups, weights=y, minlength=G) / counts
        delta_g = complete_prox(ybar, n * beta, counts)
        solver = "closed-form"
        info["t_plus"] = float(max(delta_g.max(), 0.0))
        info["t_minus"] = float(max(-delta_g.min(), 0.0))
    elif loss == "logistic":
        delta_g, n_iter = _logistic_fista(y, groups, G, counts, beta, tol, max_iter, t0, time_limit)
        solver = "fista"
    else:
        delta_g, theta = _hinge_lp(y, groups, G, beta, time_limit)
        solver = "highs"
    primal, dual = _certificate(delta_g, groups, y, beta, loss, theta)
    gap = max(primal - dual, 0.0)
    status = Status.OPTIMAL if gap <= tol * max(abs(primal), 1e-12) else Status.FEASIBLE
    return CompleteSolution(
        delta=delta_g[groups],
        delta_groups=delta_g,
        groups=groups,
        objective=primal,
        dual_objective=dual,
        gap=gap,
        status=status,
        beta=beta,
        loss=loss,
        solver=solver,
        n_iter=n_iter,
        wall_time=time.perf_counter() - t0,
        info=info,
    )


def _logistic_fista(
    y: np.ndarray,
    groups: np.ndarray,
    G: int,
    counts: np.ndarray,
    beta: float,
    tol: float,
    max_iter: int,
    t0: float,
    time_limit: float | None,
) -> tuple[np.ndarray, int]:
    n = y.size
    npos = np.bincount(groups, weights=(y > 0).astype(float), minlength=G)
    nneg = counts - npos

    def f_grad(d: np.ndarray) -> tuple[float, np.ndarray]:
        f = (npos @ np.logaddexp(0.0, -d) + nneg @ np.logaddexp(0.0, d)) / n
        s = 0.5 * (1.0 + np.tanh(0.5 * d))  # sigmoid(d)
        return float(f), (-npos * (1.0 - s) + nneg * s) / n

    L = max(float(counts.max()) / (4.0 * n), 1e-12)
    x = np.zeros(G)
    yk, t = x.copy(), 1.0
    it = 0
    try:
        for it in range(1, max_iter + 1):
            _, g = f_grad(yk)
            x_new = complete_prox(yk - g / L, beta / L)
            if np.sum((yk - x_new) * (x_new - x)) > 0:
                t = 1.0
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            yk = x_new + (t - 1.0) / t_new * (x_new - x)
            x, t = x_new, t_new
            if it % 20 == 0:
                p, dv = _certificate(x, groups, y, beta, "logistic")
                if p - dv <= tol * max(abs(p), 1e-12):
                    break
                if time_limit is not None and time.perf_counter() - t0 > time_limit:
                    break
    except KeyboardInterrupt:
        pass
    return x, it


def _hinge_lp(
    y: np.ndarray, groups: np.ndarray, G: int, beta: float, time_limit: float | None
) -> tuple[np.ndarray, np.ndarray]:
    import scipy.sparse as sp
    from scipy.optimize import linprog

    n = y.size
    npos = np.bincount(groups, weights=(y > 0).astype(float), minlength=G)
    nneg = np.bincount(groups, weights=(y < 0).astype(float), minlength=G)
    # variables: delta (G, free), xi+ (G), xi- (G), a, b  (>= 0)
    I = sp.identity(G, format="csr")
    Z = sp.csr_matrix((G, G))
    zc = sp.csr_matrix((G, 1))
    oc = sp.csr_matrix(np.ones((G, 1)))
    A_ub = sp.vstack(
        [
            sp.hstack([-I, -I, Z, zc, zc]),  # -delta - xi+ <= -1
            sp.hstack([I, Z, -I, zc, zc]),  # delta - xi- <= -1
            sp.hstack([I, Z, Z, -oc, zc]),  # delta <= a
            sp.hstack([-I, Z, Z, zc, -oc]),  # -delta <= b
        ],
        format="csr",
    )
    b_ub = np.concatenate([-np.ones(2 * G), np.zeros(2 * G)])
    c = np.concatenate([np.zeros(G), npos / n, nneg / n, [beta, beta]])
    bounds = [(None, None)] * G + [(0, None)] * (2 * G + 2)
    options = {} if time_limit is None else {"time_limit": float(time_limit)}
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs", options=options)
    if res.x is None:
        raise SolverError(f"HiGHS could not solve the hinge version of (7): {res.message}")
    delta_g = res.x[:G]
    marg = -np.asarray(res.ineqlin.marginals)
    # per-sample dual a_i in [0, 1]: group dual spread over the group's samples of that class
    a_pos = np.where(npos > 0, marg[:G] * n / np.maximum(npos, 1), 0.0)
    a_neg = np.where(nneg > 0, marg[G : 2 * G] * n / np.maximum(nneg, 1), 0.0)
    a = np.where(y > 0, a_pos[groups], a_neg[groups])
    theta = y * np.clip(a, 0.0, 1.0) / n
    return delta_g, theta


def solve_complete_qp(y: Any, beta: float) -> tuple[np.ndarray, float]:
    """Program (7) with squared loss as a generic QP solved by HiGHS (a cross-check of the
    closed form; no groups). Returns ``(delta, objective)``.

    >>> d, p = solve_complete_qp(np.array([1.0, 1.0, -1.0, -1.0]), 0.25)
    >>> np.round(d, 6).tolist(), round(p, 6)
    ([0.5, 0.5, -0.5, -0.5], 0.375)
    """
    import highspy

    y = np.asarray(y, dtype=np.float64)
    n = y.size
    inf = highspy.kHighsInf
    h = quiet_highs()
    lp = highspy.HighsLp()
    lp.num_col_ = n + 2
    lp.num_row_ = 2 * n
    lp.col_cost_ = np.concatenate([-y / n, [beta, beta]])
    lp.col_lower_ = np.concatenate([np.full(n, -inf), [0.0, 0.0]])
    lp.col_upper_ = np.full(n + 2, inf)
    lp.row_lower_ = np.full(2 * n, -inf)
    lp.row_upper_ = np.zeros(2 * n)
    # rows 0..n-1: delta_i - a <= 0 ; rows n..2n-1: -delta_i - b <= 0   (column-wise storage)
    starts, index, value = [0], [], []
    for i in range(n):
        index += [i, n + i]
        value += [1.0, -1.0]
        starts.append(len(index))
    index += list(range(n))
    value += [-1.0] * n
    starts.append(len(index))
    index += list(range(n, 2 * n))
    value += [-1.0] * n
    starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(value, dtype=np.float64)
    hess = highspy.HighsHessian()
    hess.dim_ = n + 2
    hess.format_ = highspy.HessianFormat.kTriangular
    hess.start_ = np.asarray([*range(n + 1), n, n], dtype=np.int32)
    hess.index_ = np.arange(n, dtype=np.int32)
    hess.value_ = np.full(n, 1.0 / n)
    model = highspy.HighsModel()
    model.lp_ = lp
    model.hessian_ = hess
    h.passModel(model)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise SolverError(
            f"HiGHS QP for (7) ended with {h.modelStatusToString(h.getModelStatus())}"
        )
    x = np.asarray(h.getSolution().col_value)
    delta = x[:n]
    obj = loss_value(delta, y, "squared") + beta * complete_penalty(delta)
    return delta, float(obj)
