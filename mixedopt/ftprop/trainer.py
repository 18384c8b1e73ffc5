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

Layout: this module holds :class:`FTPropTrainer` (its network state: initialisation,
warm-start checks, the folded network; its epochs: ``fit`` / ``partial_fit``; and the
mini-batch update above) and :func:`train_ftprop`. The forward helpers are in
:mod:`~mixedopt.ftprop.forward`, target-step dispatch and :func:`propagate_targets` in
:mod:`~mixedopt.ftprop.targets`, the target steps in :mod:`~mixedopt.ftprop.target_steps`,
the unit losses and exact unit fits in :mod:`~mixedopt.ftprop.unit_steps`, the per-epoch
metrics in :mod:`~mixedopt.ftprop.metrics`, the settings and :class:`History` in
:mod:`~mixedopt.ftprop.config`.

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

from mixedopt.datasets import train_test_split
from mixedopt.errors import ValidationError
from mixedopt.ftprop.config import FTPropConfig, History
from mixedopt.ftprop.forward import forward_levels, predict_codes
from mixedopt.ftprop.metrics import add_target_stats, epoch_record, new_epoch_stats
from mixedopt.ftprop.optimizers import Adam, Sgd, learning_rate, make_optimizer
from mixedopt.ftprop.target_objective import UpperLayer
from mixedopt.ftprop.targets import (
    PropagatedTargets,
    make_target_step,
    propagate_targets,
)
from mixedopt.ftprop.unit_steps import (
    Levels,
    fit_unit_exact,
    levels_of,
    output_loss,
    unit_loss_grad,
)
from mixedopt.network import ThresholdNet
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

#: an exact unit step is not started with less time than this left before the deadline
MIN_UNIT_FIT_S = 1e-3


