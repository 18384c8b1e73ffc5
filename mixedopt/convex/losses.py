"""Losses, objectives and duality certificates of the convex threshold-network programs.

Normalisation (used everywhere in :mod:`mixedopt.convex`): with ``n`` samples,
outputs ``z`` and regularisation ``beta``,

    P(w) = (1/n) sum_i l(z_i, y_i) + beta * R(w),

with ``l(z, y) = (z - y)^2 / 2`` (``"squared"``), ``log(1 + exp(-y z))`` (``"logistic"``) or
``max(0, 1 - y z)`` (``"hinge"``). This is the paper's summed objective ``(1/2)||Dw - y||^2 +
beta' ||w||_1`` divided by ``n`` with ``beta' = n * beta`` (the authors' code passes
``beta = beta* n``), and scikit-learn's ``Lasso(alpha=beta)``.

Certificates come from Fenchel duality: for any ``theta`` with ``R°(D^T theta) <= beta``
(``R°`` the dual norm), ``-F*(-theta) <= P(w)``; we take ``theta = -grad F(Dw)`` scaled into
the feasible set, so the gap ``P(w) - dual`` is a computable bound on suboptimality.

Examples
--------
>>> import numpy as np
>>> from mixedopt.convex.losses import loss_value
>>> float(loss_value(np.array([1.0, -1.0]), np.array([1.0, 1.0]), "squared"))
1.0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mixedopt.errors import ValidationError

__all__ = [
    "LOSSES",
    "Certificate",
    "certificate",
    "dual_value",
    "loss_grad",
    "loss_value",
    "penalty",
]

LOSSES = ("squared", "logistic", "hinge")


def check_loss(loss: str) -> str:
    if loss not in LOSSES:
        raise ValidationError(f"loss must be one of {LOSSES}, got {loss!r}.")
    return loss


def loss_value(z: np.ndarray, y: np.ndarray, loss: str) -> float:
    """``(1/n) sum_i l(z_i, y_i)`` (Frobenius for 2-D squared loss)."""
    n = y.shape[0]
    if loss == "squared":
        return float(0.5 * np.sum((z - y) ** 2) / n)
    m = y * z
    if loss == "logistic":
        return float(np.sum(np.logaddexp(0.0, -m)) / n)
    return float(np.sum(np.maximum(0.0, 1.0 - m)) / n)


def loss_grad(z: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """Gradient of ``(1/n) sum_i l(z_i, y_i)`` in ``z`` (a subgradient for hinge)."""
    n = y.shape[0]
    if loss == "squared":
        return (z - y) / n
    m = y * z
    if loss == "logistic":
        return -y * _sigmoid(-m) / n
    return -y * (m < 1.0) / n


def _sigmoid(t: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * t))


def dual_value(theta: np.ndarray, y: np.ndarray, loss: str) -> float:
    """``-F*(-theta)`` for ``F(z) = (1/n) sum l(z_i, y_i)``; ``-inf`` outside its domain."""
    n = y.shape[0]
    if loss == "squared":
        return float(np.sum(theta * y) - 0.5 * n * np.sum(theta**2))
    a = n * y * theta  # must lie in [0, 1]
    if np.any(a < -1e-12) or np.any(a > 1 + 1e-12):
        return -np.inf
    a = np.clip(a, 0.0, 1.0)
    if loss == "hinge":
        return float(np.sum(a) / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -(np.where(a > 0, a * np.log(a), 0.0) + np.where(a < 1, (1 - a) * np.log1p(-a), 0.0))
    return float(np.sum(ent) / n)


def penalty(coef: np.ndarray) -> float:
    """``||w||_1`` for a vector, ``sum_j ||W_j||_2`` (rows) for a matrix (group Lasso)."""
    if coef.ndim == 1:
        return float(np.sum(np.abs(coef)))
    return float(np.sum(np.linalg.norm(coef, axis=1)))


def dual_norm(g: np.ndarray) -> float:
    """Dual of :func:`penalty`: ``max_j |g_j|`` or ``max_j ||G_j||_2``."""
    if g.size == 0:
        return 0.0
    if g.ndim == 1:
        return float(np.max(np.abs(g)))
    return float(np.max(np.linalg.norm(g, axis=1)))


def kkt_residual(coef: np.ndarray, g: np.ndarray, beta: float) -> float:
    """Largest violation of ``0 in g + beta * dR(w)`` over coordinates (or groups)."""
    if coef.size == 0:
        return 0.0
    if coef.ndim == 1:
        nz = coef != 0
        r = np.where(nz, np.abs(g + beta * np.sign(coef)), np.maximum(0.0, np.abs(g) - beta))
        return float(np.max(r))
    norms = np.linalg.norm(coef, axis=1)
    nz = norms > 0
    safe = np.where(nz, norms, 1.0)[:, None]
    r_nz = np.linalg.norm(g + beta * coef / safe, axis=1)
    r_z = np.maximum(0.0, np.linalg.norm(g, axis=1) - beta)
    return float(np.max(np.where(nz, r_nz, r_z)))


@dataclass(frozen=True)
class Certificate:
    """Primal value, a feasible dual value, their gap and the KKT residual."""

    primal: float
    dual: float
    gap: float
    kkt: float

    @property
    def relative_gap(self) -> float:
        return self.gap / max(abs(self.primal), 1e-12)


def certificate(
    matvec: Callable[[np.ndarray], np.ndarray],
    rmatvec: Callable[[np.ndarray], np.ndarray],
    coef: np.ndarray,
    y: np.ndarray,
    beta: float,
    loss: str,
    *,
    z: np.ndarray | None = None,
    theta: np.ndarray | None = None,
) -> Certificate:
    """Duality gap and KKT residual of ``coef`` for ``F(Dw) + beta R(w)``.

    ``theta`` (a dual point, e.g. the LP duals for hinge) defaults to ``-grad F(Dw)``; it is
    scaled by ``min(1, beta / R°(D^T theta))`` to make it feasible.
    """
    if z is None:
        z = matvec(coef)
    primal = loss_value(z, y, loss) + beta * penalty(coef)
    # a dual point is minus a (sub)gradient of F: the given one fixes the subgradient at kinks
    grad = loss_grad(z, y, loss) if theta is None else -theta
    g = rmatvec(grad)
    kkt = kkt_residual(coef, g, beta)
    th = -grad
    norm = dual_norm(g)
    if norm > beta:
        th = th * (beta / norm)
    dual = dual_value(th, y, loss)
    return Certificate(primal, dual, max(primal - dual, 0.0), kkt)
