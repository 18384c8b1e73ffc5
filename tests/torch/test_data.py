"""Data sources for the torch trainer, including tiny files in the MNIST IDX and CIFAR-10
formats written here (nothing is downloaded)."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest
import torch

from mixedopt.errors import DataError, ValidationError
from mixedopt.torch import load_data
from mixedopt.torch.data import augment_crop_flip
from mixedopt.torch.formats import read_cifar10, read_idx, write_idx


def test_digits_as_images_with_a_fixed_split():
    d = load_data("digits")
    assert d.input_shape == (1, 8, 8) and d.num_classes == 10
    assert len(d.y_train) + len(d.y_test) == 1797
    assert abs(float(d.X_train.mean())) < 1e-4  # standardized on the training part
    d2 = load_data("digits")
    assert torch.equal(d.y_test, d2.y_test)
    assert not torch.equal(load_data("digits", split_seed=1).y_test, d.y_test)


def test_mnist1d_keeps_its_own_split():
    d = load_data("mnist1d:num_samples=500")
    assert d.input_shape == (1, 40) and d.num_classes == 10
    assert (len(d.y_train), len(d.y_test)) == (400, 100)
    with pytest.raises(DataError, match="mnist1d"):
        load_data("mnist1d:foo=1")


def test_synthetic_images():
    d = load_data("synthetic:n=40,test=10,channels=2,size=6,classes=4,noise=0.1")
    assert d.X_train.shape == (40, 2, 6, 6) and d.X_test.shape == (10, 2, 6, 6)
    assert d.num_classes == 4
    with pytest.raises(DataError, match="unknown synthetic option"):
        load_data("synthetic:colour=1")


def test_tables_through_mixedopt_datasets(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    y = np.where(X[:, 0] > 0, "yes", "no")
    path = tmp_path / "t.csv"
    path.write_text(
        "\n".join(f"{a:.4f},{b:.4f},{c:.4f},{lab}" for (a, b, c), lab in zip(X, y, strict=True))
    )
    d = load_data(str(path))
    assert d.input_shape == (1, 3) and d.classes == ["no", "yes"]
    assert load_data("iris").input_shape == (1, 4)
    with pytest.raises(DataError):
        load_data("no-such-data")
    with pytest.raises(ValidationError):
        load_data("digits", test_size=2.0)


def _write_mnist(d, n_train=12, n_test=5, gz=False, sep="-"):
    rng = np.random.default_rng(0)
    sfx = ".gz" if gz else ""
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 6, 5), np.uint8)
        write_idx(d / f"{split}-images{sep}idx3-ubyte{sfx}", images)
        write_idx(d / f"{split}-labels{sep}idx1-ubyte{sfx}", np.arange(n, dtype=np.uint8) % 3)


@pytest.mark.parametrize(("gz", "sep"), [(False, "-"), (True, "-"), (False, ".")])
def test_mnist_idx_directory(tmp_path, gz, sep):
    _write_mnist(tmp_path, gz=gz, sep=sep)
    d = load_data("mnist", data_dir=tmp_path)
    assert d.X_train.shape == (12, 1, 6, 5) and d.X_test.shape == (5, 1, 6, 5)
    assert d.num_classes == 3
    raw = read_idx(tmp_path / f"train-images{sep}idx3-ubyte{'.gz' if gz else ''}")
    np.testing.assert_allclose(d.X_train[:, 0].numpy() * 0.3081 + 0.1307, raw / 255.0, atol=1e-6)


def test_idx_errors(tmp_path):
    for dtype in (np.int16, np.float32, np.float64, np.int32):
        write_idx(tmp_path / "a", np.arange(6, dtype=dtype).reshape(2, 3))
        np.testing.assert_array_equal(read_idx(tmp_path / "a"), np.arange(6).reshape(2, 3))
    (tmp_path / "bad").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05abc")
    with pytest.raises(DataError, match="truncated"):
        read_idx(tmp_path / "bad")
    (tmp_path / "junk").write_bytes(b"hello world")
    with pytest.raises(DataError, match="not an IDX"):
        read_idx(tmp_path / "junk")
    (tmp_path / "x.gz").write_bytes(b"\x1f\x8bnot gzip")
    with pytest.raises(DataError, match="gzip"):
        read_idx(tmp_path / "x.gz")
    with pytest.raises(DataError, match="t10k-images"):
        _write_mnist(tmp_path)
        (tmp_path / "t10k-images-idx3-ubyte").unlink()
        load_data("mnist", data_dir=tmp_path)
    with pytest.raises(DataError, match="--data-dir"):
        load_data("mnist")


def _write_cifar(d, n=6, batches=5):
    rng = np.random.default_rng(1)
    d.mkdir(parents=True, exist_ok=True)
    for name in [f"data_batch_{i}" for i in range(1, batches + 1)] + ["test_batch"]:
        doc = {
            b"batch_label": name.encode(),
            b"labels": [int(v) for v in rng.integers(0, 10, n)],
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"filenames": [b"x.png"] * n,
        }
        with open(d / name, "wb") as f:
            pickle.dump(doc, f, protocol=2)


def test_cifar10_python_batches(tmp_path):
    _write_cifar(tmp_path / "cifar-10-batches-py")
    d = load_data("cifar10", data_dir=tmp_path)
    assert d.X_train.shape == (30, 3, 32, 32) and d.X_test.shape == (6, 3, 32, 32)
    assert d.augment == "crop-flip"
    X, _, _, _ = read_cifar10(tmp_path)
    with open(tmp_path / "cifar-10-batches-py" / "data_batch_1", "rb") as f:
        first = pickle.load(f, encoding="bytes")[b"data"][0]
    np.testing.assert_array_equal(X[0].reshape(-1), first)


def test_cifar10_refuses_code_in_pickles_and_missing_batches(tmp_path):
    _write_cifar(tmp_path, batches=1)
    read_cifar10(tmp_path)  # a single batch is accepted
    (tmp_path / "data_batch_3").write_bytes(b"")
    with pytest.raises(DataError, match="missing"):
        read_cifar10(tmp_path)
    (tmp_path / "data_batch_3").unlink()

    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    with open(tmp_path / "test_batch", "wb") as f:
        pickle.dump({b"data": Evil(), b"labels": []}, f)
    with pytest.raises(DataError, match="refusing"):
        read_cifar10(tmp_path)
    with open(tmp_path / "test_batch", "wb") as f:
        f.write(gzip.compress(b"nonsense"))
    with pytest.raises(DataError, match="not a CIFAR-10"):
        read_cifar10(tmp_path)
    with pytest.raises(DataError, match="--data-dir"):
        load_data("cifar10")


def test_crop_flip_keeps_content():
    x = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    out = augment_crop_flip(x, torch.Generator().manual_seed(0), pad=0)
    for i in range(2):  # with no padding only flips are possible
        assert torch.equal(out[i], x[i]) or torch.equal(out[i], x[i].flip(-1))
    out = augment_crop_flip(x, torch.Generator().manual_seed(0), pad=2)
    assert out.shape == x.shape
