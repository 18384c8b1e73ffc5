"""Stratified train/test splits: :func:`train_test_split`, and few-shot splits (a fixed number
of training examples per class, the rest as test): :func:`few_shot_split`."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.validation import check_labels

logger = logging.getLogger(__name__)

__all__ = ["few_shot_split", "train_test_split"]


def train_test_split(
    X: Any,
    y: Any,
    *,
    test_size: float | int = 0.25,
    seed: int | None = 0,
    stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split data into a training and a test part, stratified by class by default.

    Parameters
    ----------
    X : array-like, shape (n_samples, ...)
        Features (any array whose first axis indexes samples).
    y : array-like, shape (n_samples,)
        Labels.
    test_size : float or int, default 0.25
        Fraction of the samples in ``(0, 1)`` (rounded up), or a count in ``[1, n - 1]``.
    seed : int or None, default 0
        Seed of the shuffle.
    stratify : bool, default True
        Keep the class proportions in both parts; every class with at least two samples
        appears in both parts whenever the test size allows it.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        Both parts come shuffled.

    Examples
    --------
    >>> import numpy as np
    >>> from mixedopt.datasets import train_test_split
    >>> X = np.arange(20).reshape(10, 2); y = np.array([0] * 6 + [1] * 4)
    >>> X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.5, seed=0)
    >>> np.bincount(y_tr).tolist(), np.bincount(y_te).tolist()
    ([3, 2], [3, 2])
    """
    Xa = np.asarray(X)
    if Xa.ndim == 0:
        raise ValidationError("X must be an array with one row per sample, got a scalar.")
    n = Xa.shape[0]
    ya = check_labels(y, n_samples=n)
    if n < 2:
        raise ValidationError(f"need at least 2 samples to split, got {n}.")
    n_test = _n_test(test_size, n)
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise ValidationError(f"seed must be a non-negative integer or None, got {seed!r}.")
    rng = np.random.default_rng(seed)
    if not stratify:
        perm = rng.permutation(n)
        te, tr = perm[:n_test], perm[n_test:]
    else:
        classes, codes = np.unique(ya, return_inverse=True)
        sizes = np.bincount(codes, minlength=classes.size)
        alloc = _allocate(sizes, n_test)
        te_parts, tr_parts = [], []
        for c in range(classes.size):
            idx = rng.permutation(np.flatnonzero(codes == c))
            te_parts.append(idx[: alloc[c]])
            tr_parts.append(idx[alloc[c] :])
        missing = [classes[c] for c in range(classes.size) if sizes[c] < 2]
        if missing:
            logger.warning(
                "train_test_split: class(es) %s have a single sample and appear only in the "
                "training part",
                missing[:5],
            )
        te = rng.permutation(np.concatenate(te_parts))
        tr = rng.permutation(np.concatenate(tr_parts))
    return Xa[tr], Xa[te], ya[tr], ya[te]


def few_shot_split(
    X: Any, y: Any, *, per_class: int, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``per_class`` training examples of every class, drawn at random; all others are test.

    The benchmark protocol of exact training on MNIST (Icarte et al. 2019, BeMi 2025): a
    handful of images per class to train on, every remaining image to test on.

    Parameters
    ----------
    X : array-like, shape (n_samples, ...)
    y : array-like, shape (n_samples,)
    per_class : int
        Training examples per class (every class needs more than this many).
    seed : int or None, default 0
        Seed of the draw.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        The training part grouped by nothing in particular (shuffled); the test part in the
        original order.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(40).reshape(20, 2); y = np.repeat([0, 1], 10)
    >>> X_tr, X_te, y_tr, y_te = few_shot_split(X, y, per_class=3, seed=0)
    >>> np.bincount(y_tr).tolist(), np.bincount(y_te).tolist()
    ([3, 3], [7, 7])
    """
    Xa = np.asarray(X)
    if Xa.ndim == 0:
        raise ValidationError("X must be an array with one row per sample, got a scalar.")
    ya = check_labels(y, n_samples=Xa.shape[0])
    if isinstance(per_class, bool) or not isinstance(per_class, (int, np.integer)) or per_class < 1:
        raise ValidationError(f"per_class must be a positive integer, got {per_class!r}.")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise ValidationError(f"seed must be a non-negative integer or None, got {seed!r}.")
    classes, codes, counts = np.unique(ya, return_inverse=True, return_counts=True)
    small = [classes[c] for c in range(classes.size) if counts[c] <= per_class]
    if small:
        raise ValidationError(
            f"per_class={per_class} leaves no test example of class(es) "
            f"{[v.item() if hasattr(v, 'item') else v for v in small[:5]]} "
            f"(it has {int(counts[classes.tolist().index(small[0])])}); use a smaller per_class."
        )
    rng = np.random.default_rng(seed)
    tr = np.concatenate(
        [
            rng.choice(np.flatnonzero(codes == c), size=per_class, replace=False)
            for c in range(classes.size)
        ]
    )
    tr = rng.permutation(tr)
    mask = np.zeros(Xa.shape[0], bool)
    mask[tr] = True
    te = np.flatnonzero(~mask)
    return Xa[tr], Xa[te], ya[tr], ya[te]


def _n_test(test_size: float | int, n: int) -> int:
    if isinstance(test_size, bool):
        raise ValidationError(f"test_size must be a fraction or a count, got {test_size!r}.")
    if isinstance(test_size, (int, np.integer)):
        k = int(test_size)
        if not 1 <= k <= n - 1:
            raise ValidationError(f"test_size={k} must be between 1 and n_samples - 1 = {n - 1}.")
        return k
    if isinstance(test_size, (float, np.floating)) and 0.0 < float(test_size) < 1.0:
        return int(min(max(math.ceil(float(test_size) * n), 1), n - 1))
    raise ValidationError(
        f"test_size must be a fraction in (0, 1) or a sample count, got {test_size!r}."
    )


def _allocate(sizes: np.ndarray, n_test: int) -> np.ndarray:
    """Test samples per class: proportional, summing to n_test, >=1 test and >=1 train for
    every class of size >= 2 whenever possible."""
    n = int(sizes.sum())
    exact = sizes * n_test / n
    alloc = np.floor(exact).astype(np.int64)
    rem = n_test - int(alloc.sum())
    order = np.lexsort((-sizes, -(exact - alloc)))  # largest remainder, then largest class
    alloc[order[:rem]] += 1
    lo = np.where(sizes >= 2, 1, 0)
    hi = np.where(sizes >= 2, sizes - 1, 0)
    alloc = np.clip(alloc, lo, hi)
    # restore the total: move samples from/to the classes where the change hurts least
    while alloc.sum() > n_test:
        slack = alloc - lo
        if np.any(slack > 0):
            cand = np.flatnonzero(slack > 0)
        else:  # too few test samples for every class: drop the smallest classes first
            cand = np.flatnonzero(alloc > 0)
            c = cand[np.lexsort((cand, sizes[cand]))][0]
            alloc[c] -= 1
            continue
        c = cand[np.argmax(alloc[cand] - exact[cand])]
        alloc[c] -= 1
    while alloc.sum() < n_test:
        cand = np.flatnonzero(alloc < hi)
        if cand.size == 0:
            cand = np.flatnonzero(alloc < sizes)
        c = cand[np.argmax(exact[cand] - alloc[cand])]
        alloc[c] += 1
    return alloc
