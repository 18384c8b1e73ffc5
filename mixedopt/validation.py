"""Input validation shared by the whole package.

These helpers turn bad input into :class:`mixedopt.errors.ValidationError` with a message
that says what was expected, what came, and what to do, instead of a traceback from deep
inside numpy or a solver.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError

__all__ = [
    "MAX_GENERATED_VALUES",
    "MAX_NET_CELLS",
    "MAX_NET_PARAMS",
    "MAX_WEIGHT_BOUND",
    "check_X_y",
    "check_array",
    "check_generated_size",
    "check_labels",
    "check_network_size",
    "check_positive",
    "check_targets",
    "check_time_limit",
    "check_weight_bound",
    "encode_labels",
    "is_integral",
    "non_numeric_columns",
]


def non_numeric_columns(X: Any, *, name: str = "X") -> None:
    """Refuse a data frame with non-numeric columns, naming them and how to encode them.

    Only objects with ``columns`` and ``dtypes`` (a pandas data frame) are looked at; pandas
    is not imported. Boolean columns count as numeric.

    Raises
    ------
    ValidationError
        When some columns hold strings, categories, dates or other non-numbers.
    """
    columns, dtypes = getattr(X, "columns", None), getattr(X, "dtypes", None)
    if columns is None or dtypes is None:
        return
    try:
        bad = [str(c) for c, dt in zip(columns, dtypes, strict=True) if not _numeric_dtype(dt)]
    except (TypeError, ValueError):
        return
    if not bad:
        return
    shown = ", ".join(repr(c) for c in bad[:8]) + (
        f" and {len(bad) - 8} more" if len(bad) > 8 else ""
    )
    raise ValidationError(
        f"{name} has {len(bad)} non-numeric column(s): {shown}; threshold networks need numbers. "
        f"Encode them first, e.g. pandas.get_dummies({name}, columns={bad[:8]!r}, dtype=float) or "
        "sklearn.preprocessing.OneHotEncoder / OrdinalEncoder (in a ColumnTransformer), or "
        "drop them."
    )


def _numeric_dtype(dtype: Any) -> bool:
    try:
        return np.dtype(dtype).kind in "biuf"
    except TypeError:  # a pandas extension dtype (category, string, nullable Int64, ...)
        kind = getattr(dtype, "kind", "O")
        return kind in "biuf"


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
    non_numeric_columns(X, name=name)
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


#: largest accepted ``weight_bound`` K (integer weights in ``[-K, K]``, or the box of real
#: weights): the exact models enumerate or multiply by K in 64-bit arithmetic, and
#: ``[-K, K]`` itself is materialised by the dichotomy and table methods
MAX_WEIGHT_BOUND = 10**6
#: largest network (weights + biases) the exact engine accepts (80 MB in float64): its
#: local search and exact forward passes copy the net and its activations many times; a
#: 2-1000000-1 net already overran a 5 s limit fourfold, a 2-10**7-1 net did not finish
MAX_NET_PARAMS = 10**7
#: largest ``n_samples x sum(hidden)`` table of hidden targets the exact engine accepts
MAX_NET_CELLS = 10**8


def check_weight_bound(weight_bound: Any, weights: str = "integer") -> Any:
    """Check a user's ``weight_bound`` (``None`` is the domain's default) and return it.

    It must be a finite number > 0, at most :data:`MAX_WEIGHT_BOUND`, and an integer for
    ``integer`` weights. Other checks (domain names, binary/ternary bounds) stay with the
    problem builders.

    >>> check_weight_bound(3)
    3
    >>> check_weight_bound(float("nan"))
    Traceback (most recent call last):
    ...
    mixedopt.errors.ValidationError: weight_bound must be a finite number > 0, got nan.
    """
    if weight_bound is None:
        return None
    if isinstance(weight_bound, bool) or not isinstance(
        weight_bound, (int, float, np.integer, np.floating)
    ):
        raise ValidationError(
            f"weight_bound must be a number (the largest absolute weight K), got {weight_bound!r}."
        )
    if not math.isfinite(float(weight_bound)) or weight_bound <= 0:
        raise ValidationError(f"weight_bound must be a finite number > 0, got {weight_bound!r}.")
    if weight_bound > MAX_WEIGHT_BOUND:
        shown = (
            f"{weight_bound:g}" if isinstance(weight_bound, (float, np.floating)) else weight_bound
        )
        why = (
            "a box that wide only rescales the margin and ruins the MIP's numerics; use a "
            "smaller box"
            if weights == "real"
            else "exact models work in 64-bit integers and enumerate [-K, K]; use a smaller "
            "bound (a few bits per weight are the point of integer weights) or weights='real'"
        )
        raise ValidationError(
            f"weight_bound={shown} is beyond the supported limit of {MAX_WEIGHT_BOUND:,} ({why})."
        )
    if weights == "integer" and int(weight_bound) != weight_bound:
        raise ValidationError(
            f"weight_bound must be a positive integer for integer weights, got {weight_bound!r}."
        )
    return weight_bound


def check_network_size(
    sizes: Sequence[int], n_samples: int | None = None, *, name: str = "hidden"
) -> None:
    """Refuse a network too large to allocate before any array is built.

    ``sizes`` are the layer widths ``[n_inputs, *hidden, n_outputs]``; the limits are
    :data:`MAX_NET_PARAMS` weights and biases and :data:`MAX_NET_CELLS` hidden targets
    (``n_samples * sum(hidden)``).

    >>> check_network_size([2, 10**9, 1], 20)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mixedopt.errors.ValidationError: hidden=[1000000000] gives a network of 4,000,000,001 ...
    """
    sz = [int(s) for s in sizes]
    params = sum((a + 1) * b for a, b in itertools.pairwise(sz))
    if params > MAX_NET_PARAMS:
        raise ValidationError(
            f"{name}={sz[1:-1]} gives a network of {params:,} weights and biases, beyond the "
            f"limit of {MAX_NET_PARAMS:,} ({MAX_NET_PARAMS * 8 // 10**6:,} MB in float64); "
            "use narrower layers."
        )
    cells = (n_samples or 0) * sum(sz[1:-1])
    if cells > MAX_NET_CELLS:
        raise ValidationError(
            f"{name}={sz[1:-1]} on {n_samples:,} examples needs {cells:,} hidden targets, "
            f"beyond the limit of {MAX_NET_CELLS:,}; use narrower layers or fewer examples."
        )


#: largest synthetic data set the generators build (``n_samples x n_features`` values:
#: 400 MB in float64 / int64)
MAX_GENERATED_VALUES = 5 * 10**7


def check_generated_size(
    n_samples: int, n_values_per_sample: int, *, name: str, per: str = "values"
) -> None:
    """Refuse a synthetic data set beyond :data:`MAX_GENERATED_VALUES` before drawing it.

    >>> check_generated_size(10**9, 6, name="planted: m")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mixedopt.errors.DataError: planted: m=1,000,000,000 samples x 6 values = 6,000,000,000 ...
    """
    from mixedopt.errors import DataError

    total = int(n_samples) * int(n_values_per_sample)
    if total > MAX_GENERATED_VALUES:
        gib = total * 8 / 2**30
        raise DataError(
            f"{name}={int(n_samples):,} samples x {int(n_values_per_sample)} {per} = "
            f"{total:,} values (about {gib:,.1f} GiB), beyond the limit of "
            f"{MAX_GENERATED_VALUES:,}; generate fewer samples."
        )
