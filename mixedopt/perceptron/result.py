"""The result of a per-unit fit, :class:`UnitFit`, and how the fits build it."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.perceptron.hyperplane import exact_sign, int_decision, summary
from mixedopt.validation import check_array, is_integral

if TYPE_CHECKING:
    from mixedopt.perceptron.data import Data

__all__ = ["STATUSES", "UnitFit"]

#: values of :attr:`UnitFit.status`
STATUSES: tuple[str, ...] = ("optimal", "feasible", "infeasible", "time_limit")


@dataclass(frozen=True, eq=False)
class UnitFit:
    """Result of a per-unit fit (see :func:`~mixedopt.perceptron.fit_unit`).

    Attributes
    ----------
    w : numpy.ndarray
        Weights, shape ``(n,)``; ``float64``, or ``int64`` for ``method="integer"``.
    b : float or int
        Bias (``int`` for integer fits).
    margin : float
        Real-weight fits: the geometric margin ``min_k t_k (w·a_k + b) / ||w||₂`` over the
        examples (negative when some example is misclassified; ``inf`` when ``w = 0`` and every
        example is strictly on its side; ``0.0`` when ``w = 0`` otherwise). Integer fits: the
        *functional* margin ``min_k t_k (w·a_k + b)``, an integer (a ``+1`` example exactly on
        the hyperplane has margin 0 and is still correct under the sign(0) = +1 convention).
    n_violations : int
        Number of examples with ``sign(w·a_k + b) != t_k`` (sign(0) = +1), re-evaluated
        exactly: integer arithmetic for integer data and weights, otherwise float64 with the
        near-zero cases recomputed in rational arithmetic.
    separable : bool or None
        ``True``: the returned hyperplane separates the examples (a certificate). ``False``: the
        examples are proved not separable (``"lp"``, ``"max-margin"``), or no integer
        hyperplane within the weight bound separates them (``"integer"``, proven optimal).
        ``None``: the method cannot tell.
    conflict : numpy.ndarray or None
        Sorted example indices of an irreducible non-separable subset (every proper subset is
        separable), or None.
    method : str
        The method used.
    status : str
        ``"optimal"`` (the method's problem was solved to optimality / certified),
        ``"feasible"`` (a valid fit without an optimality proof, e.g. a perceptron that ran out
        of epochs), ``"infeasible"`` (the requested hard-margin problem has no solution; ``w``
        and ``b`` are the soft-margin fallback) or ``"time_limit"``.
    objective : float or None
        ``"hinge"``: ``||w||₁ + C Σ c_k hinge_k``; ``"max-margin"``: ``½||w||²`` (or the
        soft-margin objective when not separable); ``"lp"`` when not separable: the soft-margin
        objective; ``"integer"``: the weighted number of violations; otherwise None.
    bound : float or None
        ``"integer"`` only: a proven lower bound on the weighted number of violations.
    n_iter : int
        Cutting-plane rounds (``"lp"``, ``"max-margin"``, ``"hinge"``), epochs
        (``"perceptron"``) or search branches (``"integer"``).
    wall_time : float
        Seconds spent in the fit.

    Examples
    --------
    >>> import numpy as np
    >>> from mixedopt.perceptron import fit_unit
    >>> fit = fit_unit([[0.0], [1.0], [3.0]], [-1, 1, 1])
    >>> fit.predict([[-5.0], [5.0]])
    array([-1,  1], dtype=int8)
    """

    w: np.ndarray
    b: float | int
    margin: float
    n_violations: int
    separable: bool | None
    conflict: np.ndarray | None
    method: str
    status: str
    objective: float | None = None
    bound: float | None = None
    n_iter: int = 0
    wall_time: float = 0.0

    @property
    def n_features(self) -> int:
        """Number of inputs of the unit."""
        return int(self.w.shape[0])

    def _check_A(self, A: Any) -> np.ndarray:
        arr = check_array(A, name="A")
        if arr.shape[1] != self.n_features:
            raise ValidationError(
                f"A has {arr.shape[1]} columns but the unit was fitted on {self.n_features}."
            )
        return arr

    def decision_function(self, A: Any) -> np.ndarray:
        """Pre-activations ``A @ w + b`` (exact ``int64``/``object`` for integer fits on
        integer data, ``float64`` otherwise)."""
        arr = self._check_A(A)
        if self.w.dtype.kind == "i" and is_integral(arr):
            return int_decision(arr, self.w, int(self.b))
        return arr.astype(np.float64, copy=False) @ self.w.astype(np.float64) + float(self.b)

    def predict(self, A: Any) -> np.ndarray:
        """Unit outputs in {-1, +1} (``int8``), ``+1`` iff ``w·a + b >= 0`` (exact)."""
        return exact_sign(self._check_A(A), self.w, self.b)


def finish(
    data: Data,
    t: np.ndarray,
    w: np.ndarray,
    b: float | int,
    *,
    method: str,
    status: str,
    separable: bool | None,
    conflict: np.ndarray | None = None,
    objective: float | None = None,
    bound: float | None = None,
    n_iter: int = 0,
    t0: float = 0.0,
    integer: bool = False,
) -> UnitFit:
    """A :class:`UnitFit` for ``(w, b)``: margin and violations re-evaluated exactly, arrays
    made read-only, the wall time measured from ``t0``."""
    margin, n_viol = (
        summary(data.A, t, w, b, integer=True)
        if integer
        else summary(data.A, t, w, b, integer=False, Af=data.Af, rowmax=data.rowmax)
    )
    w = np.array(w, dtype=np.int64 if integer else np.float64)
    w.flags.writeable = False
    if conflict is not None:
        conflict = np.asarray(conflict, dtype=np.intp)
        conflict.flags.writeable = False
    return UnitFit(
        w=w,
        b=int(b) if integer else float(b),
        margin=margin,
        n_violations=n_viol,
        separable=separable,
        conflict=conflict,
        method=method,
        status=status,
        objective=None if objective is None else float(objective),
        bound=None if bound is None else float(bound),
        n_iter=int(n_iter),
        wall_time=time.perf_counter() - t0,
    )


def replace_fit(fit: UnitFit, **changes: Any) -> UnitFit:
    return replace(fit, **changes)


def separable_if_clean(fit: UnitFit) -> UnitFit:
    """Mark a fit without violations as a separability certificate (its hyperplane is one)."""
    return replace_fit(fit, separable=True) if fit.n_violations == 0 else fit
