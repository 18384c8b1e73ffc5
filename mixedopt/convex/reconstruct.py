"""Threshold networks from solutions of the convex programs.

Every network built here is a :class:`mixedopt.ThresholdNet` with ``step`` hidden layers
(``1{z >= 0}``) and a real output layer whose weights are the amplitudes (``s_j w_j`` of
the paper); the output is read as ``sign`` (binary, sign(0) = +1) or ``argmax``.

* Convex-Lasso: the sampled units realising the support of ``w`` form the hidden layer, the
  non-zero ``w_j`` are the output weights (:func:`lasso_network`).
* Program (7): ``delta*`` is split into nested patterns (:func:`staircase_decomposition`),
  then each pattern is realised by a hidden unit on the representation ``A``: by the
  pseudo-inverse (Convex-PI: ``v = [A 1]^+ p``, unit ``1{[a 1] v >= 0.5}``) or by a
  max-margin separator (Convex-SVM), see :func:`pattern_units`.

:func:`network_objective` evaluates any network of this form on the convex programs'
objective (the rescaled form of Lemma 2.1/3.1, which is the infimum of the weight-decay
objective over positive rescalings of the same network), so convex and heuristic networks
are compared on the same number.

Examples
--------
>>> import numpy as np
>>> from mixedopt.convex.reconstruct import staircase_decomposition
>>> P, amp = staircase_decomposition(np.array([0.5, 0.2, 0.0, -0.3]))
>>> (P.astype(int) @ amp).tolist()
[0.5, 0.2, 0.0, -0.3]
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from mixedopt.convex.arrangements import ThresholdLayer
from mixedopt.convex.losses import check_loss, loss_value
from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet

__all__ = [
    "RECONSTRUCTIONS",
    "build_network",
    "lasso_network",
    "network_objective",
    "pattern_units",
    "staircase_decomposition",
]

logger = logging.getLogger(__name__)

RECONSTRUCTIONS = ("pi", "svm")


def staircase_decomposition(delta: Any) -> tuple[np.ndarray, np.ndarray]:
    """Write ``delta`` as ``P @ amplitudes`` with nested 0/1 patterns.

    With ``l_1 < ... < l_k`` the distinct positive values, pattern ``j`` is
    ``1{delta >= l_j}`` with amplitude ``l_j - l_{j-1}`` (``l_0 = 0``); the negative part
    likewise with negative amplitudes. ``sum |amplitudes| = max(delta_+) + max(delta_-)``, so
    the network built from them has exactly the penalty of program (7).

    Returns
    -------
    patterns : ndarray of bool, shape (n, k)
    amplitudes : ndarray, shape (k,)
    """
    delta = np.asarray(delta, dtype=np.float64)
    cols, amps = [], []
    for sign in (1.0, -1.0):
        u = sign * delta
        levels = np.unique(u[u > 0])
        prev = 0.0
        for lev in levels:
            cols.append(u >= lev)
            amps.append(sign * (lev - prev))
            prev = lev
    if not cols:
        return np.zeros((delta.size, 0), dtype=bool), np.zeros(0)
    return np.column_stack(cols), np.asarray(amps)


def pattern_units(
    A: Any,
    patterns: Any,
    method: str = "pi",
    *,
    threshold: float = 0.5,
    svm_C: float | None = None,
    seed: int | None = None,
    deadline: float | None = None,
) -> tuple[ThresholdLayer, np.ndarray]:
    """Hidden units realising given patterns on the rows of ``A``.

    Parameters
    ----------
    A : array-like (n, m)
        Input of the pattern layer (distinct rows; group duplicates first).
    patterns : array-like of bool (n, k)
    method : {"pi", "svm"}
        ``"pi"``: ``v = [A 1]^+ p`` (minimum-norm least squares), unit ``1{[a 1] v >= t}``
        with ``t = threshold`` (0.5 in the paper) — exact whenever ``[A 1]`` has full row
        rank. ``"svm"``: a linear SVM on ``(A, 2p - 1)``; ``svm_C=None`` is a hard margin
        (``C = 1e6``), the paper used ``C = 1``.
    deadline : float, optional
        A :func:`time.perf_counter` value: past it, the ``"svm"`` units not fitted yet are
        reconstructed as ``"pi"`` units (logged as a warning).

    Returns
    -------
    layer : ThresholdLayer
        ``k`` units.
    realised : ndarray of bool (k,)
        Whether each unit reproduces its pattern on every row of ``A``.
    """
    A = np.asarray(A, dtype=np.float64)
    Pm = np.asarray(patterns, dtype=bool)
    if Pm.ndim != 2 or Pm.shape[0] != A.shape[0]:
        raise ValidationError("patterns must have one row per row of A.")
    m = A.shape[1]
    k = Pm.shape[1]
    if k == 0:
        return ThresholdLayer(np.zeros((0, m)), np.zeros(0)), np.zeros(0, dtype=bool)
    if method == "pi":
        W, b = _pi_units(A, Pm, threshold)
    elif method == "svm":
        W, b, done = _svm_units(A, Pm, svm_C, seed, deadline)
        if not done.all():
            logger.warning(
                "time limit: %d of %d pattern units reconstructed by the pseudo-inverse "
                "instead of the SVM",
                int((~done).sum()),
                k,
            )
            W[~done], b[~done] = _pi_units(A, Pm[:, ~done], threshold)
    else:
        raise ValidationError(f"method must be one of {RECONSTRUCTIONS}, got {method!r}.")
    layer = ThresholdLayer(W, b)
    realised = np.all(layer.transform(A) == Pm, axis=0)
    if not realised.all():
        logger.info(
            "%d of %d patterns not realised exactly by %s", int((~realised).sum()), k, method
        )
    return layer, realised


#: largest row count for which Convex-SVM precomputes the Gram matrix ``A A^T`` (float64,
#: 512 MB at this size): libsvm then reads kernel values instead of recomputing dot products
#: of ``m``-dimensional rows; on spambase (3,261 x 1,000) each unit fit took 0.1 s instead
#: of 1.0 s, with the same weights
SVM_GRAM_MAX_ROWS = 8000


def _pi_units(A: np.ndarray, Pm: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The ``"pi"`` units ``1{[a 1] v >= threshold}``, ``v = [A 1]^+ p``."""
    m = A.shape[1]
    A1 = np.hstack([A, np.ones((A.shape[0], 1))])
    V, *_ = np.linalg.lstsq(A1, Pm.astype(np.float64), rcond=None)
    return V[:m].T, V[m] - threshold


