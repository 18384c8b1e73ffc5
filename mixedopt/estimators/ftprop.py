"""FTPropClassifier: a scikit-learn classifier trained by FTPROP-MB.

Examples
--------
>>> import mixedopt as mo
>>> X, y = mo.datasets.load("breast_cancer")
>>> clf = mo.FTPropClassifier(hidden=(16,), max_iter=200, random_state=0).fit(X, y)
>>> clf.score(X, y) > 0.9, clf.net_.sizes
(True, [30, 16, 1])
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from mixedopt.errors import ValidationError
from mixedopt.estimators.base import (
    ThresholdClassifierBase,
    check_verbose,
    say,
    seed_from,
)
from mixedopt.ftprop.trainer import FTPropConfig, FTPropTrainer

__all__ = ["FTPropClassifier"]

logger = logging.getLogger(__name__)

# estimator parameters that are FTPropConfig fields (the rest: warm_start, verbose, time_limit)
_CONFIG_PARAMS = tuple(f for f in FTPropConfig.field_names())


class FTPropClassifier(ThresholdClassifierBase):
    """Hard-threshold network classifier trained by mini-batch feasible target propagation.

    Sign (or step / staircase) hidden units; one output unit for two classes, one per class
    otherwise. See :mod:`mixedopt.ftprop.trainer` for the algorithm and
    :class:`mixedopt.ftprop.config.FTPropConfig` for every parameter.

    Parameters
    ----------
    hidden : tuple of int, default (64, 32)
        Hidden-layer widths.
    activation : str, default "sign"
        ``"sign"``, ``"step"`` or ``"staircase<n>"`` (or a tuple, one per hidden layer).
    target_step : {"gradient", "greedy", "exact"}, default "gradient"
        How the hidden targets are chosen on each mini-batch.
    unit_loss : {"soft-hinge", "hinge", "saturated-hinge", "linear"}, default "soft-hinge"
        Per-unit loss of the hidden units.
    temperature : float, default 1.0
        Width of the soft hinge, ``τ (1 - tanh(t z / τ))``.
    scale_by_grad_out : bool, default True
        Weight each hidden target by how much the layer above needs it (False: equal
        weights).
    max_norm : float or None, default None
        Bound on the Euclidean norm of each hidden unit's ``(w, b)`` (None: off).
    unit_step : {"gradient", "lp", "hinge"}, default "gradient"
        Optimiser steps, or an exact per-unit refit with :func:`mixedopt.fit_unit`.
    unit_updates : int, default 1
        Optimiser steps per layer and batch.
    loss : {"cross-entropy", "hinge"}, default "cross-entropy"
        Output loss.
    batch_size : int or None, default 128
        Mini-batch size (None: full batch).
    max_iter : int, default 100
        Most epochs.
    learning_rate : float, default 0.01
    optimizer : {"adam", "sgd"}, default "adam"
    lr_schedule : {"constant", "cosine", "step"}, default "constant"
    weight_decay : float, default 0.0
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the data (stratified) and stop when its accuracy
        has not improved by ``tol`` for ``n_iter_no_change`` epochs; the best weights are
        kept.
    validation_fraction : float, default 0.1
    n_iter_no_change : int, default 10
    tol : float, default 1e-4
        Without early stopping, training stops when the training loss has not improved by
        ``tol`` for ``n_iter_no_change`` epochs.
    max_flips : int or None, default 1
        Greedy / exact target steps: targets within this many one-level moves of the
        activations, per sample and batch (None: unlimited).
    complete_targets : bool, default False
        Greedy / exact: also point the units the move budget left undone at their better
        level, weighted by the change of the target objective.
    exact_time_limit : float or None, default 0.1
        Seconds per batch for the exact target step.
    exact_backend : {"auto", "enumerate", "highs", "assign-targets"}, default "auto"
    exact_enum_limit : int, default 4096
    unit_time_limit : float or None, default 1.0
        Seconds per unit for the exact unit steps.
    standardize : bool, default True
        Standardise the inputs internally (folded into the first layer of ``net_``).
    random_state : int, RandomState or None, default None
    warm_start : bool, default False
        Continue from the previous fit's weights. Only while the network's shape is
        unchanged (same number of features, ``hidden``, ``activation`` and classes);
        otherwise ``fit`` warns and starts from new random weights. Other settings
        (``learning_rate``, ``optimizer``, ...) take effect on the next ``fit``; a new
        ``optimizer`` starts with a fresh state.
    verbose : int, default 0
        ``1``: print a line per epoch on stdout (loss, accuracies), as scikit-learn
        estimators do, with no logging to configure. The lines also go to the
        ``mixedopt.estimators.ftprop`` logger at DEBUG level.
    time_limit : float or None, default None
        Wall-clock budget of one ``fit`` in seconds, checked between mini-batches; when it
        stops training, ``history_.stop_reason`` is ``"time_limit"`` (and
        ``history_.partial_epoch`` says whether the last epoch was cut short).

    Attributes
    ----------
    net_ : ThresholdNet
        The trained network (takes the raw inputs).
    classes_ : ndarray
        The labels.
    history_ : History
        Per-epoch loss, accuracy, validation scores, and per-layer fractions of targets
        violated and flipped.
    n_iter_ : int
        Epochs trained.
    loss_curve_ : list of float
        Training loss per epoch.
    n_features_in_ : int

    Examples
    --------
    >>> import mixedopt as mo
    >>> X, y = mo.datasets.load("parity3")
    >>> clf = mo.FTPropClassifier(hidden=(8,), batch_size=None, max_iter=1000,
    ...                           random_state=0).fit(X, y)
    >>> clf.score(X, y)
    1.0
    """

    def __init__(
        self,
        *,
        hidden: tuple[int, ...] = (64, 32),
        activation: str = "sign",
        target_step: str = "gradient",
        unit_loss: str = "soft-hinge",
        temperature: float = 1.0,
        scale_by_grad_out: bool = True,
        max_norm: float | None = None,
        unit_step: str = "gradient",
        unit_updates: int = 1,
        loss: str = "cross-entropy",
        batch_size: int | None = 128,
        max_iter: int = 100,
        learning_rate: float = 0.01,
        optimizer: str = "adam",
        lr_schedule: str = "constant",
        weight_decay: float = 0.0,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        max_flips: int | None = 1,
        complete_targets: bool = False,
        exact_time_limit: float | None = 0.1,
        exact_backend: str = "auto",
        exact_enum_limit: int = 4096,
        unit_time_limit: float | None = 1.0,
        standardize: bool = True,
        random_state: Any = None,
        warm_start: bool = False,
        verbose: int = 0,
        time_limit: float | None = None,
    ) -> None:
        self.hidden = hidden
        self.activation = activation
        self.target_step = target_step
        self.unit_loss = unit_loss
        self.temperature = temperature
        self.scale_by_grad_out = scale_by_grad_out
        self.max_norm = max_norm
        self.unit_step = unit_step
        self.unit_updates = unit_updates
        self.loss = loss
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.max_flips = max_flips
        self.complete_targets = complete_targets
        self.exact_time_limit = exact_time_limit
        self.exact_backend = exact_backend
        self.exact_enum_limit = exact_enum_limit
        self.unit_time_limit = unit_time_limit
        self.standardize = standardize
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.time_limit = time_limit

    # ------------------------------------------------------------------ helpers
    def _config(self) -> FTPropConfig:
        params = {k: getattr(self, k) for k in _CONFIG_PARAMS}
        params["random_state"] = seed_from(self.random_state)
        check_verbose(self.verbose)
        if self.time_limit is not None and (
            isinstance(self.time_limit, bool)
            or not isinstance(self.time_limit, (int, float))
            or not self.time_limit > 0
        ):
            raise ValidationError(f"time_limit must be None or > 0, got {self.time_limit!r}.")
        return FTPropConfig(**params).validated()

    def _log_epoch(self, callback: Callable[[dict[str, Any]], Any] | None) -> Any:
        verbose = check_verbose(self.verbose)

        def cb(rec: dict[str, Any]) -> None:
            val = rec["val_accuracy"]
            line = (
                f"epoch {rec['epoch']}: loss {rec['loss']:.4f}, train accuracy "
                f"{rec['train_accuracy']:.4f}"
                + ("" if val is None else f", validation accuracy {val:.4f}")
            )
            logger.debug(line)
            if verbose:
                say("FTPropClassifier", line)
            if callback is not None:
                callback(rec)

        return cb

    def _set_fitted(self, trainer: FTPropTrainer) -> None:
        self._trainer = trainer
        self.net_ = trainer.net()
        self.classes_ = trainer.classes
        self.history_ = trainer.history
        self.n_iter_ = trainer.epochs_done
        self.loss_curve_ = list(trainer.history.loss)

    # ---------------------------------------------------------------------- API
    def fit(
        self, X: Any, y: Any, *, callback: Callable[[dict[str, Any]], Any] | None = None
    ) -> FTPropClassifier:
        """Train on ``(X, y)``.

        Parameters
        ----------
        callback : callable, optional
            Called after every epoch with the epoch's record (a dict).

        Returns
        -------
        self
        """
        cfg = self._config()
        X, y = self._validate_training_data(X, y)
        previous = getattr(self, "_trainer", None)
        if self.warm_start and previous is not None:
            trainer = previous
            trainer.config = cfg
        else:
            trainer = FTPropTrainer(cfg)
        trainer.fit(
            X,
            y,
            warm_start=self.warm_start,
            callback=self._log_epoch(callback),
            time_limit=self.time_limit,
        )
        self._set_fitted(trainer)
        trainer.keep_targets(self.net_, X)
        if trainer.history.stop_reason == "max_iter":
            warnings.warn(
                f"FTPropClassifier: max_iter={cfg.max_iter} epochs reached and the "
                f"{'validation score' if cfg.early_stopping else 'training loss'} was still "
                "improving; raise max_iter or the learning rate.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> FTPropClassifier:
        """One epoch over ``(X, y)``.

        Parameters
        ----------
        classes : array-like, optional
            Every label that can appear; required on the first call.

        Returns
        -------
        self
        """
        trainer = getattr(self, "_trainer", None)
        first = trainer is None
        if first and classes is None:
            raise ValidationError(
                "classes must be passed on the first call to partial_fit (all labels that can "
                "ever appear)."
            )
        shape = np.shape(X)
        if not first and len(shape) == 2 and shape[1] != self.n_features_in_:
            raise ValidationError(
                f"X has {shape[1]} features, but FTPropClassifier is expecting "
                f"{self.n_features_in_} features as input; partial_fit cannot change the "
                "inputs (call fit to train a new network)."
            )
        X, y = self._validate_training_data(X, y, reset=first, min_classes=1)
        if first:
            cls = np.unique(np.asarray(classes))
            if cls.size < 2:
                raise ValidationError(
                    f"classes lists {cls.size} class but a classifier needs at least 2."
                )
            trainer = FTPropTrainer(self._config())
        else:
            assert trainer is not None
            trainer.config = self._config()  # changed settings take effect (not the shape)
        assert trainer is not None
        trainer.partial_fit(X, y, classes=classes)
        self._set_fitted(trainer)
        return self
