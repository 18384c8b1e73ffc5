"""Containers of hyperplane-arrangement patterns: bit-packed storage and the units behind them.

:class:`PatternMatrix` stores an ``n x P`` 0/1 pattern matrix with one bit per entry and
multiplies it with float vectors in row blocks (so ``n = 1e5`` rows and thousands of patterns
fit in memory); :class:`ThresholdLayer` is a layer of step units whose outputs are patterns;
:class:`Arrangement` pairs a pattern set with the layer realising it. The pattern sets
themselves are built in :mod:`~mixedopt.convex.arrangements`, which re-exports these
names.

Examples
--------
>>> import numpy as np
>>> from mixedopt.convex.patterns import Arrangement, PatternMatrix, ThresholdLayer
>>> layer = ThresholdLayer(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.0, -0.5]))
>>> X = np.array([[1.0, 0.0], [-1.0, 1.0], [0.5, 0.2], [-2.0, -1.0]])
>>> arr = Arrangement(PatternMatrix.from_dense(layer.transform(X)), layer, origin="by hand")
>>> arr.n_patterns, arr.patterns.nbytes, arr.patterns.column(1).tolist()
(2, 2, [False, True, False, False])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError

__all__ = ["Arrangement", "PatternMatrix", "ThresholdLayer"]

BLOCK_ENTRIES = 1 << 22  # entries per float block in products (32 MiB as float64)


# ----------------------------------------------------------------------------- storage
class PatternMatrix:
    """An ``n x P`` 0/1 matrix stored bit-packed along rows (8 rows per byte).

    Parameters
    ----------
    packed : ndarray of uint8, shape (ceil(n / 8), P)
        ``np.packbits(D, axis=0)`` of the boolean matrix ``D``.
    n_rows : int
        Number of rows ``n`` of ``D``.

    Examples
    --------
    >>> D = np.array([[1, 0], [1, 1], [0, 1]], dtype=bool)
    >>> M = PatternMatrix.from_dense(D)
    >>> M.matvec(np.array([1.0, 2.0])).tolist()
    [1.0, 3.0, 2.0]
    >>> M.rmatvec(np.array([1.0, 1.0, 1.0])).tolist()
    [2.0, 2.0]
    """

    def __init__(self, packed: np.ndarray, n_rows: int) -> None:
        packed = np.ascontiguousarray(packed, dtype=np.uint8)
        if packed.ndim != 2 or packed.shape[0] != (n_rows + 7) // 8:
            raise ValidationError(
                f"packed patterns must have shape (ceil(n/8), P) = ({(n_rows + 7) // 8}, P), "
                f"got {packed.shape}."
            )
        self.packed = packed
        self.n_rows = int(n_rows)

    @classmethod
    def from_dense(cls, D: Any) -> PatternMatrix:
        """Pack a boolean (or 0/1) ``n x P`` matrix."""
        D = np.asarray(D)
        if D.ndim != 2:
            raise ValidationError(f"patterns must be a 2-D 0/1 matrix, got shape {D.shape}.")
        if D.dtype != bool:
            if not np.isin(D, (0, 1)).all():
                raise ValidationError("patterns must hold only 0 and 1.")
            D = D.astype(bool)
        return cls(np.packbits(D, axis=0), D.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_rows, self.packed.shape[1])

    @property
    def nbytes(self) -> int:
        return int(self.packed.nbytes)

    def _row_block(self) -> int:
        return max(8, (BLOCK_ENTRIES // max(self.shape[1], 1)) // 8 * 8)

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` as a ``uint8`` 0/1 array (``start`` a multiple of 8)."""
        if start % 8:
            raise ValidationError("row blocks must start at a multiple of 8.")
        stop = min(stop, self.n_rows)
        block = np.unpackbits(self.packed[start // 8 : (stop + 7) // 8], axis=0)
        return block[: stop - start]

    def toarray(self, dtype: Any = bool) -> np.ndarray:
        """The dense matrix (``bool`` by default; ``np.float64`` for solvers)."""
        return self.rows(0, self.n_rows).astype(dtype)

    def column(self, j: int) -> np.ndarray:
        return np.unpackbits(self.packed[:, j])[: self.n_rows].astype(bool)

    def take(self, columns: Any) -> PatternMatrix:
        """The sub-matrix of the given columns."""
        return PatternMatrix(self.packed[:, np.asarray(columns, dtype=np.intp)], self.n_rows)

    def matvec(self, w: np.ndarray) -> np.ndarray:
        """``D @ w`` for ``w`` of shape ``(P,)`` or ``(P, K)``, in row blocks."""
        w = np.asarray(w, dtype=np.float64)
        out = np.empty((self.n_rows, *w.shape[1:]), dtype=np.float64)
        step = self._row_block()
        for s in range(0, self.n_rows, step):
            blk = self.rows(s, s + step).astype(np.float64)
            out[s : s + blk.shape[0]] = blk @ w
        return out

    def rmatvec(self, r: np.ndarray) -> np.ndarray:
        """``D.T @ r`` for ``r`` of shape ``(n,)`` or ``(n, K)``, in row blocks."""
        r = np.asarray(r, dtype=np.float64)
        out = np.zeros((self.shape[1], *r.shape[1:]), dtype=np.float64)
        step = self._row_block()
        for s in range(0, self.n_rows, step):
            blk = self.rows(s, s + step).astype(np.float64)
            out += blk.T @ r[s : s + blk.shape[0]]
        return out

    def __repr__(self) -> str:
        return f"PatternMatrix(shape={self.shape}, nbytes={self.nbytes})"


# ------------------------------------------------------------------------------ layers
@dataclass
class ThresholdLayer:
    """A layer of step units ``x -> 1{x W^T + b >= 0}`` (``W`` has shape ``(m, d)``).

    The forward pass uses the same float64 arithmetic as :class:`mixedopt.ThresholdNet`, so
    patterns computed here are what a network built from the layer produces.
    """

    weights: np.ndarray
    biases: np.ndarray

    def __post_init__(self) -> None:
        self.weights = np.asarray(self.weights, dtype=np.float64)
        self.biases = np.asarray(self.biases, dtype=np.float64)
        if self.weights.ndim != 2 or self.biases.shape != (self.weights.shape[0],):
            raise ValidationError(
                f"a threshold layer needs weights (m, d) and biases (m,), got "
                f"{self.weights.shape} and {self.biases.shape}."
            )

    @property
    def n_units(self) -> int:
        return self.weights.shape[0]

    def preactivation(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) @ self.weights.T + self.biases

    def transform(self, X: np.ndarray) -> np.ndarray:
        """``1{X W^T + b >= 0}`` as a boolean array ``(n, m)``, computed in row blocks."""
        X = np.asarray(X, dtype=np.float64)
        out = np.empty((X.shape[0], self.n_units), dtype=bool)
        step = max(1, BLOCK_ENTRIES // max(self.n_units, 1))
        for s in range(0, X.shape[0], step):
            out[s : s + step] = self.preactivation(X[s : s + step]) >= 0
        return out

    def take(self, units: Any) -> ThresholdLayer:
        idx = np.asarray(units, dtype=np.intp)
        return ThresholdLayer(self.weights[idx], self.biases[idx])


@dataclass
class Arrangement:
    """A set of arrangement patterns of a training set together with the units realising them.

    Attributes
    ----------
    patterns : PatternMatrix
        ``n x P`` 0/1 matrix, column ``j`` = ``layer.transform(X)[:, j]``.
    layer : ThresholdLayer
        One step unit per pattern (the hidden layer of the reconstructed network).
    complete : bool
        True when the columns are known to be all of ``H(X)`` minus the zero pattern
        (:func:`~mixedopt.convex.arrangements.enumerate_patterns`), so the Lasso over
        them is the exact program (6).
    origin : str
        How the patterns were made.
    info : dict
        Counts (directions drawn, duplicates and zero columns dropped, time).
    """

    patterns: PatternMatrix
    layer: ThresholdLayer
    complete: bool = False
    origin: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_patterns(self) -> int:
        return self.patterns.shape[1]

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Patterns of new data (the hidden layer's outputs), boolean ``(n, P)``."""
        return self.layer.transform(X)
