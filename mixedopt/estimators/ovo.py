"""One-vs-one ensembles of binary threshold nets (BeMi's scheme: one net per pair of classes).

For ``k`` classes, ``k (k - 1) / 2`` binary nets are fitted, each on the examples of its two
classes only; a prediction is the class with most pairwise wins. Ties are broken by the summed
pairwise decision values (the output pre-activation of each binary net, counted for the class
it favours), then by the lowest class. :class:`~mixedopt.ExactThresholdClassifier` uses this
with ``ensemble="ovo"``; the functions take any estimator that ``clone`` can copy.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from itertools import combinations
from typing import Any

import numpy as np
from sklearn.base import clone

__all__ = ["fit_one_vs_one", "one_vs_one_decision", "one_vs_one_pairs"]


def one_vs_one_pairs(n_classes: int) -> list[tuple[int, int]]:
    """The class-index pairs ``(i, j)``, ``i < j``, in lexicographic order.

    >>> one_vs_one_pairs(3)
    [(0, 1), (0, 2), (1, 2)]
    """
    return list(combinations(range(n_classes), 2))


def fit_one_vs_one(
    template: Any,
    X: np.ndarray,
    codes: np.ndarray,
    n_classes: int,
    *,
    seeds: Sequence[int],
    params: dict[str, Any],
    fit: Callable[[Any, np.ndarray, np.ndarray], Any] | None = None,
) -> tuple[list[tuple[int, int]], list[Any]]:
    """Fit one clone of ``template`` per pair of classes.

    Parameters
    ----------
    template : estimator
        Cloned for every pair, then ``set_params(**params, random_state=seeds[p])``.
    X : ndarray, shape (n_samples, n_features)
    codes : ndarray of int, shape (n_samples,)
        Class indices in ``range(n_classes)``.
    n_classes : int
    seeds : sequence of int
        One seed per pair.
    params : dict
        Parameters set on every clone (e.g. its share of the time limit).
    fit : callable(estimator, X, y), optional
        How to fit one clone (default ``estimator.fit(X, y)``); the pair's labels are 0 for
        the first class of the pair and 1 for the second.

    Returns
    -------
    pairs, estimators : list
        The class-index pairs and the fitted binary estimators, in the same order.
    """
    pairs = one_vs_one_pairs(n_classes)
    fitted = []
    for p, (i, j) in enumerate(pairs):
        mask = (codes == i) | (codes == j)
        yb = (codes[mask] == j).astype(np.int64)
        est = clone(template).set_params(**params, random_state=int(seeds[p]))
        with warnings.catch_warnings():
            # one summary warning for the whole ensemble is the caller's job
            warnings.simplefilter("ignore")
            if fit is None:
                est.fit(X[mask], yb)
            else:
                fit(est, X[mask], yb)
        fitted.append(est)
    return pairs, fitted


def one_vs_one_decision(
    decisions: Sequence[np.ndarray], pairs: Sequence[tuple[int, int]], n_classes: int
) -> np.ndarray:
    """Votes plus a tie-breaking term in ``(-1/3, 1/3)``, shape ``(n_samples, n_classes)``.

    ``decisions[p]`` is the binary decision value of pair ``pairs[p] = (i, j)``: ``>= 0``
    votes for ``j`` (the binary nets' rule), ``< 0`` for ``i``. Each class's summed decision
    value (``+d`` for ``j``, ``-d`` for ``i``) enters as ``s / (3 (|s| + 1))``, which never
    outweighs one vote, so ``argmax`` (first index on ties) is the majority vote with ties
    broken by the summed decision values, then by the lowest class.

    Three classes, two samples, each with one win per class; the summed decision values
    pick class 2 for the first and class 1 for the second:

    >>> d = [np.array([1.0, 1.0]), np.array([-1.0, -1.0]), np.array([2.0, 0.0])]
    >>> one_vs_one_decision(d, [(0, 1), (0, 2), (1, 2)], 3).argmax(axis=1).tolist()
    [2, 1]
    """
    n = len(decisions[0]) if len(decisions) else 0
    votes = np.zeros((n, n_classes))
    sums = np.zeros((n, n_classes))
    for d, (i, j) in zip(decisions, pairs, strict=True):
        d = np.asarray(d, dtype=np.float64).reshape(-1)
        win_j = d >= 0
        votes[:, j] += win_j
        votes[:, i] += ~win_j
        sums[:, j] += d
        sums[:, i] -= d
    return votes + sums / (3.0 * (np.abs(sums) + 1.0))
