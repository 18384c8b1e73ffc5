"""FTPROP-MB: mini-batch feasible target propagation for hard-threshold networks, in numpy.

Friesen & Domingos (ICLR 2018) train a network of hard-threshold units as a mixed
convex-combinatorial problem: choosing the targets of the hidden units is discrete, and
with targets fixed every unit is a separate convex problem. FTPROP-MB does this per
mini-batch, layer by layer from the top (notes/ftprop.md §2.2):

1. forward pass, keeping every layer's pre-activation ``Z`` and activation ``H``;
2. for the output layer and then each hidden layer, going down: with the layer's
   **pre-update** weights, choose the targets of the layer below (a *target step*:
   ``gradient``, ``greedy`` or ``exact``, :mod:`mixedopt.ftprop.target_steps`), then update
   the layer's own weights on its (weighted) loss (a *unit step*: optimiser steps on a
   convex per-unit loss, or an exact per-unit fit, :mod:`mixedopt.ftprop.unit_steps`).

A layer's input during its update is the activation of the layer below (as in the paper's
code); its targets are the hidden units' level indices (``-1/+1`` for sign units; one of
``n + 1`` levels for ``staircase<n>``). The output loss is on the output pre-activation.
With ``target_step="gradient"`` and ``unit_loss="soft-hinge"`` on sign units this is exactly
backpropagation with ``tanh'`` as surrogate derivative (notes §3.1); ``"saturated-hinge"``
gives the saturated straight-through estimator and ``"linear"`` the plain one.

Layout: this module holds :class:`FTPropTrainer` (epochs, ``fit`` / ``partial_fit``) and
:func:`train_ftprop`; the trainer's network state (initialisation, warm-start checks, the
folded network) is in :mod:`~mixedopt.ftprop.state`, the per-batch weight updates in
:mod:`~mixedopt.ftprop.batch`, the forward helpers in :mod:`~mixedopt.ftprop.forward`,
target-step dispatch and :func:`propagate_targets` in :mod:`~mixedopt.ftprop.targets`,
the per-epoch metrics in :mod:`~mixedopt.ftprop.metrics`, the settings and
:class:`History` in :mod:`~mixedopt.ftprop.config`.

Conventions: sign(0) = +1 (the paper's code uses -1); a binary problem has one output unit
(class ``classes[1]`` iff ``z >= 0``), a multi-class problem one unit per class (argmax).

Examples
--------
>>> import mixedopt as mo
>>> from mixedopt.ftprop.trainer import train_ftprop
>>> X, y = mo.datasets.load("xor")
>>> res = train_ftprop(X, y, hidden=[4], target_step="greedy", batch_size=None,
...                    max_iter=200, random_state=0)
>>> res.n_errors, res.status.value
(0, 'feasible')
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.ftprop.batch import MiniBatchUpdate
from mixedopt.ftprop.config import FTPropConfig, History

# before its forward helpers, target propagation, metrics, batch update and network state
# got modules
from mixedopt.ftprop.forward import predict_codes
from mixedopt.ftprop.metrics import epoch_record, new_epoch_stats
from mixedopt.ftprop.optimizers import learning_rate
from mixedopt.ftprop.state import TrainerState
from mixedopt.ftprop.targets import (
    PropagatedTargets,
    propagate_targets,
)
from mixedopt.ftprop.unit_steps import (
    output_loss,
)
from mixedopt.result import SolveResult, Status
from mixedopt.threads import one_blas_thread
from mixedopt.validation import check_X_y, encode_labels

__all__ = [
    "FTPropConfig",
    "FTPropTrainer",
    "History",
    "PropagatedTargets",
    "propagate_targets",
    "train_ftprop",
]

logger = logging.getLogger(__name__)

EpochCallback = Callable[[dict[str, Any]], Any]


class FTPropTrainer(TrainerState, MiniBatchUpdate):
    """Stateful FTPROP-MB trainer (what :class:`mixedopt.FTPropClassifier` wraps).

    Parameters
    ----------
    config : FTPropConfig, optional
        Settings; keyword arguments override its fields.

    Attributes
    ----------
    weights, biases : list of ndarray
        Parameters on standardised inputs (see :meth:`net` for the folded network).
    classes : ndarray
        The labels, sorted.
    history : History
        Per-epoch metrics.
    epochs_done : int
        Epochs trained so far (over every :meth:`fit` / :meth:`partial_fit` call).
    """

    def __init__(self, config: FTPropConfig | None = None, **params: Any) -> None:
        cfg = config or FTPropConfig()
        unknown = set(params) - set(FTPropConfig.field_names())
        if unknown:
            raise ValidationError(
                f"unknown FTPROP setting(s) {sorted(unknown)}; valid ones: "
                f"{', '.join(FTPropConfig.field_names())}."
            )
        self.config = replace(cfg, **params).validated()
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        self.classes: np.ndarray | None = None
        self.history = History()
        self.epochs_done = 0
        self.converged = False
        self._deadline: float | None = None  # of the epoch in progress (fit's time_limit)
        self._rng = np.random.default_rng(self.config.random_state)

    # ---------------------------------------------------------------- training
    def fit(
        self,
        X: Any,
        y: Any,
        *,
        warm_start: bool = False,
        callback: EpochCallback | None = None,
        time_limit: float | None = None,
        validation_data: tuple[Any, Any] | None = None,
    ) -> FTPropTrainer:
        """Train for up to ``max_iter`` epochs (early stopping, convergence, ``time_limit``
        seconds or Ctrl-C end it sooner; the state reached is kept).

        ``time_limit`` is checked between mini-batches: an epoch it cuts short is recorded
        over the mini-batches it ran (``history.partial_epoch``), and
        ``history.stop_reason`` is ``"time_limit"``.

        ``validation_data=(X_val, y_val)`` is scored after every epoch (``val_loss``,
        ``val_accuracy`` in the history) and, with ``early_stopping``, replaces the internal
        ``validation_fraction`` split: training stops when its accuracy stalls and the
        weights of the best epoch are kept.
        """
        cfg = self.config
        Xa, ya = check_X_y(X, y)
        classes, _ = encode_labels(ya)
        changed = self.architecture_changes(Xa.shape[1], classes)
        if warm_start and changed:
            warnings.warn(
                f"warm start ignored: {', '.join(changed)} changed since the last fit, so the "
                "network is re-initialised; keep those settings (and data) to continue "
                "training, or set warm_start=False.",
                UserWarning,
                stacklevel=2,
            )
        if warm_start and self.initialized and not changed:
            self._sync_settings(Xa.astype(np.float64))
        else:
            self.initialize(Xa, classes)
        codes = self._codes(ya)
        Xs = self._scale(Xa.astype(np.float64))
        Xv = yv = None
        if validation_data is not None:
            Xva, yva = check_X_y(*validation_data, min_classes=1)
            if Xva.shape[1] != Xa.shape[1]:
                raise ValidationError(
                    f"validation_data has {Xva.shape[1]} features, X has {Xa.shape[1]}."
                )
            Xv, yv = self._scale(Xva.astype(np.float64)), self._codes(yva)
        elif cfg.early_stopping:
            from mixedopt.datasets import train_test_split

            idx = np.arange(Xs.shape[0])
            seed = int(self._rng.integers(2**31 - 1))
            tr, va, _, _ = train_test_split(
                idx[:, None], codes, test_size=cfg.validation_fraction, seed=seed
            )
            tr, va = tr[:, 0], va[:, 0]
            Xs, Xv, codes, yv = Xs[tr], Xs[va], codes[tr], codes[va]
        best_score, best_loss, stall = -np.inf, np.inf, 0
        best_params: tuple[list[np.ndarray], list[np.ndarray]] | None = None
        t0 = time.perf_counter()
        deadline = None if time_limit is None else t0 + float(time_limit)
        self.converged = False
        self.history.stop_reason = "max_iter"
        self.history.partial_epoch = False
        try:
            for _ in range(cfg.max_iter):
                rec = self._epoch(Xs, codes, Xv, yv, deadline=deadline)
                if callback is not None:
                    callback(rec)
                if cfg.early_stopping:
                    score = rec["val_accuracy"]
                    if score > best_score + cfg.tol:
                        best_score, stall = score, 0
                        best_params = (
                            [w.copy() for w in self.weights],
                            [b.copy() for b in self.biases],
                        )
                    else:
                        stall += 1
                else:
                    if rec["loss"] < best_loss - cfg.tol:
                        best_loss, stall = rec["loss"], 0
                    else:
                        stall += 1
                if stall >= cfg.n_iter_no_change:
                    self.converged = True
                    self.history.stop_reason = (
                        "validation score stopped improving"
                        if cfg.early_stopping
                        else "training loss stopped improving"
                    )
                    break
                if self.history.partial_epoch or (
                    deadline is not None and time.perf_counter() > deadline
                ):
                    self.history.stop_reason = "time_limit"
                    logger.info(
                        "time limit of %gs reached after %d epoch(s)%s; keeping the %s",
                        time_limit,
                        len(self.history),
                        f" (the last cut after {rec['n_batches']} mini-batch(es))"
                        if self.history.partial_epoch
                        else "",
                        "best epoch's weights" if cfg.early_stopping else "weights reached",
                    )
                    break
        except KeyboardInterrupt:
            logger.warning(
                "interrupted after %d epoch(s); keeping the weights reached", len(self.history)
            )
            self.history.interrupted = True
            self.history.stop_reason = "interrupted"
        if best_params is not None:
            self.weights[:], self.biases[:] = best_params
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> FTPropTrainer:
        """One epoch over ``(X, y)``; ``classes`` (all labels) is required on the first call."""
        Xa, ya = check_X_y(X, y, min_classes=1)
        if not self.initialized:
            if classes is None:
                raise ValidationError(
                    "classes must be passed on the first call to partial_fit (all labels "
                    "that can ever appear)."
                )
            cls = np.unique(np.asarray(classes))
            self.initialize(Xa, cls)
        elif classes is not None and not np.array_equal(
            np.unique(np.asarray(classes)), self.classes
        ):
            raise ValidationError(
                f"classes {np.unique(np.asarray(classes)).tolist()} differ from those of the "
                f"first partial_fit call {self.classes.tolist()}."  # type: ignore[union-attr]
            )
        changed = self.architecture_changes(Xa.shape[1])
        if changed:
            raise ValidationError(
                f"partial_fit cannot change the network: {', '.join(changed)} differ from the "
                "first partial_fit / fit call; pass data and settings like those, or call fit "
                "to train a new network."
            )
        self._sync_settings(Xa.astype(np.float64))
        codes = self._codes(ya)
        self._epoch(self._scale(Xa.astype(np.float64)), codes, None, None)
        return self

    def _epoch(
        self,
        Xs: np.ndarray,
        codes: np.ndarray,
        Xv: np.ndarray | None,
        yv: np.ndarray | None,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """One epoch; past ``deadline`` (a :func:`time.perf_counter` value) it stops after
        the current mini-batch (at least one runs), records the examples seen so far and
        sets ``history.partial_epoch``."""
        cfg = self.config
        t_epoch = time.perf_counter()
        lr = learning_rate(
            cfg.learning_rate, cfg.lr_schedule, epoch=self.epochs_done, total=cfg.max_iter
        )
        n = Xs.shape[0]
        bs = n if cfg.batch_size is None else min(cfg.batch_size, n)
        perm = self._rng.permutation(n)
        acc = new_epoch_stats(len(self.levels))
        seen = 0
        self._deadline = deadline  # read by the exact unit and target steps
        try:
            # small matrices: one BLAS thread is several times faster than a contended pool
            with one_blas_thread():
                for s in range(0, n, bs):
                    idx = perm[s : s + bs]
                    self._batch(Xs[idx], codes[idx], lr, acc)
                    seen += len(idx)
                    if deadline is not None and seen < n and time.perf_counter() > deadline:
                        self.history.partial_epoch = True
                        break
        finally:
            self._deadline = None
        self.epochs_done += 1
        rec = epoch_record(
            acc,
            n=seen,
            epoch=self.epochs_done,
            learning_rate=lr,
            # cumulative training seconds over every fit / partial_fit call
            seconds=(self.history.time[-1] if self.history.time else 0.0)
            + (time.perf_counter() - t_epoch),
        )
        if Xv is not None and yv is not None:
            Z = self._forward(Xv)[-1]
            rec["val_loss"] = float(output_loss(Z, yv, cfg.loss)[0].mean())
            rec["val_accuracy"] = float(np.mean(predict_codes(Z) == yv))
        self.history.append(rec)
        logger.debug("epoch %d: %s", self.epochs_done, rec)
        return rec


# ------------------------------------------------------------------------- entry point
def train_ftprop(
    X: Any,
    y: Any,
    config: FTPropConfig | None = None,
    *,
    callback: EpochCallback | None = None,
    time_limit: float | None = None,
    **params: Any,
) -> SolveResult:
    """Train a threshold network by FTPROP-MB.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
    y : array-like, shape (n_samples,)
        Labels (any values; two or more classes).
    config : FTPropConfig, optional
        Settings; keyword arguments (``hidden``, ``target_step``, ``batch_size``, ...; see
        :class:`FTPropConfig`) override its fields.
    callback : callable, optional
        Called after every epoch with that epoch's record (a dict, as in :class:`History`).
    time_limit : float, optional
        Wall-clock budget in seconds, checked between mini-batches (the state reached is
        kept; ``info["history"]["stop_reason"]`` is then ``"time_limit"``).

    Returns
    -------
    SolveResult
        ``status`` is FEASIBLE (a heuristic proves nothing; UNKNOWN if interrupted before
        any epoch), ``net`` the trained network, ``objective`` and ``n_errors`` its training
        errors by the true forward pass, ``targets`` the targets the chosen step sets for
        the final network on the training data, ``info["history"]`` the per-epoch record.
    """
    t0 = time.perf_counter()
    trainer = FTPropTrainer(config, **params)
    trainer.fit(X, y, callback=callback, time_limit=time_limit)
    net = trainer.net()
    Xa, ya = check_X_y(X, y)
    errors = net.n_errors(Xa, ya)
    cfg = trainer.config
    targets: list[np.ndarray] = []
    if net.hidden_sizes:
        step = "gradient" if cfg.target_step == "gradient" else "greedy"
        pt = propagate_targets(
            net,
            Xa,
            ya,
            target_step=step,
            loss=cfg.loss,
            unit_loss=cfg.unit_loss,
            temperature=cfg.temperature,
        )
        targets = pt.targets
    net.metadata.update({"history": trainer.history.to_dict(), "config": cfg.to_dict()})
    return SolveResult(
        status=Status.FEASIBLE if len(trainer.history) else Status.UNKNOWN,
        net=net,
        objective=float(errors),
        bound=None,
        wall_time=time.perf_counter() - t0,
        targets=targets,
        n_errors=errors,
        backend="numpy",
        method=f"ftprop-{cfg.target_step}",
        seed=cfg.random_state if isinstance(cfg.random_state, int) else None,
        interrupted=trainer.history.interrupted,
        info={"history": trainer.history.to_dict(), "converged": trainer.converged},
    )
