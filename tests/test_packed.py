"""Bit-packed inference (``ThresholdNet.compile``): the same predictions as ``predict``, ties
included, on random nets of every supported kind; the packed file format; ``summary()``'s
real file sizes."""

from __future__ import annotations

import itertools
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mo_deploy import ACTIVATIONS, DOMAINS, layer_weights, nets_and_inputs

import mixedopt as mo
from mixedopt.packed import (
    PackedNet,
    is_packed_file,
    numba_available,
    pack_bits,
    read_packed_file,
    unpack_bits,
)

BACKENDS = [
    "numpy",
    pytest.param(
        "numba",
        marks=pytest.mark.skipif(not numba_available(), reason="numba not installed (deploy)"),
    ),
]


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=nets_and_inputs())
def test_packed_predictions_equal_threshold_net(case, backend):
    net, X = case
    packed = net.compile(backend=backend)
    np.testing.assert_array_equal(packed.predict(X), net.predict(X))
    np.testing.assert_array_equal(packed.decision_function(X), net.decision_function(X))
    np.testing.assert_array_equal(packed.predict_codes(X), net.predict_codes(X))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("weights", ["binary", "ternary"])
def test_hidden_layers_pack_and_ties_are_decided_as_threshold_net(backend, activation, weights):
    # even widths and zero biases: many hidden pre-activations are exactly 0
    rng = np.random.default_rng(0)
    sizes = [96, 64, 64, 5]
    W = [layer_weights(rng, weights, b, a)[0] for a, b in itertools.pairwise(sizes)]
    B = [np.zeros(n, dtype=np.int64) for n in sizes[1:]]
    net = mo.ThresholdNet(W, B, activation)
    X = rng.choice([-1, 1], (300, 96)).astype(np.int8)
    pre, _ = net.forward(X)
    assert all(np.count_nonzero(z == 0) > 0 for z in pre[:2])  # ties do occur
    packed = net.compile(backend=backend, n_threads=2)
    assert [s["mode"] for s in packed.plan(X)] == ["popcount"] * 3
    np.testing.assert_array_equal(packed.predict(X), net.predict(X))
    np.testing.assert_array_equal(packed.decision_function(X), net.decision_function(X))


@pytest.mark.parametrize("backend", BACKENDS)
def test_argmax_ties_go_to_the_lowest_index_and_sign_zero_is_positive(backend):
    W = [np.array([[1, 1], [1, 1], [1, -1]]), np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1]])]
    B = [np.array([0, 0, 0]), np.array([0, 0, -5])]
    net = mo.ThresholdNet(W, B, "sign", classes=["a", "b", "c"])
    X = np.array([[-1, 1], [1, 1], [-1, -1]])
    packed = net.compile(backend=backend)
    np.testing.assert_array_equal(packed.predict(X), net.predict(X))
    assert list(packed.predict(X)) == ["a", "a", "a"]
    binary = mo.ThresholdNet([np.array([[1, -1]])], [np.array([0])])
    assert binary.compile(backend=backend).predict(np.array([[1, 1]]))[0] == 1  # z = 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_first_layer_mode_depends_on_the_inputs(backend):
    net = mo.ThresholdNet.random([20, 8, 2], seed=1, weights="ternary")
    packed = net.compile(backend=backend)
    rng = np.random.default_rng(0)
    assert packed.plan(rng.choice([-1, 1], (4, 20)))[0]["mode"] == "popcount"
    assert packed.plan(rng.integers(0, 4, (4, 20)))[0]["input_planes"] == 2
    assert packed.plan(rng.normal(size=(4, 20)))[0]["mode"] == "reference"
    assert packed.plan(rng.integers(0, 2**20, (4, 20)))[0]["mode"] == "reference"
    real = mo.ThresholdNet.random([20, 8, 2], seed=1, weights="real").compile(backend=backend)
    assert [s["mode"] for s in real.plan(rng.choice([-1, 1], (4, 20)))] == ["reference"] * 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_many_rows_in_threads(backend):
    net = mo.ThresholdNet.random([200, 130, 70, 3], seed=2, weights="binary")
    X = np.random.default_rng(3).choice([-1, 1], (1001, 200))
    packed = net.compile(backend=backend, n_threads=3)
    np.testing.assert_array_equal(packed.decision_function(X), net.decision_function(X))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5), d=st.integers(1, 200))
