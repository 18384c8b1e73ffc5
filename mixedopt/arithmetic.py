"""Exact arithmetic for threshold units: rational inputs and overflow-free integer products.

A hard-threshold unit only needs the *sign* of ``z = w . x + b``, but that sign must be right:
a tie ``z = 0`` is read as active (sign(0) = +1), and a wrong sign near zero is a wrong
prediction. Two things can get it wrong in plain numpy:

* **Decimal inputs.** ``0.1 + 0.2 - 0.3`` is ``5.6e-17`` in float64, not 0. mixedopt reads a
  float input as the rational with the smallest denominator ``q <= MAX_DENOMINATOR`` that
  rounds to it (``0.7`` is ``7/10``), when every input of the array has one; then
  ``q * z = w . (q x) + q b`` is computed exactly in integers. Inputs without such a
  denominator (random floats) are used in float64 arithmetic as they are.
* **Integer overflow.** int64 products wrap around silently. :func:`exact_affine` checks a
  bound on every partial sum first: float64 BLAS below 2**52 (exact), int64 below 2**62,
  Python integers (``object`` arrays) beyond.

Examples
--------
>>> import numpy as np
>>> rational_scale(np.array([[0.5], [0.7]]))
10
>>> rational_scale(np.array([[1.0, 2.0]])), rational_scale(np.array([[np.pi]]))
(1, None)
>>> z = exact_affine(np.array([[4 * 10**18]]), np.array([[3]]), np.array([0]))
>>> int(z[0, 0]) == 12 * 10**18, z.dtype
(True, dtype('O'))
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = [
    "EXACT_FLOAT",
    "INT64_SAFE",
    "MAX_DENOMINATOR",
    "as_exact_integers",
    "exact_affine",
    "exact_layer",
    "exact_nonnegative",
    "output_codes",
    "rational_scale",
    "scaled_bias",
    "user_values",
]

#: largest common denominator of inputs read as rationals
MAX_DENOMINATOR = 10**6
#: float64 sums of integers below this bound are exact (2**53, with a factor 2 for rounding)
EXACT_FLOAT = 2.0**52
#: int64 sums of integers below this bound cannot overflow
INT64_SAFE = 2.0**62

_SAMPLE = 256  # distinct values tried first, so that random floats are rejected quickly


def _denominator(x: float) -> int | None:
    """Smallest ``q <= MAX_DENOMINATOR`` with ``round(x * q) / q == x`` (None if none)."""
    fr = Fraction(x).limit_denominator(MAX_DENOMINATOR)
    if fr.numerator / fr.denominator != x:
        return None
    return fr.denominator


def rational_scale(A: np.ndarray, *, max_denominator: int = MAX_DENOMINATOR) -> int | None:
    """Least common denominator of the entries of ``A`` read as rationals.

    Returns 1 for integer arrays, ``q`` when every float entry is the float64 closest to a
    rational with denominator ``<= max_denominator`` and their common denominator ``q`` is at
    most ``max_denominator`` too, else None (then ``A`` is used as binary floats).

    Examples
    --------
    >>> import numpy as np
    >>> rational_scale(np.array([0.25, 0.1])), rational_scale(np.array([1 / 3, 2 / 3]))
    (20, 3)
    """
    A = np.asarray(A)
    if A.dtype.kind in "iub":
        return 1
    if A.dtype.kind != "f" or not np.all(np.isfinite(A)):
        return None
    if A.size == 0:
        return 1
    R = np.round(A)
    if np.array_equal(R, A):
        return 1
    frac = A[A != R]  # integers have denominator 1
    vals = np.unique(frac)
    if vals.size > _SAMPLE:
        rng = np.random.default_rng(0)
        first = rng.choice(vals, size=_SAMPLE, replace=False)
        if any(_denominator(float(v)) is None for v in first):
            return None
    q = 1
    for v in vals.tolist():
        d = _denominator(v)
        if d is None:
            return None
        q = q * d // math.gcd(q, d)
        if q > max_denominator:
            return None
    scaled = A * q
    if not np.array_equal(np.round(scaled) / q, A):  # pragma: no cover - guarded above
        return None
    return q


def as_exact_integers(A: np.ndarray, scale: int = 1) -> np.ndarray:
    """``round(A * scale)`` as integers: ``int64`` when they fit, else Python ints.

    ``A`` holds integers (any dtype) or, with ``scale > 1``, rationals with that denominator
    (see :func:`rational_scale`).

    Examples
    --------
    >>> import numpy as np
    >>> as_exact_integers(np.array([0.5, 0.7]), 10)
    array([5, 7])
    >>> as_exact_integers(np.array([1, -1], dtype=np.int8)).dtype   # integers stay as they are
    dtype('int8')
    """
    A = np.asarray(A)
    if A.dtype.kind in "iu" and scale == 1:
        if A.dtype.kind == "u" and A.dtype.itemsize == 8 and A.size and int(A.max()) >= 2**63:
            return A.astype(object)
        return A  # any integer dtype: exact_affine reads it as it is (no copy)
    if A.dtype.kind == "b":
        return A.astype(np.int64)
    if A.dtype == object:
        return A
    if A.size == 0:
        return A.astype(np.int64)
    S = np.round(A.astype(np.float64) * scale) if scale != 1 else np.asarray(A, np.float64)
    if float(np.max(np.abs(S))) < 2.0**62:
        return S.astype(np.int64)
    # floats >= 2**53 are integers; convert each exactly (rare: huge inputs)
    if scale == 1:
        return np.vectorize(int, otypes=[object])(S)
    fr = np.vectorize(lambda v: int(Fraction(float(v)).limit_denominator(MAX_DENOMINATOR) * scale))
    return fr(A).astype(object)


def _max_abs(A: np.ndarray) -> float:
    if A.size == 0:
        return 0.0
    if A.dtype == object:
        return float(max(abs(int(v)) for v in A.ravel()))
    return max(float(A.max()), -float(A.min()))


def exact_affine(A: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact ``A @ W.T + b`` for integer ``A``, ``W`` and ``b`` (any integer dtypes).

    float64 BLAS when every partial sum is below 2**52 in magnitude (no rounding happens, in
    any summation order), int64 below 2**62, Python integers beyond: all give the same values.
    The result is ``int64`` or, when it could overflow, an ``object`` array of Python ints.

    Examples
    --------
    >>> import numpy as np
    >>> exact_affine(np.array([[1, 2]]), np.array([[3, -1]]), np.array([5]))
    array([[6]])
    """
    W = np.asarray(W)
    b = np.asarray(b)
    m, n_out = A.shape[0], W.shape[0]
    if A.size == 0 or W.size == 0:
        out = np.zeros((m, n_out), dtype=np.int64)
        return out + (b.astype(np.int64) if b.dtype != object else b)
    bound = (
        _max_abs(A) * float(np.max(np.sum(np.abs(W.astype(np.float64)), axis=1)))
        + _max_abs(b)
        + 1.0
    )
    if bound < EXACT_FLOAT and A.dtype != object and W.dtype != object and b.dtype != object:
        Z = A.astype(np.float64, copy=False) @ W.T.astype(np.float64)
        Z += b
        return Z.astype(np.int64)
    if bound < INT64_SAFE and A.dtype != object and W.dtype != object and b.dtype != object:
        return A.astype(np.int64) @ W.T.astype(np.int64) + b.astype(np.int64)
    Ao = A.astype(object)
    Wo = W.astype(object)
    bo = b.astype(object)
    return Ao.dot(Wo.T) + bo