class FTPropTrainer:
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

    Examples
    --------
    :meth:`initialize` draws fresh weights (and the input standardisation),
    :meth:`architecture_changes` says whether training can continue from them, and
    :meth:`net` folds the scaling into a :class:`~mixedopt.network.ThresholdNet`:

    >>> X = np.array([[0.0, 10.0], [2.0, 30.0], [4.0, 20.0]])
    >>> tr = FTPropTrainer(hidden=[3], random_state=0)
    >>> tr.initialize(X, np.array(["no", "yes"]))
    >>> [w.shape for w in tr.weights], tr.mean.tolist()
    ([(3, 2), (1, 3)], [2.0, 20.0])
    >>> tr.architecture_changes(3)
    ['the number of features (2 -> 3)']
    >>> tr.net().hidden_sizes
    [3]
    """

    # set by initialize
    levels: list[Levels]
    n_features: int
    mean: np.ndarray
    std: np.ndarray
    _standardized: bool
    _opt: Adam | Sgd
    _opt_name: str

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
        #: level indices of the hidden targets set in the last whole epoch, one
        #: ``(n_rows, n_units)`` array per hidden layer, rows as in :attr:`last_target_rows`
        self.last_targets: list[np.ndarray] | None = None
        #: the rows of the fit's X those targets belong to (the early-stopping split's
        #: training part, or all rows)
        self.last_target_rows: np.ndarray | None = None
        self._epoch_targets: list[np.ndarray] = []
        self._batch_rows: np.ndarray | None = None
        self._rng = np.random.default_rng(self.config.random_state)

    # ----------------------------------------------------------- network state
    def _hidden_widths(self) -> list[int]:
        return [w.shape[0] for w in self.weights[:-1]]

    def keep_targets(self, net: ThresholdNet, X: np.ndarray) -> None:
        """Store the last whole epoch's targets on ``net`` (trained on ``X``, the fit's
        inputs) with their provenance (:meth:`ThresholdNet.set_training_targets`)."""
        if self.last_targets is None or self.last_target_rows is None:
            return
        rows = self.last_target_rows
        binary = all(lv.binary for lv in self.levels)
        T = [
            lv.values[k].astype(np.int64) if binary else k
            for lv, k in zip(self.levels, self.last_targets, strict=True)
        ]
        net.set_training_targets(
            T,
            np.asarray(X)[rows],
            source="ftprop",
            description=f"FTPROP's targets of its last whole epoch (epoch {self.epochs_done}, "
            f"target step {self.config.target_step!r}, set with the weights before each "
            "mini-batch update)",
            encoding="values" if binary else "level_index",
            fit_rows=None if rows.shape[0] == np.asarray(X).shape[0] else rows.tolist(),
        )

    @property
    def initialized(self) -> bool:
        return bool(self.weights)

    def initialize(self, X: np.ndarray, classes: np.ndarray) -> None:
        """Fresh random weights for inputs like ``X`` and the labels ``classes``."""
        cfg = self.config
        classes = np.asarray(classes)
        if classes.ndim != 1 or classes.size < 2:
            raise ValidationError("at least two classes are needed to train a classifier.")
        self.classes = classes
        self.n_features = X.shape[1]
        if cfg.standardize:
            self.mean = X.mean(axis=0)
            std = X.std(axis=0)
            self.std = np.where(std > 1e-12, std, 1.0)
        else:
            self.mean = np.zeros(X.shape[1])
            self.std = np.ones(X.shape[1])
        self.levels = [levels_of(a) for a in cfg.activations]
        n_out = 1 if classes.size == 2 else classes.size
        sizes = [X.shape[1], *cfg.hidden, n_out]
        rng = self._rng
        self.weights, self.biases = [], []
        for i in range(len(sizes) - 1):
            n_in, n = sizes[i], sizes[i + 1]
            w = rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n, n_in))
            b = np.zeros(n)
            if i < len(self.levels) and not self.levels[i].binary:
                b += 0.5  # centre staircase units between their thresholds
            self.weights.append(w)
            self.biases.append(b)
        self._standardized = cfg.standardize
        self._new_optimizer()
        self.history = History()
        self.epochs_done = 0
        self.converged = False

    def _new_optimizer(self) -> None:
        params = [p for wb in zip(self.weights, self.biases, strict=True) for p in wb]
        self._opt = make_optimizer(self.config.optimizer, params, self.config.weight_decay)
        self._opt_name = self.config.optimizer

    def architecture_changes(self, n_features: int, classes: np.ndarray | None = None) -> list[str]:
        """What differs between the trained network and ``config`` / the data: the settings
        that fix the network's shape (``n_features``, ``hidden``, ``activation``, the
        classes); empty when training can continue from the current weights."""
        if not self.initialized:
            return []
        cfg = self.config
        out = []
        if n_features != self.n_features:
            out.append(f"the number of features ({self.n_features} -> {n_features})")
        hidden = tuple(int(w.shape[0]) for w in self.weights[:-1])
        if hidden != tuple(cfg.hidden):
            out.append(f"hidden ({hidden} -> {tuple(cfg.hidden)})")
        acts = tuple(lv.name for lv in self.levels)
        if acts != tuple(cfg.activations):
            out.append(f"activation ({acts} -> {tuple(cfg.activations)})")
        if classes is not None and not np.array_equal(classes, self.classes):
            out.append(
                f"the classes ({self.classes.tolist()[:10]} -> {classes.tolist()[:10]})"  # type: ignore[union-attr]
            )
        return out

    def _sync_settings(self, X: np.ndarray) -> None:
        """Make settings changed since the weights were built take effect (the architecture
        must be unchanged): a new optimiser (fresh state) when ``optimizer`` changed, the
        new ``weight_decay``, and ``standardize`` (re-folded so the network's function is
        kept)."""
        cfg = self.config
        rebuild = cfg.optimizer != self._opt_name
        if cfg.standardize != self._standardized:
            # raw-input first layer, then re-expressed on the new scaling
            W_raw = self.weights[0] / self.std
            b_raw = self.biases[0] - W_raw @ self.mean
            if cfg.standardize:
                std = X.std(axis=0)
                self.mean, self.std = X.mean(axis=0), np.where(std > 1e-12, std, 1.0)
            else:
                self.mean, self.std = np.zeros(X.shape[1]), np.ones(X.shape[1])
            self.weights[0][...] = W_raw * self.std
            self.biases[0][...] = b_raw + W_raw @ self.mean
            self._standardized = cfg.standardize
            rebuild = True  # the first layer's moments belong to the old scaling
        if rebuild:
            logger.info("warm start: new %s optimiser state", cfg.optimizer)
            self._new_optimizer()
        self._opt.weight_decay = cfg.weight_decay

    def _scale(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.std

    def net(self) -> ThresholdNet:
        """The trained network, taking raw (unstandardised) inputs."""
        if not self.initialized or self.classes is None:
            raise ValidationError("the trainer has not been fitted yet; call fit first.")
        W = [w.copy() for w in self.weights]
        B = [b.copy() for b in self.biases]
        W[0] = self.weights[0] / self.std
        B[0] = self.biases[0] - W[0] @ self.mean
        return ThresholdNet(
            W,
            B,
            list(self.config.activations),
            classes=self.classes,
            weight_domain="real",
            metadata={
                "trainer": "ftprop",
                "target_step": self.config.target_step,
                "unit_loss": self.config.unit_loss,
                "temperature": self.config.temperature,
            },
        )

    def _codes(self, y: np.ndarray) -> np.ndarray:
        assert self.classes is not None
        pos = np.searchsorted(self.classes, y)
        pos = np.clip(pos, 0, self.classes.size - 1)
        bad = self.classes[pos] != y
        if np.any(bad):
            raise ValidationError(
                f"y holds label(s) {np.unique(y[bad])[:5].tolist()} that are not among the "
                f"classes {self.classes.tolist()[:10]}."
            )
        return pos.astype(np.int64)

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
        rows = np.arange(Xs.shape[0])
        self.last_targets = None
        if validation_data is not None:
            Xva, yva = check_X_y(*validation_data, min_classes=1)
            if Xva.shape[1] != Xa.shape[1]:
                raise ValidationError(
                    f"validation_data has {Xva.shape[1]} features, X has {Xa.shape[1]}."
                )
            Xv, yv = self._scale(Xva.astype(np.float64)), self._codes(yva)
        elif cfg.early_stopping:
            idx = np.arange(Xs.shape[0])
            seed = int(self._rng.integers(2**31 - 1))
            tr, va, _, _ = train_test_split(
                idx[:, None], codes, test_size=cfg.validation_fraction, seed=seed
            )
            tr, va = tr[:, 0], va[:, 0]
            Xs, Xv, codes, yv = Xs[tr], Xs[va], codes[tr], codes[va]
            rows = tr
        self.last_target_rows = rows
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
        self.last_target_rows = np.arange(Xa.shape[0])
        self.last_targets = None
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
        # the targets this epoch sets, per sample (level indices; kept when the epoch ends)
        self._epoch_targets = [np.zeros((n, lv_n), dtype=np.int8) for lv_n in self._hidden_widths()]
        self._batch_rows: np.ndarray | None = None
        self._deadline = deadline  # read by the exact unit and target steps
        try:
            # small matrices: one BLAS thread is several times faster than a contended pool
            with one_blas_thread():
                for s in range(0, n, bs):
                    idx = perm[s : s + bs]
                    self._batch_rows = idx
                    self._batch(Xs[idx], codes[idx], lr, acc)
                    seen += len(idx)
                    if deadline is not None and seen < n and time.perf_counter() > deadline:
                        self.history.partial_epoch = True
                        break
        finally:
            self._deadline = None
            self._batch_rows = None
        if seen == n:  # a whole epoch: every sample has its targets
            self.last_targets = self._epoch_targets
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

    # ------------------------------------------------------ mini-batch update
    # one mini-batch at a time: the forward pass, the top-down target and unit steps, and
    # the exact unit steps' bottom-up refit
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
                if self._batch_rows is not None:
                    self._epoch_targets[i - 1][self._batch_rows] = K
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
