"""Method ``"perceptron"``: the averaged perceptron.

Exact sequential perceptron updates (Rosenblatt), checked in vectorised chunks: each chunk's
scores are computed with the current weights and the first mistake in it is applied, so the
result equals one-example-at-a-time updates in the shuffled order. Examples with zero sample
weight are skipped; the others' updates are scaled by their weight. The average of all
iterates (Daumé III's trick) is returned when it makes fewer weighted errors than the last
iterate.

Stopping: after an epoch without mistakes (converged, ``status="optimal"``), after
``max_iter`` epochs, or — the patience rule, on by default — when the fewest weighted
training errors seen so far have not improved for ``n_iter_no_change`` epochs in a row
(``status="feasible"``). With the rule on, every epoch ends with an evaluation of the last and
the averaged iterate on all examples (one pass over the data) and the best iterate seen is
kept ("pocket"); a zero-error iterate is a separator and ends the fit as converged.
``n_iter_no_change=None`` turns the rule off: all ``max_iter`` epochs run unless one is
mistake-free, and only the final iterates are compared.
"""

from __future__ import annotations

import math

import numpy as np

from mixedopt.perceptron.data import Data
from mixedopt.perceptron.options import Opts, expired
from mixedopt.perceptron.result import UnitFit, finish, separable_if_clean


class _Pocket:
    """The iterate with the fewest weighted training errors seen so far, and the number of
    epochs since that count last improved."""

    def __init__(self, X: np.ndarray, tf: np.ndarray, c: np.ndarray, patience: int):
        self.X, self.tf, self.c = X, tf, c
        self.patience = patience
        self.v: np.ndarray | None = None
        self.err = math.inf
        self.stale = 0

    def update(self, cands: list[np.ndarray]) -> bool:
        """Score ``cands`` on all examples; True when the fit should stop (a zero-error
        iterate, or no improvement for ``patience`` epochs)."""
        Z = self.X @ np.column_stack(cands)
        errs = self.c @ (Z * self.tf[:, None] <= 0)
        j = int(np.argmin(errs))
        if errs[j] < self.err:
            self.err, self.v, self.stale = float(errs[j]), cands[j].copy(), 0
        else:
            self.stale += 1
        return self.err == 0 or self.stale >= self.patience


def fit_perceptron(data: Data, t: np.ndarray, c: np.ndarray, opts: Opts, t0: float) -> UnitFit:
    """Averaged perceptron with exact sequential semantics, checked chunk by chunk."""
    X = data.A1
    tf = t.astype(np.float64)
    d = X.shape[1]
    rng = np.random.default_rng(opts.seed)
    live = np.flatnonzero(c > 0)
    Y = X * tf[:, None]  # rows signed by their targets: a mistake is Y_k · v <= 0
    v = np.zeros(d)
    acc = np.zeros(d)  # Σ count * update (averaging trick of Daumé III)
    count = 1.0
    converged = False
    epochs = 0
    timed_out = False
    pocket = None if opts.n_iter_no_change is None else _Pocket(X, tf, c, opts.n_iter_no_change)
    for _ in range(opts.max_iter):
        if expired(opts.deadline):
            timed_out = True
            break
        epochs += 1
        order = live[rng.permutation(live.size)]
        Yo = Y[order]  # one contiguous copy per epoch: chunks below are views
        co = c[order]
        mistakes = 0
        pos = 0
        chunk = 16
        while pos < order.size:
            s = Yo[pos : pos + chunk] @ v
            j = int((s <= 0).argmax())  # first mistake in the chunk (0 if none)
            if s[j] > 0:
                pos += s.size
                count += s.size
                chunk = min(2 * chunk, 4096)
                continue
            count += j
            upd = co[pos + j] * Yo[pos + j]
            v += upd
            acc += count * upd
            count += 1
            pos += j + 1
            mistakes += 1
            chunk = max(16, chunk // 4)
        if mistakes == 0:
            converged = True
            break
        if pocket is not None and pocket.update([v, v - acc / count]):
            if pocket.err == 0:  # a separator: as good as an epoch without mistakes
                converged, v = True, pocket.v
            break
    cands = [v] if converged else [v, v - acc / count]
    if not converged and pocket is not None and pocket.v is not None:
        cands.append(pocket.v)
    best, best_err = v, math.inf
    for cand in cands:
        err = float(c @ ((X @ cand) * tf <= 0))
        if err < best_err:
            best, best_err = cand, err
    w, b = data.from_std(best)
    status = "optimal" if converged else ("time_limit" if timed_out else "feasible")
    fit = finish(
        data, t, w, b, method="perceptron", status=status, separable=None, n_iter=epochs, t0=t0
    )
    return separable_if_clean(fit)
