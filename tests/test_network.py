"""ThresholdNet: forward pass conventions, save/load, summary, bad input."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mixedopt as mo
from mixedopt import activations
from mixedopt.network import ThresholdNet, infer_domain

XOR_X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]])


def xor_net() -> ThresholdNet:
    return ThresholdNet(
        weights=[np.array([[1, 1], [-1, -1]]), np.array([[1, 1]])],
        biases=[np.array([-1, -1]), np.array([1])],
    )


def test_xor_net_forward_by_hand():
    net = xor_net()
    # h1 = sign(x1 + x2 - 1), h2 = sign(-x1 - x2 - 1), out = sign(h1 + h2 + 1)
    h = net.activations(XOR_X)[0]
    assert h.tolist() == [[-1, 1], [-1, -1], [-1, -1], [1, -1]]
    assert net.decision_function(XOR_X).tolist() == [1, -1, -1, 1]
    assert net.predict(XOR_X).tolist() == [1, -1, -1, 1]
    assert net.n_errors(XOR_X, [1, -1, -1, 1]) == 0
    assert net.score(XOR_X, [1, 1, 1, 1]) == 0.5


def test_sign_of_zero_is_plus_one():
    net = ThresholdNet([np.array([[1]])], [np.array([0])])
    assert net.predict(np.array([[0], [-1], [1]])).tolist() == [1, -1, 1]
    assert activations.get("sign")(np.array([0.0])).tolist() == [1]
    assert activations.get("step")(np.array([0.0, -0.1])).tolist() == [1, 0]


def test_integer_forward_is_exact_int64():
    big = 2**40
    net = ThresholdNet([np.array([[big, 1]])], [np.array([-big])])
    X = np.array([[1, -1], [1, 0]])
    z = net.decision_function(X)
    assert z.dtype == np.int64
    assert z.tolist() == [-1, 0]
    assert net.predict(X).tolist() == [-1, 1]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from([3, 2**20, 2**27]), st.booleans())
def test_integer_forward_matches_python_integers(seed, scale, float_inputs):
    # small and 2**20 values go through float64 BLAS (exact below 2**53), 2**27 through int64
    rng = np.random.default_rng(seed)
    W = rng.integers(-scale, scale + 1, size=(3, 5))
    b = rng.integers(-scale, scale + 1, size=3)
    X = rng.integers(-scale, scale + 1, size=(40, 5))
    net = ThresholdNet([W], [b])
    z = net.decision_function(X.astype(np.float64) if float_inputs else X)
    exact = X.astype(object) @ W.T.astype(object) + b.astype(object)
    assert z.dtype == np.int64
    assert z.tolist() == exact.tolist()


def test_float_inputs_with_integer_values_use_int_arithmetic():
    net = ThresholdNet.random([3, 2, 1], seed=1, weights="integer")
    X = np.array([[1.0, -2.0, 3.0]])
    assert net.forward(X)[0][0].dtype == np.int64
    assert net.forward(X + 0.5)[0][0].dtype == np.float64


def test_multiclass_argmax_ties_go_to_lowest_index():
    net = ThresholdNet([np.zeros((3, 2))], [np.array([1.0, 1.0, 0.0])], classes=["a", "b", "c"])
    assert net.output == "argmax"
    assert net.predict(np.ones((2, 2))).tolist() == ["a", "a"]


def test_classes_map_back():
    net = ThresholdNet([np.array([[1]])], [np.array([0])], classes=["neg", "pos"])
    assert net.predict(np.array([[-3], [3]])).tolist() == ["neg", "pos"]


@pytest.mark.parametrize("act", ["step", "staircase3", "staircase5"])
def test_other_activations(act):
    net = ThresholdNet.random([4, 5, 3, 1], seed=0, activation=act)
    X = np.random.default_rng(0).normal(size=(20, 4))
    a = net.activations(X)
    levels = activations.get(act).levels
    for layer in a:
        assert np.isin(layer, levels).all()
    assert net.activation_names == [act, act]


def test_staircase_levels_and_thresholds():
    s = activations.get("staircase3")
    z = np.array([-1.0, 0.0, 1e-9, 0.5, 0.5 + 1e-9, 1.0, 1.0 + 1e-9])
    assert (s(z) * 3).round().tolist() == [0, 0, 1, 1, 2, 2, 3]
    assert s.n_levels == 4 and s.bits == 2
    with pytest.raises(mo.ValidationError):
        activations.get("staircase1")
    with pytest.raises(mo.ValidationError, match="unknown activation"):
        activations.get("relu")


@settings(max_examples=30, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    domain=st.sampled_from(["real", "integer", "binary", "ternary"]),
    seed=st.integers(0, 2**16),
)
def test_save_load_round_trip(tmp_path_factory, sizes, domain, seed):
    if sizes[-1] == 1:
        classes = ["no", "yes"]
    else:
        classes = list(range(10, 10 + sizes[-1]))
    if sizes[-1] == 1 or len(sizes) > 1:
        pass
    net = ThresholdNet.random(sizes, seed=seed, weights=domain, classes=classes)
    net.metadata["trained_by"] = "test"
    path = tmp_path_factory.mktemp("nets") / "net.npz"
    net.save(path)
    back = ThresholdNet.load(path)
    assert back == net
    assert back.metadata == {"trained_by": "test"}
    X = np.random.default_rng(seed).integers(-3, 4, size=(7, sizes[0]))
    assert np.array_equal(back.predict(X), net.predict(X))
    assert ThresholdNet.from_dict(json.loads(json.dumps(net.to_dict()))) == net


def test_save_is_atomic_and_adds_suffix(tmp_path):
    net = xor_net()
    p = net.save(tmp_path / "model")
    assert p.name == "model.npz" and p.exists()
    assert [f.name for f in tmp_path.iterdir()] == ["model.npz"]
    with np.load(p, allow_pickle=False) as z:
        meta = json.loads(bytes(z["__meta__"]).decode())
    assert meta["format"] == "mixedopt.ThresholdNet"


def test_load_rejects_bad_files(tmp_path):
    with pytest.raises(mo.ModelFileError, match="does not exist"):
        ThresholdNet.load(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"this is not a zip file at all")
    with pytest.raises(mo.ModelFileError, match="corrupt"):
        ThresholdNet.load(junk)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.arange(3))
    with pytest.raises(mo.ModelFileError, match="not a mixedopt network"):
        ThresholdNet.load(foreign)
    # truncated: drop one array from a valid file
    good = xor_net().save(tmp_path / "good.npz")
    trunc = tmp_path / "trunc.npz"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(trunc, "w") as zout:
        for item in zin.infolist():
            if item.filename != "W1.npy":
                zout.writestr(item, zin.read(item.filename))
    with pytest.raises(mo.ModelFileError, match="truncated"):
        ThresholdNet.load(trunc)
    # cut bytes off the end
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:-40])
    with pytest.raises(mo.ModelFileError):
        ThresholdNet.load(cut)
    # a pickled object array must not be loaded
    pick = tmp_path / "pickle.npz"
    np.savez(pick, __meta__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(mo.ModelFileError):
        ThresholdNet.load(pick)


def test_summary_counts_and_memory():
    net = ThresholdNet.random([6, 3, 1], seed=0, weights="binary")
    s = net.summary()
    assert [r.n_params for r in s.layers] == [21, 4]
    assert all(r.domain == "binary" and r.bits == 1 for r in s.layers)
    d = s.to_dict()
    assert d["total_params"] == 25
    assert d["total_memory_bytes"]["1bit"] == pytest.approx(25 / 8)
    assert d["total_memory_bytes"]["32bit"] == 100
    assert d["compression_vs_32bit"] == pytest.approx(32)
    text = str(s)
    assert "binary" in text and "total" in text
    intnet = ThresholdNet.random([4, 2, 1], seed=0, weights="integer", weight_bound=3)
    assert intnet.summary().layers[0].bits == 3  # 7 values need 3 bits


def test_infer_domain():
    assert infer_domain(np.array([1, -1])) == "binary"
    assert infer_domain(np.array([1, 0, -1])) == "ternary"
    assert infer_domain(np.array([2, 0])) == "integer"
    assert infer_domain(np.array([0.5])) == "real"


def test_integer_weights_extraction():
    w, b = xor_net().integer_weights()
    assert all(a.dtype == np.int64 for a in w + b)
    with pytest.raises(mo.ValidationError, match="real-valued"):
        ThresholdNet.random([2, 1], seed=0).integer_weights()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"weights": []}, "non-empty list"),
        ({"weights": [np.ones((2, 3)), np.ones((1, 3))]}, "must chain"),
        ({"weights": [np.ones((2, 3))], "biases": [np.ones(3)]}, "has shape"),
        ({"weights": [np.ones((2, 3))], "biases": [np.ones(2), np.ones(1)]}, "bias vector"),
        ({"weights": [np.array([[np.nan]])]}, "NaN"),
        (
            {"weights": [np.ones((2, 2)), np.ones((1, 2))], "activations": ["sign"] * 3},
            "activations",
        ),
        ({"weights": [np.ones((2, 2))], "output": "sign"}, "exactly one output unit"),
        ({"weights": [np.ones((1, 2))], "classes": [1, 2, 3]}, "classes"),
        ({"weights": [np.ones((1, 2))], "weight_domain": "octal"}, "weight_domain"),
    ],
)
def test_constructor_errors(kwargs, match):
    with pytest.raises(mo.ValidationError, match=match):
        ThresholdNet(**kwargs)


def test_predict_errors():
    net = xor_net()
    with pytest.raises(mo.ValidationError, match="expects 2"):
        net.predict(np.ones((3, 5)))
    with pytest.raises(mo.ValidationError, match="1-D"):
        net.predict(np.ones(2))
    with pytest.raises(mo.ValidationError, match="NaN"):
        net.predict(np.array([[np.nan, 1.0]]))
    with pytest.raises(mo.ValidationError, match="empty"):
        net.predict(np.ones((0, 2)))
    with pytest.raises(mo.ValidationError, match="different lengths"):
        net.n_errors(XOR_X, [1, 1])


def test_random_validation():
    with pytest.raises(mo.ValidationError, match="sizes"):
        ThresholdNet.random([3], seed=0)
    with pytest.raises(mo.ValidationError, match="sizes"):
        ThresholdNet.random([3, 0, 1], seed=0)
    with pytest.raises(mo.ValidationError, match="weights must be"):
        ThresholdNet.random([3, 1], weights="fuzzy")
    a = ThresholdNet.random([5, 4, 2], seed=3)
    assert a == ThresholdNet.random([5, 4, 2], seed=3)
    assert a != ThresholdNet.random([5, 4, 2], seed=4)


def test_loading_a_non_npz_file_says_so(tmp_path):
    bad = tmp_path / "notes.npz"
    bad.write_text("not a model")
    with pytest.raises(mo.ModelFileError, match=r"not an \.npz model file"):
        mo.ThresholdNet.load(bad)


def test_staircase_outputs_have_no_negative_zero():
    v = mo.activations.get("staircase3")(np.array([-0.1, -1e-9, 0.0]))
    assert not np.signbit(v).any()


def test_every_public_name_of_mixedopt_resolves():
    for name in mo.__all__:
        assert getattr(mo, name) is not None, name
