"""The solution record and what every Lasso back end shares.

:class:`ConvexSolution` (a solution with its duality-gap certificate), the operator on the
pattern matrix ``D`` (dense float64 or bit-packed), the check of the targets, and the
certified finish that every back end ends with: the certificate, a least-squares refit on the
support and signs when the squared-loss gap is still open, and the status (``OPTIMAL`` only
when the relative gap is at most ``tol``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixedopt.convex.arrangements import PatternMatrix
from mixedopt.convex.losses import Certificate, certificate
from mixedopt.errors import ValidationError
from mixedopt.result import Status

DENSE_LIMIT = 20_000_000


@dataclass
class ConvexSolution:
    """Solution of a convex program with its optimality certificate.

    Attributes
    ----------
    coef : ndarray, shape (P,) or (P, K)
        Amplitudes (output weights) of the patterns.
    objective, dual_objective : float
        Primal value (normalised, see :mod:`~mixedopt.convex.losses`) and a feasible
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

    @classmethod
    def from_certificate(
        cls, coef: np.ndarray, cert: Certificate, beta: float, loss: str, tol: float, **kw: Any
    ) -> ConvexSolution:
        """A solution whose values come from ``cert``; ``OPTIMAL`` when its relative gap is
        within ``tol``. ``kw``: ``solver``, ``n_iter``, ``wall_time``, ``interrupted``,
        ``info``."""
        return cls(
            coef=coef,
            objective=cert.primal,
            dual_objective=cert.dual,
            gap=cert.gap,
            kkt_residual=cert.kkt,
            status=Status.OPTIMAL if cert.relative_gap <= tol else Status.FEASIBLE,
            beta=float(beta),
            loss=loss,
            **kw,
        )

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
class Operator:
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

    def spectral_norm_sq(
        self, iters: int = 30, seed: int = 0, deadline: float | None = None
    ) -> float:
        """``||D||_2^2`` by power iteration (from below); past ``deadline`` (a
        :func:`time.perf_counter` value) the estimate so far, after one iteration at least."""
        v = np.random.default_rng(seed).standard_normal(self.shape[1])
        v /= np.linalg.norm(v)
        lam = 0.0
        for _ in range(iters):
            u = self.rmatvec(self.matvec(v))
            lam = float(np.linalg.norm(u))
            if lam == 0:
                return 0.0
            v = u / lam
            if deadline is not None and time.perf_counter() > deadline:
                break
        return lam


def check_targets(y: Any, n: int, loss: str) -> np.ndarray:
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


def finish_solution(
    op: Operator,
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
    deadline: float | None = None,
) -> ConvexSolution:
    if cert is None:
        cert = certificate(op.matvec, op.rmatvec, coef, y, beta, loss, theta=theta)
    late = deadline is not None and time.perf_counter() >= deadline
    if loss == "squared" and y.ndim == 1 and cert.relative_gap > tol and not late:
        # (a least-squares solve on the support: seconds for thousands of patterns)
        coef, cert = polish_support(op, coef, y, beta, cert)
    return ConvexSolution.from_certificate(
        coef,
        cert,
        beta,
        loss,
        tol,
        solver=solver,
        n_iter=int(n_iter),
        wall_time=time.perf_counter() - t0,
        interrupted=interrupted,
        info=dict(info or {}),
    )


def polish_support(
    op: Operator, coef: np.ndarray, y: np.ndarray, beta: float, cert: Certificate
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
    if S.size == 0 or (op.dense is None and n * S.size > DENSE_LIMIT):
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


def keep_best_dual(cert: Certificate, best_dual: float) -> Certificate:
    """Any feasible dual value is a lower bound: keep the best one seen."""
    if cert.dual >= best_dual:
        return cert
    return Certificate(cert.primal, best_dual, max(cert.primal - best_dual, 0.0), cert.kkt)
