"""Hyperplane arrangement patterns of a data set, and threshold representations.

For data ``X`` (``n`` rows) with a bias, the arrangement set is
``H(X) = {1{X w + b >= 0} : (w, b)}`` ⊆ {0,1}^n (Ergen et al., ICLR 2023, eq. (5)). Its
elements are the only hidden-unit outputs a two-layer threshold network can produce on the
training set, so they are the columns ("patterns") of the convex programs.

This module builds pattern sets in four ways:

* :func:`sample_patterns` — random directions (``sampler="gaussian"``, the paper's
  Convex-Lasso) or sparse directions with offsets between consecutive training projections
  (``sampler="data"``), deduplicated, the all-zero column dropped;
* :func:`enumerate_patterns` — the exact set ``H(X)`` by a tree search with one LP per node
  (tiny data only: ``|H(X)| = O(n^r)``);
* :func:`staircase_representation` — a deterministic threshold layer with one unit per
  distinct point that makes the arrangement set of its output complete (every subset of the
  points is a pattern);
* :func:`random_representation` — ``M`` random threshold units (the paper's representation
  ``X~ = 1{X H >= 0}``).

Patterns are stored bit-packed (:class:`PatternMatrix`, one bit per entry) so ``n = 1e5`` rows
and thousands of patterns fit in memory; products with float vectors are computed in row
blocks. The containers (:class:`PatternMatrix`, :class:`ThresholdLayer`,
:class:`Arrangement`) live in :mod:`~mixedopt.convex.patterns` and are re-exported here.

Examples
--------
>>> import numpy as np
>>> from mixedopt.convex.arrangements import enumerate_patterns, sample_patterns
>>> X = np.random.default_rng(0).normal(size=(8, 2))
>>> enumerate_patterns(X).n_patterns       # Cover: 2 * (C(7,0) + C(7,1) + C(7,2)) - 1
57
>>> arr = sample_patterns(X, 500, seed=0)
>>> arr.patterns.shape[0], arr.n_patterns <= 57
(8, True)
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

# the containers moved to ``patterns``; still importable from here
from mixedopt.convex.patterns import (
    BLOCK_ENTRIES,
    Arrangement,
    PatternMatrix,
    ThresholdLayer,
)
from mixedopt.errors import ValidationError
from mixedopt.validation import check_array

__all__ = [
    "SAMPLERS",
    "Arrangement",
    "PatternMatrix",
    "ThresholdLayer",
    "cover_bound",
    "enumerate_patterns",
    "random_representation",
    "sample_patterns",
    "staircase_representation",
    "unique_rows",
]

logger = logging.getLogger(__name__)

SAMPLERS = ("gaussian", "data")


# ----------------------------------------------------------------- pattern sets (shared)
def _dedup_columns(packed: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct non-zero packed column, in order."""
    if packed.shape[1] == 0:
        return np.zeros(0, dtype=np.intp)
    cols = np.ascontiguousarray(packed.T)
    keys = cols.view(np.dtype((np.void, cols.shape[1]))).ravel()
    _, first = np.unique(keys, return_index=True)
    first = np.sort(first)
    nonzero = cols[first].any(axis=1)
    return first[nonzero]


def _finish(
    X: np.ndarray, layer: ThresholdLayer, origin: str, info: dict[str, Any], complete: bool
) -> Arrangement:
    D = layer.transform(X)
    packed = np.packbits(D, axis=0)
    keep = _dedup_columns(packed)
    info = {
        **info,
        "n_directions": layer.n_units,
        "n_patterns": int(keep.size),
        "n_dropped": int(layer.n_units - keep.size),
    }
    if keep.size == 0:
        raise ValidationError(
            "the pattern set is empty: every sampled hyperplane put all points on its negative "
            "side. Draw more patterns (n_patterns) or check that X is not constant."
        )
    return Arrangement(
        PatternMatrix(packed[:, keep], X.shape[0]), layer.take(keep), complete, origin, info
    )


