"""Argument checks and the options every per-unit fit shares (loss weight, bounds, deadline)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.validation import check_array, check_targets, check_time_limit

#: names accepted by ``fit_unit(method=...)``
METHODS: tuple[str, ...] = ("lp", "max-margin", "hinge", "integer", "perceptron")


@dataclass
class Opts:
    C: float
    weight_bound: int | None
    deadline: float | None
    time_limit: float | None
    seed: int
    max_iter: int
    conflict: bool
    n_iter_no_change: int | None = None

    def copy(self) -> Opts:
        return replace(self)


def remaining(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.perf_counter()


def expired(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() > deadline


def check_method(method: Any) -> str:
    if not isinstance(method, str) or method not in METHODS:
        raise ValidationError(
            f"unknown method {method!r}; choose one of: {', '.join(repr(m) for m in METHODS)}."
        )
    return method


def check_sample_weight(sample_weight: Any, m: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(m)
    sw = check_array(sample_weight, name="sample_weight", ndim=1).astype(np.float64)
    if sw.shape[0] != m:
        raise ValidationError(
            f"sample_weight must have one weight per example: expected {m}, got {sw.shape[0]}."
        )
    if np.any(sw < 0):
        raise ValidationError(
            f"sample_weight must be nonnegative; {int(np.sum(sw < 0))} weight(s) are negative."
        )
    if not np.any(sw > 0):
        raise ValidationError("sample_weight is all zero; at least one example must count.")
    return sw


def _check_pos_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValidationError(f"{name} must be a positive number, got {value!r}.")
    if not math.isfinite(float(value)) or value <= 0:
        raise ValidationError(f"{name} must be a finite number > 0, got {value!r}.")
    return float(value)


def _check_pos_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise ValidationError(f"{name} must be a positive integer, got {value!r}.")
    if not math.isfinite(float(value)) or value < 1 or int(value) != value:
        raise ValidationError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _check_seed(seed: Any) -> int:
    if seed is None:
        return 0
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError(f"seed must be a nonnegative integer, got {seed!r}.")
    return int(seed)


def _check_patience(value: Any) -> int | None:
    return None if value is None else _check_pos_int(value, "n_iter_no_change")


#: inputs beyond this magnitude overflow when squared (the soft-margin fits and the
#: standardisation square them); nonzero inputs all below its inverse underflow to 0
_MAX_ABS_INPUT = 1e150


def check_magnitude(arr: np.ndarray, name: str = "A") -> None:
    """Refuse inputs float64 cannot square (about 1e154) instead of an OverflowError or a
    ZeroDivisionError from deep inside a fit."""
    if arr.dtype.kind != "f" or arr.size == 0:
        return
    big = float(np.max(np.abs(arr)))
    if big > _MAX_ABS_INPUT:
        raise ValidationError(
            f"{name} holds values as large as {big:g}; the fits work in float64 and square "
            f"their inputs, which overflows beyond about {_MAX_ABS_INPUT:g}. Rescale {name}, "
            "e.g. divide it by a power of 2 (scaling every input by the same positive "
            "number does not change which targets a unit can fit)."
        )
    if 0.0 < big < 1.0 / _MAX_ABS_INPUT:
        raise ValidationError(
            f"{name} holds only values as small as {big:g}, whose squares underflow to 0 "
            f"in float64. Rescale {name}, e.g. multiply it by {1.0 / big:g} (scaling every "
            "input by the same positive number does not change which targets a unit can "
            "fit)."
        )


def check_inputs(A: Any, t: Any) -> tuple[np.ndarray, np.ndarray]:
    arr = check_array(A, name="A")
    check_magnitude(arr)
    tt = check_targets(t, name="t", n_samples=arr.shape[0])
    return arr, tt


def make_opts(
    *,
    C: Any,
    weight_bound: Any,
    time_limit: Any,
    seed: Any,
    max_iter: Any,
    conflict: Any,
    n_iter_no_change: Any = None,
) -> Opts:
    tl = check_time_limit(time_limit)
    return Opts(
        C=_check_pos_float(C, "C"),
        weight_bound=None if weight_bound is None else _check_pos_int(weight_bound, "weight_bound"),
        deadline=None,
        time_limit=tl,
        seed=_check_seed(seed),
        max_iter=_check_pos_int(max_iter, "max_iter"),
        conflict=bool(conflict),
        n_iter_no_change=_check_patience(n_iter_no_change),
    )
