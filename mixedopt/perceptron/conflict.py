"""Conflict sets: irreducible non-separable subsets of the examples, and their verification.

A Farkas certificate from :mod:`mixedopt.perceptron.separability` has a support of at most
``n + 2`` examples. That support is an irreducible infeasible subset when the certificate is
the only one up to scaling (a rank test; Gleeson & Ryan 1990); otherwise a deletion filter
with separability checks shrinks it. :func:`verify_conflict` re-checks a conflict set from
scratch, in rational arithmetic or with LPs.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.perceptron.data import Data
from mixedopt.perceptron.options import check_inputs, expired
from mixedopt.perceptron.separability import highs_separate, separate, separator_fit
from mixedopt.threads import blas_scope

__all__ = ["verify_conflict"]

_MAX_EXACT_CELLS = 1600  # verify_conflict: rational arithmetic up to |S| * (n + 1) cells


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


def reduce_conflict(
    A1: np.ndarray, tf: np.ndarray, rows: np.ndarray, u: np.ndarray, deadline: float | None
) -> np.ndarray | None:
    """Shrink a Farkas support to an irreducible non-separable subset (sorted row indices)."""
    if _iis_rank_test(A1[rows] * tf[rows, None]):
        return np.sort(rows)
    keep = [int(r) for r in rows[np.argsort(u)]]
    for r in list(keep):
        if expired(deadline):
            return None
        if r not in keep:
            continue
        trial = np.array([k for k in keep if k != r])
        if np.unique(tf[trial]).size < 2:
            continue
        res = separate(A1[trial], tf[trial], deadline=deadline)
        if res.status == "infeasible":
            keep = [int(trial[i]) for i in res.rows] if res.rows is not None else trial.tolist()
            if r in keep:  # pragma: no cover - defensive
                keep.remove(r)
        elif res.status != "separable":
            return None
    return np.sort(np.asarray(keep, dtype=np.intp))


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


def _check_indices(idx: Any, m: int) -> np.ndarray:
    ix = np.asarray(idx)
    if ix.ndim != 1 or ix.size == 0:
        raise ValidationError(f"idx must be a non-empty 1-D list of indices, got shape {ix.shape}.")
    if ix.dtype.kind not in "iu":
        if ix.dtype.kind == "f" and np.all(ix == np.round(ix)):
            ix = ix.astype(np.int64)
        else:
            raise ValidationError(f"idx must hold integer indices, got dtype {ix.dtype}.")
    if np.any(ix < 0) or np.any(ix >= m):
        raise ValidationError(f"idx has indices outside [0, {m}).")
    if np.unique(ix).size != ix.size:
        raise ValidationError("idx has repeated indices.")
    return ix


def _lp_iis(S: np.ndarray, tS: np.ndarray) -> bool:
    """LP test of the same property: HiGHS proves ``S`` non-separable (Farkas LP), and every
    leave-one-out subset gets a separating hyperplane that is re-evaluated exactly."""
    tf = tS.astype(np.float64)
    res = highs_separate(Data(S).A1, tf, None)
    if res.status != "infeasible":
        return False
    for k in range(S.shape[0]):
        keep = np.r_[0:k, k + 1 : S.shape[0]]
        if np.unique(tS[keep]).size < 2:
            continue
        sub = Data(S[keep])
        r = separate(sub.A1, tf[keep])
        if r.status != "separable" or r.v is None:
            return False
        if separator_fit(sub, tS[keep], r.v) is None:
            return False
    return True


def verify_conflict(A: Any, t: Any, idx: Any, *, exact: bool | None = None) -> bool:
    """Check that ``idx`` is an irreducible non-separable subset of the examples.

    The subset must be non-separable and every subset obtained by leaving one example out must
    be separable.

    Parameters
    ----------
    A, t
        The data the conflict refers to (as for :func:`~mixedopt.perceptron.fit_unit`).
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
    arr, tt = check_inputs(A, t)
    ix = _check_indices(idx, arr.shape[0])
    S, tS = arr[ix], tt[ix]
    if np.unique(tS).size < 2:
        return False
    if exact is None:
        exact = ix.size * (arr.shape[1] + 1) <= _MAX_EXACT_CELLS
    if exact:
        return _exact_iis(S, tS)
    with blas_scope(*S.shape):
        return _lp_iis(S, tS)
