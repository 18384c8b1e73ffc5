"""Delimited text files (CSV, TSV) with an optional header line: :func:`read_csv`."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from mixedopt.datasets.table import DatasetInfo, Table, finish
from mixedopt.datasets.tabular import Column, assemble, resolve_label
from mixedopt.datasets.text import (
    decode_lines,
    is_missing,
    read_bytes,
    split_fields,
    tokenize,
    try_float,
)
from mixedopt.errors import DataError, ValidationError

__all__ = ["read_csv"]

logger = logging.getLogger(__name__)


def _looks_like_header(first: list[str], rest: list[list[str]]) -> bool:
    if not first or any(is_missing(f) for f in first):
        return False
    if any(try_float(f) is not None for f in first):
        return False
    if not rest:
        return True
    for j in range(len(first)):
        col = [r[j] for r in rest if j < len(r)]
        if col and all(try_float(v) is not None or is_missing(v) for v in col):
            return True  # a text cell on top of a numeric column
    # all-text data: a header row rarely repeats a value of its own column
    return all(name not in {r[j] for r in rest if j < len(r)} for j, name in enumerate(first))


def parse_csv(
    data: bytes,
    source: str,
    *,
    label_column: int | str,
    header: bool | str | None,
    delimiter: str,
    dropna: bool,
) -> Table:
    lines = decode_lines(data, source)
    body = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip()]
    if not body:
        raise DataError(f"{source}: the file is empty (line 1); it needs at least one data row.")
    if header not in ("infer", True, False, None):
        raise ValidationError(f"header must be 'infer', True or False, got {header!r}.")
    first = split_fields(body[0][1], delimiter, source, body[0][0])
    if header == "infer":
        if isinstance(label_column, str):
            has_header = True
        else:
            peek = [split_fields(ln, delimiter, source, no) for no, ln in body[1:50]]
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
        rows, linenos = tokenize(
            body[1:], delimiter, source, len(names), f"one per header column, line {body[0][0]}"
        )
    else:
        rows, linenos = tokenize(body, delimiter, source, None, "")
        names = [f"col{j}" for j in range(len(rows[0]))]
    if len(names) < 2:
        raise DataError(
            f"{source}, line {body[0][0]}: only one column; a data file needs at least one "
            f"feature column and a label column (is the delimiter {delimiter!r} right?)."
        )
    lab = resolve_label(label_column, names, source)
    columns = [Column(n) for n in names]
    feats = [j for j in range(len(names)) if j != lab]
    table = assemble(rows, linenos, columns, lab, feats, source=source, dropna=dropna)
    if isinstance(label_column, int) and label_column == -1:
        _check_default_label(table.y, names[lab], source)
    table.name = Path(source).stem
    table.description = "CSV file" + (" with header" if has_header else "")
    return table


def _check_default_label(y: np.ndarray, name: str, source: str) -> None:
    """The last column is the label by default; refuse it when it looks like a feature
    (non-integer numbers, or nearly one distinct value per row) instead of silently
    training on a file without a label column."""
    m = y.shape[0]
    why = None
    if y.dtype.kind == "f":
        frac = y[y != np.round(y)]
        why = f"holds non-integer numbers (e.g. {frac[0].item()!r})"
    else:
        k = np.unique(y).size
        if m >= 20 and k > max(20, m // 2):
            why = f"holds {k} distinct values in {m} rows"
    if why is not None:
        raise DataError(
            f"{source}: the label is the last column {name!r} by default, but it {why}: it "
            "looks like a feature, so the file may have no label column. Name the label "
            "column: label_column='NAME' or an index (command line: --data "
            f"'{source}:label_column=NAME')."
        )
    logger.info("%s: using the last column %r as the label", source, name)


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
        Index of the label column, or its name (which implies a header line). The default,
        the last column, is refused when it holds non-integer numbers or nearly one value
        per row: such a column is a feature, and the file may lack a label column.
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
    data, source = read_bytes(path)
    if delimiter is None:
        delimiter = "\t" if str(path).lower().endswith(".tsv") else ","
    table = parse_csv(
        data,
        source,
        label_column=label_column,
        header=header,
        delimiter=delimiter,
        dropna=dropna,
    )
    return finish(table, standardize=standardize, binarize=None, return_info=return_info)