def _rng(seed: Any) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def sample_patterns(
    X: Any,
    n_patterns: int,
    *,
    sampler: str = "gaussian",
    sparsity: int | None = None,
    include_ones: bool = True,
    standardize: bool = True,
    seed: Any = None,
    deadline: float | None = None,
) -> Arrangement:
    """Sample arrangement patterns ``1{X u + b >= 0}`` of the rows of ``X``.

    Parameters
    ----------
    X : array-like, shape (n, d)
        Data.
    n_patterns : int
        Number of directions drawn; duplicates and the all-zero column are then dropped, so
        the result may have fewer columns.
    sampler : {"gaussian", "data"}
        ``"gaussian"``: ``(u, b) ~ N(0, I_{d+1})`` as in the paper. ``"data"``: directions
        with ``sparsity`` Gaussian non-zeros and the offset halfway between two consecutive
        distinct projections of training points (a uniformly random rank), so no training
        point lies on a hyperplane and every pattern splits the data.
    sparsity : int, optional
        Non-zeros per direction for ``"data"`` (default ``min(d, 3)``); ``None`` with
        ``"gaussian"`` means dense.
    include_ones : bool, default True
        Add the all-ones pattern (the unit ``b = 1``), which plays the role of an output bias.
    standardize : bool, default True
        Draw the directions for the standardised data ``(X - mean) / std`` (so that a
        ``N(0, 1)`` bias is on the right scale) and express the units in the coordinates of
        ``X``; the patterns are then computed from ``X`` with those units.
    seed : int or numpy Generator, optional
    deadline : float, optional
        A :func:`time.perf_counter` value: the ``"data"`` sampler stops placing offsets
        once it has passed (after a few directions) and keeps the directions done so far;
        ``info["truncated"]`` then says so (``info["n_requested"]``: the directions asked
        for, ``info["n_sampled"]``: those drawn).

    Returns
    -------
    Arrangement

    Examples
    --------
    >>> X = np.random.default_rng(1).normal(size=(20, 3))
    >>> arr = sample_patterns(X, 200, sampler="data", seed=0)
    >>> bool(np.array_equal(arr.transform(X), arr.patterns.toarray()))
    True
    """
    t0 = time.perf_counter()
    X = check_array(X, name="X").astype(np.float64)
    if isinstance(n_patterns, bool) or not isinstance(n_patterns, (int, np.integer)):
        raise ValidationError(f"n_patterns must be a positive integer, got {n_patterns!r}.")
    if n_patterns < 1:
        raise ValidationError(
            f"n_patterns must be >= 1, got {n_patterns}: an empty pattern set has no network."
        )
    if sampler not in SAMPLERS:
        raise ValidationError(f"sampler must be one of {SAMPLERS}, got {sampler!r}.")
    rng = _rng(seed)
    d = X.shape[1]
    mu, sd = _moments(X, standardize)
    Xs = (X - mu) / sd
    if sampler == "gaussian":
        if sparsity is None or sparsity >= d:
            U = rng.standard_normal((n_patterns, d))
        else:
            U = _sparse_directions(rng, n_patterns, d, sparsity)
        b = rng.standard_normal(n_patterns)
    else:
        k = min(d, 3) if sparsity is None else min(d, int(sparsity))
        if k < 1:
            raise ValidationError(f"sparsity must be >= 1, got {sparsity!r}.")
        U = _sparse_directions(rng, n_patterns, d, k)
        b = _midpoint_offsets(Xs, U, rng, deadline)
        U = U[: b.size]
    truncated = b.size < n_patterns
    if truncated:
        logger.info("time limit: %d of %d pattern directions sampled", b.size, n_patterns)
    U, b = _fold(U, b, mu, sd)
    if include_ones:
        U = np.vstack([np.zeros((1, d)), U])
        b = np.concatenate([[1.0], b])
    layer = ThresholdLayer(U, b)
    info = {"sampler": sampler, "sparsity": sparsity}
    if truncated:
        info.update(truncated=True, n_requested=int(n_patterns), n_sampled=int(b.size))
    arr = _finish(X, layer, sampler, info, False)
    arr.info["time"] = time.perf_counter() - t0
    logger.debug("sampled %d patterns from %d directions", arr.n_patterns, layer.n_units)
    return arr


def _moments(X: np.ndarray, standardize: bool) -> tuple[np.ndarray, np.ndarray]:
    if not standardize:
        return np.zeros(X.shape[1]), np.ones(X.shape[1])
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    return mu, np.where(sd > 1e-12 * np.maximum(np.abs(mu), 1.0), sd, 1.0)


