"""Continuous-relaxation start for the local search (numpy only).

A real-valued copy of the network with ``tanh(beta * z)`` hidden units is trained by full-batch
Adam on the logistic (binary) or softmax (multi-class) loss, with ``beta`` annealed upward so
the units approach sign units. Its units are then **quantised** one at a time onto the
discrete domain: for each unit several scales are tried and the one whose rounded integer
unit agrees with the real unit's sign pattern on the most training examples is kept (for
the output layer of a multi-class net one common scale, chosen by training accuracy). The
quantised net is an ordinary :class:`~mixedopt.network.ThresholdNet` in the problem's
domain; the local search starts from it.

Examples
--------
>>> import numpy as np
>>> import mixedopt as mo
>>> from mixedopt.problems.training import TrainingProblem
>>> from mixedopt.solvers.greedy.relax import relaxed_start
>>> X, y, _ = mo.datasets.planted(m=500, d=5, h=3, seed=0)
>>> p = TrainingProblem.from_data(X, y, hidden=[3])
>>> W, B = relaxed_start(p, np.random.default_rng(0), time_budget=5.0)
>>> [w.shape for w in W]
[(3, 5), (1, 3)]
"""

from __future__ import annotations

import logging
import time

import numpy as np

from mixedopt.problems.training import TrainingProblem

__all__ = ["quantise_unit", "relax_unit", "relaxed_start"]

logger = logging.getLogger(__name__)


def _domain(problem: TrainingProblem, layer: int) -> tuple[np.ndarray, float, float]:
    """(weight values, bias lo, bias hi) of ``layer``."""
    if problem.weights == "binary":
        vals = np.array([-1.0, 1.0])
    elif problem.weights == "ternary":
        vals = np.array([-1.0, 0.0, 1.0])
    elif problem.weights == "integer":
        K = int(problem.weight_bound)
        vals = np.arange(-K, K + 1, dtype=np.float64)
    else:
        vals = np.linspace(-problem.weight_bound, problem.weight_bound, 9)
    lo, hi = problem.bias_bounds(layer)
    return vals, float(lo), float(hi)


def _round_to(v: np.ndarray, vals: np.ndarray) -> np.ndarray:
    idx = np.abs(v[..., None] - vals).argmin(axis=-1)
    return vals[idx]


def quantise_unit(
    w: np.ndarray,
    b: float,
    A: np.ndarray,
    vals: np.ndarray,
    blo: float,
    bhi: float,
    n_scales: int = 40,
) -> tuple[np.ndarray, float]:
    """Discrete ``(w, b)`` whose sign pattern on inputs ``A`` best agrees with ``(w, b)``.

    Scales ``(w, b)`` from small to large and rounds onto ``vals``; the first (smallest)
    scale with the most agreeing signs wins.

    >>> A = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    >>> qw, qb = quantise_unit(np.array([0.9, 0.2]), -0.1, A, np.arange(-3.0, 4.0), -3.0, 3.0)
    >>> qw, qb  # signs (+, +, -) as for the real unit: 0.8, 0.1, -1.2
    (array([1., 0.]), 0.0)
    """
    target = A @ w + b >= 0
    top = max(float(np.max(np.abs(w))), abs(float(b)), 1e-12)
    vmax = float(np.max(np.abs(vals)))
    best_agree, best = -1, (np.zeros_like(w), 0.0)
    for t in np.linspace(0.5, vmax + 0.49, n_scales):
        s = t / top
        qw = _round_to(w * s, vals)
        qb = float(np.clip(np.round(b * s), blo, bhi)) + 0.0  # no -0.0
        agree = int(np.count_nonzero((A @ qw + qb >= 0) == target))
        if agree > best_agree:
            best_agree, best = agree, (qw, qb)
    return best


#: examples x units cells of one chunk of :func:`quantise_units` (bounds its memory)
QUANTISE_CHUNK_CELLS = 2_000_000