def scaled_bias(b: np.ndarray, q: int) -> np.ndarray:
    """``b * q`` exactly (Python ints where int64 could overflow).

    >>> import numpy as np
    >>> scaled_bias(np.array([3]), 10), scaled_bias(np.array([2**61]), 8).dtype
    (array([30]), dtype('O'))
    """
    if q == 1:
        return b
    if b.size and b.dtype != object and float(np.max(np.abs(b))) * q >= 2.0**62:
        return b.astype(object) * q
    return b * q


def exact_layer(A: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, int] | None:
    """The exact values ``(q (A @ W.T + b), q)`` of an integer layer (``W``, ``b`` of integer or
    ``object`` dtype) on inputs that are integers or rationals with common denominator ``q``
    (:func:`rational_scale`); None when they cannot be had exactly (the caller then uses
    float64).

    >>> import numpy as np
    >>> exact_layer(np.array([[0.5], [0.7]]), np.array([[3]]), np.array([-2]))
    (array([[-5],
           [ 1]]), 10)
    """
    if W.dtype.kind not in "iO" or b.dtype.kind not in "iO":
        return None
    q = rational_scale(A)
    if q is None:
        return None
    return exact_affine(as_exact_integers(A, q), W, scaled_bias(b, q)), q


def user_values(Z: np.ndarray, q: int | None) -> np.ndarray:
    """Pre-activations for users from :func:`exact_layer`'s ``(Z, q)`` (q None: float64 values
    as they are): exact integers stay ``int64`` (q = 1), rationals become float64 ``Z / q``
    (the sign is kept: a nonzero ratio never rounds to 0).

    >>> import numpy as np
    >>> user_values(np.array([[-5], [1]]), 10)
    array([[-0.5],
           [ 0.1]])
    """
    if q is None:
        return Z
    if q == 1:
        return Z if Z.dtype != object else Z.astype(np.float64)
    return (Z / q).astype(np.float64)


def output_codes(Z: np.ndarray, output: str) -> np.ndarray:
    """Class codes from exact output values ``Z`` (n, k): ``"sign"`` reads 1 iff ``z >= 0``;
    ``"argmax"`` takes the largest, ties to the lowest index (also for Python ints).

    >>> import numpy as np
    >>> output_codes(np.array([[2, 2, 1]], dtype=object), "argmax")
    array([0])
    >>> output_codes(np.array([[0]]), "sign")
    array([1])
    """
    if output == "sign":
        return (Z[:, 0] >= 0).astype(np.int64)
    if Z.dtype == object:
        return np.array([max(range(Z.shape[1]), key=lambda j: (r[j], -j)) for r in Z])
    return np.argmax(Z, axis=1).astype(np.int64)


def exact_nonnegative(A: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``A @ W.T + b >= 0``, exactly when ``W``, ``b`` hold integers and ``A`` integers or
    small-denominator rationals (:func:`rational_scale`), else in float64.

    Examples
    --------
    >>> import numpy as np
    >>> exact_nonnegative(np.array([[0.1, 0.2, 0.3]]), np.array([[-1, -1, 1]]), np.array([0]))
    array([[ True]])
    """
    A = np.asarray(A)
    W = np.asarray(W)
    b = np.asarray(b)
    whole = W.dtype.kind in "iu" or (W.dtype.kind == "f" and np.array_equal(W, np.round(W)))
    whole = whole and (
        b.dtype.kind in "iu" or (b.dtype.kind == "f" and np.array_equal(b, np.round(b)))
    )
    if whole and np.all(np.abs(W) < 2**62) and np.all(np.abs(b) < 2**62):
        exact = exact_layer(A, W.astype(np.int64), b.astype(np.int64))
        if exact is not None:
            return np.asarray(exact[0] >= 0, dtype=bool)
    return A.astype(np.float64) @ W.T.astype(np.float64) + b.astype(np.float64) >= 0