def _fold(
    U: np.ndarray, b: np.ndarray, mu: np.ndarray, sd: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Units ``u . (x - mu)/sd + b`` written as ``w . x + c``."""
    W = U / sd
    return W, b - W @ mu


def _sparse_directions(rng: np.random.Generator, m: int, d: int, k: int) -> np.ndarray:
    U = np.zeros((m, d))
    idx = np.argsort(rng.random((m, d)), axis=1)[:, :k]
    U[np.arange(m)[:, None], idx] = rng.standard_normal((m, k))
    return U


#: :func:`_midpoint_offsets` checks its deadline every this many directions (and places at
#: least this many)
_DEADLINE_EVERY = 32


def _midpoint_offsets(
    X: np.ndarray, U: np.ndarray, rng: np.random.Generator, deadline: float | None = None
) -> np.ndarray:
    """Offsets putting each hyperplane between two consecutive distinct projections; past
    ``deadline`` (checked every :data:`_DEADLINE_EVERY` directions, after the first ones)
    only those of the directions done so far."""
    m = U.shape[0]
    b = np.empty(m)
    step = max(1, BLOCK_ENTRIES // max(X.shape[0], 1))
    for s in range(0, m, step):
        if s >= _DEADLINE_EVERY and deadline is not None and time.perf_counter() > deadline:
            return b[:s]
        Z = np.sort(X @ U[s : s + step].T, axis=0)  # (n, chunk)
        for c in range(Z.shape[1]):
            if (
                deadline is not None
                and s + c >= _DEADLINE_EVERY
                and c % _DEADLINE_EVERY == 0
                and time.perf_counter() > deadline
            ):
                return b[: s + c]
            z = np.unique(Z[:, c])
            if z.size < 2:  # constant projection: a plane that keeps all points positive
                b[s + c] = 1.0 - z[0]
                continue
            r = rng.integers(0, z.size - 1)
            b[s + c] = -0.5 * (z[r] + z[r + 1])
    return b


# ------------------------------------------------------------------------- enumeration
def cover_bound(n: int, r: int) -> int:
    """Cover's count ``2 * sum_{k<r} C(n-1, k)``: patterns of ``n`` points in general
    position for affine hyperplanes in ``r - 1`` dimensions (``r`` = rank with the bias).

    >>> cover_bound(8, 3)
    58
    """
    from math import comb

    return 2 * sum(comb(n - 1, k) for k in range(r))


def enumerate_patterns(
    X: Any, *, max_patterns: int = 200_000, time_limit: float | None = 60.0
) -> Arrangement:
    """The exact arrangement set ``H(X)`` (all non-zero patterns of affine threshold units).

    A depth-first tree over the points: a prefix of a pattern is kept when some hyperplane
    realises it; of the two children of a realised prefix one is always realised by the
    parent's hyperplane (scaled), so only the other costs an LP (HiGHS). The number of LPs is
    about the total number of realisable prefixes, ``O(n^r)``: tiny data only.

    Parameters
    ----------
    X : array-like, shape (n, d)
    max_patterns : int
        Stop with an error beyond this many patterns.
    time_limit : float, optional
        Seconds; exceeding it raises :class:`~mixedopt.errors.SolverError`.

    Returns
    -------
    Arrangement with ``complete=True``; every unit has margin >= 1 on every point.
    """
    from scipy.optimize import linprog

    from mixedopt.errors import SolverError

    t0 = time.perf_counter()
    X = check_array(X, name="X").astype(np.float64)
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])

    def realise(prefix: list[int], bits: list[int]) -> np.ndarray | None:
        rows = A[prefix]
        sgn = np.where(np.asarray(bits) == 1, 1.0, -1.0)
        # s_i * (a_i . v) >= 1  <=>  -s_i * a_i . v <= -1
        res = linprog(
            np.zeros(d + 1),
            A_ub=-(sgn[:, None] * rows),
            b_ub=-np.ones(len(prefix)),
            bounds=[(None, None)] * (d + 1),
            method="highs",
        )
        return res.x if res.status == 0 else None

    # each node: (bits, v) with sign(a_i . v) margin >= 1 on the prefix
    found: list[tuple[list[int], np.ndarray]] = []
    stack: list[tuple[list[int], np.ndarray]] = [([], np.r_[np.zeros(d), 1.0])]
    while stack:
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            raise SolverError(
                f"enumerate_patterns hit its {time_limit:g} s limit after {len(found)} patterns; "
                "H(X) is too large to enumerate: use sample_patterns."
            )
        bits, v = stack.pop()
        k = len(bits)
        if k == n:
            found.append((bits, v))
            if len(found) > max_patterns:
                raise SolverError(
                    f"H(X) has more than {max_patterns} patterns; use sample_patterns instead."
                )
            continue
        z = A[k] @ v
        # the child agreeing with the current hyperplane: scale v so that |z| >= 1
        if abs(z) < 1e-9:
            # double the margins, then shift the plane off the point: margins stay >= 1
            v = 2.0 * v + np.r_[np.zeros(d), 1.0]
            z = A[k] @ v
        scale = max(1.0, 1.0 / abs(z))
        own = 1 if z > 0 else 0
        stack.append(([*bits, own], v * scale))
        other = realise(list(range(k + 1)), [*bits, 1 - own])
        if other is not None:
            stack.append(([*bits, 1 - own], other))
    V = np.array([v for _, v in found])
    layer = ThresholdLayer(V[:, :d], V[:, d])
    return _finish(
        X, layer, "enumerated", {"time": time.perf_counter() - t0, "n_lp": len(found)}, True
    )


# ---------------------------------------------------------------------- representations
def unique_rows(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(first, inverse, counts)``: index of the first occurrence of each distinct row, the
    group of every row, and group sizes (groups in order of first appearance)."""
    A = np.ascontiguousarray(A)
    keys = A.view(np.dtype((np.void, A.dtype.itemsize * A.shape[1]))).ravel()
    _, first, inverse, counts = np.unique(
        keys, return_index=True, return_inverse=True, return_counts=True
    )
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return first[order], rank[inverse.ravel()], counts[order]


def staircase_representation(X: Any, *, max_tries: int = 10) -> ThresholdLayer:
    """A deterministic threshold layer whose outputs make the arrangement set complete.

    One direction ``a`` (drawn from a fixed seed; redrawn if two distinct points project to
    the same value) and one unit per distinct projection value, with thresholds halfway
    between consecutive sorted projections: on the ``u`` distinct points, sorted by
    projection, the layer's output is the ``u x u`` lower-triangular matrix of ones, which is
    invertible. Hence for every pattern ``p`` some ``v`` has ``X~ v = 2p - 1`` exactly, i.e.
    every subset of the distinct points is a pattern of the layer's output (the paper's
    ``smart_choice``).

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(6, 2))
    >>> T = staircase_representation(X).transform(X)
    >>> int(np.linalg.matrix_rank(T.astype(float)))
    6
    """
    X = check_array(X, name="X").astype(np.float64)
    first, _, _ = unique_rows(X)
    Xu = X[first]
    d = X.shape[1]
    for attempt in range(max_tries):
        a = np.random.default_rng(attempt).standard_normal(d)
        p = np.sort(Xu @ a)
        gaps = np.diff(p)
        if gaps.size == 0 or gaps.min() > 1e-9 * max(1.0, np.abs(p).max()):
            break
    else:
        raise ValidationError(
            "could not find a direction separating all distinct points (they nearly coincide)."
        )
    thresholds = 0.5 * (p[:-1] + p[1:])
    W = np.vstack([np.zeros((1, d)), np.tile(a, (thresholds.size, 1))])
    b = np.concatenate([[1.0], -thresholds])
    return ThresholdLayer(W, b)


def random_representation(
    X: Any, n_units: int, *, standardize: bool = True, seed: Any = None
) -> ThresholdLayer:
    """``n_units`` random step units ``1{x h + c >= 0}`` with ``(h, c) ~ N(0, I_{d+1})``
    drawn for the standardised data (the paper's ``X~ = 1{X H >= 0}`` with ``M``
    columns), expressed in the coordinates of ``X``.

    >>> X = np.random.default_rng(0).normal(size=(5, 3))
    >>> random_representation(X, 100, seed=0).transform(X).shape
    (5, 100)
    """
    X = check_array(X, name="X").astype(np.float64)
    if isinstance(n_units, bool) or not isinstance(n_units, (int, np.integer)) or n_units < 1:
        raise ValidationError(f"the representation needs >= 1 unit, got {n_units!r}.")
    rng = _rng(seed)
    d = X.shape[1]
    mu, sd = _moments(X, standardize)
    W, b = _fold(rng.standard_normal((n_units, d)), rng.standard_normal(n_units), mu, sd)
    return ThresholdLayer(W, b)
