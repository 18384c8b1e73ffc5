"""Network state of the FTPROP-MB trainer (:mod:`mixedopt.ftprop.trainer`): initial weights,
the input scaling, the optimiser, warm-start checks and the network the weights define.

:class:`TrainerState` is the half of :class:`~mixedopt.ftprop.trainer.FTPropTrainer` that builds
and keeps the parameters: :meth:`~TrainerState.initialize` draws fresh weights (and the input
standardisation), :meth:`~TrainerState.architecture_changes` says whether training can continue
from them, ``_sync_settings`` makes changed optimiser / weight-decay / scaling settings take
effect, and :meth:`~TrainerState.net` folds the scaling into a
:class:`~mixedopt.network.ThresholdNet`. The trainer (epochs, ``fit`` / ``partial_fit``)
inherits it together with :class:`~mixedopt.ftprop.batch.MiniBatchUpdate`.

Examples
--------
>>> import numpy as np
>>> from mixedopt.ftprop.trainer import FTPropTrainer
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

from __future__ import annotations

import logging

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.ftprop.config import FTPropConfig, History
from mixedopt.ftprop.optimizers import Adam, Sgd, make_optimizer
from mixedopt.ftprop.unit_steps import Levels, levels_of
from mixedopt.network import ThresholdNet

__all__ = ["TrainerState"]

# the trainer's logger, as before this half of it had its own module
logger = logging.getLogger("mixedopt.ftprop.trainer")


class TrainerState:
    """The parameters of :class:`~mixedopt.ftprop.trainer.FTPropTrainer` and what builds, checks
    and exports them (a mixin: the trainer's ``__init__`` sets the attributes below)."""

    config: FTPropConfig
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    classes: np.ndarray | None
    levels: list[Levels]
    history: History
    epochs_done: int
    converged: bool
    n_features: int
    mean: np.ndarray
    std: np.ndarray
    _rng: np.random.Generator
    _standardized: bool
    _opt: Adam | Sgd
    _opt_name: str

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
