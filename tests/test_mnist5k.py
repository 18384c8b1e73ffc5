"""MNIST-5k: the vendored file, its parser on generated files, encodings, few-shot splits."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

import mixedopt as mo
from mixedopt.datasets.mnist import encode_pixels, parse_pixel_csv
from mixedopt.errors import DataError, ValidationError


def _csv(rows: np.ndarray, labels: np.ndarray) -> bytes:
    lines = [",".join(map(str, [*r.tolist(), int(c)])) for r, c in zip(rows, labels, strict=True)]
    return ("\n".join(lines) + "\n").encode()


def test_parser_on_generated_files_plain_and_gzip():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(6, 784))
    y = np.arange(6) % 3
    for data in (_csv(X, y), gzip.compress(_csv(X, y))):
        Xp, yp = parse_pixel_csv(data, "gen")
        assert np.array_equal(Xp, X) and np.array_equal(yp, y)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"1,2,3\n", "784 pixels"),
        (b"0," * 783 + b"300,1\n", "0..255"),
        (b"0," * 783 + b"x,1\n", "integers"),
        (b"\x1f\x8bnot gzip", "gzip"),
    ],
)
def test_parser_errors_name_the_problem(data, match):
    with pytest.raises(DataError, match=match):
        parse_pixel_csv(data, "bad.csv")


def test_encodings_are_exact_integers():
    X = np.random.default_rng(1).integers(0, 256, size=(3, 784))
    b, _ = encode_pixels(X, "binary")
    assert np.array_equal(b, (X >= 128).astype(int))
    p2, _ = encode_pixels(X, "pool2")
    assert p2.shape == (3, 196) and p2[0, 0] == X[0, [0, 1, 28, 29]].sum()
    p4, _ = encode_pixels(X, "pool4")
    assert p4.shape == (3, 49) and p4.sum() == X.sum()
    with pytest.raises(DataError, match="encoding"):
        encode_pixels(X, "jpeg")


def test_the_vendored_file():
    X, y = mo.datasets.load("mnist5k")
    assert X.shape == (5000, 784) and np.bincount(y).tolist() == [500] * 10
    assert X.min() == 0 and X.max() == 255 and np.array_equal(X, np.round(X))
    Xb, yb = mo.datasets.load("mnist5k:encoding=binary")
    assert np.array_equal(yb, y) and set(np.unique(Xb).tolist()) == {0.0, 1.0}


def test_few_shot_split():
    X, y = mo.datasets.load("mnist5k:encoding=pool4")
    Xtr, _, ytr, yte = mo.datasets.few_shot_split(X, y, per_class=10, seed=3)
    assert np.bincount(ytr).tolist() == [10] * 10 and len(yte) == 4900
    again = mo.datasets.few_shot_split(X, y, per_class=10, seed=3)
    assert np.array_equal(again[0], Xtr)
    other = mo.datasets.few_shot_split(X, y, per_class=10, seed=4)
    assert not np.array_equal(other[0], Xtr)
    with pytest.raises(ValidationError, match="per_class"):
        mo.datasets.few_shot_split(X, y, per_class=500)
    with pytest.raises(ValidationError, match="per_class"):
        mo.datasets.few_shot_split(X, y, per_class=0)
