"""Shared numerics of the real-weight fits: the transformed copies of the inputs, the
least-squares start, and the working sets of the cutting-plane loops."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from mixedopt.perceptron.hyperplane import row_max
from mixedopt.validation import is_integral


def _ridge_gram(X: np.ndarray) -> np.ndarray:
    """``XᵀX`` with a tiny ridge (1e-10 of its mean diagonal, at least 1e-10)."""
    G = X.T @ X
    G[np.diag_indices_from(G)] += 1e-10 * max(1.0, float(np.trace(G)) / G.shape[0])
    return G


def lsq_start(X: np.ndarray, tf: np.ndarray) -> np.ndarray:
    """Least-squares ``X v ≈ t``: ``lstsq`` on tall-ish systems (m <= 4 d), otherwise the
    (ridged) normal equations, which are cheaper there."""
    m, d = X.shape
    if m <= 4 * d:
        try:
            return np.linalg.lstsq(X, tf, rcond=None)[0]
        except np.linalg.LinAlgError:  # pragma: no cover
            pass
    return np.linalg.solve(_ridge_gram(X), X.T @ tf)


def _smallest(z: np.ndarray, pool: np.ndarray, k: int) -> np.ndarray:
    """The (at most) ``k`` indices of ``pool`` with the smallest ``z``."""
    if k >= pool.size:
        return pool
    return pool[np.argpartition(z[pool], k - 1)[:k]]


class WorkingSet:
    """Examples of a cutting-plane loop: it starts with the ``k`` worst-fitted examples of
    ``pool`` (default: all) and grows by the worst violators outside it."""

    def __init__(self, z: np.ndarray, k: int, pool: np.ndarray | None = None):
        pool = np.arange(z.shape[0]) if pool is None else pool
        self.rows = _smallest(z, pool, k)
        self.member = np.zeros(z.shape[0], dtype=bool)
        self.member[self.rows] = True

    @property
    def size(self) -> int:
        return int(self.rows.size)

    def outside(self, mask: np.ndarray) -> np.ndarray:
        """Indices where ``mask`` holds that are not in the set yet."""
        return np.flatnonzero(mask & ~self.member)

    def add(self, z: np.ndarray, cand: np.ndarray, k: int) -> np.ndarray:
        """Add the (at most) ``k`` candidates with the smallest ``z``; return them."""
        cand = _smallest(z, cand, k)
        self.rows = np.concatenate([self.rows, cand])
        self.member[cand] = True
        return cand


class Data:
    """Validated inputs with the transformed copies that several fits share."""

    def __init__(self, A: np.ndarray):
        self.A = A
        self.m, self.n = A.shape

    @cached_property
    def Af(self) -> np.ndarray:
        return np.ascontiguousarray(self.A, dtype=np.float64)

    @cached_property
    def rowmax(self) -> np.ndarray:
        return row_max(self.Af)

    @cached_property
    def integral(self) -> bool:
        return is_integral(self.A)

    @cached_property
    def mu(self) -> np.ndarray:
        return self.Af.mean(axis=0)

    @cached_property
    def sd(self) -> np.ndarray:
        sd = self.Af.std(axis=0)
        sd[~(sd > 0)] = 1.0
        return sd

    def _centred_plus_ones(self, scale: np.ndarray | float) -> np.ndarray:
        out = np.empty((self.m, self.n + 1))
        np.subtract(self.Af, self.mu, out=out[:, : self.n])
        out[:, : self.n] /= scale
        out[:, self.n] = 1.0
        return out

    @cached_property
    def A1(self) -> np.ndarray:
        """Standardised inputs with a trailing column of ones (separability, perceptron)."""
        return self._centred_plus_ones(self.sd)

    @cached_property
    def scale(self) -> float:
        s = float(np.max(np.abs(self.Af - self.mu))) if self.m else 1.0
        return s if s > 0 else 1.0

    @cached_property
    def G1(self) -> np.ndarray:
        """Centred inputs divided by one global scale, plus ones (norm-dependent fits)."""
        return self._centred_plus_ones(self.scale)

    @cached_property
    def chol(self) -> Any:
        from scipy.linalg import cho_factor

        return cho_factor(_ridge_gram(self.A1), lower=True, check_finite=False)

    def ls(self, T: np.ndarray) -> np.ndarray:
        """Least-squares ``[A_std 1] V ≈ T`` for one or several target columns."""
        from scipy.linalg import cho_solve

        return cho_solve(self.chol, self.A1.T @ T, check_finite=False)

    def from_std(self, v: np.ndarray) -> tuple[np.ndarray, float]:
        w = v[: self.n] / self.sd
        return w, float(v[self.n] - w @ self.mu)

    def from_global(self, v: np.ndarray) -> tuple[np.ndarray, float]:
        w = v[: self.n] / self.scale
        return w, float(v[self.n] - w @ self.mu)

    def to_global(self, w: np.ndarray, b: float) -> np.ndarray:
        return np.r_[w * self.scale, b + w @ self.mu]
