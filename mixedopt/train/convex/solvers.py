"""Solvers of the Lasso-type programs (6)/(15) over a fixed pattern matrix.

``min_w (1/n) sum_i l((D w)_i, y_i) + beta * R(w)`` with ``R = ||.||_1`` (one output) or the
group norm ``sum_j ||W_j||_2`` (several outputs, one group per hidden unit), see
:mod:`mixedopt.train.convex.losses` for the normalisation.

Back ends (``solver=``):

* ``"lars"`` — the exact Lasso path (LARS / homotopy, scikit-learn's ``lars_path_gram``) on
  the Gram matrix ``D^T D``, squared loss with one output; one path serves every ``beta`` (the
  coefficients are piecewise linear in ``beta``), and the Gram matrix is accumulated from
  bit-packed row blocks, so ``n`` only costs time, not memory;
* ``"qp"`` — the squared-loss Lasso as a convex QP solved by HiGHS (exact, for small
  problems);
* ``"cd"`` — scikit-learn coordinate descent (``Lasso`` / ``MultiTaskLasso``), squared loss,
  dense ``D``; run in chunks so the time limit is honoured;
* ``"fista"`` — accelerated proximal gradient in numpy with adaptive restart and
  backtracking; any smooth loss, dense or bit-packed ``D`` (:class:`PatternMatrix`), so it
  scales to ``n = 1e5``;
* ``"highs"`` — the hinge loss as a linear program solved by HiGHS (through SciPy), whose
  duals give the certificate.

``"auto"`` picks, for squared loss with one output, ``qp`` when there are at least four
times more patterns than rows (and ``n P <= 1e6``) and ``lars`` up to 4000 patterns;
``highs`` for hinge and ``fista`` otherwise (it reached a given duality gap faster than
coordinate descent on these highly correlated 0/1 columns). A LARS solution whose
certificate misses ``tol`` (sklearn's LARS can lose its way on degenerate, tied 0/1 data,
typically with fewer samples than patterns) is first refitted on its support and signs, then
redone as a HiGHS QP when ``n P <= 1e6`` or polished by FISTA on ``D^T D`` otherwise.
Every solve ends with a duality-gap certificate (:class:`ConvexSolution`): status
``OPTIMAL`` only when the relative gap is at most ``tol``.

Examples
--------
>>> import numpy as np
>>> from mixedopt.train.convex.solvers import solve_lasso
>>> D = np.array([[1, 0], [1, 1], [0, 1], [1, 1]], dtype=bool)
>>> sol = solve_lasso(D, np.array([1.0, 1.0, -1.0, 1.0]), beta=0.01, tol=1e-8)
>>> sol.status.value, sol.relative_gap <= 1e-8
('optimal', True)
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixedopt._threads import one_blas_thread
from mixedopt._validation import check_positive
from mixedopt.errors import SolverError, ValidationError
from mixedopt.result import Status
from mixedopt.train.convex.arrangements import PatternMatrix
from mixedopt.train.convex.losses import (
    Certificate,
    certificate,
    check_loss,
    dual_norm,
    loss_grad,
    loss_value,
    penalty,
)

__all__ = ["SOLVERS", "ConvexSolution", "beta_max", "lasso_path", "solve_lasso"]

logger = logging.getLogger(__name__)

SOLVERS = ("auto", "lars", "qp", "cd", "fista", "highs")
_DENSE_LIMIT = 20_000_000
_LARS_MAX_PATTERNS = 4000
_QP_TIME_LIMIT = 30.0  # seconds per HiGHS QP
_QP_LIMIT = 1_000_000  # n * P up to which a failed LARS path is redone as a HiGHS QP


@dataclass
class ConvexSolution:
    """Solution of a convex program with its optimality certificate.

    Attributes
    ----------
    coef : ndarray, shape (P,) or (P, K)
        Amplitudes (output weights) of the patterns.
    objective, dual_objective : float
        Primal value (normalised, see :mod:`~mixedopt.train.convex.losses`) and a feasible
        dual value: ``dual_objective <= optimum <= objective``.
    gap : float
        ``objective - dual_objective`` (absolute).
    kkt_residual : float
        Largest violation of the optimality conditions.
    status : Status
        ``OPTIMAL`` when ``relative_gap <= tol``, else ``FEASIBLE``.
    """

    coef: np.ndarray
    objective: float
    dual_objective: float
    gap: float
    kkt_residual: float
    status: Status
    beta: float
    loss: str
    solver: str
    n_iter: int = 0
    wall_time: float = 0.0
    interrupted: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def relative_gap(self) -> float:
        return self.gap / max(abs(self.objective), 1e-12)

    @property
    def support(self) -> np.ndarray:
        """Indices of the non-zero patterns (the hidden units of the network)."""
        if self.coef.ndim == 1:
            return np.flatnonzero(self.coef)
        return np.flatnonzero(np.any(self.coef != 0, axis=1))


# ------------------------------------------------------------------------------ operator
class _Operator:
    """``D`` as dense float64 (Fortran order) or bit-packed; products only."""

    def __init__(self, D: Any) -> None:
        if isinstance(D, PatternMatrix):
            self.packed: PatternMatrix | None = D
            self.dense: np.ndarray | None = None
            self.shape = D.shape
        else:
            A = np.asarray(D)
            if A.ndim != 2:
                raise ValidationError(f"the pattern matrix must be 2-D, got shape {A.shape}.")
            self.packed = None
            self.dense = np.asfortranarray(A, dtype=np.float64)
            self.shape = A.shape
        if self.shape[1] == 0:
            raise ValidationError(
                "the pattern set is empty (0 columns); sample more patterns (n_patterns)."
            )

    def matvec(self, w: np.ndarray) -> np.ndarray:
        return self.dense @ w if self.dense is not None else self.packed.matvec(w)

    def rmatvec(self, r: np.ndarray) -> np.ndarray:
        return self.dense.T @ r if self.dense is not None else self.packed.rmatvec(r)

    def to_dense(self) -> np.ndarray:
        if self.dense is None:
            self.dense = np.asfortranarray(self.packed.toarray(np.float64))
        return self.dense

    def spectral_norm_sq(self, iters: int = 30, seed: int = 0) -> float:
        v = np.random.default_rng(seed).standard_normal(self.shape[1])
        v /= np.linalg.norm(v)
        lam = 0.0
        for _ in range(iters):
            u = self.rmatvec(self.matvec(v))
            lam = float(np.linalg.norm(u))
            if lam == 0:
                return 0.0
            v = u / lam
        return lam


def _check_targets(y: Any, n: int, loss: str) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim not in (1, 2) or y.shape[0] != n:
        raise ValidationError(f"y must have {n} rows to match the pattern matrix, got {y.shape}.")
    if not np.all(np.isfinite(y)):
        raise ValidationError("y contains NaN or infinite values.")
    if loss != "squared":
        if y.ndim != 1:
            raise ValidationError(
                f"the {loss} loss takes one ±1 output; use one-vs-rest for several classes."
            )
        if not np.all(np.isin(y, (-1.0, 1.0))):
            raise ValidationError(f"the {loss} loss needs labels in {{-1, +1}}.")
    return y


def beta_max(D: Any, y: Any, loss: str = "squared") -> float:
    """Smallest ``beta`` for which ``w = 0`` is optimal: ``R°(D^T grad F(0))``.

    >>> D = np.eye(3, dtype=bool)
    >>> beta_max(D, np.array([3.0, -6.0, 1.5]))
    2.0
    """
    check_loss(loss)
    op = _Operator(D)
    y = _check_targets(y, op.shape[0], loss)
    return dual_norm(op.rmatvec(loss_grad(np.zeros_like(y), y, loss)))


def _finish(
    op: _Operator,
    coef: np.ndarray,
    y: np.ndarray,
    beta: float,
    loss: str,
    tol: float,
    solver: str,
    n_iter: int,
    t0: float,
    *,
    theta: np.ndarray | None = None,
    interrupted: bool = False,
    cert: Certificate | None = None,
    info: dict[str, Any] | None = None,
) -> ConvexSolution:
    if cert is None:
        cert = certificate(op.matvec, op.rmatvec, coef, y, beta, loss, theta=theta)
    if loss == "squared" and y.ndim == 1 and cert.relative_gap > tol:
        coef, cert = _polish_support(op, coef, y, beta, cert)
    status = Status.OPTIMAL if cert.relative_gap <= tol else Status.FEASIBLE
    return ConvexSolution(
        coef=coef,
        objective=cert.primal,
        dual_objective=cert.dual,
        gap=cert.gap,
        kkt_residual=cert.kkt,
        status=status,
        beta=float(beta),
        loss=loss,
        solver=solver,
        n_iter=int(n_iter),
        wall_time=time.perf_counter() - t0,
        interrupted=interrupted,
        info=dict(info or {}),
    )


def _polish_support(
    op: _Operator, coef: np.ndarray, y: np.ndarray, beta: float, cert: Certificate
) -> tuple[np.ndarray, Certificate]:
    """Solve the optimality conditions on the current support and signs,
    ``D_S^T (D_S w_S - y) / n + beta sign_S = 0`` (least squares: with more patterns than
    samples the solution set is not a point). Iterative solvers find support and signs long
    before they certify a small gap on these degenerate 0/1 problems. The fit ``D_S w_S`` is
    the same for every solution of the system, so its residual is a sharp dual point even
    when ``w_S`` has the wrong signs; ``w_S`` replaces ``coef`` only when its signs agree and
    its objective is no worse."""
    scale = float(np.max(np.abs(coef))) if coef.size else 0.0
    S = np.flatnonzero(np.abs(coef) > 1e-12 * scale)
    n = op.shape[0]
    if S.size == 0 or (op.dense is None and n * S.size > _DENSE_LIMIT):
        return coef, cert
    sgn = np.sign(coef[S])
    DS = op.to_dense()[:, S] if op.dense is not None else op.packed.take(S).toarray(np.float64)
    wS, *_ = np.linalg.lstsq(DS.T @ DS, DS.T @ y - n * beta * sgn, rcond=None)
    theta = (y - DS @ wS) / n
    best_w, best = coef, cert
    if np.all(np.sign(wS) == sgn):
        w = np.zeros_like(coef)
        w[S] = wS
        new = certificate(op.matvec, op.rmatvec, w, y, beta, "squared")
        if new.primal <= cert.primal + 1e-12 * max(1.0, abs(cert.primal)):
            best_w, best = w, new
    dual = certificate(op.matvec, op.rmatvec, best_w, y, beta, "squared", theta=theta).dual
    if dual > best.dual:
        best = Certificate(best.primal, dual, max(best.primal - dual, 0.0), best.kkt)
    return best_w, best


def solve_lasso(
    D: Any,
    y: Any,
    beta: float,
    *,
    loss: str = "squared",
    solver: str = "auto",
    coef0: np.ndarray | None = None,
    tol: float = 1e-6,
    max_iter: int = 20_000,
    time_limit: float | None = None,
) -> ConvexSolution:
    """Solve ``min_w (1/n) sum l((Dw)_i, y_i) + beta R(w)`` with a certificate.

    Parameters
    ----------
    D : array-like (n, P) of 0/1 or PatternMatrix
        Pattern matrix.
    y : array-like, shape (n,) or (n, K)
        Targets: ±1 labels (any loss) or real values / several outputs (squared loss, group
        Lasso over the rows of ``W``).
    beta : float
        Regularisation, > 0.
    loss : {"squared", "logistic", "hinge"}
    solver : {"auto", "cd", "fista", "highs"}
    coef0 : ndarray, optional
        Warm start.
    tol : float
        Target relative duality gap; ``OPTIMAL`` is reported only when it is reached.
    max_iter : int
        Iteration cap (epochs for ``cd``).
    time_limit : float, optional
        Seconds; the best iterate so far is returned (status ``FEASIBLE`` unless the gap is
        already closed). Ctrl-C does the same.

    Returns
    -------
    ConvexSolution
    """
    t0 = time.perf_counter()
    loss = check_loss(loss)
    beta = float(check_positive(beta, name="beta"))
    tol = float(check_positive(tol, name="tol"))
    if solver not in SOLVERS:
        raise ValidationError(f"solver must be one of {SOLVERS}, got {solver!r}.")
    op = _Operator(D)
    y = _check_targets(y, op.shape[0], loss)
    P = op.shape[1]
    shape = (P,) if y.ndim == 1 else (P, y.shape[1])
    coef = np.zeros(shape) if coef0 is None else np.array(coef0, dtype=np.float64)
    if coef.shape != shape:
        raise ValidationError(f"coef0 must have shape {shape}, got {coef.shape}.")
    solver = _pick_solver(solver, loss, y, op)
    if solver in ("cd", "lars", "qp") and loss != "squared":
        raise ValidationError(f"solver={solver!r} handles the squared loss only; use 'fista'.")
    if solver in ("lars", "qp") and y.ndim != 1:
        raise ValidationError(f"solver={solver!r} handles one output; use 'cd' or 'fista'.")
    if solver == "highs" and loss != "hinge":
        raise ValidationError("solver='highs' handles the hinge loss only.")
    if solver == "fista" and loss == "hinge":
        raise ValidationError("the hinge loss is not smooth; use solver='highs'.")
    deadline = None if time_limit is None else t0 + float(time_limit)
    if solver == "lars":
        return _solve_lars(op, y, [beta], tol, max_iter, deadline, t0)[0]
    if solver == "qp":
        return _solve_qp_robust(op, y, beta, tol, max_iter, deadline, t0)
    if solver == "cd":
        return _solve_cd(op, y, beta, coef, tol, max_iter, deadline, t0)
    if solver == "highs":
        return _solve_hinge_lp(op, y, beta, tol, deadline, t0)
    with one_blas_thread():
        return _solve_fista(op, y, beta, loss, coef, tol, max_iter, deadline, t0)


def _pick_solver(solver: str, loss: str, y: np.ndarray, op: _Operator) -> str:
    if solver != "auto":
        return solver
    if loss == "hinge":
        return "highs"
    n, P = op.shape
    if loss == "squared" and y.ndim == 1 and 4 * n <= P and n * P <= _QP_LIMIT:
        return "qp"  # far more patterns than rows: LARS paths degenerate, the QP is tiny
    if loss == "squared" and y.ndim == 1 and P <= _LARS_MAX_PATTERNS:
        return "lars"
    return "fista"


# -------------------------------------------------------------------------- back ends
def _keep_best_dual(cert: Certificate, best_dual: float) -> Certificate:
    """Any feasible dual value is a lower bound: keep the best one seen."""
    if cert.dual >= best_dual:
        return cert
    return Certificate(cert.primal, best_dual, max(cert.primal - best_dual, 0.0), cert.kkt)


def _gram(op: _Operator, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _gram_certificate(
    G: np.ndarray, Xy: np.ndarray, yy: float, n: int, w: np.ndarray, beta: float
) -> Certificate:
    """The squared-loss certificate from ``D^T D``, ``D^T y`` and ``y^T y`` only."""
    from mixedopt.train.convex.losses import kkt_residual

    Gw = G @ w
    rr = max(float(yy - 2.0 * w @ Xy + w @ Gw), 0.0)  # ||y - D w||^2
    c = (Xy - Gw) / n  # D^T r / n
    primal = rr / (2 * n) + beta * float(np.sum(np.abs(w)))
    norm = float(np.max(np.abs(c))) if c.size else 0.0
    s = min(1.0, beta / norm) if norm > 0 else 1.0
    dual = float(s * (yy - w @ Xy) / n - s * s * rr / (2 * n))
    return Certificate(primal, dual, max(primal - dual, 0.0), kkt_residual(w, -c, beta))


def _polish_gram(
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
    new = _gram_certificate(G, Xy, yy, n, w_ls, beta)  # its dual is valid whatever the signs
    best_w, best = w, cert
    if np.all(np.sign(wS) == sgn) and new.primal <= cert.primal + 1e-12 * max(1.0, cert.primal):
        best_w, best = w_ls, new
    if new.dual > best.dual:
        best = Certificate(best.primal, new.dual, max(best.primal - new.dual, 0.0), best.kkt)
    return best_w, best


def _solve_lars(
    op: _Operator,
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
    G, Xy = _gram(op, y)
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
        w = _interpolate_path(alphas, coefs, beta)
        cert = _gram_certificate(G, Xy, yy, n, w, beta)
        solver, n_iter = "lars", len(alphas) - 1
        if cert.relative_gap > tol:
            w, cert = _polish_gram(G, Xy, yy, n, beta, w, cert)
        if cert.relative_gap > tol and (deadline is None or time.perf_counter() < deadline):
            if n * op.shape[1] <= _QP_LIMIT:
                logger.debug(
                    "LARS gap %.2e > tol at beta=%g: solving the QP", cert.relative_gap, beta
                )
                sol = _solve_qp_robust(op, y, beta, tol, max_iter, deadline, t1)
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
                w, cert, k = _fista_gram(G, Xy, yy, n, beta, w, tol, max_iter, deadline)
            solver, n_iter = "lars+fista", n_iter + k
        status = Status.OPTIMAL if cert.relative_gap <= tol else Status.FEASIBLE
        out.append(
            ConvexSolution(
                coef=w,
                objective=cert.primal,
                dual_objective=cert.dual,
                gap=cert.gap,
                kkt_residual=cert.kkt,
                status=status,
                beta=float(beta),
                loss="squared",
                solver=solver,
                n_iter=n_iter,
                wall_time=t_path + time.perf_counter() - t1,
                interrupted=interrupted,
                info={"path_breakpoints": len(alphas)},
            )
        )
    return out


def _solve_qp_robust(
    op: _Operator,
    y: np.ndarray,
    beta: float,
    tol: float,
    max_iter: int,
    deadline: float | None,
    t0: float,
) -> ConvexSolution:
    """The HiGHS QP; if it stops short of ``tol`` (its limits), FISTA continues from it."""
    sol = _solve_qp(op, y, beta, tol, deadline, t0)
    if sol.relative_gap <= tol or sol.interrupted:
        return sol
    if deadline is not None and time.perf_counter() >= deadline:
        return sol
    with one_blas_thread():
        alt = _solve_fista(op, y, beta, "squared", sol.coef, tol, max_iter, deadline, t0)
    if alt.objective <= sol.objective:
        alt.solver = "qp+fista"
        return alt
    return sol


def _solve_qp(
    op: _Operator, y: np.ndarray, beta: float, tol: float, deadline: float | None, t0: float
) -> ConvexSolution:
    """``min (1/2n)||r||^2 + beta 1^T (w+ + w-)`` s.t. ``r + D w+ - D w- = y`` (HiGHS QP)."""
    import highspy
    import scipy.sparse as sp

    from mixedopt.train.convex.complete import _quiet_highs

    n, P = op.shape
    N = n + 2 * P
    inf = highspy.kHighsInf
    Ds = sp.csc_matrix(op.to_dense())
    A = sp.hstack([sp.identity(n, format="csc"), Ds, -Ds], format="csc")
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = N, n
    lp.col_cost_ = np.concatenate([np.zeros(n), np.full(2 * P, beta)])
    lp.col_lower_ = np.concatenate([np.full(n, -inf), np.zeros(2 * P)])
    lp.col_upper_ = np.full(N, inf)
    lp.row_lower_ = y.copy()
    lp.row_upper_ = y.copy()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = N, n
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(np.float64)
    hess = highspy.HighsHessian()
    hess.dim_ = N
    hess.format_ = highspy.HessianFormat.kTriangular
    hess.start_ = np.concatenate([np.arange(n + 1), np.full(2 * P, n)]).astype(np.int32)
    hess.index_ = np.arange(n, dtype=np.int32)
    hess.value_ = np.full(n, 1.0 / n)
    model = highspy.HighsModel()
    model.lp_ = lp
    model.hessian_ = hess
    h = _quiet_highs()
    # HiGHS's QP solver can stall on these degenerate problems: always bound it (the support
    # refit in _finish sharpens whatever it returns)
    left = _QP_TIME_LIMIT if deadline is None else deadline - time.perf_counter()
    h.setOptionValue("time_limit", float(min(max(left, 0.1), _QP_TIME_LIMIT)))
    h.setOptionValue("qp_iteration_limit", 50 * (n + 2 * P))
    h.passModel(model)
    interrupted = False
    try:
        h.run()
    except KeyboardInterrupt:
        interrupted = True
    x = np.asarray(h.getSolution().col_value)
    coef = x[n : n + P] - x[n + P :] if x.size == N else np.zeros(P)
    return _finish(
        op,
        coef,
        y,
        beta,
        "squared",
        tol,
        "qp",
        int(h.getInfo().qp_iteration_count),
        t0,
        interrupted=interrupted,
        info={"highs_status": h.modelStatusToString(h.getModelStatus())},
    )


def _fista_gram(
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
    L = max(1.0001 * _top_eigenvalue(G) / n, 1e-12)
    x = w.copy()
    yk, t = x.copy(), 1.0
    best_w, best_dual = x.copy(), -np.inf
    cert = _gram_certificate(G, Xy, yy, n, x, beta)
    best_cert = cert
    it = 0
    try:
        for it in range(1, max_iter + 1):
            g = (G @ yk - Xy) / n
            x_new = _prox(yk - g / L, beta / L)
            if np.sum((yk - x_new) * (x_new - x)) > 0:
                t = 1.0
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            yk = x_new + (t - 1.0) / t_new * (x_new - x)
            x, t = x_new, t_new
            if it % check_every == 0 or it == max_iter:
                cert = _keep_best_dual(_gram_certificate(G, Xy, yy, n, x, beta), best_dual)
                if cert.relative_gap > tol and it % (10 * check_every) == 0:
                    x_pol, cert = _polish_gram(G, Xy, yy, n, beta, x, cert)
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
    best_cert = _keep_best_dual(best_cert, best_dual)
    return best_w, best_cert, it


def _top_eigenvalue(G: np.ndarray, iters: int = 50) -> float:
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


def _interpolate_path(alphas: np.ndarray, coefs: np.ndarray, beta: float) -> np.ndarray:
    """The Lasso coefficients at ``beta`` on a piecewise-linear path (``alphas`` decreasing)."""
    if beta >= alphas[0]:
        return np.zeros(coefs.shape[0])
    if beta <= alphas[-1]:
        return coefs[:, -1].copy()
    k = int(np.searchsorted(-alphas, -beta, side="right")) - 1  # alphas[k] >= beta > alphas[k+1]
    a0, a1 = alphas[k], alphas[k + 1]
    frac = (a0 - beta) / (a0 - a1)
    return coefs[:, k] + frac * (coefs[:, k + 1] - coefs[:, k])


def _solve_cd(
    op: _Operator,
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
            cert = _keep_best_dual(
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
    return _finish(
        op, coef, y, beta, "squared", tol, "cd", n_iter, t0, interrupted=interrupted, cert=cert
    )


def _prox(v: np.ndarray, thr: float) -> np.ndarray:
    if v.ndim == 1:
        return np.sign(v) * np.maximum(np.abs(v) - thr, 0.0)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    scale = np.maximum(1.0 - thr / np.maximum(norms, 1e-300), 0.0)
    return v * scale


def _solve_fista(
    op: _Operator,
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
    L = 1.05 * curv * op.spectral_norm_sq() / n
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
                x_new = _prox(yk - g / L, beta / L)
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
                cert = _keep_best_dual(
                    certificate(op.matvec, op.rmatvec, x, y, beta, loss, z=zx), best_dual
                )
                best_dual = cert.dual
                if cert.primal < best[0]:
                    best = (cert.primal, x.copy(), zx.copy())
                if cert.relative_gap <= tol:
                    break
                if deadline is not None and time.perf_counter() >= deadline:
                    break
    except KeyboardInterrupt:
        interrupted = True
    obj_x = loss_value(zx, y, loss) + beta * penalty(x)
    if obj_x > best[0]:
        x, zx = best[1], best[2]
        cert = None
    if cert is None or cert.primal != loss_value(zx, y, loss) + beta * penalty(x):
        cert = _keep_best_dual(
            certificate(op.matvec, op.rmatvec, x, y, beta, loss, z=zx), best_dual
        )
    return _finish(
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
    )


def _solve_hinge_lp(
    op: _Operator, y: np.ndarray, beta: float, tol: float, deadline: float | None, t0: float
) -> ConvexSolution:
    import scipy.sparse as sp
    from scipy.optimize import linprog

    n, P = op.shape
    A = op.to_dense()
    YD = sp.csr_matrix(A * y[:, None])
    # variables [w+ (P), w- (P), xi (n)] >= 0;  -y_i D_i (w+ - w-) - xi_i <= -1
    A_ub = sp.hstack([-YD, YD, -sp.identity(n, format="csr")], format="csr")
    c = np.concatenate([np.full(2 * P, beta), np.full(n, 1.0 / n)])
    options: dict[str, Any] = {"presolve": True}
    if deadline is not None:
        options["time_limit"] = max(deadline - time.perf_counter(), 0.1)
    try:
        res = linprog(
            c, A_ub=A_ub, b_ub=-np.ones(n), bounds=(0, None), method="highs", options=options
        )
    except KeyboardInterrupt:
        res = None
    if res is None or res.x is None:
        msg = "interrupted" if res is None else res.message
        if res is not None and res.status not in (1,):
            raise SolverError(f"HiGHS failed on the hinge-loss LP: {msg}")
        coef = np.zeros(P)
        return _finish(op, coef, y, beta, "hinge", tol, "highs", 0, t0, interrupted=res is None)
    coef = res.x[:P] - res.x[P : 2 * P]
    theta = None
    marg = getattr(getattr(res, "ineqlin", None), "marginals", None)
    if marg is not None:
        theta = y * np.clip(-np.asarray(marg) * n, 0.0, 1.0) / n
    return _finish(
        op,
        coef,
        y,
        beta,
        "hinge",
        tol,
        "highs",
        int(getattr(res, "nit", 0)),
        t0,
        theta=theta,
        info={"highs_status": int(res.status), "highs_message": str(res.message)},
    )


# ------------------------------------------------------------------------------- paths
def lasso_path(
    D: Any,
    y: Any,
    betas: Sequence[float],
    *,
    loss: str = "squared",
    solver: str = "auto",
    tol: float = 1e-6,
    max_iter: int = 20_000,
    time_limit: float | None = None,
) -> list[ConvexSolution]:
    """Warm-started regularisation path: solves from the largest ``beta`` to the smallest.

    Returns the solutions in the order of ``betas`` as given. ``time_limit`` covers the whole
    path; once it is spent, the remaining betas get the last iterate's certificate only.

    Examples
    --------
    >>> D = np.random.default_rng(0).random((30, 12)) < 0.5
    >>> y = np.where(np.random.default_rng(1).random(30) < 0.5, -1.0, 1.0)
    >>> path = lasso_path(D, y, [0.1, 0.01, 0.001], tol=1e-8)
    >>> [len(s.support) for s in path] == sorted(len(s.support) for s in path)
    True
    """
    t0 = time.perf_counter()
    betas = [float(check_positive(b, name="beta")) for b in betas]
    if not betas:
        raise ValidationError("betas is empty; give at least one value.")
    order = np.argsort(betas)[::-1]
    op_D = D if isinstance(D, PatternMatrix) else np.asarray(D)
    check_loss(loss)
    if solver not in SOLVERS:
        raise ValidationError(f"solver must be one of {SOLVERS}, got {solver!r}.")
    op = _Operator(op_D)
    yv = _check_targets(y, op.shape[0], loss)
    if _pick_solver(solver, loss, yv, op) == "lars":
        deadline = None if time_limit is None else t0 + float(time_limit)
        return _solve_lars(op, yv, betas, float(tol), max_iter, deadline, t0)
    out: dict[int, ConvexSolution] = {}
    coef = None
    for idx in order:
        left = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1e-3)
        sol = solve_lasso(
            op_D,
            y,
            betas[idx],
            loss=loss,
            solver=solver,
            coef0=coef,
            tol=tol,
            max_iter=max_iter,
            time_limit=left,
        )
        if loss != "hinge":
            coef = sol.coef
        out[int(idx)] = sol
    return [out[i] for i in range(len(betas))]
