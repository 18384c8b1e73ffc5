"""Settings and training history of FTPROP-MB (:mod:`mixedopt.ftprop.trainer`).

Examples
--------
>>> from mixedopt.ftprop.config import FTPropConfig
>>> cfg = FTPropConfig(hidden="16,8", target_step="greedy").validated()
>>> cfg.hidden, cfg.activations
((16, 8), ('sign', 'sign'))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np

from mixedopt import activations as _act
from mixedopt.errors import ValidationError
from mixedopt.ftprop.optimizers import OPTIMIZERS, SCHEDULES
from mixedopt.ftprop.target_steps import TARGET_STEPS
from mixedopt.ftprop.unit_steps import check_output_loss, check_unit_loss
from mixedopt.validation import as_sequence_of_ints

__all__ = ["UNIT_STEPS", "FTPropConfig", "History"]

UNIT_STEPS = ("gradient", "lp", "hinge")


@dataclass(frozen=True)
class FTPropConfig:
    """Every setting of an FTPROP-MB run (see :func:`mixedopt.ftprop.trainer.train_ftprop`).

    Parameters
    ----------
    hidden : sequence of int or str
        Hidden-layer widths, e.g. ``(64, 32)`` or ``"64,32"``.
    activation : str or sequence of str
        ``"sign"``, ``"step"`` or ``"staircase<n>"``, for all hidden layers or one each.
    target_step : {"gradient", "greedy", "exact"}
        How hidden targets are chosen on each mini-batch (:mod:`~mixedopt.ftprop.target_steps`).
    unit_loss : {"soft-hinge", "hinge", "saturated-hinge", "linear"}
        Per-unit loss of the hidden units (:mod:`~mixedopt.ftprop.unit_steps`).
    temperature : float
        Width τ of the soft hinge, ``τ (1 - tanh(t z / τ))`` (slope -1 at the threshold for
        every τ; τ = 1 is the paper's FTP-SH, τ → ∞ the plain STE). Other unit losses
        ignore it.
    scale_by_grad_out : bool
        Weight each hidden target by how much the layer above needs it (``|dL/dh|`` for the
        gradient step, the finite-difference rise for greedy / exact; the paper's
        default). False: every target the layer above cares about (non-zero weight) gets
        the same weight ``1 / batch size`` (the paper's ``--no-tp-grad-scale``).
    max_norm : float or None
        After every unit step, scale each hidden unit's ``(w, b)`` down to this Euclidean
        norm when it is longer (a max-norm constraint; None: off). Sign and step units
        compute the same function at any positive scale, so this only keeps their
        pre-activations in the range where the unit loss has slope.
    unit_step : {"gradient", "lp", "hinge"}
        ``gradient``: ``unit_updates`` optimiser steps on the unit loss. ``lp`` / ``hinge``:
        refit each sign unit on the batch with :func:`mixedopt.fit_unit` (weights are
        replaced, so use it with full batches); staircase units and a multi-class output
        layer still take gradient steps.
    unit_updates : int
        Optimiser steps per layer and batch.
    loss : {"cross-entropy", "hinge"}
        Output loss on the output pre-activation (logistic / softmax, or binary /
        Crammer–Singer hinge).
    batch_size : int or None
        Mini-batch size; None means the full training set.
    max_iter : int
        Most epochs.
    learning_rate, optimizer, lr_schedule, weight_decay
        ``adam`` or ``sgd`` (momentum 0.9), schedule ``constant``, ``cosine`` or ``step``
        (×0.1 at 50 % and 75 % of ``max_iter``), coupled L2 weight decay.
    early_stopping, validation_fraction, n_iter_no_change, tol
        Stop when the validation accuracy (with ``early_stopping``; the best weights are
        kept) or else the training loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs.
    max_flips : int or None
        Greedy and exact target steps: targets stay within this many one-level moves of the
        activations, per sample and batch (None: no limit; greedy then runs to a local
        optimum). The default 1 keeps targets close to what the layer below realises.
    complete_targets : bool
        Greedy and exact target steps: after the search, point every unit at its best level
        given the others (also those the move budget left undone), weighted by the change
        of the target objective (:func:`~mixedopt.ftprop.target_steps.complete_targets`).
    exact_time_limit : float or None
        Seconds per batch for the exact target step (greedy when it runs out).
    exact_backend : {"auto", "enumerate", "highs", "assign-targets"}
        Solver of the exact target step (``assign-targets``: realisable targets by
        :func:`mixedopt.assign_targets`, sign layers, small batches).
    exact_enum_limit : int
        Enumerate all codes of a layer when there are at most this many.
    unit_time_limit : float or None
        Seconds per unit for ``unit_step`` ``lp`` / ``hinge``.
    standardize : bool
        Train on standardised inputs and fold the scaling into the first layer.
    random_state : int or None
        Seed of the initial weights, the shuffles and the validation split.
    """

    hidden: Any = (64, 32)
    activation: Any = "sign"
    target_step: str = "gradient"
    unit_loss: str = "soft-hinge"
    temperature: float = 1.0
    scale_by_grad_out: bool = True
    max_norm: float | None = None
    unit_step: str = "gradient"
    unit_updates: int = 1
    loss: str = "cross-entropy"
    batch_size: int | None = 128
    max_iter: int = 100
    learning_rate: float = 0.01
    optimizer: str = "adam"
    lr_schedule: str = "constant"
    weight_decay: float = 0.0
    early_stopping: bool = False
    validation_fraction: float = 0.1
    n_iter_no_change: int = 10
    tol: float = 1e-4
    max_flips: int | None = 1
    complete_targets: bool = False
    exact_time_limit: float | None = 0.1
    exact_backend: str = "auto"
    exact_enum_limit: int = 4096
    unit_time_limit: float | None = 1.0
    standardize: bool = True
    random_state: int | None = None

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @property
    def activations(self) -> tuple[str, ...]:
        """One activation name per hidden layer (after :meth:`validated`)."""
        return tuple(self.activation)

    def validated(self) -> FTPropConfig:
        """A copy with normalised values; raises :class:`ValidationError` on bad settings."""
        hidden = tuple(as_sequence_of_ints(self.hidden, name="hidden"))
        if not hidden or any(h < 1 for h in hidden):
            raise ValidationError(
                f"hidden must list at least one positive layer width, got {self.hidden!r}."
            )
        acts = [self.activation] if isinstance(self.activation, str) else list(self.activation)
        if len(acts) == 1:
            acts = acts * len(hidden)
        if len(acts) != len(hidden):
            raise ValidationError(
                f"activation lists {len(acts)} names for {len(hidden)} hidden layers; give one "
                "name for all or one per layer."
            )
        acts = [_act.get(a).name for a in acts]
        if any(a == "step01" for a in acts):  # pragma: no cover - alias of step
            acts = ["step" if a == "step01" else a for a in acts]
        step = _choice(self.target_step, TARGET_STEPS, "target_step")
        unit_loss = check_unit_loss(self.unit_loss)
        if unit_loss == "linear" and any(a.startswith("staircase") for a in acts):
            raise ValidationError(
                "unit_loss='linear' (the plain STE) is defined for sign and step units only; "
                "use 'soft-hinge' or 'saturated-hinge' with staircase activations."
            )
        unit_step = _choice(self.unit_step, UNIT_STEPS, "unit_step")
        loss = check_output_loss(self.loss)
        batch = self.batch_size
        if batch is not None:
            batch = _int(batch, "batch_size", 1)
        lr = _real(self.learning_rate, "learning_rate", positive=True)
        wd = _real(self.weight_decay, "weight_decay")
        vf = _real(self.validation_fraction, "validation_fraction")
        if not 0.0 < vf < 1.0:
            raise ValidationError(
                f"validation_fraction must be in (0, 1), got {self.validation_fraction!r}."
            )
        return replace(
            self,
            hidden=hidden,
            activation=tuple(acts),
            target_step=step,
            unit_loss=unit_loss,
            temperature=_real(self.temperature, "temperature", positive=True),
            scale_by_grad_out=_bool(self.scale_by_grad_out, "scale_by_grad_out"),
            max_norm=_opt_pos(self.max_norm, "max_norm"),
            unit_step=unit_step,
            unit_updates=_int(self.unit_updates, "unit_updates", 1),
            loss=loss,
            batch_size=batch,
            max_iter=_int(self.max_iter, "max_iter", 1),
            learning_rate=lr,
            optimizer=_choice(self.optimizer, OPTIMIZERS, "optimizer"),
            lr_schedule=_choice(self.lr_schedule, SCHEDULES, "lr_schedule"),
            weight_decay=wd,
            early_stopping=_bool(self.early_stopping, "early_stopping"),
            validation_fraction=vf,
            n_iter_no_change=_int(self.n_iter_no_change, "n_iter_no_change", 1),
            tol=_real(self.tol, "tol"),
            max_flips=None if self.max_flips is None else _int(self.max_flips, "max_flips", 0),
            complete_targets=_bool(self.complete_targets, "complete_targets"),
            exact_time_limit=_opt_pos(self.exact_time_limit, "exact_time_limit"),
            exact_backend=_choice(
                self.exact_backend,
                ("auto", "enumerate", "highs", "assign-targets"),
                "exact_backend",
            ),
            exact_enum_limit=_int(self.exact_enum_limit, "exact_enum_limit", 0),
            unit_time_limit=_opt_pos(self.unit_time_limit, "unit_time_limit"),
            standardize=_bool(self.standardize, "standardize"),
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hidden"] = list(d["hidden"]) if not isinstance(d["hidden"], str) else d["hidden"]
        if not isinstance(d["activation"], str):
            d["activation"] = list(d["activation"])
        if not isinstance(d["random_state"], (int, type(None))):
            d["random_state"] = None
        return d


def _choice(value: Any, choices: Sequence[str], name: str) -> str:
    if not isinstance(value, str) or value.lower() not in choices:
        raise ValidationError(f"{name} must be one of {tuple(choices)}, got {value!r}.")
    return value.lower()


def _int(value: Any, name: str, lo: int) -> int:
    if isinstance(value, bool) or (not isinstance(value, (int,)) and not _is_np_int(value)):
        raise ValidationError(f"{name} must be an integer >= {lo}, got {value!r}.")
    if int(value) < lo:
        raise ValidationError(f"{name} must be an integer >= {lo}, got {value!r}.")
    return int(value)


def _is_np_int(value: Any) -> bool:
    return isinstance(value, np.integer)


def _real(value: Any, name: str, positive: bool = False) -> float:
    if isinstance(value, bool) or (not isinstance(value, (int, float)) and not _is_np_real(value)):
        raise ValidationError(f"{name} must be a number, got {value!r}.")
    v = float(value)
    if not math.isfinite(v) or v < 0 or (positive and v == 0):
        rel = "> 0" if positive else ">= 0"
        raise ValidationError(f"{name} must be a finite number {rel}, got {value!r}.")
    return v


def _is_np_real(value: Any) -> bool:
    return isinstance(value, (np.integer, np.floating))


def _opt_pos(value: Any, name: str) -> float | None:
    if value is None:
        return None
    return _real(value, name, positive=True)


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValidationError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


@dataclass
class History:
    """Per-epoch record of an FTPROP-MB run (lists indexed by epoch).

    ``violated[e][l]``: fraction of layer ``l``'s targets (hidden layers, then the output
    layer against the labels) that its units miss right after their update, averaged over
    the batches of epoch ``e``. ``flipped[e][l]``: fraction of hidden layer ``l``'s targets
    that differ from its activations when set. ``target_objective[e][l]``: the layer above's
    loss at the chosen targets, summed over the epoch's batches (greedy and exact steps). For
    the exact step, ``greedy_objective[e][l]`` is what greedy reached on the same batches and
    ``exact_improved[e][l]`` the number of batches where exact did strictly better;
    ``exact_status[e]`` counts the batch outcomes (optimal / surrogate / fallback).
    """

    epoch: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float | None] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    violated: list[list[float]] = field(default_factory=list)
    flipped: list[list[float]] = field(default_factory=list)
    target_objective: list[list[float]] = field(default_factory=list)
    greedy_objective: list[list[float]] = field(default_factory=list)
    exact_improved: list[list[int]] = field(default_factory=list)
    n_batches: list[int] = field(default_factory=list)
    exact_status: list[dict[str, int]] = field(default_factory=list)
    stop_reason: str = ""
    interrupted: bool = False
    #: the last epoch was cut short by ``fit``'s time limit: its record covers only its
    #: first ``n_batches`` mini-batches
    partial_epoch: bool = False

    def __len__(self) -> int:
        return len(self.epoch)

    def append(self, record: dict[str, Any]) -> None:
        """Add one epoch's record (a dict with every list field's key)."""
        for key in (
            "epoch",
            "loss",
            "train_accuracy",
            "val_loss",
            "val_accuracy",
            "learning_rate",
            "time",
            "violated",
            "flipped",
            "target_objective",
            "greedy_objective",
            "exact_improved",
            "n_batches",
            "exact_status",
        ):
            getattr(self, key).append(record[key])

    def last(self) -> dict[str, Any]:
        """The latest epoch as a dict (empty when nothing was recorded)."""
        if not self.epoch:
            return {}
        d = self.to_dict()
        return {k: v[-1] for k, v in d.items() if isinstance(v, list)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable copy."""
        d = asdict(self)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})
