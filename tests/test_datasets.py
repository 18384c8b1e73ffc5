"""Tests of mixedopt.datasets: built-in names, KEEL/CSV files, planted teachers, split, binarize."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixedopt import datasets as D
from mixedopt.datasets.bundled import mnist1d_dict
from mixedopt.errors import DataError, ValidationError

# ------------------------------------------------------------------------ built-in names


@pytest.mark.parametrize(
    ("name", "shape", "counts"),
    [
        ("xor", (4, 2), {-1: 2, 1: 2}),
        ("parity3", (8, 3), {-1: 4, 1: 4}),
        ("parity1", (2, 1), {-1: 1, 1: 1}),
        ("moons", (200, 2), {0: 100, 1: 100}),
        ("circles", (200, 2), {0: 100, 1: 100}),
        ("digits", (1797, 64), None),
        ("breast_cancer", (569, 30), {0: 212, 1: 357}),
        ("iris", (150, 4), {0: 50, 1: 50, 2: 50}),
        ("wine", (178, 13), {0: 59, 1: 71, 2: 48}),
        ("pima", (768, 8), {"tested_negative": 500, "tested_positive": 268}),
        ("titanic", (2201, 3), {-1: 1490, 1: 711}),
        ("spambase", (4597, 57), {0: 2785, 1: 1812}),
    ],
)
def test_builtin_shapes_and_counts(name, shape, counts):
    X, y, info = D.load(name, return_info=True)
    assert X.shape == shape
    assert X.dtype == np.float64
    assert y.shape == (shape[0],)
    assert np.all(np.isfinite(X))
    assert info.n_samples == shape[0] and info.n_features == shape[1]
    assert len(info.feature_names) == shape[1]
    if counts is not None:
        assert info.class_counts == counts
    if name == "digits":
        assert info.n_classes == 10 and sum(info.class_counts.values()) == 1797


def test_pima_labels_are_strings_and_titanic_labels_numeric():
    _, y = D.load("pima")
    assert y.dtype.kind == "U"
    assert y[0] == "tested_positive"
    _, yt = D.load("titanic")
    assert yt.dtype == np.int64
    assert set(yt.tolist()) == {-1, 1}


def test_german_one_hot_expands_categorical_columns():
    X, _y, info = D.load("german", return_info=True)
    assert X.shape[0] == 1000
    assert info.class_counts == {1: 700, 2: 300}
    assert X.shape[1] > 20  # 7 numeric + one-hot codes
    names = info.feature_names
    onehot = [j for j, n in enumerate(names) if n.startswith("checking_status=")]
    assert [names[j] for j in onehot] == [f"checking_status=A1{k}" for k in range(1, 5)]
    block = X[:, onehot]
    assert set(np.unique(block).tolist()) <= {0.0, 1.0}
    assert np.all(block.sum(axis=1) == 1)
    assert X[0, names.index("duration")] == 6.0 and X[0, names.index("credit_amount")] == 1169.0
    # 13 categorical attributes, each block sums to one per row
    groups = {n.split("=")[0] for n in names if "=" in n}
    assert len(groups) == 13
    assert sum("=" not in n for n in names) == 7


def test_mnist1d_small_and_splits():
    X, y = D.load("mnist1d", num_samples=200)
    assert X.shape == (160, 40) and y.shape == (160,)
    Xt, _yt = D.load("mnist1d", num_samples=200, split="test")
    assert Xt.shape == (40, 40)
    Xa, _ = D.load("mnist1d:num_samples=200,split=all")
    assert Xa.shape == (200, 40)
    with pytest.raises(DataError, match="split"):
        D.load("mnist1d", num_samples=200, split="valid")


def test_mnist1d_keeps_global_rng_and_cache_is_safe():
    np.random.seed(123)  # noqa: NPY002 - the legacy global generator is what is checked
    expected = np.random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    X, _ = D.load("mnist1d", num_samples=100, seed=7)
    assert np.random.random() == expected  # noqa: NPY002
    X[:] = 0.0  # mutating the result must not corrupt the cache
    X2, _ = D.load("mnist1d", num_samples=100, seed=7)
    assert np.any(X2 != 0.0)


def test_mnist1d_missing_package_gives_install_hint(monkeypatch):
    mnist1d_dict.cache_clear()
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    try:
        with pytest.raises(DataError, match=r"pip install mixedopt\[dev\]"):
            D.load("mnist1d", num_samples=50)
    finally:
        mnist1d_dict.cache_clear()


def test_xor_and_parity_labels_are_products():
    X, y = D.load("xor")
    assert set(map(tuple, X.tolist())) == {(-1, -1), (-1, 1), (1, -1), (1, 1)}
    assert np.array_equal(y, X[:, 0] * X[:, 1])
    for k in (1, 4, 7):
        X, y = D.load(f"parity{k}")
        assert X.shape == (2**k, k)
        assert len({tuple(r) for r in X.tolist()}) == 2**k
        assert np.array_equal(y, np.prod(X, axis=1))
    X, _ = D.load("parity:k=2")
    assert X.shape == (4, 2)


@pytest.mark.parametrize("name", ["parity0", "parity17", "parity"])
def test_parity_out_of_range(name):
    with pytest.raises(DataError, match="parity"):
        D.load(name)


def test_available_and_describe_every_name():
    names = D.available()
    for required in ("xor", "digits", "mnist1d", "pima", "titanic", "german", "spambase"):
        assert required in names
    for name in names:
        kwargs = {"num_samples": 100} if name == "mnist1d" else {}
        info = D.describe(name, **kwargs)
        assert info.n_samples > 0 and info.n_features > 0
        assert sum(info.class_counts.values()) == info.n_samples
        assert info.n_classes >= 2
        json.dumps(info.to_dict())
        assert abs(sum(info.class_balance.values()) - 1.0) < 1e-12


def test_spec_strings_and_kwargs():
    X, y = D.load("moons:n_samples=50,noise=0.2,seed=3")
    X2, y2 = D.load("moons", n_samples=50, noise=0.2, seed=3)
    assert X.shape == (50, 2)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = D.load("moons:n_samples=50", n_samples=30)  # explicit kwargs win
    assert X3.shape == (30, 2)
    X, y, info = D.load("planted:m=120,d=5,h=2,noise=0.05,seed=1", return_info=True)
    assert X.shape == (120, 5) and info.name.startswith("planted:")
    Xp, yp = D.planted(m=120, d=5, h=2, noise=0.05, seed=1, return_teacher=False)
    assert np.array_equal(X, Xp) and np.array_equal(y, yp)
    with pytest.raises(DataError, match="accepts"):
        D.load("moons:bogus=1")
    with pytest.raises(DataError, match="key=value"):
        D.load("planted:m200")
    with pytest.raises(ValidationError, match="label_column"):
        D.load("xor", label_column=0)


def test_unknown_name_lists_choices():
    with pytest.raises(DataError) as exc:
        D.load("no-such-dataset")
    msg = str(exc.value)
    for name in ("xor", "pima", "mnist1d", "parity<k>", ".csv", ".dat"):
        assert name in msg


def test_missing_file():
    with pytest.raises(DataError, match="not found"):
        D.load("does/not/exist.csv")


def test_import_is_lazy():
    code = (
        "import sys, mixedopt.datasets as d; "
        "print('sklearn' in sys.modules, 'mnist1d' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_results_are_independent_copies():
    X, _y = D.load("pima")
    X[:] = -1.0
    X2, _ = D.load("pima")
    assert X2[0, 0] == 14.0


def test_standardize():
    X, _ = D.load("pima", standardize=True)
    assert np.allclose(X.mean(axis=0), 0.0, atol=1e-10)
    assert np.allclose(X.std(axis=0), 1.0)
    Xg, _, info = D.load("german", standardize=True, return_info=True)
    onehot = np.array(["=" in n for n in info.feature_names])
    assert set(np.unique(Xg[:, onehot]).tolist()) == {0.0, 1.0}
    assert np.allclose(Xg[:, ~onehot].mean(axis=0), 0.0, atol=1e-10)


def test_load_binarize():
    X, _ = D.load("iris", binarize="sign")
    assert X.shape == (150, 4) and set(np.unique(X).tolist()) == {-1.0, 1.0}
    X, _, info = D.load("iris", binarize="thermometer", n_levels=3, return_info=True)
    assert X.shape == (150, 8) and set(np.unique(X).tolist()) == {-1.0, 1.0}
    assert info.feature_names[0].startswith("sepal length (cm)>=")
    with pytest.raises(ValidationError, match="method"):
        D.load("iris", binarize="gray")


# ------------------------------------------------------------------------- KEEL and CSV

KEEL_HEADER = """\
% a comment line
@relation toy
@attribute Height real [0.5, 2.5]
@attribute Age integer[1,99]
@attribute Colour {blue, green, red}
@attribute 'Weight kg' real[10.0,200.0]
@attribute Class{no,yes}
@inputs Height, Age, Colour, 'Weight kg'
@outputs Class
@data
"""
KEEL_ROWS = """\
1.5, 30, red, 70.5, yes
1.8, 45, blue, 80.0, no
1.6, 22, green, 55.25, yes
1.7, 61, red, 90.0, no
2.0, 33, blue, 100.0, yes
"""


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def test_keel_with_header_and_stripped_load_identically(tmp_path):
    full = _write(tmp_path / "toy.dat", KEEL_HEADER + KEEL_ROWS)
    stripped = _write(tmp_path / "toy_stripped.dat", KEEL_ROWS)
    X, y, info = D.load(full, return_info=True)
    Xs, ys = D.read_keel(stripped)
    assert X.shape == (5, 6)  # 3 numeric + 3 one-hot colours
    assert np.array_equal(X, Xs)
    assert np.array_equal(y, ys)
    assert y.tolist() == ["yes", "no", "yes", "no", "yes"]
    assert info.feature_names == (
        "Height",
        "Age",
        "Colour=blue",
        "Colour=green",
        "Colour=red",
        "Weight kg",
    )
    assert info.name == "toy"
    assert X[0].tolist() == [1.5, 30.0, 0.0, 0.0, 1.0, 70.5]
    # CRLF line endings and a str path work too
    crlf = _write(tmp_path / "crlf.dat", (KEEL_HEADER + KEEL_ROWS).replace("\n", "\r\n"))
    Xc, yc = D.read_keel(str(crlf))
    assert np.array_equal(X, Xc) and np.array_equal(y, yc)


def test_keel_outputs_not_last_and_inputs_subset(tmp_path):
    text = """@relation t
