"""The entry points: :func:`fit_unit`, :func:`fit_units` and :func:`is_separable`."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from mixedopt.errors import SolverError, ValidationError
from mixedopt.perceptron.data import Data
from mixedopt.perceptron.hinge import fit_hinge
from mixedopt.perceptron.integer import check_integer_args, fit_integer
from mixedopt.perceptron.lp import fit_lp
from mixedopt.perceptron.margin import fit_max_margin
from mixedopt.perceptron.online import fit_perceptron
from mixedopt.perceptron.options import (
    Opts,
    check_inputs,
    check_magnitude,
    check_method,
    check_sample_weight,
    make_opts,
)
from mixedopt.perceptron.result import UnitFit, replace_fit
from mixedopt.threads import blas_scope
from mixedopt.validation import check_array, check_targets

__all__ = ["fit_unit", "fit_units", "is_separable"]

logger = logging.getLogger(__name__)

_FITTERS = {
    "lp": fit_lp,
    "max-margin": fit_max_margin,
    "hinge": fit_hinge,
    "integer": fit_integer,
    "perceptron": fit_perceptron,
}


def _run(
    data: Data,
    t: np.ndarray,
    c: np.ndarray,
    method: str,
    opts: Opts,
    v0: np.ndarray | None = None,
) -> UnitFit:
    t0 = time.perf_counter()
    opts.deadline = None if opts.time_limit is None else t0 + opts.time_limit
    if method == "lp":
        fit = fit_lp(data, t, c, opts, t0, v0=v0)
    else:
        fit = _FITTERS[method](data, t, c, opts, t0)
    if fit.method != method:
        fit = replace_fit(fit, method=method)
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
    n_iter_no_change: int | None = 5,
) -> UnitFit:
    """Fit one threshold unit ``sign(w·a + b)`` (sign(0) = +1) to ±1 targets.

    Parameters
    ----------
    A : array-like of shape (m, n)
        Unit inputs, one example per row (real or integer; finite).
    t : array-like of shape (m,)
        Targets in {-1, +1} (or {0, 1} / booleans).
    method : {"lp", "max-margin", "hinge", "integer", "perceptron"}
        See the module documentation of :mod:`mixedopt.perceptron`.
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
    n_iter_no_change : int or None
        Patience of ``"perceptron"``: stop when the weighted number of mistakes made during
        an epoch has not improved on its best for this many epochs in a row (non-separable
        data would otherwise run all ``max_iter`` epochs); ``None`` runs them all.

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
    method = check_method(method)
    arr, tt = check_inputs(A, t)
    c = check_sample_weight(sample_weight, arr.shape[0])
    opts = make_opts(
        C=C,
        weight_bound=weight_bound,
        time_limit=time_limit,
        seed=seed,
        max_iter=max_iter,
        conflict=conflict,
        n_iter_no_change=n_iter_no_change,
    )
    data = Data(arr)
    if method == "integer":
        check_integer_args(data, opts)
    with blas_scope(data.m, data.n):
        return _run(data, tt, c, method, opts)


def _check_target_matrix(T: Any, m: int) -> list[np.ndarray]:
    Tarr = np.asarray(T)
    if Tarr.ndim == 1:
        Tarr = Tarr.reshape(-1, 1)
    if Tarr.ndim != 2:
        raise ValidationError(f"T must be 2-D (n_samples, n_units), got shape {Tarr.shape}.")
    if Tarr.shape[0] != m:
        raise ValidationError(
            f"A and T have different lengths: A has {m} rows, T has {Tarr.shape[0]}."
        )
    return [check_targets(Tarr[:, j], name=f"T[:, {j}]") for j in range(Tarr.shape[1])]


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
    n_iter_no_change: int | None = 5,
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
    method = check_method(method)
    arr = check_array(A, name="A")
    check_magnitude(arr)
    cols = _check_target_matrix(T, arr.shape[0])
    if not cols:
        return []
    c = check_sample_weight(sample_weight, arr.shape[0])
    opts = make_opts(
        C=C,
        weight_bound=weight_bound,
        time_limit=time_limit,
        seed=seed,
        max_iter=max_iter,
        conflict=conflict,
        n_iter_no_change=n_iter_no_change,
    )
    data = Data(arr)
    if method == "integer":
        check_integer_args(data, opts)
    out: list[UnitFit] = []
    with blas_scope(data.m, data.n):
        V = None
        if method == "lp" and data.m > 4 * (data.n + 1):
            V = data.ls(np.column_stack(cols).astype(np.float64))
        for j, tt in enumerate(cols):
            v0 = None if V is None else V[:, j]
            out.append(_run(data, tt, c, method, opts.copy(), v0=v0))
    return out


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