def _svm_units(
    A: np.ndarray, Pm: np.ndarray, C: float | None, seed: int | None, deadline: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SVM units for the columns of ``Pm``; past ``deadline`` no further unit is fitted
    (the third array says which were)."""
    from sklearn.svm import SVC, LinearSVC

    n, m = A.shape
    C_eff = 1e6 if C is None else float(C)
    W = np.zeros((Pm.shape[1], m))
    b = np.zeros(Pm.shape[1])
    done = np.zeros(Pm.shape[1], dtype=bool)
    gram: np.ndarray | None = None
    for j in range(Pm.shape[1]):
        if deadline is not None and time.perf_counter() > deadline:
            break
        done[j] = True
        t = Pm[:, j]
        if t.all() or not t.any():  # constant pattern: a bias-only unit
            b[j] = 1.0 if t.all() else -1.0
            continue
        labels = np.where(t, 1, -1)
        if n <= SVM_GRAM_MAX_ROWS:  # one Gram matrix serves every unit
            if gram is None:
                gram = A @ A.T
            clf = SVC(kernel="precomputed", C=C_eff).fit(gram, labels)
            W[j] = np.ravel(clf.dual_coef_) @ A[clf.support_]
        else:
            if n <= 20_000:  # libsvm: 1-2 s for 3600 rows x 1000 binary features, any C
                clf = SVC(kernel="linear", C=C_eff).fit(A, labels)
            else:
                clf = LinearSVC(C=C_eff, max_iter=20_000, random_state=seed).fit(A, labels)
            W[j] = np.ravel(clf.coef_)
        b[j] = float(np.ravel(clf.intercept_)[0])
    return W, b, done


def build_network(
    layers: Sequence[ThresholdLayer],
    out_weights: Any,
    *,
    classes: Sequence[Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> ThresholdNet:
    """A :class:`ThresholdNet` with the given step layers and a real output layer.

    ``out_weights`` has shape ``(k,)`` (binary, ``sign`` output) or ``(K, k)`` (``argmax``);
    the output bias is 0 (the all-ones pattern plays that role). A network without hidden
    units gets one unit that is always off, so it outputs 0 (class ``classes[1]``).
    """
    layers = list(layers)
    Wout = np.atleast_2d(np.asarray(out_weights, dtype=np.float64))
    if layers[-1].n_units == 0:
        m = layers[-1].weights.shape[1]
        layers[-1] = ThresholdLayer(np.zeros((1, m)), np.array([-1.0]))
        Wout = np.zeros((Wout.shape[0], 1))
    weights = [L.weights for L in layers] + [Wout]
    biases = [L.biases for L in layers] + [np.zeros(Wout.shape[0])]
    return ThresholdNet(
        weights,
        biases,
        "step",
        output="sign" if Wout.shape[0] == 1 else "argmax",
        classes=classes,
        weight_domain="real",
        metadata=metadata,
    )


def lasso_network(
    representation: Sequence[ThresholdLayer],
    units: ThresholdLayer,
    coef: Any,
    *,
    classes: Sequence[Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> ThresholdNet:
    """Convex-Lasso network: the units of the non-zero rows of ``coef`` and their amplitudes.

    ``coef`` has shape ``(P,)`` or ``(P, K)`` over the units of ``units``.
    """
    coef = np.asarray(coef, dtype=np.float64)
    support = np.flatnonzero(coef if coef.ndim == 1 else np.any(coef != 0, axis=1))
    W = coef[support] if coef.ndim == 1 else coef[support].T
    return build_network(
        [*representation, units.take(support)], W, classes=classes, metadata=metadata
    )


def network_objective(
    net: ThresholdNet,
    X: Any,
    y: Any,
    beta: float,
    *,
    loss: str = "squared",
    penalty: str = "l1",
) -> float:
    """Objective of a network of this form on the convex programs' scale.

    ``(1/n) sum l(f(x_i), y_i) + beta * R(W_out)`` with ``f`` the output pre-activation,
    ``R = sum |W_out|`` (``penalty="l1"``) or ``sum_j ||W_out[:, j]||_2`` (``"group"``: one
    group per hidden unit, the vector-output network). ``y`` holds ±1 labels (binary) or the
    ±1 one-vs-rest code ``(n, K)``. By Lemma 2.1/3.1 this is the infimum of the weight-decay
    objective (3)/(11) over positive rescalings of the network, so it is at least the optimum
    of program (6)/(7); an output bias, if any, is not penalised.
    """
    check_loss(loss)
    pre, _ = net.forward(X)
    f = pre[-1]
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1:
        f = f[:, 0]
    W = net.weights[-1].astype(np.float64)
    if penalty == "l1":
        reg = float(np.sum(np.abs(W)))
    elif penalty == "group":
        reg = float(np.sum(np.linalg.norm(W, axis=0)))
    else:
        raise ValidationError(f"penalty must be 'l1' or 'group', got {penalty!r}.")
    return loss_value(f, y, loss) + float(beta) * reg