def quantise_units(
    W: np.ndarray,
    b: np.ndarray,
    A: np.ndarray,
    vals: np.ndarray,
    blo: float,
    bhi: float,
    n_scales: int = 40,
    deadline: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`quantise_unit` for every row of ``W`` (units) at once, in chunks of units.

    The same scale search as :func:`quantise_unit`, vectorised over the units of a chunk
    (at most :data:`QUANTISE_CHUNK_CELLS` examples x units). When the clock passes
    ``deadline`` (a :func:`time.perf_counter` value), the chunk in progress keeps the best
    of the scales tried and the units not reached yet are only rounded at the largest scale
    (their largest weight onto the largest domain value), so that a wide layer never holds
    up a time limit.

    >>> A = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    >>> quantise_units(np.array([[0.9, 0.2]]), np.array([-0.1]), A, np.arange(-3.0, 4.0),
    ...                -3.0, 3.0)
    (array([[1., 0.]]), array([0.]))
    """
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    n_out = W.shape[0]
    Wq = np.zeros_like(W)
    Bq = np.zeros(n_out)
    if n_out == 0:
        return Wq, Bq
    vmax = float(np.max(np.abs(vals)))
    scales = np.linspace(0.5, vmax + 0.49, n_scales)
    chunk = max(1, QUANTISE_CHUNK_CELLS // max(1, A.shape[0]))
    late = False
    for lo in range(0, n_out, chunk):
        if not late and deadline is not None and time.perf_counter() > deadline:
            late = True
            logger.debug("quantisation past its deadline: %d of %d units rounded", lo, n_out)
        w = W[lo : lo + chunk]
        bb = b[lo : lo + chunk]
        target = A @ w.T + bb >= 0  # (m, k)
        top = np.maximum(np.maximum(np.max(np.abs(w), axis=1), np.abs(bb)), 1e-12)
        best_agree = np.full(len(w), -1, dtype=np.int64)
        qw_best = np.zeros_like(w)
        qb_best = np.zeros(len(w))
        for t in scales[-1:] if late else scales:
            s = t / top
            qw = _round_to(w * s[:, None], vals)
            qb = np.clip(np.round(bb * s), blo, bhi) + 0.0  # no -0.0
            agree = np.count_nonzero((A @ qw.T + qb >= 0) == target, axis=0)
            better = agree > best_agree
            best_agree[better] = agree[better]
            qw_best[better] = qw[better]
            qb_best[better] = qb[better]
            if not late and deadline is not None and time.perf_counter() > deadline:
                late = True  # keep the best scale so far of this chunk's units
                break
        Wq[lo : lo + chunk] = qw_best
        Bq[lo : lo + chunk] = qb_best
    return Wq, Bq


def relaxed_start(
    problem: TrainingProblem,
    rng: np.random.Generator,
    *,
    time_budget: float = 5.0,
    max_iter: int = 3000,
    deadline: float | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Train a tanh relaxation and quantise it onto the problem's weight domain.

    ``time_budget`` bounds the Adam steps; ``deadline`` (a :func:`time.perf_counter`
    value, optional) bounds the whole call as well as it can: past it the quantisation
    only rounds the remaining units (see :func:`quantise_units`).

    Returns the discrete weights and biases (float arrays holding domain values).
    """
    t0 = time.perf_counter()
    if deadline is not None:
        time_budget = min(time_budget, deadline - t0)
    X = problem.X.astype(np.float64)
    scale = max(float(np.max(np.abs(X))) if X.size else 1.0, 1e-12)
    Xs = X / scale
    sizes = problem.sizes
    L = len(sizes) - 1
    C = sizes[-1]
    if problem.is_binary:
        T = (problem.y == 1).astype(np.float64)[:, None]
    else:
        T = np.eye(C)[problem.y]
    sw = problem.sample_weight.astype(np.float64)
    sw = sw / sw.sum()
    params: list[np.ndarray] = []
    for layer in range(L):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        params.append(rng.normal(0, 1 / np.sqrt(n_in), (n_out, n_in)))
        params.append(np.zeros(n_out))
    mom = [np.zeros_like(p) for p in params]
    vel = [np.zeros_like(p) for p in params]
    lr = 0.05
    for it in range(1, max_iter + 1):
        beta = 1.0 + 9.0 * it / max_iter
        acts = [Xs]
        a = Xs
        for layer in range(L):
            z = a @ params[2 * layer].T + params[2 * layer + 1]
            if layer < L - 1:
                a = np.tanh(beta * z)
                acts.append(a)
        if problem.is_binary:
            pr = 1 / (1 + np.exp(-np.clip(beta * z, -50, 50)))
            g = (pr - T) * sw[:, None] * beta
        else:
            e = np.exp(beta * (z - z.max(axis=1, keepdims=True)))
            pr = e / e.sum(axis=1, keepdims=True)
            g = (pr - T) * sw[:, None] * beta
        grads: list[np.ndarray] = [np.empty(0)] * (2 * L)
        for layer in range(L - 1, -1, -1):
            grads[2 * layer] = g.T @ acts[layer]
            grads[2 * layer + 1] = g.sum(axis=0)
            if layer:
                g = (g @ params[2 * layer]) * (1 - acts[layer] ** 2) * beta
        for k, (p, gg) in enumerate(zip(params, grads, strict=True)):
            mom[k] = 0.9 * mom[k] + 0.1 * gg
            vel[k] = 0.999 * vel[k] + 0.001 * gg * gg
            p -= lr * (mom[k] / (1 - 0.9**it)) / (np.sqrt(vel[k] / (1 - 0.999**it)) + 1e-8)
        if time.perf_counter() - t0 > time_budget:
            break
    logger.debug("relaxation: %d Adam steps in %.2fs", it, time.perf_counter() - t0)
    # quantise layer by layer on the quantised inputs
    W: list[np.ndarray] = []
    B: list[np.ndarray] = []
    A_real = Xs
    A_q = X
    for layer in range(L):
        w_r = params[2 * layer]
        b_r = params[2 * layer + 1]
        if layer == 0:
            w_r = w_r / scale  # express in original input units
        vals, blo, bhi = _domain(problem, layer)
        if layer == L - 1 and not problem.is_binary:
            Wq, Bq = _quantise_argmax(w_r, b_r, A_q, problem.y, vals, blo, bhi)
        else:
            Wq, Bq = quantise_units(w_r, b_r, A_q, vals, blo, bhi, deadline=deadline)
        W.append(Wq)
        B.append(Bq)
        if layer < L - 1:
            A_real = np.tanh(A_real @ params[2 * layer].T + params[2 * layer + 1])
            A_q = np.where(A_q @ Wq.T + Bq >= 0, 1.0, -1.0)
    return W, B


def _quantise_argmax(
    w: np.ndarray,
    b: np.ndarray,
    A: np.ndarray,
    y: np.ndarray,
    vals: np.ndarray,
    blo: float,
    bhi: float,
) -> tuple[np.ndarray, np.ndarray]:
    top = max(float(np.max(np.abs(w))), float(np.max(np.abs(b))), 1e-12)
    vmax = float(np.max(np.abs(vals)))
    best_acc, best = -1, (np.zeros_like(w), np.zeros_like(b))
    for t in np.linspace(0.5, vmax + 0.49, 40):
        s = t / top
        qw = _round_to(w * s, vals)
        qb = np.clip(np.round(b * s), blo, bhi)
        acc = int(np.count_nonzero(np.argmax(A @ qw.T + qb, axis=1) == y))
        if acc > best_acc:
            best_acc, best = acc, (qw, qb)
    return best


def relax_unit(
    problem: TrainingProblem,
    A_in: np.ndarray,
    H: np.ndarray,
    j: int,
    rng: np.random.Generator,
    *,
    layer: int,
    n_iter: int = 400,
    deadline: float | None = None,
) -> tuple[np.ndarray, float]:
    """Re-fit unit ``j`` of the last hidden layer through a relaxation with the other units
    of that layer frozen at their ±1 activations ``H`` (shape (m, h)) and a real output
    layer; returns the quantised ``(w, b)`` of the unit (inputs ``A_in`` of its layer).
    The Adam steps stop early when the clock passes ``deadline`` (a
    :func:`time.perf_counter` value, optional).

    Examples
    --------
    >>> import mixedopt as mo
    >>> X, y, t = mo.datasets.planted(m=300, d=3, h=2, seed=0)
    >>> p = TrainingProblem.from_data(X, y, hidden=[2])
    >>> H = t.activations(X)[0].astype(float)
    >>> w, b = relax_unit(p, X.astype(float), H, 1, np.random.default_rng(0), layer=0)
    >>> w.shape
    (3,)
    """
    Af = A_in.astype(np.float64)
    scale = max(float(np.max(np.abs(Af))) if Af.size else 1.0, 1e-12)
    As = Af / scale
    n_in = As.shape[1]
    h = H.shape[1]
    C = problem.sizes[-1]
    if problem.is_binary:
        T = (problem.y == 1).astype(np.float64)[:, None]
    else:
        T = np.eye(C)[problem.y]
    sw = problem.sample_weight.astype(np.float64)
    sw = sw / sw.sum()
    w = rng.normal(0, 1 / np.sqrt(n_in), n_in)
    b = np.zeros(1)
    V = rng.normal(0, 1 / np.sqrt(h), (C, h))
    c = np.zeros(C)
    params = [w, b, V, c]
    mom = [np.zeros_like(p) for p in params]
    vel = [np.zeros_like(p) for p in params]
    Hf = H.astype(np.float64).copy()
    lr = 0.05
    for it in range(1, n_iter + 1):
        beta = 1.0 + 9.0 * it / n_iter
        u = np.tanh(beta * (As @ w + b[0]))
        Hf[:, j] = u
        z = Hf @ V.T + c
        if problem.is_binary:
            pr = 1 / (1 + np.exp(-np.clip(beta * z, -50, 50)))
        else:
            e = np.exp(beta * (z - z.max(axis=1, keepdims=True)))
            pr = e / e.sum(axis=1, keepdims=True)
        g = (pr - T) * sw[:, None] * beta
        gV = g.T @ Hf
        gc = g.sum(axis=0)
        gu = (g @ V[:, j]) * (1 - u**2) * beta
        gw = As.T @ gu
        gb = np.array([gu.sum()])
        for k, (p, gg) in enumerate(zip(params, [gw, gb, gV, gc], strict=True)):
            mom[k] = 0.9 * mom[k] + 0.1 * gg
            vel[k] = 0.999 * vel[k] + 0.001 * gg * gg
            p -= lr * (mom[k] / (1 - 0.9**it)) / (np.sqrt(vel[k] / (1 - 0.999**it)) + 1e-8)
        if deadline is not None and time.perf_counter() > deadline:
            break
    vals, blo, bhi = _domain(problem, layer)
    return quantise_unit(w / scale, float(b[0]), Af, vals, blo, bhi)