@attribute label {a, b}
@attribute x real [0, 1]
@attribute ignored real [0, 1]
@attribute z integer [0, 9]
@inputs z, x
@outputs label
@data
a, 0.5, 0.1, 3
b, 0.25, 0.2, 4
"""
    X, y, info = D.read_keel(_write(tmp_path / "t.dat", text), return_info=True)
    assert y.tolist() == ["a", "b"]
    assert info.feature_names == ("z", "x")
    assert X.tolist() == [[3.0, 0.5], [4.0, 0.25]]
    _X2, y2 = D.read_keel(tmp_path / "t.dat", label_column="z")
    assert y2.tolist() == [3, 4]


def test_keel_numeric_labels_become_numbers(tmp_path):
    p = _write(tmp_path / "n.dat", "0.1, 2, -1.0\n0.3, 4, 1.0\n")
    _, y = D.read_keel(p)
    assert y.dtype == np.int64 and y.tolist() == [-1, 1]
    p = _write(tmp_path / "f.dat", "0.1, 0.5\n0.3, 1.5\n")
    _, y = D.read_keel(p)
    assert y.dtype == np.float64 and y.tolist() == [0.5, 1.5]


def test_keel_missing_values(tmp_path):
    text = KEEL_HEADER + KEEL_ROWS.replace("1.6, 22,", "1.6, ?,").replace("90.0", "<null>")
    p = _write(tmp_path / "miss.dat", text)
    n_header = KEEL_HEADER.count("\n")
    with pytest.raises(DataError, match=f"line {n_header + 3}.*missing value '\\?'.*dropna"):
        D.read_keel(p)
    X, y = D.read_keel(p, dropna=True)
    assert X.shape == (3, 6) and y.tolist() == ["yes", "no", "yes"]
    X2, _ = D.load(p, dropna=True)
    assert np.array_equal(X, X2)


def test_csv_with_header_label_by_name(tmp_path):
    text = "colour,size,target,weight\nred,1.5,cat,3\nblue,2.5,dog,4\nred,0.5,cat,5\n"
    p = _write(tmp_path / "pets.csv", text)
    X, y, info = D.load(p, label_column="target", return_info=True)
    assert y.tolist() == ["cat", "dog", "cat"]
    assert info.feature_names == ("colour=blue", "colour=red", "size", "weight")
    assert X.tolist() == [[0, 1, 1.5, 3], [1, 0, 2.5, 4], [0, 1, 0.5, 5]]
    X2, y2 = D.read_csv(p, label_column=2)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    with pytest.raises(DataError, match="no column named 'label'"):
        D.read_csv(p, label_column="label")


def test_csv_header_inference(tmp_path):
    headerless = _write(tmp_path / "h0.csv", "1,2,yes\n3,4,no\n")
    X, y = D.load(headerless)
    assert X.shape == (2, 2) and y.tolist() == ["yes", "no"]
    with_header = _write(tmp_path / "h1.csv", "a,b,y\n1,2,1.0\n3,4,-1.0\n")
    X, y, info = D.load(with_header, return_info=True)
    assert X.shape == (2, 2) and y.tolist() == [1, -1]
    assert info.feature_names == ("a", "b")
    forced = _write(tmp_path / "h2.csv", "1,2,3\n4,5,6\n")
    X, y = D.read_csv(forced, header=True)
    assert X.tolist() == [[4.0, 5.0]] and y.tolist() == [6]
    tsv = _write(tmp_path / "t.tsv", "a\tb\ty\n1\t2\tu\n3\t4\tv\n")
    X, y = D.load(tsv)
    assert X.tolist() == [[1, 2], [3, 4]] and y.tolist() == ["u", "v"]


def test_csv_quoted_fields(tmp_path):
    p = _write(tmp_path / "q.csv", 'name,x,y\n"Smith, J",1,a\n"Doe, K",2,b\n')
    _X, y, info = D.load(p, return_info=True)
    assert info.feature_names == ("name=Doe, K", "name=Smith, J", "x")
    assert y.tolist() == ["a", "b"]


# Each case: file name, content, line number the message must name, words in the message.
MALFORMED = [
    ("empty.dat", b"", 1, "empty"),
    ("blank.csv", b"\n  \n", 1, "empty"),
    ("ragged.dat", b"1,2,a\n3,4,b\n5,c\n7,8,d\n", 3, "expected 3 fields"),
    ("ragged.csv", b"x,y,z\n1,2,a\n3,4,5,b\n", 3, "expected 3 fields"),
    ("truncated.dat", b"1, 2, a\n3, 4, b\n5, 6", 3, "truncated"),
    (
        "noheaderdata.dat",
        b"@relation r\n@attribute a real [0,1]\n@attribute c {x,y}\n",
        3,
        "no @data",
    ),
    (
        "nodatarows.dat",
        b"@relation r\n@attribute a real [0,1]\n@attribute c {x,y}\n@data\n",
        4,
        "no data rows",
    ),
    (
        "wrongfields.dat",
        b"@relation r\n@attribute a real [0,1]\n@attribute c {x,y}\n@data\n0.5, x\n0.1, 0.2, y\n",
        6,
        "one per @attribute",
    ),
    ("binary.dat", b"1,2,a\n\x00\x01\x02\x03\n", 2, "binary"),
    ("latin1.csv", b"a,b,y\n1,2,yes\n3,4,caf\xe9\n", 3, "UTF-8"),
    ("garbage.dat", b"1,2,a\n3,4,b\n\xff\xfe\xfa\xfb,\x81\n", 3, "UTF-8"),
    (
        "baddirective.dat",
        b"@relation r\n@atribute a real\n@data\n1,a\n",
        2,
        "unknown KEEL directive",
    ),
    (
        "badattr.dat",
        b"@relation r\n@attribute a real [0,1]\n@attribute\n@data\n1,a\n",
        3,
        "cannot parse",
    ),
    (
        "badtype.dat",
        b"@relation r\n@attribute a string\n@attribute c {x,y}\n@data\n1,x\n",
        2,
        "unsupported type",
    ),
    (
        "notnumber.dat",
        b"@relation r\n@attribute a real [0,1]\n@attribute c {x,y}\n@data\n0.5, x\nabc, y\n",
        6,
        "not a finite number",
    ),
    (
        "undeclared.dat",
        b"@relation r\n@attribute a real [0,1]\n@attribute c {x,y}\n@data\n0.5, x\n0.1, z\n",
        6,
        "not one of the declared classes",
    ),
    (
        "headerjunk.dat",
        b"@relation r\n@attribute a real [0,1]\n@attribute c {x,y}\n0.5, x\n",
        4,
        "@data line missing",
    ),
    ("missing.csv", b"1,2,a\n3,,b\n", 2, "missing value"),
    ("onecol.dat", b"a\nb\n", 1, "only one column"),
    ("quote.csv", b'a,b,y\n1,"2,x\n', 2, "quoted"),
    ("dup.csv", b"a,a,y\n1,2,x\n3,4,z\n", 1, "appears twice"),
]


@pytest.mark.parametrize(("fname", "content", "line", "words"), MALFORMED)
def test_malformed_files_raise_with_line_number(tmp_path, fname, content, line, words):
    p = tmp_path / fname
    p.write_bytes(content)
    with pytest.raises(DataError) as exc:
        D.load(p)
    msg = str(exc.value)
    assert fname in msg
    assert f"line {line}" in msg, msg
    assert words in msg, msg


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(DataError, match="directory"):
        D.read_csv(tmp_path)


# ------------------------------------------------------------------------------ planted


def _teacher_predict(teacher, X):
    if isinstance(teacher, dict):
        (W1, W2), (b1, b2) = teacher["weights"], teacher["biases"]
        a = np.where(X @ W1.T + b1 >= 0, 1, -1)
        return np.where(a @ W2.T + b2 >= 0, 1, -1).ravel()
    return teacher.predict(X)


def _teacher_params(teacher):
    if isinstance(teacher, dict):
        return teacher["weights"], teacher["biases"]
    return teacher.weights, teacher.biases


def test_planted_shapes_dtype_and_teacher():
    X, y, teacher = D.planted(m=300, d=6, h=3, noise=0.0, seed=0)
    assert X.shape == (300, 6) and X.dtype == np.int64
    assert y.shape == (300,) and set(np.unique(y).tolist()) == {-1, 1}
    assert X.min() >= -8 and X.max() <= 8
    W, b = _teacher_params(teacher)
    assert [w.shape for w in W] == [(3, 6), (1, 3)]
    assert [v.shape for v in b] == [(3,), (1,)]
    for arr in (*W, *b):
        assert arr.dtype.kind == "i" and np.abs(arr).max() <= 3
    assert np.array_equal(_teacher_predict(teacher, X), y)
    hidden = X @ W[0].T + b[0] >= 0
    assert np.all(hidden.any(axis=0)) and not np.any(hidden.all(axis=0))


@settings(max_examples=25, deadline=None)
@given(
    m=st.integers(2, 60),
    d=st.integers(1, 5),
    h=st.integers(1, 4),
    seed=st.integers(0, 10_000),
    R=st.integers(1, 4),
    K=st.integers(1, 3),
)
def test_planted_property(m, d, h, seed, R, K):
    X, y, teacher = D.planted(m, d, h, 0.0, seed, input_range=R, weight_bound=K)
    assert X.dtype == np.int64 and np.abs(X).max() <= R
    W, b = _teacher_params(teacher)
    assert max(int(np.abs(a).max()) for a in (*W, *b)) <= K
    assert np.array_equal(_teacher_predict(teacher, X), y)
    if np.any(X != X[0]):
        assert np.unique(y).size == 2


def test_planted_noise_rate_and_determinism():
    X, y, teacher = D.planted(m=4000, d=5, h=3, noise=0.2, seed=5)
    clean = _teacher_predict(teacher, X)
    rate = float(np.mean(clean != y))
    assert 0.17 < rate < 0.23
    X2, y2, _ = D.planted(m=4000, d=5, h=3, noise=0.2, seed=5)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _, _ = D.planted(m=4000, d=5, h=3, noise=0.2, seed=6)
    assert not np.array_equal(X, X3)
    Xn, _yn = D.planted(m=10, d=2, h=1, return_teacher=False)
    assert Xn.shape == (10, 2)


def test_planted_redraws_a_sample_no_unit_of_the_bound_can_split(monkeypatch):
    # found by hypothesis: with seed 4 the first sample is {2, 3} (d = 1), which no unit
    # sign(w x + b) with |w|, |b| <= 1 splits; the sample is redrawn
    X, y, teacher = D.planted(m=2, d=1, h=1, noise=0.0, seed=4, input_range=3, weight_bound=1)
    assert X[0, 0] != X[1, 0] and np.unique(y).size == 2
    assert np.array_equal(_teacher_predict(teacher, X), y)
    import mixedopt.datasets.teacher as T

    monkeypatch.setattr(T, "_draw_teacher", lambda *a: None)
    with pytest.raises(DataError, match=r"none of 100 samples.*increase weight_bound"):
        D.planted(m=5, d=2, h=1, seed=0)


def test_planted_single_sample_is_allowed():
    X, y, _ = D.planted(m=1, d=3, h=2, seed=0)
    assert X.shape == (1, 3) and y.shape == (1,)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"m": 0},
        {"d": 0},
        {"h": -1},
        {"m": 2.5},
        {"noise": 0.6},
        {"noise": -0.1},
        {"input_range": 0},
        {"weight_bound": 0},
        {"seed": "x"},
    ],
)
def test_planted_validation(kwargs):
    args = {"m": 20, "d": 3, "h": 2, **kwargs}
    with pytest.raises(ValidationError):
        D.planted(**args)


# ------------------------------------------------------------------------- split, binarize


def test_split_stratified_deterministic():
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    X = np.arange(200).reshape(100, 2)
    Xtr, Xte, ytr, yte = D.train_test_split(X, y, test_size=0.2, seed=1)
    assert len(yte) == 20 and len(ytr) == 80
    assert np.bincount(yte).tolist() == [12, 6, 2]
    assert sorted(Xtr[:, 0].tolist() + Xte[:, 0].tolist()) == X[:, 0].tolist()
    assert np.array_equal(y[Xte[:, 0] // 2], yte)
    again = D.train_test_split(X, y, test_size=0.2, seed=1)
    for a, b in zip((Xtr, Xte, ytr, yte), again, strict=True):
        assert np.array_equal(a, b)
    other = D.train_test_split(X, y, test_size=0.2, seed=2)
    assert not np.array_equal(Xte, other[1])
    _, Xte_u, _, _ = D.train_test_split(X, y, test_size=20, stratify=False, seed=1)
    assert len(Xte_u) == 20


@settings(max_examples=40, deadline=None)
@given(
    labels=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=2, max_size=60),
    frac=st.floats(0.05, 0.95),
    seed=st.integers(0, 100),
)
def test_split_property(labels, frac, seed):
    y = np.array(labels)
    X = np.arange(len(y))[:, None]
    Xtr, Xte, ytr, yte = D.train_test_split(X, y, test_size=frac, seed=seed)
    n_test = min(max(int(np.ceil(frac * len(y))), 1), len(y) - 1)
    assert len(yte) == n_test and len(ytr) == len(y) - n_test
    assert sorted(np.concatenate([Xtr, Xte]).ravel().tolist()) == list(range(len(y)))
    assert np.array_equal(y[Xte.ravel()], yte)
    classes, counts = np.unique(y, return_counts=True)
    multi = classes[counts >= 2]
    if len(multi) <= min(n_test, len(y) - n_test) and np.all(counts >= 2):
        assert set(multi) <= set(yte.tolist()) and set(multi) <= set(ytr.tolist())


@pytest.mark.parametrize("test_size", [0, 1.0, 100, -0.2, True, "half"])
def test_split_bad_test_size(test_size):
    with pytest.raises(ValidationError):
        D.train_test_split(np.zeros((10, 2)), np.arange(10) % 2, test_size=test_size)


def test_split_length_mismatch():
    with pytest.raises(ValidationError, match="different lengths"):
        D.train_test_split(np.zeros((10, 2)), np.zeros(9))


@settings(max_examples=40, deadline=None)
@given(
    X=st.lists(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=3, max_size=3),
        min_size=1,
        max_size=30,
    ),
    method=st.sampled_from(["sign", "thermometer"]),
    levels=st.integers(2, 6),
)
def test_binarize_outputs_pm1(X, method, levels):
    Xa = np.array(X)
    out = D.binarize(Xa, method, n_levels=levels)
    assert set(np.unique(out).tolist()) <= {-1.0, 1.0}
    width = 3 if method == "sign" else 3 * (levels - 1)
    assert out.shape == (len(X), width)


def test_binarize_uses_train_thresholds():
    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(200, 3))
    X_test = rng.normal(loc=2.0, size=(50, 3))
    enc = D.Binarizer("thermometer", n_levels=4).fit(X_train)
    assert enc.thresholds_.shape == (3, 3)
    assert np.allclose(enc.thresholds_, np.quantile(X_train, [0.25, 0.5, 0.75], axis=0).T)
    out = enc.transform(X_test)
    expected = np.where(X_test[:, :, None] >= enc.thresholds_[None], 1.0, -1.0).reshape(50, 9)
    assert np.array_equal(out, expected)
    short = D.binarize(X_test, "thermometer", n_levels=4, fit_on=X_train)
    assert np.array_equal(short, out)
    own = D.binarize(X_test, "thermometer", n_levels=4)
    assert not np.array_equal(own, out)
    sign, enc2 = D.binarize(X_test, "sign", fit_on=X_train, return_binarizer=True)
    assert np.array_equal(sign, np.where(X_test >= X_train.mean(axis=0), 1.0, -1.0))
    assert np.allclose(enc2.mean_, X_train.mean(axis=0))
    assert enc.feature_names_out(["a", "b", "c"])[0].startswith("a>=")


def test_binarize_sign_zero_is_plus_one_and_errors():
    X = np.array([[1.0, 5.0], [3.0, 5.0]])  # column 1 is constant: standardized 0 -> +1
    assert D.binarize(X).tolist() == [[-1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(ValidationError, match="method"):
        D.binarize(X, "onehot")
    with pytest.raises(ValidationError, match="n_levels"):
        D.binarize(X, "thermometer", n_levels=1)
    with pytest.raises(ValidationError, match="not fitted"):
        D.Binarizer().transform(X)
    with pytest.raises(ValidationError, match="features"):
        D.Binarizer().fit(X).transform(np.zeros((2, 3)))
    with pytest.raises(ValidationError, match="NaN"):
        D.binarize(np.array([[np.nan, 1.0]]))


def test_two_moons_alias():
    X, y = D.load("two-moons:n_samples=50")
    X2, y2 = D.load("moons:n_samples=50")
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
