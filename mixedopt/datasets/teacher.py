"""Data labelled by a planted integer-weight sign network: :func:`planted`."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from mixedopt.datasets.table import Table
from mixedopt.errors import DataError, ValidationError
from mixedopt.validation import check_generated_size, check_positive

logger = logging.getLogger(__name__)

__all__ = ["planted"]


def planted(
    m: int,
    d: int,
    h: int,
    noise: float = 0.0,
    seed: int | None = 0,
    input_range: int = 8,
    weight_bound: int = 3,
    *,
    return_teacher: bool = True,
) -> tuple[np.ndarray, np.ndarray, Any] | tuple[np.ndarray, np.ndarray]:
    """Data labelled by a random integer-weight sign network ``d -> h -> 1`` (a planted teacher).

    Inputs are integers drawn uniformly from ``[-input_range, input_range]``. The teacher's
    weights and biases are integers drawn uniformly from ``[-weight_bound, weight_bound]``;
    a hidden unit that is constant on the sample is re-drawn, and so is the whole teacher
    when it labels every sample alike, so the task is never trivial. Labels are the
    teacher's outputs in ``{-1, +1}`` (sign(z) = +1 for z >= 0); then each label is flipped
    independently with probability ``noise``.

    Parameters
    ----------
    m, d, h : int
        Samples, input features, hidden units (each >= 1).
    noise : float, default 0.0
        Label-flip probability, in ``[0, 0.5]``.
    seed : int or None, default 0
        Seed of the numpy generator (``None``: fresh entropy).
    input_range : int, default 8
        ``R``: inputs lie in ``[-R, R]``.
    weight_bound : int, default 3
        ``K``: teacher weights and biases lie in ``[-K, K]``.
    return_teacher : bool, default True
        Return the teacher as a third element.

    Returns
    -------
    X : ndarray of int64, shape (m, d)
        Integer inputs (kept integer for exact solvers).
    y : ndarray of int64, shape (m,)
        Labels in ``{-1, +1}``, after label noise.
    teacher : ThresholdNet
        The noise-free labelling network, ``weight_domain="integer"``;
        ``teacher.predict(X)`` gives the labels before noise.

    Raises
    ------
    ValidationError
        For an argument out of range.
    DataError
        If no non-trivial teacher is found (only for degenerate settings, such as a large
        ``input_range`` with a small ``weight_bound`` and ``d == 1``). A sample that no unit
        of the bound can split is redrawn, up to 100 times. When all samples are identical
        (e.g. ``m == 1``) no teacher can split them; the check is skipped with a warning.

    Examples
    --------
    >>> from mixedopt.datasets import planted
    >>> X, y, teacher = planted(m=200, d=6, h=3, noise=0.0, seed=0)
    >>> X.shape, X.dtype.kind, bool((teacher.predict(X) == y).all())
    ((200, 6), 'i', True)
    """
    m = check_positive(m, name="m", integer=True)
    d = check_positive(d, name="d", integer=True)
    h = check_positive(h, name="h", integer=True)
    R = check_positive(input_range, name="input_range", integer=True)
    K = check_positive(weight_bound, name="weight_bound", integer=True)
    check_generated_size(m, d + h, name="planted: m", per="values (d + h)")
    if (
        isinstance(noise, bool)
        or not isinstance(noise, (int, float, np.integer, np.floating))
        or not 0.0 <= float(noise) <= 0.5
    ):
        raise ValidationError(f"noise must be a probability in [0, 0.5], got {noise!r}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValidationError(f"seed must be an integer or None, got {seed!r}.")
    rng = np.random.default_rng(seed)
    max_samples = 100
    for attempt in range(max_samples):
        X = rng.integers(-R, R, size=(m, d), endpoint=True, dtype=np.int64)
        nontrivial = m >= 2 and bool(np.any(X != X[0]))
        drawn = _draw_teacher(X, h, K, nontrivial, rng)
        if drawn is not None:
            break
        # a sample no integer unit of this bound can split (e.g. d = 1 and every point
        # beyond the largest threshold): draw another sample
        logger.debug("planted: sample %d admits no non-trivial teacher; redrawing", attempt)
    else:
        raise DataError(
            f"planted: none of {max_samples} samples drawn admits a teacher that labels them "
            f"in two classes (input_range={R}, weight_bound={K}); increase weight_bound or "
            "m, or lower input_range."
        )
    if not nontrivial:
        logger.warning(
            "planted: all %d sample(s) are identical, so the teacher cannot split them; "
            "labels are all one class",
            m,
        )
    W1, b1, W2, b2, y_clean = drawn
    flip = rng.random(m) < float(noise)
    y = np.where(flip, -y_clean, y_clean).astype(np.int64)
    logger.debug(
        "planted: m=%d d=%d h=%d noise=%g, %d label(s) flipped", m, d, h, noise, flip.sum()
    )
    if not return_teacher:
        return X, y
    return X, y, _make_teacher(W1, b1, W2, b2)


def _draw_teacher(
    X: np.ndarray, h: int, K: int, nontrivial: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """A random integer teacher ``d -> h -> 1`` whose hidden units each split ``X`` and
    whose labels take both classes (when ``nontrivial``); None if the draws fail."""
    d = X.shape[1]
    max_tries = 2000
    for _ in range(max_tries):
        W1 = np.empty((h, d), dtype=np.int64)
        b1 = np.empty(h, dtype=np.int64)
        for j in range(h):
            for _ in range(max_tries):
                w = rng.integers(-K, K, size=d, endpoint=True, dtype=np.int64)
                b = rng.integers(-K, K, endpoint=True, dtype=np.int64)
                on = X @ w + b >= 0
                if not nontrivial or (on.any() and not on.all()):
                    break
            else:
                return None  # no unit of this bound splits X
            W1[j], b1[j] = w, b
        A1 = np.where(X @ W1.T + b1 >= 0, 1, -1).astype(np.int64)
        W2 = rng.integers(-K, K, size=(1, h), endpoint=True, dtype=np.int64)
        b2 = rng.integers(-K, K, size=1, endpoint=True, dtype=np.int64)
        y_clean = np.where(A1 @ W2[0] + b2[0] >= 0, 1, -1).astype(np.int64)
        if not nontrivial or np.unique(y_clean).size == 2:
            return W1, b1, W2, b2, y_clean
    return None


def _make_teacher(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> Any:
    try:
        from mixedopt.network import ThresholdNet
    except ImportError:  # pragma: no cover - network module always ships
        return {"weights": [W1, W2], "biases": [b1, b2]}
    return ThresholdNet(weights=[W1, W2], biases=[b1, b2], weight_domain="integer")


def load_planted(
    m: int = 200,
    d: int = 6,
    h: int = 3,
    noise: float = 0.0,
    seed: int | None = 0,
    input_range: int = 8,
    weight_bound: int = 3,
) -> Table:
    X, y = planted(m, d, h, noise, seed, input_range, weight_bound, return_teacher=False)
    return Table(
        X.astype(np.float64),
        y,
        [f"x{j}" for j in range(X.shape[1])],
        np.ones(X.shape[1], bool),
        description="integer inputs labelled by a random integer sign teacher d->h->1 "
        "(options m, d, h, noise, seed, input_range, weight_bound)",
        source="mixedopt planted teacher",
    )
