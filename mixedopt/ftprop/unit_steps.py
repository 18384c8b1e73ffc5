"""The convex side of FTPROP: per-unit losses, the output loss, and exact unit fits.

Hidden units are described by their **levels** (:class:`Levels`): a sign unit has the levels
``-1, +1`` and one threshold at 0; a ``staircase<n>`` unit (quantized ReLU) has ``n + 1``
levels ``j / n`` and ``n`` thresholds ``j / (n - 1)``. A target is a *level index* ``k``.

Per-unit loss of target ``k`` at pre-activation ``z`` (the staircase as a sum of step units,
as in the FTPROP code's truncated-hinge staircase rule)::

    loss(z, k) = sum_j f(sigma_kj * s * (z - theta_j)),  sigma_kj = +1 if j < k else -1

with ``s`` the margin scale (1 for sign units, ``2 (n - 1)`` for staircases, so that the
middle of a level has margin 1 from both of its thresholds). For a sign unit with target
``t = ±1`` this is ``f(t z)``. The margin functions ``f(u)`` (notes/ftprop.md §3):

* ``soft-hinge``: ``tanh(-u) + 1`` (the paper's FTP-SH; gradient ``-(1 - tanh² u)``);
* ``hinge``: ``max(0, 1 - u)``;
* ``saturated-hinge``: ``min(2, max(0, 1 - u))`` (TruncWtHinge; with gradient targets and
  weights this is the saturated straight-through estimator);
* ``linear``: ``-u`` (with gradient targets and weights this is the plain STE; sign and step
  units only).

The output layer's loss is on its pre-activation: ``hinge`` (binary hinge, or the
Crammer–Singer multi-class hinge) or ``cross-entropy`` (logistic for one output unit,
softmax otherwise).

Examples
--------
>>> import numpy as np
>>> from mixedopt.ftprop.unit_steps import levels_of, unit_loss
>>> lv = levels_of("sign")
>>> z = np.array([[2.0, -0.5]]); k = np.array([[1, 1]])
>>> np.round(unit_loss(z, k, lv, "hinge"), 2).tolist()
[[0.0, 1.5]]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixedopt import activations as _act
from mixedopt.errors import Error, ValidationError
from mixedopt.perceptron import fit_unit

__all__ = [
    "HINGE_C",
    "OUTPUT_LOSSES",
    "UNIT_LOSSES",
    "Levels",
    "fit_unit_exact",
    "levels_of",
    "margin_grad",
    "margin_loss",
    "output_loss",
    "unit_loss",
    "unit_loss_grad",
]

logger = logging.getLogger(__name__)

UNIT_LOSSES = ("soft-hinge", "hinge", "saturated-hinge", "linear")
OUTPUT_LOSSES = ("hinge", "cross-entropy")
_OUTPUT_ALIASES = {"log_loss": "cross-entropy", "log": "cross-entropy", "softmax": "cross-entropy"}
#: loss weight ``C`` of the exact unit step's hinge / soft-margin fits (see fit_unit_exact)
HINGE_C = 10.0
_UNIT_ALIASES = {"softhinge": "soft-hinge", "sh": "soft-hinge", "sste": "saturated-hinge"}


def check_unit_loss(name: Any) -> str:
    """Normalise a unit-loss name or raise a ValidationError listing the choices."""
    key = _UNIT_ALIASES.get(str(name).lower(), str(name).lower()) if isinstance(name, str) else None
    if key not in UNIT_LOSSES:
        raise ValidationError(f"unknown unit_loss {name!r}; choose one of {UNIT_LOSSES}.")
    return key


def check_output_loss(name: Any) -> str:
    """Normalise an output-loss name or raise a ValidationError listing the choices."""
    key = (
        _OUTPUT_ALIASES.get(str(name).lower(), str(name).lower()) if isinstance(name, str) else None
    )
    if key not in OUTPUT_LOSSES:
        raise ValidationError(f"unknown loss {name!r}; choose one of {OUTPUT_LOSSES}.")
    return key


# ------------------------------------------------------------------------------ levels
@dataclass(frozen=True)
class Levels:
    """Output levels, thresholds and margin scale of a hidden activation."""

    name: str
    values: np.ndarray
    thresholds: np.ndarray
    scale: float

    @property
    def n_levels(self) -> int:
        return int(self.values.shape[0])

    @property
    def binary(self) -> bool:
        return self.n_levels == 2

    @property
    def spacing(self) -> float:
        """Distance between adjacent output values."""
        return float(self.values[1] - self.values[0])

    def index(self, a: np.ndarray) -> np.ndarray:
        """Level index (``int8``) of activation values ``a``."""
        k = np.rint((np.asarray(a, dtype=np.float64) - self.values[0]) / self.spacing)
        return k.astype(np.int8)

    def value(self, k: np.ndarray) -> np.ndarray:
        """Activation values of level indices ``k``."""
        return self.values[k]

    def realised(self, z: np.ndarray) -> np.ndarray:
        """Level index reached by pre-activations ``z`` (the true forward pass)."""
        return self.index(_act.get(self.name)(z))


def levels_of(activation: str | _act.Activation) -> Levels:
    """The :class:`Levels` of a hidden activation (``sign``, ``step``, ``staircase<n>``)."""
    act = _act.get(activation)
    if isinstance(act, _act.Staircase):
        n = int(act.n)
        return Levels(act.name, act.levels.astype(np.float64), act.thresholds, 2.0 * (n - 1))
    values = act.levels.astype(np.float64)
    if values.shape[0] != 2:  # pragma: no cover - no such activation today
        raise ValidationError(f"activation {act.name!r} is not supported by FTPROP.")
    return Levels(act.name, values, np.zeros(1), 1.0)


# ------------------------------------------------------------------------- unit losses
def margin_loss(u: np.ndarray, loss: str, temperature: float = 1.0) -> np.ndarray:
    """The margin function ``f(u)`` of ``loss`` (see the module docstring); the soft hinge
    with ``temperature`` τ is ``τ (1 - tanh(u / τ))`` (slope -1 at 0 for every τ)."""
    if loss == "soft-hinge":
        if temperature != 1.0:
            return temperature * (1.0 - np.tanh(u / temperature))
        return 1.0 - np.tanh(u)
    if loss == "hinge":
        return np.maximum(0.0, 1.0 - u)
    if loss == "saturated-hinge":
        return np.clip(1.0 - u, 0.0, 2.0)
    if loss == "linear":
        return -u
    raise ValidationError(f"unknown unit_loss {loss!r}; choose one of {UNIT_LOSSES}.")


def margin_grad(u: np.ndarray, loss: str, temperature: float = 1.0) -> np.ndarray:
    """Derivative ``f'(u)`` of the margin function of ``loss``."""
    if loss == "soft-hinge":
        t = np.tanh(u / temperature if temperature != 1.0 else u)
        return t * t - 1.0
    if loss == "hinge":
        return -(u < 1.0).astype(u.dtype)
    if loss == "saturated-hinge":
        return -((u > -1.0) & (u <= 1.0)).astype(u.dtype)
    if loss == "linear":
        return -np.ones_like(u)
    raise ValidationError(f"unknown unit_loss {loss!r}; choose one of {UNIT_LOSSES}.")


