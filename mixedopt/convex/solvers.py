"""Solvers of the Lasso-type programs (6)/(15) over a fixed pattern matrix.

``min_w (1/n) sum_i l((D w)_i, y_i) + beta * R(w)`` with ``R = ||.||_1`` (one output) or the
group norm ``sum_j ||W_j||_2`` (several outputs, one group per hidden unit), see
:mod:`mixedopt.convex.losses` for the normalisation.

Back ends (``solver=``), each in its own module; this one holds the entry points
(:func:`solve_lasso`, :func:`lasso_path`, :func:`beta_max`) and the choice of back end:

* ``"lars"`` — the exact Lasso path (LARS / homotopy, scikit-learn's ``lars_path_gram``) on
  the Gram matrix ``D^T D``, squared loss with one output; one path serves every ``beta`` (the
  coefficients are piecewise linear in ``beta``), and the Gram matrix is accumulated from
  bit-packed row blocks, so ``n`` only costs time, not memory (:mod:`~mixedopt.convex.lars`);
* ``"qp"`` — the squared-loss Lasso as a convex QP solved by HiGHS (exact, for small
  problems; :mod:`~mixedopt.convex.highs`);
* ``"cd"`` — scikit-learn coordinate descent (``Lasso`` / ``MultiTaskLasso``), squared loss,
  dense ``D``; run in chunks so the time limit is honoured
  (:mod:`~mixedopt.convex.first_order`);
* ``"fista"`` — accelerated proximal gradient in numpy with adaptive restart and
  backtracking; any smooth loss, dense or bit-packed ``D`` (:class:`PatternMatrix`), so it
  scales to ``n = 1e5`` (:mod:`~mixedopt.convex.first_order`);
* ``"highs"`` — the hinge loss as a linear program solved by HiGHS (through SciPy), whose
  duals give the certificate (:mod:`~mixedopt.convex.highs`).

``"auto"`` picks, for squared loss with one output, ``qp`` when there are at least four
times more patterns than rows (and ``n P <= 1e6``) and ``lars`` up to 4000 patterns;
``highs`` for hinge and ``fista`` otherwise (it reached a given duality gap faster than
coordinate descent on these highly correlated 0/1 columns). A LARS solution whose
certificate misses ``tol`` (sklearn's LARS can lose its way on degenerate, tied 0/1 data,
typically with fewer samples than patterns) is first refitted on its support and signs, then
redone as a HiGHS QP when ``n P <= 1e6`` or polished by FISTA on ``D^T D`` otherwise.
Every solve ends with a duality-gap certificate (:class:`ConvexSolution`): status
``OPTIMAL`` only when the relative gap is at most ``tol``
(:mod:`~mixedopt.convex.solution`).

Examples
--------
>>> import numpy as np
>>> from mixedopt.convex.solvers import solve_lasso
>>> D = np.array([[1, 0], [1, 1], [0, 1], [1, 1]], dtype=bool)
>>> sol = solve_lasso(D, np.array([1.0, 1.0, -1.0, 1.0]), beta=0.01, tol=1e-8)
>>> sol.status.value, sol.relative_gap <= 1e-8
('optimal', True)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from mixedopt.convex.arrangements import PatternMatrix
from mixedopt.convex.first_order import (
    solve_cd,
    solve_fista,
)
from mixedopt.convex.highs import (
    QP_LIMIT,
    solve_hinge_lp,
    solve_qp_robust,
)
from mixedopt.convex.lars import (
    solve_lars,
)
from mixedopt.convex.losses import (
    check_loss,
    dual_norm,
    loss_grad,
)
from mixedopt.convex.solution import (
    ConvexSolution,
    Operator,
    check_targets,
)
from mixedopt.errors import ValidationError
from mixedopt.threads import one_blas_thread
from mixedopt.validation import check_positive

__all__ = ["SOLVERS", "ConvexSolution", "beta_max", "lasso_path", "solve_lasso"]

logger = logging.getLogger(__name__)

SOLVERS = ("auto", "lars", "qp", "cd", "fista", "highs")
_LARS_MAX_PATTERNS = 4000


def beta_max(D: Any, y: Any, loss: str = "squared") -> float:
    """Smallest ``beta`` for which ``w = 0`` is optimal: ``R°(D^T grad F(0))``.

    >>> D = np.eye(3, dtype=bool)
    >>> beta_max(D, np.array([3.0, -6.0, 1.5]))
    2.0
    """
    check_loss(loss)
    op = Operator(D)
    y = check_targets(y, op.shape[0], loss)
    return dual_norm(op.rmatvec(loss_grad(np.zeros_like(y), y, loss)))


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
    op = Operator(D)
    y = check_targets(y, op.shape[0], loss)
    P = op.shape[1]
    shape = (P,) if y.ndim == 1 else (P, y.shape[1])
    coef = np.zeros(shape) if coef0 is None else np.array(coef0, dtype=np.float64)
    if coef.shape != shape:
        raise ValidationError(f"coef0 must have shape {shape}, got {coef.shape}.")
    solver = _pick_solver(solver, loss, y, op, time_limit)
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
        return solve_lars(op, y, [beta], tol, max_iter, deadline, t0)[0]
    if solver == "qp":
        return solve_qp_robust(op, y, beta, tol, max_iter, deadline, t0)
    if solver == "cd":
        return solve_cd(op, y, beta, coef, tol, max_iter, deadline, t0)
    if solver == "highs":
        return solve_hinge_lp(op, y, beta, tol, deadline, t0)
    with one_blas_thread():
        return solve_fista(op, y, beta, loss, coef, tol, max_iter, deadline, t0)


def _pick_solver(
    solver: str, loss: str, y: np.ndarray, op: Operator, time_limit: float | None = None
) -> str:
    if solver != "auto":
        return solver
    if loss == "hinge":
        return "highs"
    n, P = op.shape
    if loss == "squared" and y.ndim == 1 and 4 * n <= P and n * P <= QP_LIMIT:
        return "qp"  # far more patterns than rows: LARS paths degenerate, the QP is tiny
    if loss == "squared" and y.ndim == 1 and P <= _LARS_MAX_PATTERNS:
        est = _lars_seconds(n, P)
        if time_limit is None or est <= LARS_TIME_SHARE * time_limit:
            return "lars"
        # the LARS path cannot be stopped part-way; FISTA returns its best iterate in time
        logger.info(
            "solver: FISTA instead of the LARS path (about %.2g s for %d x %d, %.2g s left)",
            est,
            n,
            P,
            time_limit,
        )
    return "fista"


#: rough cost of the LARS back end on one core: the Gram matrix (``n P^2`` multiply-adds)
#: and the path (about ``min(n, P) / 2`` steps of ``P^2``); spambase, n = 4597, P = 2999:
#: 1.2 s + 5.7 s (820 steps), P = 1001: 0.6 s in all
LARS_S_PER_GRAM_CELL = 3e-11
LARS_S_PER_STEP_CELL = 8e-10
#: ``solver="auto"`` picks LARS under a time limit only when its estimate is at most this
#: share of the time left (it cannot be stopped part-way)
LARS_TIME_SHARE = 0.5


def _lars_seconds(n: int, P: int) -> float:
    """Rough seconds of :func:`~mixedopt.convex.lars._solve_lars` on ``n x P``."""
    return LARS_S_PER_GRAM_CELL * n * P * P + LARS_S_PER_STEP_CELL * (min(n, P) / 2) * P * P


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
    op = Operator(op_D)
    yv = check_targets(y, op.shape[0], loss)
    if _pick_solver(solver, loss, yv, op, time_limit) == "lars":
        deadline = None if time_limit is None else t0 + float(time_limit)
        return solve_lars(op, yv, betas, float(tol), max_iter, deadline, t0)
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
