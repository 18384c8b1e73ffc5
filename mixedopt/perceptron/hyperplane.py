"""Exact evaluation of a hyperplane ``sign(w·a + b)`` (sign(0) = +1) on the examples.

Integer data with integer weights: ``int64`` products (Python integers past 2**62). Real
data: float64 with a rigorous per-row rounding bound; the rows inside it are recomputed in
rational arithmetic. :func:`summary` turns that into a fit's margin and violation count.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from mixedopt.validation import is_integral

_U = 2.0**-53  # unit roundoff of float64


def int_decision(A: np.ndarray, w: np.ndarray, b: int) -> np.ndarray:
    """Exact ``A @ w + b`` for integral ``A`` and integer ``w``, ``b`` (int64 or Python ints)."""
    wi = np.asarray(w).astype(np.int64)
    amax = float(np.max(np.abs(A))) if A.size else 0.0
    bound = amax * (float(np.sum(np.abs(wi))) + abs(int(b)))
    if bound < 2.0**62 and amax < 2.0**62:
        return A.astype(np.int64) @ wi + np.int64(b)
    Ao = np.array([[int(x) for x in row] for row in A.tolist()], dtype=object)
    return Ao @ np.array([int(x) for x in wi.tolist()], dtype=object) + int(b)


def row_max(Af: np.ndarray) -> np.ndarray:
    return np.maximum(Af.max(axis=1), -Af.min(axis=1))


def float_decision(
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
        rowmax = row_max(Af)
    err = 2.0 * (Af.shape[1] + 3) * _U * (rowmax * float(np.sum(np.abs(w))) + abs(b)) + 1e-300
    return z, err


def resolve_signs(
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


def exact_sign(A: np.ndarray, w: np.ndarray, b: float | int) -> np.ndarray:
    """``+1`` where ``w·a + b >= 0`` in exact arithmetic, ``-1`` elsewhere (``int8``)."""
    w = np.asarray(w)
    if w.dtype.kind in "iu" and isinstance(b, (int, np.integer)) and is_integral(A):
        return np.where(int_decision(A, w, int(b)) >= 0, 1, -1).astype(np.int8)
    wf = w.astype(np.float64)
    z, err = float_decision(A.astype(np.float64, copy=False), wf, float(b))
    return resolve_signs(A, z, err, wf, float(b))


def summary(
    A: np.ndarray,
    t: np.ndarray,
    w: np.ndarray,
    b: float | int,
    *,
    integer: bool,
    Af: np.ndarray | None = None,
    rowmax: np.ndarray | None = None,
) -> tuple[float, int]:
    """(margin, n_violations) of a fit, see :class:`~mixedopt.perceptron.UnitFit`."""
    if integer:
        z = int_decision(A, w, int(b))
        n_viol = int(np.count_nonzero(np.where(z >= 0, 1, -1) != t))
        return float(min(int(v) for v in (z * t.astype(np.int64)).tolist())), n_viol
    wf = np.asarray(w, dtype=np.float64)
    Af = A.astype(np.float64, copy=False) if Af is None else Af
    z, err = float_decision(Af, wf, float(b), rowmax)
    n_viol = int(np.count_nonzero(resolve_signs(A, z, err, wf, float(b)) != t))
    zt = z * t
    nw = float(np.linalg.norm(wf))
    if nw == 0.0:
        return (math.inf if float(np.min(zt)) > 0 else 0.0), n_viol
    return float(np.min(zt)) / nw, n_viol