def _signed_margins(z: np.ndarray, k: np.ndarray, lv: Levels) -> tuple[np.ndarray, np.ndarray]:
    """Margins ``u`` (shape ``z.shape`` for binary units, ``z.shape + (n_thr,)`` otherwise)
    and the signs ``sigma * s`` that map ``df/du`` to ``dloss/dz``."""
    if lv.binary:
        t = (2 * k.astype(z.dtype) - 1) * lv.scale
        return t * (z - lv.thresholds[0]), t
    j = np.arange(lv.thresholds.shape[0])
    sig = np.where(j < k[..., None], lv.scale, -lv.scale).astype(z.dtype)
    return sig * (z[..., None] - lv.thresholds), sig


def unit_loss(
    z: np.ndarray, k: np.ndarray, lv: Levels, loss: str, temperature: float = 1.0
) -> np.ndarray:
    """Per-unit loss of level targets ``k`` at pre-activations ``z`` (same shape);
    ``temperature`` widens the soft hinge (see :func:`margin_loss`)."""
    u, _ = _signed_margins(z, k, lv)
    f = margin_loss(u, loss, temperature)
    return f if lv.binary else f.sum(axis=-1)


def unit_loss_grad(
    z: np.ndarray, k: np.ndarray, lv: Levels, loss: str, temperature: float = 1.0
) -> np.ndarray:
    """Derivative of :func:`unit_loss` with respect to ``z``."""
    u, sig = _signed_margins(z, k, lv)
    g = margin_grad(u, loss, temperature) * sig
    return g if lv.binary else g.sum(axis=-1)


