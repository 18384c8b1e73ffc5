"""Convex per-unit fits: separability LP, max-margin, hinge, integer weights, perceptron.

Once the ±1 targets of a hidden layer are fixed, every threshold unit is an independent
perceptron: find weights ``w`` and a bias ``b`` with ``sign(w·a_k + b) = t_k`` for the unit's
inputs ``a_k`` (rows of ``A``) and targets ``t_k``. This module fits one such unit
(:func:`fit_unit`) or many units sharing the same inputs (:func:`fit_units`).

Sign convention: a unit outputs ``+1`` iff ``w·a + b >= 0`` (sign(0) = +1, as in
:mod:`mixedopt.activations`). The bias is always fitted (an implicit constant-1 column).

Methods
-------
``"lp"``
    Exact separability test. Separable → a hyperplane with functional margin
    ``t_k (w·a_k + b) >= 1`` for every example. Not separable → ``separable=False``, an
    *irreducible* conflict set (every proper subset is separable, at most ``n + 2`` examples)
    and, as a best effort, the soft-margin fit (see below).
``"max-margin"``
    Hard-margin SVM ``min ||w||² s.t. t_k (w·a_k + b) >= 1`` (maximum geometric margin).
    Not separable → the soft-margin fit with ``status="infeasible"``.
``"hinge"``
    The LP ``min ||w||₁ + C Σ_k c_k max(0, 1 - t_k (w·a_k + b))`` (``c_k`` = sample weights,
    bias not penalised).
``"integer"``
    Integer ``w`` and ``b`` with ``|w_i|, |b| <= K`` (``weight_bound``) minimising the
    weighted number of misclassified examples (CP-SAT, exact), ties broken by min ``Σ|w_i|``.
``"perceptron"``
    The averaged perceptron (exact sequential updates, checked in vectorised chunks).

The *soft-margin fit* used as the non-separable fallback of ``"lp"`` and ``"max-margin"`` is
the L2-SVM ``min ½||w||² + (C/2) Σ_k c_k max(0, 1 - t_k (w·a_k + b))²`` (squared hinge, the
default loss of scikit-learn's ``LinearSVC``), solved exactly by a finite Newton method.

How the separability test works (and why it is fast)
-----------------------------------------------------
The columns of ``A`` are standardised (an invertible affine map: it changes neither
separability nor the conflict sets). A least-squares fit ``[A 1] v ≈ t`` is tried first; if it
already classifies every example strictly correctly it *is* a certificate of separability.
Otherwise a cutting-plane loop solves the least-distance problem
``min ||v|| s.t. t_k v·[a_k; 1] >= 1`` on a small working set of examples with the
Lawson–Hanson NNLS algorithm (Lawson & Hanson 1974, ch. 23): either it returns a point that
satisfies the working set's constraints (then all examples are checked and the violated ones
join the working set), or a vector ``u >= 0`` with ``Σ_k u_k t_k [a_k; 1] = 0``, ``Σ u_k = 1``
— a Farkas certificate of non-separability whose support has linearly independent columns,
so at most ``n + 2`` examples. That support is an irreducible infeasible subset when the
certificate is the only one up to scaling (checked by a rank test; Gleeson & Ryan 1990);
otherwise a deletion filter with LP checks shrinks it. HiGHS solves the full LP only when the
working-set loop cannot decide (numerical ties). Both outcomes are re-verified: a separating
hyperplane is re-evaluated exactly on all examples, a conflict by its Farkas residual.
Sets whose margin is below about ``1e-9`` of the (standardised) data scale are treated as
not separable.

The other methods
-----------------
``"max-margin"`` runs the separability test, then the same working-set loop on the
least-distance problem with the bias penalised by ``1/κ²`` (κ = 100), and solves the exact
hard-margin problem on the resulting active set (a KKT linear system). ``status="optimal"``
means the KKT conditions were verified (multipliers >= 0, stationarity, all margins >= 1, to
about 1e-9 relative); otherwise the best separating hyperplane found comes back as
``"feasible"``. ``"hinge"`` solves the LP's dual (one column per example, box ``[0, C c_k]``)
with HiGHS, adding the examples with margin < 1 as columns until none is left (column
generation; exact). ``"integer"`` merges duplicate rows, builds one half-reified row per
distinct example in CP-SAT (``ok → w·a + b >= 0`` for ``t = +1``, ``ok → w·a + b <= -1`` for
``t = -1``), starts from a rounded soft-margin hyperplane, and uses one worker by default.

Dense linear algebra runs with one BLAS thread for small and medium problems (threads only
add synchronisation cost there and collapse when the machine is oversubscribed).

Examples
--------
>>> import numpy as np
>>> from mixedopt.perceptron import fit_unit
>>> A = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
>>> fit = fit_unit(A, [-1, 1, 1, 1])            # OR is linearly separable
>>> fit.separable, fit.n_violations, fit.status
(True, 0, 'optimal')
>>> fit_unit(A, [-1, 1, 1, -1]).conflict        # XOR is not: all four points conflict
array([0, 1, 2, 3])
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np

from mixedopt._validation import check_array, check_targets, check_time_limit, is_integral
from mixedopt.errors import SolverError, ValidationError

__all__ = [
    "METHODS",
    "UnitFit",
    "fit_unit",
    "fit_units",
    "is_separable",
    "verify_conflict",
]

logger = logging.getLogger(__name__)

#: names accepted by ``fit_unit(method=...)``
METHODS: tuple[str, ...] = ("lp", "max-margin", "hinge", "integer", "perceptron")

#: values of :attr:`UnitFit.status`
STATUSES: tuple[str, ...] = ("optimal", "feasible", "infeasible", "time_limit")

_U = 2.0**-53  # unit roundoff of float64
_INFEAS_TOL = 1e-9  # NNLS residual below this: the working set looks non-separable
_FARKAS_TOL = 1e-9  # relative residual accepted for a Farkas certificate
_KAPPA = 100.0  # bias column scale in the max-margin LDP (penalises b by 1/kappa²)
_MAX_EXACT_CELLS = 1600  # verify_conflict: rational arithmetic up to |S| * (n + 1) cells


# --------------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class UnitFit:
    """Result of a per-unit fit (see :func:`fit_unit`).

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
            return _int_decision(arr, self.w, int(self.b))
        return arr.astype(np.float64, copy=False) @ self.w.astype(np.float64) + float(self.b)

    def predict(self, A: Any) -> np.ndarray:
        """Unit outputs in {-1, +1} (``int8``), ``+1`` iff ``w·a + b >= 0`` (exact)."""
        return _exact_sign(self._check_A(A), self.w, self.b)


# ----------------------------------------------------------------------------- validation
def _check_method(method: Any) -> str:
    if not isinstance(method, str) or method not in METHODS:
        raise ValidationError(
            f"unknown method {method!r}; choose one of: {', '.join(repr(m) for m in METHODS)}."
        )
    return method


