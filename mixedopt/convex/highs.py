"""HiGHS back ends: the squared-loss Lasso as a QP (``"qp"``), the hinge loss as an LP
(``"highs"``).

The QP is always bounded (time and iteration limits: HiGHS's QP solver can stall on these
degenerate problems); when it stops short of ``tol``, FISTA continues from its point. The LP
is solved through SciPy, and its duals give the certificate.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from mixedopt.convex.first_order import solve_fista
from mixedopt.convex.solution import ConvexSolution, Operator, finish_solution
from mixedopt.errors import SolverError
from mixedopt.threads import one_blas_thread

QP_TIME_LIMIT = 30.0  # seconds per HiGHS QP
QP_LIMIT = 1_000_000  # n * P up to which a failed LARS path is redone as a HiGHS QP


def solve_qp_robust(
    op: Operator,
    y: np.ndarray,
    beta: float,
    tol: float,
    max_iter: int,
    deadline: float | None,
    t0: float,
) -> ConvexSolution:
    """The HiGHS QP; if it stops short of ``tol`` (its limits), FISTA continues from it."""
    sol = solve_qp(op, y, beta, tol, deadline, t0)
    if sol.relative_gap <= tol or sol.interrupted:
        return sol
    if deadline is not None and time.perf_counter() >= deadline:
        return sol
    with one_blas_thread():
        alt = solve_fista(op, y, beta, "squared", sol.coef, tol, max_iter, deadline, t0)
    if alt.objective <= sol.objective:
        alt.solver = "qp+fista"
        return alt
    return sol


def solve_qp(
    op: Operator, y: np.ndarray, beta: float, tol: float, deadline: float | None, t0: float
) -> ConvexSolution:
    """``min (1/2n)||r||^2 + beta 1^T (w+ + w-)`` s.t. ``r + D w+ - D w- = y`` (HiGHS QP)."""
    import highspy
    import scipy.sparse as sp

    from mixedopt.perceptron.highs import quiet_highs

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
    h = quiet_highs()
    # HiGHS's QP solver can stall on these degenerate problems: always bound it (the support
    # refit in finish_solution sharpens whatever it returns)
    left = QP_TIME_LIMIT if deadline is None else deadline - time.perf_counter()
    h.setOptionValue("time_limit", float(min(max(left, 0.1), QP_TIME_LIMIT)))
    h.setOptionValue("qp_iteration_limit", 50 * (n + 2 * P))
    h.passModel(model)
    interrupted = False
    try:
        h.run()
    except KeyboardInterrupt:
        interrupted = True
    x = np.asarray(h.getSolution().col_value)
    coef = x[n : n + P] - x[n + P :] if x.size == N else np.zeros(P)
    return finish_solution(
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


def solve_hinge_lp(
    op: Operator, y: np.ndarray, beta: float, tol: float, deadline: float | None, t0: float
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
        return finish_solution(
            op, coef, y, beta, "hinge", tol, "highs", 0, t0, interrupted=res is None
        )
    coef = res.x[:P] - res.x[P : 2 * P]
    theta = None
    marg = getattr(getattr(res, "ineqlin", None), "marginals", None)
    if marg is not None:
        theta = y * np.clip(-np.asarray(marg) * n, 0.0, 1.0) / n
    return finish_solution(
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
