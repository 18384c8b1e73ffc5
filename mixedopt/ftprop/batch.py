"""One mini-batch update of FTPROP-MB (:mod:`mixedopt.ftprop.trainer`): the forward pass, the
top-down target and unit steps, and the exact unit steps' bottom-up refit.

:class:`MiniBatchUpdate` is the half of :class:`~mixedopt.ftprop.trainer.FTPropTrainer` that
updates the weights; the trainer (state, epochs, ``fit`` / ``partial_fit``) inherits it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from mixedopt.ftprop.config import FTPropConfig
from mixedopt.ftprop.forward import forward_levels, predict_codes
from mixedopt.ftprop.metrics import add_target_stats
from mixedopt.ftprop.optimizers import Adam, Sgd
from mixedopt.ftprop.target_objective import UpperLayer
from mixedopt.ftprop.targets import make_target_step
from mixedopt.ftprop.unit_steps import Levels, fit_unit_exact, output_loss, unit_loss_grad

__all__ = ["MiniBatchUpdate"]

# the trainer's logger, as before this half of it had its own module
logger = logging.getLogger("mixedopt.ftprop.trainer")

#: an exact unit step is not started with less time than this left before the deadline
MIN_UNIT_FIT_S = 1e-3


class MiniBatchUpdate:
    """The weight updates of :class:`~mixedopt.ftprop.trainer.FTPropTrainer`, one mini-batch at
    a time (a mixin: the trainer holds the state below)."""

    config: FTPropConfig
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    levels: list[Levels]
    _opt: Adam | Sgd
    #: end of the time limit of the epoch in progress (a :func:`time.perf_counter` value)
    _deadline: float | None

    def _forward(self, Xs: np.ndarray) -> list[np.ndarray]:
        a, Zs = Xs, []
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            Z = a @ w.T + b
            Zs.append(Z)
            if i < len(self.levels):
                a = forward_levels(self.levels[i], Z)[0]
        return Zs

    def _batch(self, Xb: np.ndarray, yb: np.ndarray, lr: float, acc: dict[str, Any]) -> None:
        cfg = self.config
        W, Bs, levels = self.weights, self.biases, self.levels
        L = len(W)
        B = Xb.shape[0]
        A, Zs, Ks = [Xb], [], []
        for i in range(L):
            Z = A[i] @ W[i].T + Bs[i]
            Zs.append(Z)
            if i < L - 1:
                a, k = forward_levels(levels[i], Z)
                A.append(a)
                Ks.append(k)
        acc["batches"] += 1
        rows, gz = output_loss(Zs[-1], yb, cfg.loss, grad=True)
        acc["loss"] += float(rows.sum())
        acc["correct"] += int(np.sum(predict_codes(Zs[-1]) == yb))
        G = gz / B
        upper = UpperLayer(W=W[-1], b=Bs[-1], loss=cfg.loss, y=yb, scale=1.0 / B)
        K_l = U_l = None
        fits: list[Any] = [None] * L
        for i in range(L - 1, -1, -1):
            G_below = next_upper = K = U = None
            if i > 0:
                lv = levels[i - 1]
                res = make_target_step(
                    cfg,
                    cfg.target_step,
                    G,
                    W[i],
                    Ks[i - 1],
                    lv,
                    upper,
                    A[i - 1],
                    deadline=self._deadline,
                )
                K, U = res.K, res.weights
                if not cfg.scale_by_grad_out:
                    U = (U > 0) / B
                add_target_stats(acc, i - 1, res, Ks[i - 1], cfg.target_step)
                G_below = U * unit_loss_grad(Zs[i - 1], K, lv, cfg.unit_loss, cfg.temperature)
                next_upper = UpperLayer(
                    W=W[i - 1],
                    b=Bs[i - 1],
                    loss=cfg.unit_loss,
                    targets=K,
                    weights=U,
                    levels=lv,
                    temperature=cfg.temperature,
                )
            if cfg.unit_step == "gradient":
                # gradient steps read the activations of the layer below (pre-update weights
                # everywhere, so the order of the updates does not matter)
                self._unit_step(i, A[i], G, yb, K_l, U_l, lr)
                self._count_violated(i, A[i], yb, K_l, acc)
            else:
                fits[i] = (G, K_l, U_l)
            G, upper, K_l, U_l = G_below, next_upper, K, U
        if cfg.unit_step != "gradient":
            self._refit_bottom_up(Xb, yb, fits, lr, acc)

    def _refit_bottom_up(
        self,
        Xb: np.ndarray,
        yb: np.ndarray,
        fits: list[Any],
        lr: float,
        acc: dict[str, Any],
    ) -> None:
        """Exact unit steps, layer by layer from the bottom, each on the activations that the
        already refitted layers below *realise*.

        The targets of every layer were chosen top-down with the pre-update weights. A refit
        hidden layer rarely realises all of them (a target column need not be linearly
        separable), so a layer above fitted to the *targets* would meet inputs it was not
        fitted on; fitting it to the realised activations keeps the network consistent.
        """
        cfg = self.config
        saved = [p.copy() for p in (*self.weights, *self.biases)]
        before = np.count_nonzero(predict_codes(self._forward(Xb)[-1]) != yb)
        inp = Xb
        for i in range(len(self.weights)):
            G, K, U = fits[i]
            if i:  # recompute the (fallback) gradient for the inputs this layer now sees
                Z = inp @ self.weights[i].T + self.biases[i]
                if i == len(self.weights) - 1:
                    G = output_loss(Z, yb, cfg.loss, grad=True)[1] / Xb.shape[0]
                else:
                    G = U * unit_loss_grad(Z, K, self.levels[i], cfg.unit_loss, cfg.temperature)
            self._unit_step(i, inp, G, yb, K, U, lr)
            Znew = self._count_violated(i, inp, yb, K, acc)
            if i < len(self.levels):
                inp = forward_levels(self.levels[i], Znew)[0]
        after = np.count_nonzero(predict_codes(self._forward(Xb)[-1]) != yb)
        if after > before:
            # the refits together lost ground on this batch: keep the previous network
            # (a poor man's backtracking; the next batch or epoch tries other targets)
            for dst, src in zip((*self.weights, *self.biases), saved, strict=True):
                dst[...] = src
            logger.debug("exact unit steps undone: batch errors %d -> %d", before, after)

    def _count_violated(
        self, i: int, inp: np.ndarray, yb: np.ndarray, K: np.ndarray | None, acc: dict[str, Any]
    ) -> np.ndarray:
        """Add layer ``i``'s fraction of missed targets after its update; its new ``Z``."""
        Znew = inp @ self.weights[i].T + self.biases[i]
        if i == len(self.weights) - 1:
            miss = float(np.count_nonzero(predict_codes(Znew) != yb))
        else:
            assert K is not None
            miss = np.count_nonzero(forward_levels(self.levels[i], Znew)[1] != K) / K.shape[1]
        acc["violated"][i] += float(miss)
        return Znew

    def _unit_step(
        self,
        i: int,
        A: np.ndarray,
        G: np.ndarray,
        yb: np.ndarray,
        K: np.ndarray | None,
        U: np.ndarray | None,
        lr: float,
    ) -> None:
        cfg = self.config
        W, b = self.weights[i], self.biases[i]
        output = i == len(self.weights) - 1
        if cfg.unit_step != "gradient" and self._exact_unit_step(i, A, yb, K, U):
            return
        for r in range(cfg.unit_updates):
            if r:
                Z = A @ W.T + b
                if output:
                    G = output_loss(Z, yb, cfg.loss, grad=True)[1] / A.shape[0]  # type: ignore[operator]
                else:
                    assert K is not None and U is not None
                    G = U * unit_loss_grad(Z, K, self.levels[i], cfg.unit_loss, cfg.temperature)
            self._opt.step([W, b], [G.T @ A, G.sum(axis=0)], lr, index=(2 * i, 2 * i + 1))
        if cfg.max_norm is not None and not output:
            # sign units are invariant to scaling (w, b) up: bounding the norm only keeps
            # the pre-activations where the unit loss still has slope
            norm = np.sqrt(np.einsum("ij,ij->i", W, W) + b * b)
            f = np.minimum(1.0, cfg.max_norm / np.maximum(norm, 1e-300))
            W *= f[:, None]
            b *= f

    def _exact_unit_step(
        self, i: int, A: np.ndarray, yb: np.ndarray, K: np.ndarray | None, U: np.ndarray | None
    ) -> bool:
        """Refit every unit of layer ``i`` with fit_unit; False when not applicable."""
        cfg = self.config
        output = i == len(self.weights) - 1
        if output:
            if self.weights[i].shape[0] != 1:
                return False
            T = (2 * yb - 1)[:, None]
            Uw = None
        else:
            if not self.levels[i].binary:
                return False
            assert K is not None
            T = 2 * K.astype(np.int64) - 1
            Uw = U
        for j in range(T.shape[1]):
            time_limit = cfg.unit_time_limit
            if self._deadline is not None:
                left = self._deadline - time.perf_counter()
                if left < MIN_UNIT_FIT_S:  # out of time: the other units keep their weights
                    logger.debug("time limit: units %d.. of layer %d not refitted", j, i)
                    break
                time_limit = left if time_limit is None else min(time_limit, left)
            fit = fit_unit_exact(
                A,
                T[:, j],
                None if Uw is None else Uw[:, j],
                method=cfg.unit_step,
                time_limit=time_limit,
            )
            if fit is None:
                continue
            # keep the unit unless the refit realises at least as much of its (weighted)
            # targets: the convex surrogate can lose to the current weights when the target
            # column is not separable (the soft-margin fit may even be a constant)
            w, b = fit
            c = np.ones(T.shape[0]) if Uw is None else Uw[:, j]
            t = T[:, j] > 0
            missed_old = c @ (((A @ self.weights[i][j] + self.biases[i][j]) >= 0) != t)
            if c @ (((A @ w + b) >= 0) != t) <= missed_old:
                self.weights[i][j], self.biases[i][j] = w, b
        return True
