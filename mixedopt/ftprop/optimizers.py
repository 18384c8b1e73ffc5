"""Small first-order optimisers and learning-rate schedules for the numpy trainers.

Only what FTPROP needs: Adam (coupled L2 weight decay, as the FTPROP reference code) and
SGD with momentum, both updating a list of numpy arrays in place, plus the schedules
``constant``, ``cosine`` and ``step`` (×0.1 at 50 % and 75 % of the epochs, the paper's
milestone pattern).

Examples
--------
>>> import numpy as np
>>> from mixedopt.ftprop.optimizers import make_optimizer, learning_rate
>>> w = [np.ones(3)]
>>> opt = make_optimizer("adam", w)
>>> opt.step(w, [np.ones(3)], lr=0.1)
>>> np.round(w[0], 3).tolist()
[0.9, 0.9, 0.9]
>>> learning_rate(0.1, "step", epoch=60, total=100)
0.010000000000000002
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mixedopt.errors import ValidationError

__all__ = ["OPTIMIZERS", "SCHEDULES", "Adam", "Sgd", "learning_rate", "make_optimizer"]

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("constant", "cosine", "step")


class Adam:
    """Adam (Kingma & Ba) over a list of arrays; ``weight_decay`` is coupled L2."""

    def __init__(
        self,
        params: Sequence[np.ndarray],
        *,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.weight_decay = weight_decay
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = [0] * len(self.m)

    def step(
        self,
        params: Sequence[np.ndarray],
        grads: Sequence[np.ndarray],
        lr: float,
        index: Sequence[int] | None = None,
    ) -> None:
        """Update ``params`` in place; ``index`` names which slots they occupy (default all)."""
        slots = range(len(params)) if index is None else index
        b1, b2 = self.beta1, self.beta2
        for p, g, k in zip(params, grads, slots, strict=True):
            if self.weight_decay and p.ndim == 2:
                g = g + self.weight_decay * p
            self.t[k] += 1
            t = self.t[k]
            m, v = self.m[k], self.v[k]
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            step = lr * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
            p -= step * m / (np.sqrt(v) + self.eps)


class Sgd:
    """SGD with (heavy-ball) momentum; ``weight_decay`` is coupled L2."""

    def __init__(
        self, params: Sequence[np.ndarray], *, momentum: float = 0.9, weight_decay: float = 0.0
    ) -> None:
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.buf = [np.zeros_like(p) for p in params]

    def step(
        self,
        params: Sequence[np.ndarray],
        grads: Sequence[np.ndarray],
        lr: float,
        index: Sequence[int] | None = None,
    ) -> None:
        slots = range(len(params)) if index is None else index
        for p, g, k in zip(params, grads, slots, strict=True):
            if self.weight_decay and p.ndim == 2:
                g = g + self.weight_decay * p
            b = self.buf[k]
            b *= self.momentum
            b += g
            p -= lr * b


def make_optimizer(
    name: str, params: Sequence[np.ndarray], weight_decay: float = 0.0
) -> Adam | Sgd:
    """Build the optimiser ``name`` ("adam" or "sgd") for ``params``."""
    if name == "adam":
        return Adam(params, weight_decay=weight_decay)
    if name == "sgd":
        return Sgd(params, weight_decay=weight_decay)
    raise ValidationError(f"unknown optimizer {name!r}; choose one of {OPTIMIZERS}.")


def learning_rate(base: float, schedule: str, *, epoch: int, total: int) -> float:
    """Learning rate of ``epoch`` (counted from 0) out of ``total`` epochs."""
    if schedule == "constant":
        return base
    frac = min(1.0, epoch / max(total, 1))
    if schedule == "cosine":
        return base * 0.5 * (1.0 + math.cos(math.pi * frac))
    if schedule == "step":
        return base * (0.1 ** (int(frac >= 0.5) + int(frac >= 0.75)))
    raise ValidationError(f"unknown lr_schedule {schedule!r}; choose one of {SCHEDULES}.")
