"""Input validation shared by the whole package.

These helpers turn bad input into :class:`mixedopt.errors.ValidationError` with a message
that says what was expected, what came, and what to do, instead of a traceback from deep
inside numpy or a solver.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError

__all__ = [
    "check_X_y",
    "check_array",
    "check_labels",
    "check_positive",
    "check_targets",
    "check_time_limit",
    "encode_labels",
    "is_integral",
]


def check_array(
    X: Any,
    *,
    name: str = "X",
    ndim: int = 2,
    allow_empty: bool = False,
    dtype: Any = None,
) -> np.ndarray:
    """Return ``X`` as a finite numeric numpy array of the given dimension.

    Raises
    ------
    ValidationError
        If ``X`` is not numeric, has the wrong number of dimensions, is empty, or holds
        NaN / inf values.
    """
    try:
        arr = np.asarray(X) if dtype is None else np.asarray(X, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"{name} must be a numeric array; could not convert it ({exc})."
        ) from exc
    if arr.dtype == object or arr.dtype.kind in "USV":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"{name} must hold numbers, got dtype {arr.dtype}; encode categorical "
                "columns first (mixedopt.datasets.load does this for files)."
            ) from exc
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iuf":
        raise ValidationError(f"{name} must hold real numbers, got dtype {arr.dtype}.")
    if ndim == 2 and arr.ndim == 1:
        raise ValidationError(
            f"{name} must be 2-D with shape (n_samples, n_features), got a 1-D array of "
            f"shape {arr.shape}; use X.reshape(-1, 1) for a single feature or "
            "X.reshape(1, -1) for a single sample."
        )
    if arr.ndim != ndim:
        raise ValidationError(f"{name} must be {ndim}-D, got shape {arr.shape}.")
    if not allow_empty and arr.size == 0:
        raise ValidationError(f"{name} is empty (shape {arr.shape}); at least one value is needed.")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValidationError(
            f"{name} contains {n_bad} NaN or infinite value(s); impute or drop them first."
        )
    return arr


def check_labels(y: Any, *, name: str = "y", n_samples: int | None = None) -> np.ndarray:
    """Return ``y`` as a 1-D array of labels, checking its length against ``n_samples``."""
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValidationError(f"{name} must be 1-D (one label per sample), got shape {arr.shape}.")
    if arr.size == 0:
        raise ValidationError(f"{name} is empty; at least one labelled sample is needed.")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValidationError(f"{name} contains NaN or infinite labels; drop those samples.")
    if arr.dtype == object and any(v is None for v in arr):
        raise ValidationError(f"{name} contains missing labels (None); drop those samples.")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValidationError(
            f"X and {name} have different lengths: X has {n_samples} samples, {name} has "
            f"{arr.shape[0]} labels."
        )
    return arr


def check_X_y(
    X: Any, y: Any, *, min_classes: int = 2, dtype: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a design matrix and its labels together.

    Raises
    ------
    ValidationError
        On any problem :func:`check_array` / :func:`check_labels` detect, or when ``y``
        has fewer than ``min_classes`` distinct labels.
    """
    Xa = check_array(X, dtype=dtype)
    ya = check_labels(y, n_samples=Xa.shape[0])
    if min_classes > 1:
        n_cls = np.unique(ya).size
        if n_cls < min_classes:
            raise ValidationError(
                f"y has {n_cls} distinct class(es) ({np.unique(ya)[:5].tolist()}); "
                f"at least {min_classes} are needed to train a classifier."
            )
    return Xa, ya


def encode_labels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map labels to ``0..k-1``; return ``(classes, codes)`` with ``classes[codes] == y``."""
    classes, codes = np.unique(y, return_inverse=True)
    return classes, codes.astype(np.int64)


def check_targets(t: Any, *, name: str = "t", n_samples: int | None = None) -> np.ndarray:
    """Return ±1 targets as an ``int8`` array; accepts {-1, +1}, {0, 1} or booleans."""
    arr = np.asarray(t)
    if arr.ndim != 1:
        raise ValidationError(f"{name} must be 1-D, got shape {arr.shape}.")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValidationError(
            f"{name} must have one target per row: expected {n_samples}, got {arr.shape[0]}."
        )
    if arr.dtype.kind == "b":
        return np.where(arr, 1, -1).astype(np.int8)
    try:
        vals = set(np.unique(arr).tolist())
    except TypeError as exc:
        raise ValidationError(f"{name} must hold ±1 targets, got dtype {arr.dtype}.") from exc
    if vals <= {-1, 1}:
        return arr.astype(np.int8)
    if vals <= {0, 1}:
        return (2 * arr.astype(np.int8) - 1).astype(np.int8)
    raise ValidationError(
        f"{name} must hold targets in {{-1, +1}} (or {{0, 1}}), got values {sorted(vals)[:6]}."
    )


def check_positive(
    value: Any, *, name: str, allow_none: bool = False, integer: bool = False
) -> Any:
    """Check that ``value`` is a finite number > 0 (or None when ``allow_none``)."""
    if value is None:
        if allow_none:
            return None
        raise ValidationError(f"{name} must be a positive number, got None.")
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValidationError(f"{name} must be a positive number, got {value!r}.")
    if not math.isfinite(float(value)) or value <= 0:
        raise ValidationError(f"{name} must be a finite number > 0, got {value!r}.")
    if integer and int(value) != value:
        raise ValidationError(f"{name} must be a positive integer, got {value!r}.")
    return int(value) if integer else value


def check_time_limit(time_limit: Any) -> float | None:
    """Validate a solver time limit in seconds (None means no limit)."""
    if time_limit is None:
        return None
    return float(check_positive(time_limit, name="time_limit"))


def is_integral(A: np.ndarray) -> bool:
    """True when every entry of ``A`` is an integer value (any dtype)."""
    if A.dtype.kind in "iub":
        return True
    if A.dtype.kind != "f":
        return False
    return bool(np.all(np.abs(A) < 2**53) and np.all(A == np.round(A)))


def as_sequence_of_ints(value: Any, *, name: str) -> list[int]:
    """Parse an int, a sequence of ints, or a comma-separated string into a list of ints."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        try:
            return [int(p) for p in parts]
        except ValueError as exc:
            raise ValidationError(
                f"{name} must be comma-separated integers like '64,32', got {value!r}."
            ) from exc
    if isinstance(value, (int, np.integer)):
        return [int(value)]
    if isinstance(value, Sequence) or isinstance(value, np.ndarray):
        out = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise ValidationError(f"{name} must hold integers, got {v!r} in {value!r}.")
            out.append(int(v))
        return out
    raise ValidationError(f"{name} must be an int or a sequence of ints, got {value!r}.")
