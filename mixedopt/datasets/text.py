"""Reading text data files: bytes to lines with clear errors, fields, missing-value tokens."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

from mixedopt.errors import DataError

#: Field values read as "missing" in KEEL and CSV files (compared case-insensitively).
MISSING_TOKENS = frozenset({"?", "<null>", "", "na", "n/a", "nan", "null"})


def decode_lines(data: bytes, source: str) -> list[str]:
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


def read_bytes(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    p = Path(path)
    if not p.exists():
        raise DataError(f"data file not found: {str(p)!r}.")
    if p.is_dir():
        raise DataError(f"{str(p)!r} is a directory, not a data file.")
    try:
        return p.read_bytes(), str(p)
    except OSError as exc:
        raise DataError(f"could not read data file {str(p)!r}: {exc}.") from exc


def split_fields(line: str, delimiter: str, source: str, lineno: int) -> list[str]:
    if '"' in line:
        try:
            rows = list(csv.reader([line], delimiter=delimiter, strict=True))
        except csv.Error as exc:
            raise DataError(f"{source}, line {lineno}: malformed quoted field ({exc}).") from exc
        fields = rows[0] if rows else []
    else:
        fields = line.split(delimiter)
    return [f.strip() for f in fields]


def unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    return s


def is_missing(token: str) -> bool:
    return token.lower() in MISSING_TOKENS


def try_float(token: str) -> float | None:
    try:
        v = float(token)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def tokenize(
    lines: list[tuple[int, str]], delimiter: str, source: str, n_expected: int | None, why: str
) -> tuple[list[list[str]], list[int]]:
    rows: list[list[str]] = []
    linenos: list[int] = []
    first_line = None
    for lineno, line in lines:
        fields = split_fields(line, delimiter, source, lineno)
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