def _check_sample_weight(sample_weight: Any, m: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(m)
    sw = check_array(sample_weight, name="sample_weight", ndim=1).astype(np.float64)
    if sw.shape[0] != m:
        raise ValidationError(
            f"sample_weight must have one weight per example: expected {m}, got {sw.shape[0]}."
        )
    if np.any(sw < 0):
        raise ValidationError(
            f"sample_weight must be nonnegative; {int(np.sum(sw < 0))} weight(s) are negative."
        )
    if not np.any(sw > 0):
        raise ValidationError("sample_weight is all zero; at least one example must count.")
    return sw


def _check_pos_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValidationError(f"{name} must be a positive number, got {value!r}.")
    if not math.isfinite(float(value)) or value <= 0:
        raise ValidationError(f"{name} must be a finite number > 0, got {value!r}.")
    return float(value)


def _check_pos_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise ValidationError(f"{name} must be a positive integer, got {value!r}.")
    if not math.isfinite(float(value)) or value < 1 or int(value) != value:
        raise ValidationError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _check_seed(seed: Any) -> int:
    if seed is None:
        return 0
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError(f"seed must be a nonnegative integer, got {seed!r}.")
    return int(seed)


def _check_inputs(A: Any, t: Any) -> tuple[np.ndarray, np.ndarray]:
    arr = check_array(A, name="A")
    tt = check_targets(t, name="t", n_samples=arr.shape[0])
    return arr, tt


# ----------------------------------------------------------------------- numeric helpers
_BLAS: list[Any] = []
_BLAS_LOCK = threading.Lock()


@contextlib.contextmanager
def _blas_scope(m: int, n: int) -> Iterator[None]:
    """One BLAS thread for problems up to ~1e9 flops per Gram matrix (see module notes)."""
    if m * (n + 1) ** 2 > 1e9:
        yield
        return
    try:
        with _BLAS_LOCK:
            if not _BLAS:
                from threadpoolctl import ThreadpoolController

                _BLAS.append(ThreadpoolController())
        ctx: Any = _BLAS[0].limit(limits=1, user_api="blas")
    except Exception:  # pragma: no cover - threadpoolctl missing or broken: run as is
        ctx = contextlib.nullcontext()
    with ctx:
        yield


_HIGHS_STATE = {"banner": False}


def _new_highs() -> Any:
    """A silent ``highspy.Highs`` (the one-time stdout banner of HiGHS is swallowed)."""
    import highspy

    if not _HIGHS_STATE["banner"]:
        with _BLAS_LOCK:
            if not _HIGHS_STATE["banner"]:
                _HIGHS_STATE["banner"] = True
                h = None
                try:
                    sys.stdout.flush()
                    saved = os.dup(1)
                    null = os.open(os.devnull, os.O_WRONLY)
                    try:
                        os.dup2(null, 1)
                        h = highspy.Highs()
                        with contextlib.suppress(Exception):
                            ctypes.CDLL(None).fflush(None)
                    finally:
                        os.dup2(saved, 1)
                        os.close(saved)
                        os.close(null)
                except OSError:  # pragma: no cover - no real fd 1
                    h = None
                if h is not None:
                    h.setOptionValue("output_flag", False)
                    return h
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.perf_counter()


def _expired(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() > deadline


def _int_decision(A: np.ndarray, w: np.ndarray, b: int) -> np.ndarray:
    """Exact ``A @ w + b`` for integral ``A`` and integer ``w``, ``b`` (int64 or Python ints)."""
    wi = np.asarray(w).astype(np.int64)
    amax = float(np.max(np.abs(A))) if A.size else 0.0
    bound = amax * (float(np.sum(np.abs(wi))) + abs(int(b)))
    if bound < 2.0**62 and amax < 2.0**62:
        return A.astype(np.int64) @ wi + np.int64(b)
    Ao = np.array([[int(x) for x in row] for row in A.tolist()], dtype=object)
    return Ao @ np.array([int(x) for x in wi.tolist()], dtype=object) + int(b)


def _float_decision(
    Af: np.ndarray, w: np.ndarray, b: float, rowmax: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``z = Af @ w + b`` in float64 and a bound on its rounding error per row.

    Any summation order gives ``|fl(z) - z| <= (n + 1) u (Σ|a_i w_i| + |b|)`` (plus one
    rounding per conversion); the bound below uses ``max|a_i| · ||w||₁`` for ``Σ|a_i w_i|``
    and a factor 2 of slack.
    """
    z = Af @ w + b
    if Af.shape[1] == 0:  # pragma: no cover - check_array rejects empty inputs
        return z, np.full(z.shape, 1e-300)
    if rowmax is None:
        rowmax = _rowmax(Af)
    err = 2.0 * (Af.shape[1] + 3) * _U * (rowmax * float(np.sum(np.abs(w))) + abs(b)) + 1e-300
    return z, err


def _rowmax(Af: np.ndarray) -> np.ndarray:
    return np.maximum(Af.max(axis=1), -Af.min(axis=1))


def _resolve_signs(
    A: np.ndarray, z: np.ndarray, err: np.ndarray, w: np.ndarray, b: float
) -> np.ndarray:
    """Signs (+1 at 0) of ``A @ w + b``, recomputed in rational arithmetic where
    ``|z| <= err`` (float64 cannot tell there)."""
    out = np.where(z >= 0, 1, -1).astype(np.int8)
    amb = np.flatnonzero(~(np.abs(z) > err))
    if amb.size:
        nz = np.flatnonzero(w)
        wq = [Fraction(float(w[i])) for i in nz]
        bq = Fraction(float(b))
        for k in amb.tolist():
            row = A[k, nz].tolist()  # Python ints or floats: converted exactly
            s = bq + sum((Fraction(a) * q for a, q in zip(row, wq, strict=True)), Fraction(0))
            out[k] = 1 if s >= 0 else -1
    return out


def _exact_sign(A: np.ndarray, w: np.ndarray, b: float | int) -> np.ndarray:
    """``+1`` where ``w·a + b >= 0`` in exact arithmetic, ``-1`` elsewhere (``int8``)."""
    w = np.asarray(w)
    if w.dtype.kind in "iu" and isinstance(b, (int, np.integer)) and is_integral(A):
        return np.where(_int_decision(A, w, int(b)) >= 0, 1, -1).astype(np.int8)
    wf = w.astype(np.float64)
    z, err = _float_decision(A.astype(np.float64, copy=False), wf, float(b))
    return _resolve_signs(A, z, err, wf, float(b))


def _summary(
    A: np.ndarray,
    t: np.ndarray,
    w: np.ndarray,
    b: float | int,
    *,
    integer: bool,
    Af: np.ndarray | None = None,
    rowmax: np.ndarray | None = None,
) -> tuple[float, int]:
    """(margin, n_violations) of a fit, see :class:`UnitFit`."""
    if integer:
        z = _int_decision(A, w, int(b))
        n_viol = int(np.count_nonzero(np.where(z >= 0, 1, -1) != t))
        return float(min(int(v) for v in (z * t.astype(np.int64)).tolist())), n_viol
    wf = np.asarray(w, dtype=np.float64)
    Af = A.astype(np.float64, copy=False) if Af is None else Af
    z, err = _float_decision(Af, wf, float(b), rowmax)
    n_viol = int(np.count_nonzero(_resolve_signs(A, z, err, wf, float(b)) != t))
    zt = z * t
    nw = float(np.linalg.norm(wf))
    if nw == 0.0:
        return (math.inf if float(np.min(zt)) > 0 else 0.0), n_viol
    return float(np.min(zt)) / nw, n_viol


class _Data:
    """Validated inputs with the transformed copies that several fits share."""

    def __init__(self, A: np.ndarray):
        self.A = A
        self.m, self.n = A.shape

    @cached_property
    def Af(self) -> np.ndarray:
        return np.ascontiguousarray(self.A, dtype=np.float64)

    @cached_property
    def rowmax(self) -> np.ndarray:
        return _rowmax(self.Af)

    @cached_property
    def integral(self) -> bool:
        return is_integral(self.A)

    @cached_property
    def mu(self) -> np.ndarray:
        return self.Af.mean(axis=0)

    @cached_property
    def sd(self) -> np.ndarray:
        sd = self.Af.std(axis=0)
        sd[~(sd > 0)] = 1.0
        return sd

    @cached_property
    def A1(self) -> np.ndarray:
        """Standardised inputs with a trailing column of ones (separability, perceptron)."""
        out = np.empty((self.m, self.n + 1))
        np.subtract(self.Af, self.mu, out=out[:, : self.n])
        out[:, : self.n] /= self.sd
        out[:, self.n] = 1.0
        return out

    @cached_property
    def scale(self) -> float:
        s = float(np.max(np.abs(self.Af - self.mu))) if self.m else 1.0
        return s if s > 0 else 1.0

    @cached_property
    def G1(self) -> np.ndarray:
        """Centred inputs divided by one global scale, plus ones (norm-dependent fits)."""
        out = np.empty((self.m, self.n + 1))
        np.subtract(self.Af, self.mu, out=out[:, : self.n])
        out[:, : self.n] /= self.scale
        out[:, self.n] = 1.0
        return out

    @cached_property
    def chol(self) -> Any:
        from scipy.linalg import cho_factor

        G = self.A1.T @ self.A1
        G[np.diag_indices_from(G)] += 1e-10 * max(1.0, float(np.trace(G)) / G.shape[0])
        return cho_factor(G, lower=True, check_finite=False)

    def ls(self, T: np.ndarray) -> np.ndarray:
        """Least-squares ``[A_std 1] V ≈ T`` for one or several target columns."""
        from scipy.linalg import cho_solve

        return cho_solve(self.chol, self.A1.T @ T, check_finite=False)

    def from_std(self, v: np.ndarray) -> tuple[np.ndarray, float]:
        w = v[: self.n] / self.sd
        return w, float(v[self.n] - w @ self.mu)

    def from_global(self, v: np.ndarray) -> tuple[np.ndarray, float]:
        w = v[: self.n] / self.scale
        return w, float(v[self.n] - w @ self.mu)

    def to_global(self, w: np.ndarray, b: float) -> np.ndarray:
        return np.r_[w * self.scale, b + w @ self.mu]


# ------------------------------------------------------------------- LDP / separability
def _ldp(MW: np.ndarray, kappa: float = 1.0) -> tuple[np.ndarray, np.ndarray, float] | None:
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
class _Sep:
    status: str  # "separable" | "infeasible" | "time_limit" | "unknown"
    v: np.ndarray | None = None  # separator in the coordinates of the rows given
    rows: np.ndarray | None = None  # Farkas support (row indices)
    u: np.ndarray | None = None  # Farkas weights on rows
    rounds: int = 0
    via: str = ""


def _separate(
    A1: np.ndarray,
    tf: np.ndarray,
    *,
    deadline: float | None = None,
    v0: np.ndarray | None = None,
) -> _Sep:
    """Decide whether ``t_k v·A1_k >= 1`` is feasible (see the module notes)."""
    m, d = A1.shape
    if np.all(tf == tf[0]):
        v = np.zeros(d)
        v[-1] = tf[0]
        return _Sep("separable", v, via="one class")
    if v0 is None:
        try:
            v0 = np.linalg.lstsq(A1, tf, rcond=None)[0] if m <= 4 * d else None
        except np.linalg.LinAlgError:  # pragma: no cover
            v0 = None
        if v0 is None:
            G = A1.T @ A1
            G[np.diag_indices_from(G)] += 1e-10 * max(1.0, float(np.trace(G)) / d)
            v0 = np.linalg.solve(G, A1.T @ tf)
    z = (A1 @ v0) * tf
    if float(np.min(z)) > 0:
        return _Sep("separable", v0, via="least squares")
    k0 = min(m, 2 * d)
    W = np.argpartition(z, k0 - 1)[:k0] if k0 < m else np.arange(m)
    in_w = np.zeros(m, dtype=bool)
    in_w[W] = True
    rounds = 0
    while True:
        if _expired(deadline):
            return _Sep("time_limit", rounds=rounds)
        rounds += 1
        MW = A1[W] * tf[W, None]
        out = _ldp(MW)
        if out is None:
            break
        x, u, rn = out
        if rn <= _INFEAS_TOL:
            cert = _farkas_support(MW, u)
            if cert is not None:
                return _Sep("infeasible", rows=W[cert[0]], u=cert[1], rounds=rounds, via="nnls")
            break
        z = (A1 @ x) * tf
        if float(np.min(z)) > 0:
            return _Sep("separable", x, rounds=rounds, via="nnls")
        cand = np.flatnonzero((z < 1.0 - 1e-9) & ~in_w)
        if cand.size == 0:
            break
        if cand.size > d:
            cand = cand[np.argpartition(z[cand], d - 1)[:d]]
        W = np.concatenate([W, cand])
        in_w[cand] = True
    logger.debug("working-set loop undecided after %d rounds; solving the full LP", rounds)
    res = _highs_separate(A1, tf, deadline)
    res.rounds += rounds
    return res


def _highs_separate(A1: np.ndarray, tf: np.ndarray, deadline: float | None) -> _Sep:
    """Full-size HiGHS decision: the Farkas LP, then (if separable) the feasibility LP."""
    import highspy

    inf = highspy.kHighsInf
    m, d = A1.shape
    M = A1 * tf[:, None]
    # Farkas LP: lambda >= 0, Mᵀ lambda = 0, Σ lambda = 1 (a vertex has <= d + 1 nonzeros)
    h = _new_highs()
    h.setOptionValue("primal_feasibility_tolerance", 1e-10)
    h.setOptionValue("dual_feasibility_tolerance", 1e-10)
    rem = _remaining(deadline)
    if rem is not None:
        h.setOptionValue("time_limit", max(rem, 1e-3))
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
            return _Sep("infeasible", rows=cert[0], u=cert[1], rounds=1, via="highs")
        return _Sep("unknown", rounds=1, via="highs")
    if st == highspy.HighsModelStatus.kTimeLimit:
        return _Sep("time_limit", rounds=1, via="highs")
    if st != highspy.HighsModelStatus.kInfeasible:
        return _Sep("unknown", rounds=1, via="highs")
    # separable: find v with M v >= 1
    h = _new_highs()
    rem = _remaining(deadline)
    if rem is not None:
        h.setOptionValue("time_limit", max(rem, 1e-3))
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
            return _Sep("separable", v, rounds=2, via="highs")
    if st == highspy.HighsModelStatus.kTimeLimit:
        return _Sep("time_limit", rounds=2, via="highs")
    return _Sep("unknown", rounds=2, via="highs")


def _iis_rank_test(MS: np.ndarray) -> bool:
    """True when the null space of ``MSᵀ`` is one-dimensional and spanned by a vector with
    entries of one sign, all clearly nonzero: then the rows are an irreducible infeasible set
    (Gleeson & Ryan 1990; see :func:`_exact_iis`)."""
    s, d = MS.shape
    if s < 2 or s > d + 1:
        return False
    _, sig, vt = np.linalg.svd(MS.T, full_matrices=True)
    top = float(sig[0])
    if top == 0.0:
        return False
    if s <= d and sig[s - 1] > 1e-10 * top:  # no null vector at all
        return False
    if s >= 2 and sig[s - 2] <= 1e-7 * top:  # a second (near-)null direction
        return False
    v = vt[-1]
    v = v if v.sum() > 0 else -v
    return bool(np.min(v) > 1e-7 * np.max(v))


def _reduce_conflict(
    A1: np.ndarray, tf: np.ndarray, rows: np.ndarray, u: np.ndarray, deadline: float | None
) -> np.ndarray | None:
    """Shrink a Farkas support to an irreducible non-separable subset (sorted row indices)."""
    if _iis_rank_test(A1[rows] * tf[rows, None]):
        return np.sort(rows)
    keep = [int(r) for r in rows[np.argsort(u)]]
    for r in list(keep):
        if _expired(deadline):
            return None
        if r not in keep:
            continue
        trial = np.array([k for k in keep if k != r])
        if np.unique(tf[trial]).size < 2:
            continue
        res = _separate(A1[trial], tf[trial], deadline=deadline)
        if res.status == "infeasible":
            keep = [int(trial[i]) for i in res.rows] if res.rows is not None else trial.tolist()
            if r in keep:  # pragma: no cover - defensive
                keep.remove(r)
        elif res.status != "separable":
            return None
    return np.sort(np.asarray(keep, dtype=np.intp))


# -------------------------------------------------------------------------- soft margin
def _l2svm(
    data: _Data,
    tf: np.ndarray,
    c: np.ndarray,
    C: float,
    deadline: float | None,
    x0: np.ndarray | None = None,
) -> tuple[np.ndarray, float, float, int]:
    """``min ½||w||² + (C/2) Σ c_k max(0, 1 - t_k(w·a_k+b))²`` by finite Newton steps.

    Works in the globally scaled coordinates (``data.G1``). Returns ``(w, b, objective,
    iterations)`` in the original coordinates.
    """
    X = data.G1
    m, d = X.shape
    Cs = C * data.scale**2
    P = np.ones(d)
    P[-1] = 0.0
    if x0 is None:
        x = np.linalg.lstsq(X, tf, rcond=None)[0] if m <= 4 * d else None
        if x is None:
            G = X.T @ X
            G[np.diag_indices_from(G)] += 1e-10 * max(1.0, float(np.trace(G)) / d)
            x = np.linalg.solve(G, X.T @ tf)
    else:
        x = x0.copy()

    def obj(z: np.ndarray, xx: np.ndarray) -> float:
        h = np.maximum(0.0, 1.0 - z)
        return 0.5 * float(P @ (xx * xx)) + 0.5 * Cs * float(c @ (h * h))

    z = (X @ x) * tf
    f = obj(z, x)
    it = 0
    for it in range(1, 201):  # noqa: B007 - the count is returned
        if _expired(deadline):
            break
        I = np.flatnonzero((z < 1.0) & (c > 0))
        r = c[I] * (1.0 - z[I])
        g = P * x - Cs * (X[I].T @ (r * tf[I]))
        gscale = 1.0 + float(np.max(np.abs(P * x))) + Cs * float(np.sum(c))
        if float(np.max(np.abs(g))) <= 1e-12 * gscale:
            break
        XI = X[I]
        H = (XI.T * (Cs * c[I])) @ XI
        H[np.diag_indices_from(H)] += P + 1e-12 * max(1.0, float(np.trace(H)) / d)
        try:
            step = -np.linalg.solve(H, g)
        except np.linalg.LinAlgError:  # pragma: no cover
            step = -np.linalg.lstsq(H, g, rcond=None)[0]
        dz = (X @ step) * tf
        alpha = _line_search(x, step, z, dz, c, Cs, P)
        x_new = x + alpha * step
        z_new = z + alpha * dz
        f_new = obj(z_new, x_new)
        if f_new > f:  # no progress (numerics): stop at the better point
            break
        done = f - f_new <= 1e-15 * max(1.0, abs(f))
        x, z, f = x_new, z_new, f_new
        if done:
            break
    w, b = data.from_global(x)
    return w, b, f / data.scale**2, it


def _line_search(
    x: np.ndarray,
    step: np.ndarray,
    z: np.ndarray,
    dz: np.ndarray,
    c: np.ndarray,
    Cs: float,
    P: np.ndarray,
) -> float:
    """Exact minimiser of the (piecewise quadratic, convex) objective along ``step``."""
    a0 = float(P @ (x * step))
    a1 = float(P @ (step * step))

    def deriv(alpha: float) -> tuple[float, float]:
        h = 1.0 - z - alpha * dz
        act = (h > 0) & (c > 0)
        g = a0 + alpha * a1 - Cs * float(np.sum(c[act] * h[act] * dz[act]))
        hess = a1 + Cs * float(np.sum(c[act] * dz[act] ** 2))
        return g, hess

    lo, hi = 0.0, 1.0
    g_hi, _ = deriv(hi)
    grow = 0
    while g_hi < 0 and grow < 60:
        lo, hi = hi, 2.0 * hi
        g_hi, _ = deriv(hi)
        grow += 1
    alpha = hi
    for _ in range(100):
        g, hess = deriv(alpha)
        if abs(g) <= 1e-13 * (abs(a0) + 1.0):
            return alpha
        if g > 0:
            hi = alpha
        else:
            lo = alpha
        nxt = alpha - g / hess if hess > 0 else 0.5 * (lo + hi)
        if not lo < nxt < hi:
            nxt = 0.5 * (lo + hi)
        if hi - lo <= 1e-15 * max(1.0, hi):
            return alpha
        alpha = nxt
    return alpha


# ------------------------------------------------------------------------------ methods
@dataclass
class _Opts:
    C: float
    weight_bound: int | None
    deadline: float | None
    time_limit: float | None
    seed: int
    max_iter: int
    conflict: bool


def _finish(
    data: _Data,
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
    margin, n_viol = (
        _summary(data.A, t, w, b, integer=True)
        if integer
        else _summary(data.A, t, w, b, integer=False, Af=data.Af, rowmax=data.rowmax)
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


def _separator_fit(data: _Data, t: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Map a standardised separator back; verify it exactly; rescale to functional margin 1."""
    w, b = data.from_std(v)
    z, err = _float_decision(data.Af, w, b, data.rowmax)
    zt = z * t
    zmin = float(np.min(zt))
    if not zmin > 0:
        return None
    if np.any(zt <= err) and np.any(_resolve_signs(data.A, z, err, w, b) != t):
        return None
    w, b = w / zmin, b / zmin
    if zmin <= 1e6 * float(np.max(err)) and np.any(_exact_sign(data.A, w, b) != t):
        return None  # pragma: no cover - rescaling rounded a point onto the wrong side
    return w, b


def _soft_fit(
    data: _Data, t: np.ndarray, c: np.ndarray, opts: _Opts
) -> tuple[np.ndarray, float, float, int]:
    return _l2svm(data, t.astype(np.float64), c, opts.C, opts.deadline)


def _fit_lp(
    data: _Data,
    t: np.ndarray,
    c: np.ndarray,
    opts: _Opts,
    t0: float,
    v0: np.ndarray | None = None,
) -> UnitFit:
    tf = t.astype(np.float64)
    sep = _separate(data.A1, tf, deadline=opts.deadline, v0=v0)
    if sep.status == "separable" and sep.v is not None:
        wb = _separator_fit(data, t, sep.v)
        if wb is None:  # rounding after the change of coordinates: try the full LP
            logger.debug("separator lost exactness in original coordinates; retrying with HiGHS")
            sep2 = _highs_separate(data.A1, tf, opts.deadline)
            wb = _separator_fit(data, t, sep2.v) if sep2.v is not None else None
        if wb is not None:
            return _finish(
                data,
                t,
                wb[0],
                wb[1],
                method="lp",
                status="optimal",
                separable=True,
                n_iter=sep.rounds,
                t0=t0,
            )
        w, b = data.from_std(sep.v)
        logger.warning("lp: separator found but not verified exactly; returning it unproved")
        return _finish(
            data, t, w, b, method="lp", status="feasible", separable=None, n_iter=sep.rounds, t0=t0
        )
    if sep.status == "infeasible" and sep.rows is not None and sep.u is not None:
        conflict = None
        if opts.conflict:
            conflict = _reduce_conflict(data.A1, tf, sep.rows, sep.u, opts.deadline)
        w, b, obj, _ = _soft_fit(data, t, c, opts)
        return _finish(
            data,
            t,
            w,
            b,
            method="lp",
            status="infeasible",
            separable=False,
            conflict=conflict,
            objective=obj,
            n_iter=sep.rounds,
            t0=t0,
        )
    # time limit or undecided: best effort least squares in original coordinates
    v = v0 if v0 is not None else data.ls(tf)
    w, b = data.from_std(v)
    status = "time_limit" if sep.status == "time_limit" else "feasible"
    if sep.status == "unknown":
        logger.warning("lp: separability could not be decided numerically")
    return _finish(
        data, t, w, b, method="lp", status=status, separable=None, n_iter=sep.rounds, t0=t0
    )


def _kkt_polish(X: np.ndarray, tf: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Hard-margin SVM with the rows ``X`` active (all at margin 1).

    ``min ||w|| s.t. X w + b = t``: eliminating ``b`` leaves the minimum-norm solution of the
    centred system; the multipliers solve ``w = Σ lambda_k t_k x_k``, ``Σ lambda_k t_k = 0``.
    Least squares on the rows themselves (not their Gram matrix) keeps the conditioning.
    Returns ``(v, lambda, stationarity residual relative to ||w||)``.
    """
    s = X.shape[0]
    w = np.linalg.lstsq(X - X.mean(axis=0), tf - tf.mean(), rcond=1e-10)[0]
    b = float(np.mean(tf - X @ w))
    E = np.vstack([X.T, np.ones(s)])
    rhs = np.r_[w, 0.0]
    y = np.linalg.lstsq(E, rhs, rcond=1e-10)[0]
    res = float(np.linalg.norm(E @ y - rhs)) / max(float(np.linalg.norm(w)), 1e-300)
    return np.r_[w, b], y * tf, res


def _fit_max_margin(data: _Data, t: np.ndarray, c: np.ndarray, opts: _Opts, t0: float) -> UnitFit:
    tf = t.astype(np.float64)
    sep = _separate(data.A1, tf, deadline=opts.deadline)
    if sep.status == "infeasible" and sep.rows is not None and sep.u is not None:
        conflict = None
        if opts.conflict:
            conflict = _reduce_conflict(data.A1, tf, sep.rows, sep.u, opts.deadline)
        w, b, obj, it = _soft_fit(data, t, c, opts)
        return _finish(
            data,
            t,
            w,
            b,
            method="max-margin",
            status="infeasible",
            separable=False,
            conflict=conflict,
            objective=obj,
            n_iter=sep.rounds + it,
            t0=t0,
        )
    wb = _separator_fit(data, t, sep.v) if sep.status == "separable" and sep.v is not None else None
    if wb is None:  # time limit or numerical trouble: whatever the LP path returns
        return _fit_lp(data, t, c, opts, t0)
    if np.all(t == t[0]):  # one class: w = 0 is optimal
        w, b = np.zeros(data.n), float(t[0])
        return _finish(
            data,
            t,
            w,
            b,
            method="max-margin",
            status="optimal",
            separable=True,
            objective=0.0,
            t0=t0,
        )
    X = data.G1
    m, d = X.shape
    best = data.to_global(*wb)
    z = (X @ best) * tf
    best_margin = float(np.min(z)) / max(float(np.linalg.norm(best[:-1])), 1e-300)
    k0 = min(m, 2 * d)
    W = np.argpartition(z, k0 - 1)[:k0] if k0 < m else np.arange(m)
    in_w = np.zeros(m, dtype=bool)
    in_w[W] = True
    rounds = 0
    status = "time_limit"
    rmax = float(np.max(np.linalg.norm(X[:, :-1], axis=1)))
    while not _expired(opts.deadline):
        rounds += 1
        MW = X[W] * tf[W, None]
        out = _ldp(MW, kappa=_KAPPA)
        if out is None or out[2] <= _INFEAS_TOL:  # pragma: no cover - numerical trouble
            status = "feasible"
            break
        x, u, _ = out
        S = W[u > 0]
        xp, lam, res = _kkt_polish(X[S, :-1], tf[S])
        # constraint values carry rounding of order eps * ||w|| * ||x|| (ill-conditioned data)
        tol = 1e-9 * (1.0 + float(np.linalg.norm(xp[:-1])) * rmax)
        zW = MW @ xp
        zS = (X[S] @ xp) * tf[S]
        polished = bool(
            lam.size
            and np.min(lam) >= -1e-9 * max(1.0, float(np.max(lam)))  # dual feasibility
            and res <= 1e-8  # stationarity
            and np.max(np.abs(zS - 1.0)) <= tol  # complementary slackness
            and np.min(zW) >= 1.0 - tol  # primal feasibility on the working set
        )
        xx = xp if polished else x
        z = (X @ xx) * tf
        gm = float(np.min(z)) / max(float(np.linalg.norm(xx[:-1])), 1e-300)
        if gm > best_margin:  # keep the separator with the largest geometric margin
            best, best_margin = xx, gm
        cand = np.flatnonzero((z < 1.0 - tol) & ~in_w)
        if cand.size == 0:
            status = "optimal" if polished and float(np.min(z)) >= 1.0 - tol else "feasible"
            if float(np.min(z)) > 0:
                best = xx  # the final solution (rounding must not prefer an earlier one)
            break
        if cand.size > d:
            cand = cand[np.argpartition(z[cand], d - 1)[:d]]
        W = np.concatenate([W, cand])
        in_w[cand] = True
    w, b = data.from_global(best)
    if np.any(_exact_sign(data.A, w, b) != t):  # pragma: no cover - fall back to the LP one
        w, b = wb
        status = "feasible"
    return _finish(
        data,
        t,
        w,
        b,
        method="max-margin",
        status=status,
        separable=True,
        objective=0.5 * float(w @ w),
        n_iter=sep.rounds + rounds,
        t0=t0,
    )


def _fit_hinge(data: _Data, t: np.ndarray, c: np.ndarray, opts: _Opts, t0: float) -> UnitFit:
    """Cutting-plane solve of the hinge LP through its dual (columns = examples)."""
    import highspy

    tf = t.astype(np.float64)
    X = data.G1
    m, d = X.shape
    n = d - 1
    Cs = opts.C * data.scale  # objective scaled by s: ||w'||₁ + C s Σ c_k s_k
    live = np.flatnonzero(c > 0)
    try:
        v0 = np.linalg.lstsq(X[live], tf[live], rcond=None)[0]
    except np.linalg.LinAlgError:  # pragma: no cover
        v0 = np.zeros(d)
    z = (X @ v0) * tf
    z[c <= 0] = np.inf
    k0 = min(live.size, 4 * d)
    W = live[np.argpartition(z[live], k0 - 1)[:k0]] if k0 < live.size else live
    in_w = np.zeros(m, dtype=bool)
    in_w[W] = True
    h = _new_highs()
    if h.getOptionValue("presolve") == "choose":
        h.setOptionValue("presolve", "off")
    h.addRows(
        d,
        np.r_[np.full(n, -1.0), 0.0],
        np.r_[np.full(n, 1.0), 0.0],
        0,
        np.zeros(0, np.int32),
        np.zeros(0, np.int32),
        np.zeros(0),
    )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)

    def add_cols(idx: np.ndarray) -> None:
        k = idx.size
        vals = X[idx] * tf[idx, None]
        h.addCols(
            k,
            np.ones(k),
            np.zeros(k),
            Cs * c[idx],
            k * d,
            np.arange(0, k * d, d, dtype=np.int32),
            np.tile(np.arange(d, dtype=np.int32), k),
            np.ascontiguousarray(vals).ravel(),
        )

    add_cols(W)
    rounds = 0
    status = "optimal"
    v = v0
    while True:
        rem = _remaining(opts.deadline)
        if rem is not None:
            if rem <= 0:
                status = "time_limit"
                break
            h.setOptionValue("time_limit", rem)
        rounds += 1
        h.run()
        st = h.getModelStatus()
        if st == highspy.HighsModelStatus.kTimeLimit:
            status = "time_limit"
            break
        if st != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"HiGHS failed on the hinge LP: {h.modelStatusToString(st)}")
        v = np.asarray(h.getSolution().row_dual, dtype=np.float64)
        z = (X @ v) * tf
        cand = np.flatnonzero((z < 1.0 - 1e-9) & ~in_w & (c > 0))
        if cand.size == 0:
            break
        add = max(4 * d, W.size)
        if cand.size > add:
            cand = cand[np.argpartition(z[cand], add - 1)[:add]]
        W = np.concatenate([W, cand])
        in_w[cand] = True
        add_cols(cand)

    def objective(vv: np.ndarray) -> tuple[float, np.ndarray, float]:
        ww, bb = data.from_global(vv)
        hinge = np.maximum(0.0, 1.0 - (data.Af @ ww + bb) * tf)
        return float(np.sum(np.abs(ww))) + opts.C * float(c @ hinge), ww, bb

    obj, w, b = objective(v)
    if status == "time_limit":  # the restricted LP's solution can be poor on all examples
        alt = objective(v0)
        if alt[0] < obj:
            obj, w, b = alt
    fit = _finish(
        data,
        t,
        w,
        b,
        method="hinge",
        status=status,
        separable=None,
        objective=obj,
        n_iter=rounds,
        t0=t0,
    )
    if fit.n_violations == 0:
        fit = _with(fit, separable=True)
    return fit


def _fit_perceptron(data: _Data, t: np.ndarray, c: np.ndarray, opts: _Opts, t0: float) -> UnitFit:
    """Averaged perceptron with exact sequential semantics, checked chunk by chunk."""
    X = data.A1
    tf = t.astype(np.float64)
    d = X.shape[1]
    rng = np.random.default_rng(opts.seed)
    live = np.flatnonzero(c > 0)
    Y = X * tf[:, None]  # rows signed by their targets: a mistake is Y_k · v <= 0
    v = np.zeros(d)
    acc = np.zeros(d)  # Σ count * update (averaging trick of Daumé III)
    count = 1.0
    converged = False
    epochs = 0
    timed_out = False
    for _ in range(opts.max_iter):
        if _expired(opts.deadline):
            timed_out = True
            break
        epochs += 1
        order = live[rng.permutation(live.size)]
        Yo = Y[order]  # one contiguous copy per epoch: chunks below are views
        co = c[order]
        mistakes = 0
        pos = 0
        chunk = 16
        while pos < order.size:
            s = Yo[pos : pos + chunk] @ v
            j = int((s <= 0).argmax())  # first mistake in the chunk (0 if none)
            if s[j] > 0:
                pos += s.size
                count += s.size
                chunk = min(2 * chunk, 4096)
                continue
            count += j
            upd = co[pos + j] * Yo[pos + j]
            v += upd
            acc += count * upd
            count += 1
            pos += j + 1
            mistakes += 1
            chunk = max(16, chunk // 4)
        if mistakes == 0:
            converged = True
            break
    cands = [v] if converged else [v, v - acc / count]
    best, best_err = v, math.inf
    for cand in cands:
        err = float(c @ ((X @ cand) * tf <= 0))
        if err < best_err:
            best, best_err = cand, err
    w, b = data.from_std(best)
    status = "optimal" if converged else ("time_limit" if timed_out else "feasible")
    fit = _finish(
        data, t, w, b, method="perceptron", status=status, separable=None, n_iter=epochs, t0=t0
    )
    if fit.n_violations == 0:
        fit = _with(fit, separable=True)
    return fit


def _integer_weights(c: np.ndarray) -> tuple[np.ndarray, float]:
    """Integer objective weights for CP-SAT and the factor they were scaled by."""
    if np.all(c == np.round(c)) and float(np.max(c)) < 2**40:
        return c.astype(np.int64), 1.0
    factor = 1e6 / float(np.max(c))
    ci = np.round(c * factor).astype(np.int64)
    logger.warning(
        "integer fit: non-integral sample weights rounded to integers (relative precision 1e-6)"
    )
    return ci, factor


def _integer_hint(
    data: _Data, t: np.ndarray, c: np.ndarray, K: int, deadline: float | None
) -> tuple[np.ndarray, int] | None:
    """A rounded soft-margin hyperplane as CP-SAT's starting point: ``(w, b)`` in ``[-K, K]``.

    The real direction is scaled so that its largest weight runs over a grid in
    ``[0.5, K + 0.5]``, rounded and clipped; for each scale the best bias in ``[-K, K]`` is
    chosen (fewest weighted errors, then min ``Σ|w|``).
    """
    if np.all(t == t[0]):
        return np.zeros(data.n, dtype=np.int64), (0 if t[0] > 0 else -1)
    try:
        w_real, _, _, _ = _l2svm(data, t.astype(np.float64), c, 1.0, deadline)
    except np.linalg.LinAlgError:  # pragma: no cover
        return None
    top = float(np.max(np.abs(w_real)))
    if not top > 0 or not np.isfinite(top):
        return None
    Ai = data.A.astype(np.int64)
    bs = np.arange(-K, K + 1)
    best: tuple[float, int, np.ndarray, int] | None = None
    for k in np.linspace(0.5, K + 0.5, 8 * K + 1):
        wi = np.clip(np.round(w_real * (k / top)), -K, K).astype(np.int64)
        Z = (Ai @ wi)[:, None] + bs[None, :]
        err = c @ (np.where(Z >= 0, 1, -1) != t[:, None])
        j = int(np.argmin(err))
        cand = (float(err[j]), int(np.abs(wi).sum()), wi, int(bs[j]))
        if best is None or cand[:2] < best[:2]:
            best = cand
    assert best is not None
    return best[2], best[3]


def _fit_integer(data: _Data, t: np.ndarray, c: np.ndarray, opts: _Opts, t0: float) -> UnitFit:
    if opts.weight_bound is None:
        raise ValidationError(
            "method='integer' needs weight_bound=K (weights and bias in [-K, K]), e.g. "
            "weight_bound=3."
        )
    if not data.integral:
        raise ValidationError(
            "method='integer' needs integer-valued A (the constraints are exact integer "
            "rows); round or scale your inputs first, e.g. np.round(A * 10)."
        )
    from ortools.sat.python import cp_model

    K = opts.weight_bound
    A = data.A
    n = A.shape[1]
    if float(np.max(np.abs(A))) * K * (n + 1) >= 2**62:
        raise ValidationError(
            "method='integer': |A| * weight_bound * (n + 1) overflows 64-bit integers; "
            "scale A down."
        )
    Ai = A.astype(np.int64)
    ci, factor = _integer_weights(c)
    keys, inv = np.unique(np.column_stack([Ai, t.astype(np.int64)]), axis=0, return_inverse=True)
    inv = np.asarray(inv).ravel()
    gw = np.bincount(inv, weights=ci.astype(np.float64), minlength=keys.shape[0])
    gw = np.round(gw).astype(np.int64)
    model = cp_model.CpModel()
    w = [model.NewIntVar(-K, K, f"w{i}") for i in range(n)]
    b = model.NewIntVar(-K, K, "b")
    absw = [model.NewIntVar(0, K, f"abs_w{i}") for i in range(n)]
    for a_i, w_i in zip(absw, w, strict=True):
        model.AddAbsEquality(a_i, w_i)
    big = n * K + 1
    ok_vars = []
    ok_coef = []
    ok_groups = np.flatnonzero(gw > 0).tolist()
    for g in ok_groups:
        row = keys[g, :n]
        nz = np.flatnonzero(row)
        expr = cp_model.LinearExpr.weighted_sum(
            [w[i] for i in nz.tolist()] + [b], [int(x) for x in row[nz].tolist()] + [1]
        )
        ok = model.NewBoolVar(f"ok{g}")
        if keys[g, n] > 0:
            model.Add(expr >= 0).OnlyEnforceIf(ok)
        else:
            model.Add(expr <= -1).OnlyEnforceIf(ok)
        ok_vars.append(ok)
        ok_coef.append(-big * int(gw[g]))
    total = int(np.sum(gw))
    model.Minimize(
        cp_model.LinearExpr.weighted_sum(ok_vars + absw, ok_coef + [1] * n) + big * total
    )
    hint = _integer_hint(data, t, c, K, opts.deadline)
    if hint is not None:  # a complete hint: weights, bias, |w| and the satisfied rows
        hw, hb = hint
        for var, val in zip([*w, b], [*hw.tolist(), hb], strict=True):
            model.AddHint(var, int(val))
        for var, val in zip(absw, np.abs(hw).tolist(), strict=True):
            model.AddHint(var, int(val))
        pre = keys[:, :n] @ hw + hb
        sat = np.where(keys[:, n] > 0, pre >= 0, pre <= -1)
        for var, g in zip(ok_vars, ok_groups, strict=True):
            model.AddHint(var, bool(sat[g]))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = int(opts.seed % 2**31)
    if opts.time_limit is not None:
        rem = _remaining(opts.deadline)
        solver.parameters.max_time_in_seconds = max(1e-3, rem if rem is not None else 0.0)
    st = solver.Solve(model)
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        wv = np.array([solver.Value(x) for x in w], dtype=np.int64)
        bv = int(solver.Value(b))
        status = "optimal" if st == cp_model.OPTIMAL else "time_limit"
        lb = math.floor(solver.BestObjectiveBound() / big + 1e-9) / factor
    elif st == cp_model.UNKNOWN:  # stopped before a first solution: keep the hint
        if hint is not None:
            wv, bv = hint[0].astype(np.int64), int(hint[1])
        else:
            wv = np.zeros(n, dtype=np.int64)
            bv = 0 if float(c @ (t > 0)) >= float(c @ (t < 0)) else -1
        status = "time_limit"
        lb = 0.0
    else:
        raise SolverError(f"CP-SAT returned {solver.StatusName(st)} for the integer unit fit.")
    viol = _exact_sign(A, wv, bv) != t
    errors = float(c[viol].sum())
    if status == "optimal":
        lb = errors
    if viol.any():
        separable: bool | None = False if status == "optimal" else None
    else:
        separable = True
    return _finish(
        data,
        t,
        wv,
        bv,
        method="integer",
        status=status,
        separable=separable,
        objective=errors,
        bound=min(lb, errors),
        n_iter=int(solver.NumBranches()),
        t0=t0,
        integer=True,
    )


def _with(fit: UnitFit, **changes: Any) -> UnitFit:
    from dataclasses import replace

    return replace(fit, **changes)


_FITTERS = {
    "lp": _fit_lp,
    "max-margin": _fit_max_margin,
    "hinge": _fit_hinge,
    "integer": _fit_integer,
    "perceptron": _fit_perceptron,
}


# ------------------------------------------------------------------------------ public API
def _make_opts(
    *,
    C: Any,
    weight_bound: Any,
    time_limit: Any,
    seed: Any,
    max_iter: Any,
    conflict: Any,
) -> _Opts:
    tl = check_time_limit(time_limit)
    return _Opts(
        C=_check_pos_float(C, "C"),
        weight_bound=None if weight_bound is None else _check_pos_int(weight_bound, "weight_bound"),
        deadline=None,
        time_limit=tl,
        seed=_check_seed(seed),
        max_iter=_check_pos_int(max_iter, "max_iter"),
        conflict=bool(conflict),
    )


def _run(
    data: _Data,
    t: np.ndarray,
    c: np.ndarray,
    method: str,
    opts: _Opts,
    v0: np.ndarray | None = None,
) -> UnitFit:
    t0 = time.perf_counter()
    opts.deadline = None if opts.time_limit is None else t0 + opts.time_limit
    if method == "lp":
        fit = _fit_lp(data, t, c, opts, t0, v0=v0)
    else:
        fit = _FITTERS[method](data, t, c, opts, t0)
    if fit.method != method:
        fit = _with(fit, method=method)
    logger.debug(
        "fit_unit(%s): m=%d n=%d status=%s separable=%s violations=%d in %.3fs",
        method,
        data.m,
        data.n,
        fit.status,
        fit.separable,
        fit.n_violations,
        fit.wall_time,
    )
    return fit


def fit_unit(
    A: Any,
    t: Any,
    *,
    method: str = "lp",
    sample_weight: Any = None,
    C: float = 1.0,
    weight_bound: int | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    max_iter: int = 100,
    conflict: bool = True,
) -> UnitFit:
    """Fit one threshold unit ``sign(w·a + b)`` (sign(0) = +1) to ±1 targets.

    Parameters
    ----------
    A : array-like of shape (m, n)
        Unit inputs, one example per row (real or integer; finite).
    t : array-like of shape (m,)
        Targets in {-1, +1} (or {0, 1} / booleans).
    method : {"lp", "max-margin", "hinge", "integer", "perceptron"}
        See the module documentation.
    sample_weight : array-like of shape (m,), optional
        Nonnegative per-example weights ``c_k`` (not all zero). They weight *losses* — the
        soft-margin fallback, the hinge loss, the integer error count and perceptron updates —
        and never change the hard constraints of ``"lp"`` / ``"max-margin"``.
    C : float
        Loss weight of ``"hinge"`` and of the soft-margin fallback.
    weight_bound : int, optional
        ``K`` for ``method="integer"`` (required there): ``|w_i| <= K`` and ``|b| <= K``.
    time_limit : float, optional
        Seconds; on expiry the best fit so far comes back with ``status="time_limit"``.
    seed : int
        Seeds the perceptron shuffle and CP-SAT.
    max_iter : int
        Epochs of ``"perceptron"`` (it stops earlier after an epoch without mistakes).
    conflict : bool
        ``"lp"`` / ``"max-margin"``: compute an irreducible conflict set when not separable.

    Returns
    -------
    UnitFit

    Raises
    ------
    ValidationError
        Bad shapes, NaN/inf, targets that are not ±1, negative or all-zero weights, a bad
        time limit, an unknown method, or ``"integer"`` without ``weight_bound`` or with
        non-integer ``A``.
    SolverError
        A solver failed in an unexpected way.

    Examples
    --------
    >>> import numpy as np
    >>> from mixedopt.perceptron import fit_unit
    >>> A = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> fit = fit_unit(A, [-1, -1, -1, 1], method="integer", weight_bound=2)   # AND
    >>> fit.w.tolist(), fit.b, fit.n_violations, fit.status
    ([1, 1], -2, 0, 'optimal')
    >>> round(fit_unit(A, [-1, -1, -1, 1], method="max-margin").margin, 4)
    0.3536
    """
    method = _check_method(method)
    arr, tt = _check_inputs(A, t)
    c = _check_sample_weight(sample_weight, arr.shape[0])
    opts = _make_opts(
        C=C,
        weight_bound=weight_bound,
        time_limit=time_limit,
        seed=seed,
        max_iter=max_iter,
        conflict=conflict,
    )
    if method == "integer" and opts.weight_bound is None:
        _fit_integer(_Data(arr), tt, c, opts, 0.0)  # raises the ValidationError
    data = _Data(arr)
    with _blas_scope(data.m, data.n):
        return _run(data, tt, c, method, opts)


def fit_units(
    A: Any,
    T: Any,
    *,
    method: str = "lp",
    sample_weight: Any = None,
    C: float = 1.0,
    weight_bound: int | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    max_iter: int = 100,
    conflict: bool = True,
) -> list[UnitFit]:
    """Fit one unit per column of a target matrix ``T`` on shared inputs ``A``.

    Same parameters as :func:`fit_unit`, except ``T`` of shape ``(m, n_units)`` (a 1-D ``T``
    is one unit) and ``time_limit``, which applies to each unit. Setup work is shared: the
    validation and standardisation of ``A``, its Gram factorisation and, for ``"lp"``, one
    batched least-squares solve that settles every column it already separates.

    Examples
    --------
    >>> import numpy as np
    >>> from mixedopt.perceptron import fit_units
    >>> A = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> T = np.array([[-1, -1], [1, 1], [1, 1], [1, -1]])      # OR and XOR
    >>> [f.separable for f in fit_units(A, T)]
    [True, False]
    """
    method = _check_method(method)
    arr = check_array(A, name="A")
    Tarr = np.asarray(T)
    if Tarr.ndim == 1:
        Tarr = Tarr.reshape(-1, 1)
    if Tarr.ndim != 2:
        raise ValidationError(f"T must be 2-D (n_samples, n_units), got shape {Tarr.shape}.")
    if Tarr.shape[0] != arr.shape[0]:
        raise ValidationError(
            f"A and T have different lengths: A has {arr.shape[0]} rows, T has {Tarr.shape[0]}."
        )
    if Tarr.shape[1] == 0:
        return []
    cols = [check_targets(Tarr[:, j], name=f"T[:, {j}]") for j in range(Tarr.shape[1])]
    c = _check_sample_weight(sample_weight, arr.shape[0])
    opts = _make_opts(
        C=C,
        weight_bound=weight_bound,
        time_limit=time_limit,
        seed=seed,
        max_iter=max_iter,
        conflict=conflict,
    )
    data = _Data(arr)
    if method == "integer":
        if opts.weight_bound is None or not data.integral:
            _fit_integer(data, cols[0], c, opts, 0.0)  # raises the ValidationError
    out: list[UnitFit] = []
    with _blas_scope(data.m, data.n):
        V = None
        if method == "lp" and data.m > 4 * (data.n + 1):
            V = data.ls(np.column_stack(cols).astype(np.float64))
        for j, tt in enumerate(cols):
            v0 = None if V is None else V[:, j]
            out.append(_run(data, tt, c, method, _with_opts(opts), v0=v0))
    return out


def _with_opts(opts: _Opts) -> _Opts:
    from dataclasses import replace

    return replace(opts)


def is_separable(A: Any, t: Any, *, time_limit: float | None = None) -> bool:
    """True iff some hyperplane puts every example strictly on its target's side.

    Equivalently, with the sign(0) = +1 convention, iff some ``(w, b)`` gives
    ``sign(w·a_k + b) = t_k`` for all ``k``. A ``True`` answer is backed by a hyperplane
    re-evaluated exactly, a ``False`` one by a Farkas certificate.

    Raises
    ------
    SolverError
        When the question cannot be decided (time limit, numerical tie).

    Examples
    --------
    >>> from mixedopt.perceptron import is_separable
    >>> A = [[0, 0], [0, 1], [1, 0], [1, 1]]
    >>> is_separable(A, [-1, 1, 1, 1]), is_separable(A, [-1, 1, 1, -1])
    (True, False)
    """
    fit = fit_unit(A, t, method="lp", time_limit=time_limit, conflict=False)
    if fit.separable is None:
        raise SolverError(f"separability could not be decided (status {fit.status!r}).")
    return bool(fit.separable)


# ------------------------------------------------------------------------ verify_conflict
def _rational_null_space(R: list[list[Fraction]], ncols: int) -> list[list[Fraction]]:
    """Basis of ``{x : R x = 0}`` by exact Gauss–Jordan elimination."""
    R = [row[:] for row in R]
    pivots: list[int] = []
    r = 0
    for col in range(ncols):
        piv = next((i for i in range(r, len(R)) if R[i][col] != 0), None)
        if piv is None:
            continue
        R[r], R[piv] = R[piv], R[r]
        inv = 1 / R[r][col]
        R[r] = [x * inv for x in R[r]]
        for i in range(len(R)):
            if i != r and R[i][col] != 0:
                f = R[i][col]
                R[i] = [a - f * p for a, p in zip(R[i], R[r], strict=True)]
        pivots.append(col)
        r += 1
        if r == len(R):
            break
    basis = []
    for free in (j for j in range(ncols) if j not in pivots):
        x = [Fraction(0)] * ncols
        x[free] = Fraction(1)
        for i, pc in enumerate(pivots):
            x[pc] = -R[i][free]
        basis.append(x)
    return basis


def _exact_iis(A: np.ndarray, t: np.ndarray) -> bool:
    """Exact test: the rows form an irreducible non-separable set.

    Holds iff the null space of ``Mᵀ`` (``M_k = t_k [a_k; 1]``) is one-dimensional and spanned
    by a strictly positive vector (Gleeson & Ryan 1990): that vector is a Farkas certificate,
    and any certificate of a proper subset would be a second, independent null vector.
    """
    s, n = A.shape
    rows = A.tolist()
    R = [[Fraction(rows[k][i]) * int(t[k]) for k in range(s)] for i in range(n)]
    R.append([Fraction(int(t[k])) for k in range(s)])
    basis = _rational_null_space(R, s)
    if len(basis) != 1:
        return False
    x = basis[0]
    return all(v > 0 for v in x) or all(v < 0 for v in x)


def verify_conflict(A: Any, t: Any, idx: Any, *, exact: bool | None = None) -> bool:
    """Check that ``idx`` is an irreducible non-separable subset of the examples.

    The subset must be non-separable and every subset obtained by leaving one example out must
    be separable.

    Parameters
    ----------
    A, t
        The data the conflict refers to (as for :func:`fit_unit`).
    idx : array-like of int
        Example indices (distinct).
    exact : bool, optional
        ``True``: decide in rational arithmetic (Gauss–Jordan on the subset; practical for a
        few dozen examples and features). ``False``: LP checks — HiGHS proves the subset
        non-separable (Farkas LP), and for every leave-one-out subset a separating hyperplane
        is found and re-evaluated exactly. Default: exact when ``len(idx) * (n + 1) <= 1600``.

    Examples
    --------
    >>> from mixedopt.perceptron import verify_conflict
    >>> A = [[0, 0], [0, 1], [1, 0], [1, 1]]
    >>> t = [-1, 1, 1, -1]                                  # XOR
    >>> verify_conflict(A, t, [0, 1, 2, 3]), verify_conflict(A, t, [0, 1, 2])
    (True, False)
    """
    arr, tt = _check_inputs(A, t)
    ix = np.asarray(idx)
    if ix.ndim != 1 or ix.size == 0:
        raise ValidationError(f"idx must be a non-empty 1-D list of indices, got shape {ix.shape}.")
    if ix.dtype.kind not in "iu":
        if ix.dtype.kind == "f" and np.all(ix == np.round(ix)):
            ix = ix.astype(np.int64)
        else:
            raise ValidationError(f"idx must hold integer indices, got dtype {ix.dtype}.")
    if np.any(ix < 0) or np.any(ix >= arr.shape[0]):
        raise ValidationError(f"idx has indices outside [0, {arr.shape[0]}).")
    if np.unique(ix).size != ix.size:
        raise ValidationError("idx has repeated indices.")
    S, tS = arr[ix], tt[ix]
    if np.unique(tS).size < 2:
        return False
    if exact is None:
        exact = ix.size * (arr.shape[1] + 1) <= _MAX_EXACT_CELLS
    if exact:
        return _exact_iis(S, tS)
    data = _Data(S)
    with _blas_scope(*S.shape):
        tf = tS.astype(np.float64)
        res = _highs_separate(data.A1, tf, None)
        if res.status != "infeasible":
            return False
        for k in range(ix.size):
            keep = np.r_[0:k, k + 1 : ix.size]
            if np.unique(tS[keep]).size < 2:
                continue
            sub = _Data(S[keep])
            r = _separate(sub.A1, tf[keep])
            if r.status != "separable" or r.v is None:
                return False
            if _separator_fit(sub, tS[keep], r.v) is None:
                return False
    return True
