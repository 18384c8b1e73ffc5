"""The finite unit class on the sample: first-layer units enumerated, one per dichotomy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.problems.training import TrainingProblem


@dataclass
class UnitClass:
    """Distinct sign patterns of the first-layer units on the sample, closed under negation.

    Attributes
    ----------
    patterns : ndarray of bool, shape (n, m)
        ``True`` where the dichotomy says ``+1``.
    params : ndarray of int64, shape (n, d + 1)
        A unit ``(w, b)`` of the domain realising the pattern or its negation.
    negated : ndarray of bool, shape (n,)
        The pattern is the negation of ``params``' pattern (the output unit negates it).
    n_units : int
        Units enumerated.
    """

    patterns: np.ndarray
    params: np.ndarray
    negated: np.ndarray
    n_units: int

    def __len__(self) -> int:
        return int(self.patterns.shape[0])


def unit_class(problem: TrainingProblem, *, chunk: int | None = None, ctx: Any = None) -> UnitClass:
    """Enumerate the first-layer units of ``problem`` and keep one per distinct pattern.

    >>> import mixedopt as mo
    >>> X, y = mo.datasets.load("xor")
    >>> p = TrainingProblem.from_data(X, y, hidden=[2], weights="ternary")
    >>> uc = unit_class(p)
    >>> len(uc) % 2, bool(uc.patterns.all(axis=1).any())   # closed under negation
    (0, True)
    """
    X = problem.X.astype(np.int64)
    m, d = X.shape
    wv, bv = problem.domain_values(0)
    n_units = len(wv) ** d * len(bv)
    bs = problem.bias_scale(0)  # rational inputs are kept as q * x: the bias counts q times
    if chunk is None:
        # about 4 M sign entries per chunk: cache-friendly, and the time limit is checked
        # every few tens of milliseconds (64 k units x 300 examples took 0.3 s per chunk)
        chunk = max(1024, (1 << 22) // max(m, 1))
    # BLAS products are exact here: integer data and weights far below 2**53
    exact_float = (
        float(np.abs(X).max(initial=0)) * float(np.abs(wv).max(initial=0)) * (d + 1)
        + float(np.abs(bv).max(initial=0)) * bs
        < 2.0**52
    )
    Xf = X.astype(np.float64) if exact_float else X
    seen: set[bytes] = set()
    canon_rows: list[np.ndarray] = []
    canon_par: list[np.ndarray] = []
    canon_neg: list[np.ndarray] = []
    for start in range(0, n_units, chunk):
        if ctx is not None:
            ctx.check()
        idx = np.arange(start, min(n_units, start + chunk), dtype=np.int64)
        P = unit_params(idx, wv, bv, d)
        if exact_float:
            Pf = P.astype(np.float64)
            S = (Xf @ Pf[:, :d].T + Pf[:, d] * bs) >= 0  # (m, c)
        else:
            S = (X @ P[:, :d].T + P[:, d] * bs) >= 0
        S = S.T
        flip = ~S[:, 0] if m else np.zeros(len(S), dtype=bool)
        C = S ^ flip[:, None]  # canonical: example 0 is '+'
        packed = np.packbits(C, axis=1)
        packed = np.ascontiguousarray(packed)
        view = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
        _, first = np.unique(view, return_index=True)
        new = []
        for f in first.tolist():
            key = view[f].tobytes()
            if key not in seen:
                seen.add(key)
                new.append(f)
        if new:  # whole blocks, not one small array per unit (memory: ~200 B per row)
            rows = np.asarray(new, dtype=np.int64)
            canon_rows.append(C[rows])
            canon_par.append(P[rows])
            canon_neg.append(flip[rows])
    if not canon_rows:
        raise ValidationError("no first-layer unit: empty weight domain.")
    Cm = np.concatenate(canon_rows).reshape(-1, m)
    par = np.concatenate(canon_par).astype(np.int64)
    neg = np.concatenate(canon_neg).astype(bool)
    patterns = np.concatenate([Cm, ~Cm])
    params = np.concatenate([par, par])
    negated = np.concatenate([neg, ~neg])
    return UnitClass(patterns, params, negated, n_units)


def unit_params(idx: np.ndarray, wv: np.ndarray, bv: np.ndarray, d: int) -> np.ndarray:
    """Rows ``(w_1..w_d, b)`` of the units with flat indices ``idx`` (mixed radix)."""
    out = np.empty((len(idx), d + 1), dtype=np.int64)
    r = idx.copy()
    out[:, d] = bv[r % len(bv)]
    r //= len(bv)
    for i in range(d - 1, -1, -1):
        out[:, i] = wv[r % len(wv)]
        r //= len(wv)
    return out