# ------------------------------------------------------------------------ output loss
def output_loss(
    z: np.ndarray, y: np.ndarray, loss: str, *, grad: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Loss of output pre-activations ``z`` (shape ``(..., n_out)``) against class codes ``y``
    (shape ``z.shape[:-1]``, values ``0..k-1``; ``0/1`` for one output unit).

    Returns the per-row loss (shape ``z.shape[:-1]``) and, when ``grad``, its derivative with
    respect to ``z``.
    """
    if z.shape[-1] == 1:
        s = (2.0 * y - 1.0).astype(z.dtype)
        m = s * z[..., 0]
        if loss == "hinge":
            out = np.maximum(0.0, 1.0 - m)
            g = (-(m < 1.0).astype(z.dtype) * s)[..., None] if grad else None
        else:
            out = np.logaddexp(0.0, -m)
            g = (-s * _expit(-m))[..., None] if grad else None
        return out, g
    zy = np.take_along_axis(z, y[..., None].astype(np.intp), axis=-1)[..., 0]
    if loss == "hinge":
        other = z.copy()
        np.put_along_axis(other, y[..., None].astype(np.intp), -np.inf, axis=-1)
        k = np.argmax(other, axis=-1)
        zk = np.take_along_axis(other, k[..., None], axis=-1)[..., 0]
        m = zy - zk
        out = np.maximum(0.0, 1.0 - m)
        if not grad:
            return out, None
        g = np.zeros_like(z)
        act = (m < 1.0).astype(z.dtype)
        np.put_along_axis(g, k[..., None], act[..., None], axis=-1)
        np.put_along_axis(g, y[..., None].astype(np.intp), -act[..., None], axis=-1)
        return out, g
    zmax = z.max(axis=-1, keepdims=True)
    e = np.exp(z - zmax)
    se = e.sum(axis=-1, keepdims=True)
    out = (np.log(se) + zmax)[..., 0] - zy
    if not grad:
        return out, None
    g = e / se
    yy = y[..., None].astype(np.intp)
    np.put_along_axis(g, yy, np.take_along_axis(g, yy, axis=-1) - 1.0, axis=-1)
    return out, g


def _expit(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


# ---------------------------------------------------------------------- exact unit fit
def fit_unit_exact(
    A: np.ndarray,
    t: np.ndarray,
    weights: np.ndarray | None,
    *,
    method: str,
    time_limit: float | None,
    C: float = HINGE_C,
) -> tuple[np.ndarray, float] | None:
    """Fit one sign unit to ±1 targets ``t`` on inputs ``A`` with :func:`mixedopt.fit_unit`.

    Targets with zero weight are ignored; the others' weights are scaled to mean 1. ``C`` is
    the loss weight of ``method="hinge"`` and of the LP's soft-margin fallback (the default
    :data:`HINGE_C` = 10 keeps the fit close to the fewest weighted violations; with
    ``fit_unit``'s own ``C = 1`` the L1 penalty often wins on small batches and the unit
    collapses to a constant). Returns ``(w, b)`` rescaled to unit norm, or None when there
    is nothing to fit or the fit failed (the caller keeps the old weights).
    """
    keep = np.ones(t.shape[0], dtype=bool) if weights is None else weights > 0
    if keep.sum() == 0 or np.unique(t[keep]).size < 2:
        return None
    sw = None if weights is None else weights[keep] / weights[keep].mean()
    try:
        fit = fit_unit(
            A[keep], t[keep], method=method, sample_weight=sw, C=C, time_limit=time_limit
        )
    except Error as exc:  # a failed fit keeps the unit's weights; training goes on
        logger.warning("fit_unit(method=%r) failed, unit kept: %s", method, exc)
        return None
    w = np.asarray(fit.w, dtype=np.float64)
    b = float(fit.b)
    norm = float(np.sqrt(np.sum(w * w) + b * b))
    if not np.isfinite(norm) or norm == 0.0:
        return None
    return w / norm, b / norm