def test_pack_bits_round_trip(seed, n, d):
    B = np.random.default_rng(seed).integers(0, 2, (n, d)).astype(bool)
    P = pack_bits(B)
    assert P.dtype == np.uint64 and P.shape == (n, -(-d // 64))
    np.testing.assert_array_equal(unpack_bits(P, d), B)
    np.testing.assert_array_equal(np.bitwise_count(P).sum(axis=1), B.sum(axis=1))


# ------------------------------------------------------------------------------ files
@pytest.mark.parametrize("weights", DOMAINS)
def test_packed_file_round_trip(tmp_path, weights):
    net = mo.ThresholdNet.random(
        [37, 11, 3], seed=0, weights=weights, activation="staircase3", classes=["x", "y", "z"]
    )
    net.metadata["trained_by"] = "test"
    path = net.compile(backend="numpy").save(tmp_path / "net.packed.npz")
    assert is_packed_file(path) and not is_packed_file(net.save(tmp_path / "plain.npz"))
    back = PackedNet.load(path, backend="numpy")
    X = np.random.default_rng(0).integers(0, 3, (9, 37))
    np.testing.assert_array_equal(back.predict(X), net.predict(X))
    assert back.metadata == {"trained_by": "test"}
    assert mo.ThresholdNet.load(path) == net  # a packed file loads as a ThresholdNet too


def test_binary_weights_take_one_bit_and_ternary_two(tmp_path):
    for weights, bits in (("binary", 1), ("ternary", 2)):
        net = mo.ThresholdNet.random([100, 30, 1], seed=0, weights=weights)
        path = net.compile(backend="numpy").save(tmp_path / f"{weights}.npz")
        layers = read_packed_file(path)["layers"]
        assert layers[0]["weights"]["encoding"] == "bits"
        assert layers[0]["weights"]["bits"] == bits
        sizes = [(30 * 100, 30), (30, 1)]  # (weights, biases) per layer
        expected = sum(
            -(-n * layer[k]["bits"] // 8)
            for layer, pair in zip(layers, sizes, strict=True)
            for k, n in zip(("weights", "biases"), pair, strict=True)
        )
        with np.load(path) as z:
            assert set(z.files) == {"__meta__", "bits"}
            assert z["bits"].nbytes == expected
        assert -(-3000 * bits // 8) <= expected <= -(-3000 * bits // 8) + 20


def test_summary_reports_the_real_file_sizes(tmp_path):
    net = mo.ThresholdNet.random([784, 256, 10], seed=0, weights="binary")
    s = net.summary()
    npz = net.save(tmp_path / "a.npz").stat().st_size
    packed = net.compile(backend="numpy").save(tmp_path / "b.npz").stat().st_size
    assert s.file_bytes == {"npz": npz, "packed": packed}
    assert s.to_dict()["file_bytes"] == {"npz": npz, "packed": packed}
    assert npz / packed > 50  # int64 weights vs 1 bit
    assert "on disk" in str(s) and "packed" in str(s)


def test_corrupt_packed_files_are_refused(tmp_path):
    net = mo.ThresholdNet.random([20, 5, 1], seed=0, weights="binary")
    path = net.compile(backend="numpy").save(tmp_path / "net.npz")
    with np.load(path) as z:
        arrays = dict(z)
    bad = tmp_path / "truncated.npz"
    np.savez(bad, **{**arrays, "bits": arrays["bits"][:-1]})
    with pytest.raises(mo.ModelFileError, match="truncated or corrupt"):
        PackedNet.load(bad)
    missing = tmp_path / "missing.npz"
    np.savez(missing, **{k: v for k, v in arrays.items() if k != "bits"})
    with pytest.raises(mo.ModelFileError, match="missing"):
        PackedNet.load(missing)
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(mo.ModelFileError):
        PackedNet.load(tmp_path / "junk.npz")
    with pytest.raises(mo.ModelFileError, match="does not exist"):
        PackedNet.load(tmp_path / "nope.npz")
    with pytest.raises(mo.ModelFileError):  # a plain ThresholdNet file is not a packed one
        PackedNet.load(net.save(tmp_path / "plain.npz"))
    import json

    meta = json.loads(bytes(arrays["__meta__"]).decode())
    meta["classes"] = [0, 1, 2]  # three labels for a one-unit output
    edited = tmp_path / "edited.npz"
    np.savez(edited, **{**arrays, "__meta__": np.frombuffer(json.dumps(meta).encode(), np.uint8)})
    with pytest.raises(mo.ModelFileError, match="inconsistent"):
        PackedNet.load(edited)
    with pytest.raises(mo.ModelFileError):
        mo.ThresholdNet.load(edited)
    with zipfile.ZipFile(path) as zf:
        assert all(not n.endswith(".pkl") for n in zf.namelist())


def test_bad_arguments_and_inputs():
    net = mo.ThresholdNet.random([4, 3, 1], seed=0, weights="binary")
    with pytest.raises(mo.ValidationError, match="backend"):
        net.compile(backend="gpu")
    with pytest.raises(mo.ValidationError, match="n_threads"):
        net.compile(backend="numpy", n_threads=0)
    packed = net.compile(backend="numpy")
    with pytest.raises(mo.ValidationError, match="features"):
        packed.predict(np.zeros((2, 5)))
    with pytest.raises(mo.ValidationError, match="NaN"):
        packed.predict(np.full((2, 4), np.nan))
    assert packed.score(np.ones((2, 4)), net.predict(np.ones((2, 4)))) == 1.0


# -------------------------------------------------------------------------------- CLI
def _cli():
    from typer.testing import CliRunner

    from mixedopt.cli import app

    return CliRunner(), app


def test_cli_export_packed_and_predict(tmp_path):
    runner, app = _cli()
    X, y = mo.datasets.load("digits")
    net = mo.ThresholdNet.random([64, 16, 10], seed=0, weights="ternary")
    model = net.save(tmp_path / "net.npz")
    out = tmp_path / "net.packed.npz"
    res = runner.invoke(
        app, ["export", str(model), "--format", "packed", "--out", str(out), "--check", "digits"]
    )
    assert res.exit_code == 0, res.output
    assert "1797/1797 predictions agree" in res.output
    assert mo.ThresholdNet.load(out) == net
    res = runner.invoke(app, ["predict", str(out), "--data", "digits", "--backend", "numpy"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.split()
    assert [int(v) for v in lines] == net.predict(X).tolist()
    assert f"accuracy {net.score(X, y):.4f}" in res.stderr
    for suffix in (".csv", ".json"):
        res = runner.invoke(
            app,
            ["predict", str(model), "--data", "digits", "--out", str(tmp_path / f"p{suffix}")],
        )
        assert res.exit_code == 0, res.output
    rows = (tmp_path / "p.csv").read_text().splitlines()
    assert rows[0] == "index,prediction,label" and len(rows) == 1798
    import json

    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["predictions"] == net.predict(X).tolist() and doc["n"] == 1797


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "{model}", "--format", "tflite", "--out", "x.npz"], "--format"),
        (["export", "{model}", "--format", "packed", "--out", "{tmp}"], "folder"),
        (["export", "{model}", "--format", "packed", "--out", "x.txt"], ".npz"),
        (["export", "{model}", "--format", "packed", "--out", "{model}"], "model file itself"),
        (["export", "{tmp}/nope.npz", "--format", "packed", "--out", "x.npz"], "does not exist"),
        (["export", "{model}", "-f", "packed", "-o", "x.npz", "--input-bound", "1"], "onnx only"),
        (["predict", "{tmp}/nope.npz", "--data", "digits"], "does not exist"),
        (["predict", "{model}", "--data", "nope"], "unknown data set"),
        (["predict", "{model}", "--data", "iris"], "features"),
        (["predict", "{model}", "--data", "digits", "--out", "p.txt"], ".csv or .json"),
        (["predict", "{model}", "--data", "digits", "--backend", "gpu"], "--backend"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_code_2(tmp_path, args, message):
    runner, app = _cli()
    model = mo.ThresholdNet.random([64, 4, 10], seed=0, weights="binary").save(tmp_path / "m.npz")
    argv = [a.format(model=model, tmp=tmp_path) for a in args]
    res = runner.invoke(app, argv)
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
