"""Readers for two standard on-disk image formats: MNIST IDX files and CIFAR-10 batches.

Nothing is downloaded; point ``--data-dir`` at files you already have.

* **MNIST IDX** (also Fashion-MNIST, KMNIST): ``train-images-idx3-ubyte``,
  ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``,
  optionally gzipped (``.gz``); ``train-images.idx3-ubyte`` spellings work too. The format is
  plain binary: 2 zero bytes, a type code, the number of dimensions, big-endian ``uint32``
  sizes, then the data.
* **CIFAR-10 "python version"**: ``data_batch_1`` .. ``data_batch_5`` and ``test_batch``
  (the directory itself or its ``cifar-10-batches-py`` subfolder). These files are Python
  pickles in the official format, so reading them means unpickling. We unpickle with
  ``encoding="bytes"`` through a **restricted unpickler** that only rebuilds dicts, lists,
  bytes and numpy arrays and refuses every other global, so a tampered file cannot run code.
  Model files in mixedopt never use pickle.

Examples
--------
>>> import numpy as np, tempfile, os
>>> from mixedopt.torch.formats import read_idx, write_idx
>>> path = os.path.join(tempfile.mkdtemp(), "x-idx3-ubyte")
>>> write_idx(path, np.arange(8, dtype=np.uint8).reshape(2, 2, 2))
>>> read_idx(path).shape
(2, 2, 2)
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from mixedopt.errors import DataError

__all__ = ["read_cifar10", "read_idx", "read_mnist", "write_idx"]

_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES = {np.dtype(v).newbyteorder("=").str: k for k, v in _IDX_TYPES.items()}


def _read_maybe_gz(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: corrupt gzip file ({exc}).") from exc
    return data


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (gzipped or not) into a numpy array.

    Raises
    ------
    DataError
        If the file is missing, not IDX, or its size does not match its header.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"IDX file {p} not found.")
    data = _read_maybe_gz(p)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise DataError(f"{p} is not an IDX file (bad magic number {data[:4]!r}).")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{p}: truncated IDX header.")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_TYPES[data[2]]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise DataError(
            f"{p}: IDX header says shape {shape} ({expected} bytes) but the file has "
            f"{len(data)} bytes; the file is truncated or not IDX."
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzipped when ``path`` ends in ``.gz``)."""
    a = np.asarray(array)
    code = _IDX_CODES.get(a.dtype.newbyteorder("=").str)
    if code is None:
        raise DataError(f"IDX cannot store dtype {a.dtype}.")
    buf = io.BytesIO()
    buf.write(bytes([0, 0, code, a.ndim]))
    buf.write(np.asarray(a.shape, dtype=">u4").tobytes())
    buf.write(a.astype(_IDX_TYPES[code]).tobytes())
    raw = buf.getvalue()
    Path(path).write_bytes(gzip.compress(raw) if str(path).endswith(".gz") else raw)


def _find(directory: Path, stem: str) -> Path:
    for name in (stem, stem.replace("-idx", ".idx")):  # train-images.idx3-ubyte too
        for suffix in ("", ".gz"):
            p = directory / f"{name}{suffix}"
            if p.is_file():
                return p
    raise DataError(
        f"{directory}: no {stem}[.gz] file; MNIST needs train-images-idx3-ubyte, "
        "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte "
        "(optionally .gz). Nothing is downloaded."
    )


def read_mnist(
    directory: str | os.PathLike[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read an MNIST-style IDX directory: ``(X_train, y_train, X_test, y_test)``.

    Images come back as ``uint8`` arrays of shape ``(n, rows, cols)``.
    """
    d = Path(directory)
    if not d.is_dir():
        raise DataError(f"--data-dir {d} is not a directory.")
    out = []
    for split in ("train", "t10k"):
        X = read_idx(_find(d, f"{split}-images-idx3-ubyte"))
        y = read_idx(_find(d, f"{split}-labels-idx1-ubyte"))
        if X.ndim != 3 or y.ndim != 1 or X.shape[0] != y.shape[0]:
            raise DataError(
                f"{d}: {split} images {X.shape} and labels {y.shape} do not match "
                "(expected (n, rows, cols) and (n,))."
            )
        out += [X, y.astype(np.int64)]
    return out[0], out[1], out[2], out[3]


_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise DataError(
            f"refusing to unpickle {module}.{name}: a CIFAR-10 batch file holds only a dict "
            "of bytes, lists and numpy arrays."
        )


def _load_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with path.open("rb") as f:
            d = _RestrictedUnpickler(f, encoding="bytes").load()
    except DataError:
        raise
    except Exception as exc:  # any unpickling failure means a bad file
        raise DataError(f"{path}: not a CIFAR-10 python batch file ({exc}).") from exc
    if not isinstance(d, dict) or b"data" not in d or b"labels" not in d:
        raise DataError(f"{path}: expected a dict with b'data' and b'labels'.")
    X = np.asarray(d[b"data"], dtype=np.uint8)
    y = np.asarray(d[b"labels"], dtype=np.int64)
    if X.ndim != 2 or X.shape[1] != 3072 or X.shape[0] != y.shape[0]:
        raise DataError(
            f"{path}: data has shape {X.shape} and labels {y.shape}; CIFAR-10 batches hold "
            "(n, 3072) uint8 rows (3x32x32, channel-major) and n labels."
        )
    return X.reshape(-1, 3, 32, 32), y


def read_cifar10(
    directory: str | os.PathLike[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read the CIFAR-10 python batches: ``(X_train, y_train, X_test, y_test)``.

    Images come back as ``uint8`` arrays of shape ``(n, 3, 32, 32)``. Missing training
    batches are an error (all five are needed) unless none of ``data_batch_2..5`` exist, in
    which case a single ``data_batch_1`` is accepted (handy for small subsets).
    """
    d = Path(directory)
    if (d / "cifar-10-batches-py").is_dir():
        d = d / "cifar-10-batches-py"
    if not d.is_dir():
        raise DataError(f"--data-dir {d} is not a directory.")
    names = [f"data_batch_{i}" for i in range(1, 6)]
    present = [n for n in names if (d / n).is_file()]
    if not present or not (d / "test_batch").is_file():
        raise DataError(
            f"{d}: CIFAR-10 needs data_batch_1..data_batch_5 and test_batch (the 'python "
            "version' of the data set, unpacked). Nothing is downloaded."
        )
    if present != names[: len(present)] or (1 < len(present) < 5):
        missing = sorted(set(names) - set(present))
        raise DataError(f"{d}: missing CIFAR-10 batches {missing}.")
    parts = [_load_cifar_batch(d / n) for n in present]
    X_te, y_te = _load_cifar_batch(d / "test_batch")
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    return X, y, X_te, y_te
