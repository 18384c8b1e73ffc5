"""Output-code starts: hidden targets chosen to generalise, before any search.

The engine's local search and exact phases take any zero-error net as optimal for the
``errors`` objective; on few-shot data (ten MNIST digits per class) the first such net they
find generalises poorly, because nothing ties its hidden targets to the classes. An
*output-code start* chooses the hidden targets first, as an error-correcting output code
(Dietterich & Bakiri 1995): every hidden unit is asked to separate one random half of the
classes from the other half, and the output layer decodes the nearest code word. With the
targets fixed, every hidden unit is an independent perceptron (the convex part): it is
fitted by L2-regularised logistic regression and rounded to the weight domain, choosing the
rounding thresholds and the bias that classify most training examples of its half-split.

The result is an ordinary :class:`~mixedopt.network.ThresholdNet` of the requested shape and
weight domain (output weights are the ``±1`` code matrix, biases 0). It is a *warm start*:
:func:`~mixedopt.exact.engine.train_exact` verifies it, repairs the training errors it
leaves with the local search and the exact phases, and proves what it can
(:class:`~mixedopt.ExactThresholdClassifier` does this by default for nets with one hidden
layer and discrete weights, ``init="auto"``).

With two classes there is nothing to split: every unit fits the labels (up to sign) on its own
bootstrap sample, and the output unit takes their vote; this is the start of every pair of
``ensemble="ovo"``.

>>> import mixedopt as mo
>>> X, y = mo.datasets.load("iris")
>>> net = output_code_net(X, y, hidden=8, weights="ternary", seed=0)
>>> [w.shape for w in net.weights], bool((net.predict(X) == y).mean() > 0.6)
([(8, 4), (3, 8)], True)
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem

__all__ = ["code_matrix", "init_applies", "output_code_net", "round_unit"]

logger = logging.getLogger(__name__)

#: inverse L2 strength of the unit fits (inputs scaled to ``[-1, 1]``); chosen on validation
#: splits of the few-shot *training* images (``scripts/fewshot_validation.py``)
UNIT_C = 0.1
#: fractions of a unit's positive (negative) real weights kept as ``+1`` (``-1``) that the
#: rounding tries, independently for both signs (this moves the unit's threshold even when
#: the bias domain is ``{-1, 0, 1}``)
KEEP_FRACTIONS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0)
#: random code matrices drawn; the one with the largest least Hamming distance between code
#: words is kept (ties: the first)
CODE_TRIES = 200


def code_matrix(n_classes: int, width: int, *, seed: int = 0) -> np.ndarray:
    """A ``(n_classes, width)`` matrix of ``±1``: one code word per class.

    Every column splits the classes into two halves (sizes differ by at most one), no two
    columns are equal or opposite when enough distinct splits exist, and among
    :data:`CODE_TRIES` random draws the matrix whose code words are farthest apart (least
    Hamming distance) is kept. Deterministic for a given ``seed``.

    Examples
    --------
    >>> C = code_matrix(4, 6, seed=0)
    >>> C.shape, sorted(set(C.ravel().tolist())), int(abs(C.sum(axis=0)).max())
    ((4, 6), [-1, 1], 0)
    """
    if n_classes < 2 or width < 1:
        raise ValidationError(
            f"a code matrix needs at least 2 classes and 1 column, got {n_classes} and {width}."
        )
    rng = np.random.default_rng(seed)
    half = np.array([1] * (n_classes // 2) + [-1] * (n_classes - n_classes // 2))
    # distinct splits up to sign: C(n, n/2) / 2 for even n
    n_splits = math.comb(n_classes, n_classes // 2) // (2 if n_classes % 2 == 0 else 1)
    best, best_d = None, -1
    for _ in range(CODE_TRIES):
        cols: list[np.ndarray] = []
        seen: set[tuple[int, ...]] = set()
        while len(cols) < width:
            c = rng.permutation(half)
            c = c if c[0] > 0 else -c  # one representative per split (the sign is free)
            key = tuple(c.tolist())
            if key in seen and len(seen) < n_splits:
                continue
            seen.add(key)
            # the stored column's sign is random again, so classes are not always +1 at 0
            cols.append(c * (1 if rng.random() < 0.5 else -1))
        C = np.stack(cols, axis=1)
        diff = (C[:, None, :] != C[None, :, :]).sum(axis=2)
        np.fill_diagonal(diff, width + 1)
        d = int(diff.min())
        if d > best_d:
            best, best_d = C, d
    assert best is not None
    return best.astype(np.int64)


def round_unit(
    w: np.ndarray, A: np.ndarray, t: np.ndarray, wvals: np.ndarray, bvals: np.ndarray
) -> tuple[np.ndarray, int]:
    """Integer weights from real ``w`` and the best bias: most examples on their target side.

    Positive and negative weights are scaled separately so that the largest kept weight of
    each sign maps to the domain's largest value (``K``); the fraction of each sign kept
    (:data:`KEEP_FRACTIONS`) sets the scale. Ties go to the most balanced, then the sparser.

    Examples
    --------
    >>> A = np.array([[1, 0], [0, 1], [1, 1]]); t = np.array([1, -1, 1])
    >>> w, b = round_unit(np.array([0.9, -0.7]), A, t, np.array([-1, 0, 1]), np.array([-1, 0, 1]))
    >>> w.tolist(), b, ((A @ w + b >= 0) == (t > 0)).all()
    ([1, -1], 0, np.True_)
    """
    K = int(wvals.max())
    lo = int(wvals.min())
    pos = np.sort(w[w > 0])[::-1]
    neg = np.sort(-w[w < 0])[::-1]
    target = t > 0
    best: tuple[Any, ...] | None = None
    out = (np.zeros_like(w, dtype=np.int64), int(bvals[np.argmin(np.abs(bvals))]))

    def scaled(mags: np.ndarray, frac: float) -> float:
        if mags.size == 0 or frac == 0:  # no weight of this sign (both: a constant unit)
            return 0.0
        k = max(1, round(frac * mags.size))
        # the k-th largest magnitude rounds to 1 (just above 0.5 after scaling), the largest
        # to at most K
        return min(0.5000001 / mags[k - 1], K / mags[0]) if K > 1 else 0.5000001 / mags[k - 1]

    for fp in KEEP_FRACTIONS:
        sp = scaled(pos, fp)
        for fn in KEEP_FRACTIONS:
            sn = scaled(neg, fn)
            wi = np.where(w > 0, np.rint(w * sp), np.rint(w * sn))
            wi = np.clip(wi, lo, K).astype(np.int64)
            if lo == -1 and K == 1 and not np.any(wvals == 0):  # binary {-1, 1}: no zeros
                wi = np.where(w >= 0, 1, -1).astype(np.int64)
            z = A @ wi
            # bias: the value of the domain that puts most examples on their side
            zz = z[:, None] + bvals[None, :]
            acc = ((zz >= 0) == target[:, None]).sum(axis=0)
            j = int(np.argmax(acc))
            good = np.flatnonzero(acc == acc[j])
            j = int(good[len(good) // 2])
            key = (int(acc[j]), -abs(fp - fn), -int(np.count_nonzero(wi)))
            if best is None or key > best:
                best = key
                out = (wi, int(bvals[j]))
    return out


def _unit_fit(LogisticRegression: Any, A: np.ndarray, t: np.ndarray) -> Any:
    """L2 logistic regression of targets ``t`` on ``A``: liblinear (a coordinate method: 30x
    faster than L-BFGS on 20 x 784 problems, the same weights to 4 digits), else L-BFGS."""
    try:
        return LogisticRegression(C=UNIT_C, solver="liblinear", max_iter=2000).fit(A, t)
    except ValueError:  # pragma: no cover - a scikit-learn without liblinear
        return LogisticRegression(C=UNIT_C, max_iter=2000).fit(A, t)


def init_applies(problem: TrainingProblem) -> bool:
    """Whether :func:`output_code_net` covers ``problem``: one hidden layer, discrete weights,
    and two classes or at least two hidden units."""
    return (
        len(problem.hidden) == 1
        and problem.weights != "real"
        and (problem.is_binary or problem.hidden[0] >= 2)
    )


def output_code_net(
    X: Any,
    y: Any,
    *,
    hidden: int | tuple[int, ...] | list[int],
    weights: str = "ternary",
    weight_bound: float | None = None,
    seed: int = 0,
) -> ThresholdNet:
    """A net whose hidden units realise an error-correcting output code of the classes.

    Parameters
    ----------
    X, y : array-like
        Training data, as for :func:`~mixedopt.exact.engine.train_exact` (three or more
        classes).
    hidden : int or one-element sequence
        Width of the single hidden layer (at least 2; the code words are farther apart the
        wider it is).
    weights : {"ternary", "integer", "binary"}, default "ternary"
        Weight domain (as for ``train_exact``).
    weight_bound : int, optional
        ``K`` of the integer domain.
    seed : int, default 0
        Seed of the code matrix.

    Returns
    -------
    ThresholdNet
        Sign hidden layer, argmax output whose weights are the code matrix (so it predicts
        the class whose code word is nearest in Hamming distance to the hidden outputs, ties
        to the lowest class). Use it as ``train_exact(..., warm_start=net)``.

    Examples
    --------
    >>> import mixedopt as mo
    >>> X, y = mo.datasets.load("iris")
    >>> net = output_code_net(X, y, hidden=[6], weights="integer", weight_bound=3)
    >>> res = mo.train_exact(X, y, hidden=[6], weights="integer", weight_bound=3,
    ...                      warm_start=net, time_limit=5)
    >>> res.n_errors <= int((net.predict(X) != y).sum())
    True
    """
    problem = TrainingProblem.from_data(
        X, y, hidden=hidden, weights=weights, weight_bound=weight_bound
    )
    if not init_applies(problem):
        raise ValidationError(
            "an output-code start needs one hidden layer, discrete weights, and two classes "
            f"or at least 2 hidden units; got hidden={list(problem.hidden)}, "
            f"weights={problem.weights!r}, {problem.n_classes} classes."
        )
    from sklearn.linear_model import LogisticRegression

    h = problem.hidden[0]
    k = problem.n_classes
    C = code_matrix(k, h, seed=seed)
    rng = np.random.default_rng(seed)
    A = problem.X  # integers (q * x for rational inputs)
    scale = float(np.max(np.abs(A))) or 1.0
    Af = A.astype(np.float64) / scale
    wvals, bvals = problem.domain_values(0)
    q = problem.bias_scale(0)
    # the bias enters the model as q * b: try every value of the domain in those units
    W1 = np.zeros((h, problem.n_features), dtype=np.int64)
    b1 = np.zeros(h, dtype=np.int64)
    for j in range(h):
        t = C[problem.y, j]
        if np.all(t == t[0]):  # a class split with no training example on one side
            b1[j] = int(bvals.max() if t[0] > 0 else bvals.min())
            continue
        rows = np.arange(len(t))
        if problem.is_binary and j > 0:
            # two classes: every unit sees the labels (up to sign); a bootstrap sample per
            # unit makes them differ, and the output unit takes their majority vote
            rows = rng.integers(0, len(t), size=len(t))
            if np.all(t[rows] == t[rows[0]]):
                rows = np.arange(len(t))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lr = _unit_fit(LogisticRegression, Af[rows], t[rows])
        wi, b = round_unit(lr.coef_[0], A, t, wvals, bvals * q)
        W1[j] = wi
        b1[j] = b // q
    out_vals, out_b = problem.domain_values(1)
    W2 = C[1:2].copy() if problem.is_binary else C.copy()
    if int(out_vals.max()) < 1:  # pragma: no cover - every discrete domain holds ±1
        raise ValidationError("the weight domain has no ±1 values for the output code.")
    b2 = np.zeros(W2.shape[0], dtype=np.int64)
    if not np.any(out_b == 0):  # pragma: no cover - every bias domain holds 0
        b2[:] = out_b[np.argmin(np.abs(out_b))]
    net = problem.make_net([W1, W2], [b1, b2], metadata={"trained_by": "output_code"})
    problem.check_net(net)
    acc = float(np.mean(problem.predict_codes(net) == problem.y))
    logger.info("output-code start: %d units, training accuracy %.3f", h, acc)
    return net
