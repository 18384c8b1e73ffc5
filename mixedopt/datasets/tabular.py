"""Tokenized file rows to a numeric design matrix and labels: typed columns, missing values,
one-hot encoding of categorical columns, label parsing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mixedopt.datasets.table import Table
from mixedopt.datasets.text import is_missing, try_float, unquote
from mixedopt.errors import DataError, ValidationError

logger = logging.getLogger(__name__)


@dataclass
class Column:
    """Declared or inferred type of one file column."""

    name: str
    kind: str | None = None  # "numeric", "nominal", or None (infer)
    categories: list[str] | None = None  # declared nominal values (KEEL header)


def assemble(
    rows: list[list[str]],
    linenos: list[int],
    columns: list[Column],
    label_index: int,
    feature_indices: list[int],
    *,
    source: str,
    dropna: bool,
) -> Table:
    """Turn tokenized rows into a numeric design matrix and a label vector."""
    # missing values
    keep = []
    first_missing: tuple[int, str, str] | None = None
    used = [*feature_indices, label_index]
    for r, row in enumerate(rows):
        bad = next((j for j in used if is_missing(row[j])), None)
        if bad is None:
            keep.append(r)
        elif first_missing is None:
            first_missing = (linenos[r], columns[bad].name, row[bad])
    if first_missing is not None:
        if not dropna:
            ln, col, tok = first_missing
            n_bad = len(rows) - len(keep)
            raise DataError(
                f"{source}, line {ln}: missing value {tok!r} in column '{col}' "
                f"({n_bad} row(s) have missing values); pass dropna=True to drop those rows "
                "or impute them first."
            )
        logger.info("%s: dropped %d row(s) with missing values", source, len(rows) - len(keep))
        rows = [rows[r] for r in keep]
        linenos = [linenos[r] for r in keep]
        if not rows:
            raise DataError(f"{source}: every row has a missing value; nothing left to load.")

    blocks: list[np.ndarray] = []
    names: list[str] = []
    numeric: list[bool] = []
    m = len(rows)
    for j in feature_indices:
        col = columns[j]
        values = [row[j] for row in rows]
        if col.kind == "numeric":
            arr = _numeric_column(values, linenos, col.name, source)
            blocks.append(arr[:, None])
            names.append(col.name)
            numeric.append(True)
            continue
        if col.kind is None:
            arr = _as_floats(values)
            if arr is not None:
                blocks.append(arr[:, None])
                names.append(col.name)
                numeric.append(True)
                continue
            n_num = sum(try_float(v) is not None for v in values)
            if n_num:
                r = next(i for i, v in enumerate(values) if try_float(v) is None)
                logger.warning(
                    "%s: column '%s' mixes numbers and text (e.g. %r on line %d); "
                    "it is one-hot encoded as categorical",
                    source,
                    col.name,
                    values[r],
                    linenos[r],
                )
            cats = sorted(set(values))
        else:  # declared nominal
            cats = list(col.categories or [])
            allowed = set(cats)
            values = [unquote(v) for v in values]
            for r, v in enumerate(values):
                if v not in allowed:
                    raise DataError(
                        f"{source}, line {linenos[r]}: value {v!r} in column '{col.name}' is not "
                        f"one of the declared values {{{', '.join(cats)}}}."
                    )
        index = {c: k for k, c in enumerate(cats)}
        codes = np.fromiter((index[v] for v in values), dtype=np.int64, count=m)
        onehot = np.zeros((m, len(cats)), dtype=np.float64)
        onehot[np.arange(m), codes] = 1.0
        blocks.append(onehot)
        names.extend(f"{col.name}={c}" for c in cats)
        numeric.extend([False] * len(cats))

    X = np.hstack(blocks) if blocks else np.zeros((m, 0), dtype=np.float64)
    lab_col = columns[label_index]
    raw_labels = [row[label_index] for row in rows]
    if lab_col.kind == "numeric":
        y = _numeric_column(raw_labels, linenos, lab_col.name, source)
        if np.all(y == np.round(y)) and np.all(np.abs(y) < 2**53):
            y = y.astype(np.int64)
    else:
        if lab_col.kind == "nominal":
            raw_labels = [unquote(v) for v in raw_labels]
            allowed = set(lab_col.categories or [])
            for r, v in enumerate(raw_labels):
                if v not in allowed:
                    raise DataError(
                        f"{source}, line {linenos[r]}: label {v!r} is not one of the declared "
                        f"classes {{{', '.join(lab_col.categories or [])}}}."
                    )
        y = _labels_from_strings(raw_labels)
    return Table(X, y, names, np.array(numeric, dtype=bool), source=source)


def _as_floats(values: list[str]) -> np.ndarray | None:
    """The values as a finite float64 array, or None if any is not a finite number."""
    try:
        arr = np.array(values, dtype=np.float64)
    except ValueError:
        parsed = [try_float(v) for v in values]
        if any(v is None for v in parsed):
            return None
        arr = np.array(parsed, dtype=np.float64)
    return arr if np.all(np.isfinite(arr)) else None


def _numeric_column(values: list[str], linenos: list[int], name: str, source: str) -> np.ndarray:
    arr = _as_floats(values)
    if arr is None:
        r = next(i for i, v in enumerate(values) if try_float(v) is None)
        raise DataError(
            f"{source}, line {linenos[r]}: column '{name}' is numeric but holds "
            f"{values[r]!r}, which is not a finite number."
        )
    return arr


def _labels_from_strings(values: Sequence[str]) -> np.ndarray:
    """Numbers when every label parses as a finite number (int64 if all integral), else str."""
    try:
        num = np.array(values, dtype=np.float64)
    except ValueError:
        return np.array(values, dtype=str)
    if num.size and np.all(np.isfinite(num)):
        if np.all(num == np.round(num)) and np.all(np.abs(num) < 2**53):
            return num.astype(np.int64)
        return num
    return np.array(values, dtype=str)


def resolve_label(label_column: int | str, names: list[str], source: str) -> int:
    n = len(names)
    if isinstance(label_column, str):
        if label_column in names:
            return names.index(label_column)
        raise DataError(
            f"{source}: no column named {label_column!r}; columns are {names[:20]}"
            f"{' ...' if n > 20 else ''}."
        )
    if isinstance(label_column, bool) or not isinstance(label_column, (int, np.integer)):
        raise ValidationError(
            f"label_column must be a column index or a column name, got {label_column!r}."
        )
    if not -n <= label_column < n:
        raise DataError(f"{source}: label_column={label_column} is out of range for {n} columns.")
    return int(label_column) % n
