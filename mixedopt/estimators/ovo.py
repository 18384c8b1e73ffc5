"""One-vs-one ensembles of binary threshold nets (BeMi's scheme: one net per pair of classes).

For ``k`` classes, ``k (k - 1) / 2`` binary nets are fitted, each on the examples of its two
classes only; a prediction is the class with most pairwise wins. Ties are broken by the summed
pairwise decision values (the output pre-activation of each binary net, counted for the class
it favours), then by the lowest class. :class:`~mixedopt.ExactThresholdClassifier` uses this
with ``ensemble="ovo"``; the functions take any estimator that ``clone`` can copy.

The pairs are independent, so :func:`fit_one_vs_one` can run them as tasks of an
:class:`~mixedopt.executors.Executor` (``executor=get_executor("ray", n_jobs=2)``): every pair
keeps its own settings (time limit, seed), at most ``executor.n_workers`` run at once, and the
fitted estimators come back in pair order. The result is the serial one wherever a pair's fit
does not depend on the wall clock.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from itertools import combinations
from typing import Any

import numpy as np
from sklearn.base import clone

from mixedopt.executors import Executor

__all__ = ["fit_clone", "fit_one_vs_one", "one_vs_one_decision", "one_vs_one_pairs"]


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
    executor: Executor | None = None,
    preset: Sequence[dict[str, Any] | None] | None = None,
    on_fitted: Callable[[int, Any], None] | None = None,
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
        the first class of the pair and 1 for the second. With an ``executor`` it must be
        picklable (a module-level function) and runs where the task runs.
    executor : Executor, optional
        Run the pairs as tasks of this executor (at most ``executor.n_workers`` at once;
        see :func:`mixedopt.executors.get_executor`). Default: one after the other, here.
    preset : sequence of dict or None, optional
        Per pair, attributes set on the clone before its fit (e.g. ``{"net_": net}`` to
        warm-start it); see :func:`fit_clone`.
    on_fitted : callable(p, estimator), optional
        Called here for every fitted pair ``p`` as it finishes (in completion order with an
        executor, pair order without).

    Returns
    -------
    pairs, estimators : list
        The class-index pairs and the fitted binary estimators, in the same order.
    """
    pairs = one_vs_one_pairs(n_classes)
    presets = list(preset) if preset is not None else [None] * len(pairs)
    if len(presets) != len(pairs):
        raise ValueError(f"preset has {len(presets)} entries for {len(pairs)} pairs.")

    def task(p: int) -> tuple[Any, np.ndarray, np.ndarray, Callable[..., Any] | None, Any]:
        i, j = pairs[p]
        mask = (codes == i) | (codes == j)
        yb = (codes[mask] == j).astype(np.int64)
        est = clone(template).set_params(**params, random_state=int(seeds[p]))
        return est, X[mask], yb, fit, presets[p]

    fitted: list[Any] = [None] * len(pairs)
    if executor is None:
        for p in range(len(pairs)):
            fitted[p] = fit_clone(*task(p))
            if on_fitted is not None:
                on_fitted(p, fitted[p])
        return pairs, fitted
    # at most n_workers pairs in flight; the next one starts as soon as one finishes
    todo = iter(range(len(pairs)))
    running: dict[Any, int] = {}

    def start() -> None:
        p = next(todo, None)
        if p is not None:
            running[executor.submit(fit_clone, *task(p))] = p

    try:
        for _ in range(max(1, int(executor.n_workers))):
            start()
        while running:
            done, _pending = executor.wait_any(list(running))
            for fut in done:
                p = running.pop(fut)
                fitted[p] = executor.result(fut)
                if on_fitted is not None:
                    on_fitted(p, fitted[p])
                start()
    except BaseException:
        for fut in running:
            executor.cancel(fut)
        raise
    return pairs, fitted


def fit_clone(
    estimator: Any,
    X: np.ndarray,
    y: np.ndarray,
    fit: Callable[[Any, np.ndarray, np.ndarray], Any] | None = None,
    preset: dict[str, Any] | None = None,
) -> Any:
    """Fit ``estimator`` on ``(X, y)`` with its warnings silenced and return it (one pair's
    task; module-level so that an executor can send it to another process).

    ``preset`` attributes are set first (``{"net_": net}`` seeds a warm-started solve);
    ``fit(estimator, X, y)`` replaces ``estimator.fit(X, y)`` when given.

    >>> from sklearn.linear_model import LogisticRegression
    >>> est = fit_clone(LogisticRegression(), np.array([[0.0], [1.0]]), np.array([0, 1]))
    >>> est.predict([[1.0]]).tolist()
    [1]
    """
    for name, value in (preset or {}).items():
        setattr(estimator, name, value)
    with warnings.catch_warnings():
        # one summary warning for the whole ensemble is the caller's job
        warnings.simplefilter("ignore")
        if fit is None:
            estimator.fit(X, y)
        else:
            fit(estimator, X, y)
    return estimator


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
