"""ONNX export: onnxruntime predicts what mixedopt predicts, ties included, for random numpy
nets of every kind, the benchmark nets, and torch models trained by the torch backend."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from mo_deploy import nets_and_inputs

import mixedopt as mo

onnx = pytest.importorskip("onnx", reason="onnx not installed (pip install 'mixedopt[deploy]')")
pytest.importorskip("onnxruntime", reason="onnxruntime not installed (deploy extra)")

from mixedopt.export import ONNX_OPSET, OnnxModel, export_onnx  # noqa: E402


def _integer_valued(X: np.ndarray) -> bool:
    return bool(np.all(X == np.round(X)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=nets_and_inputs(kinds=("pm1", "01", "small", "float")))
def test_onnx_predictions_equal_threshold_net(case):
    net, X = case
    bounds = [None, float(np.abs(X).max())] if _integer_valued(X) else [None]
    for bound in bounds:
        model = OnnxModel(export_onnx(net, input_bound=bound))
        np.testing.assert_array_equal(model.predict(X), net.predict(X))
        np.testing.assert_array_equal(model.predict_codes(X), net.predict_codes(X))
        scores, ref = model.decision_function(X), net.decision_function(X)
        if _integer_valued(X) and all(w.dtype.kind == "i" for w in net.weights):
            np.testing.assert_array_equal(scores, ref)  # exact arithmetic end to end
        else:
            np.testing.assert_allclose(scores, ref, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("weights", ["binary", "ternary"])
def test_bench_nets_agree_and_run_in_float32(weights):
    net = mo.ThresholdNet.random([784, 256, 256, 10], seed=0, weights=weights)
    X = np.random.default_rng(0).choice([-1, 1], (300, 784)).astype(np.float32)
    proto = export_onnx(net, input_bound=1)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert {o.name for o in proto.graph.output} == {"index", "scores", "label"}
    model = OnnxModel(proto)
    np.testing.assert_array_equal(model.predict(X), net.predict(X))
    np.testing.assert_array_equal(model.decision_function(X), net.decision_function(X))


def test_thresholds_are_decided_as_mixedopt():
    # z = 0 in the hidden layer and an argmax tie at the output
    W = [np.array([[1, -1], [1, 1]]), np.array([[1, 0], [1, 0], [0, 1]])]
    B = [np.array([0, 0]), np.array([0, 0, -5])]
    X = np.array([[1.0, 1.0], [-1.0, -1.0], [2.0, 2.0]])
    for act in ("sign", "step", "staircase3"):
        net = mo.ThresholdNet(W, B, act, classes=["a", "b", "c"])
        model = OnnxModel(export_onnx(net))
        assert model.predict(X).tolist() == net.predict(X).tolist()
        np.testing.assert_array_equal(model.decision_function(X), net.decision_function(X))
    binary = mo.ThresholdNet([np.array([[1, -1]])], [np.array([0])])
    assert OnnxModel(export_onnx(binary)).predict(np.array([[3.0, 3.0]]))[0] == 1  # sign(0)


def test_graph_opset_metadata_and_file(tmp_path):
    net = mo.ThresholdNet.random([5, 3, 1], seed=0, classes=["no", "yes"])
    path = tmp_path / "net.onnx"
    proto = export_onnx(net, path)
    assert proto.opset_import[0].version == ONNX_OPSET == 17
    back = onnx.load(str(path))
    onnx.checker.check_model(back)
    model = OnnxModel(path)
    assert model.metadata["mixedopt.model"] == "ThresholdNet"
    assert "sign(0) = +1" in model.metadata["mixedopt.conventions"]
    X = np.random.default_rng(0).normal(size=(7, 5))
    assert model.predict(X).tolist() == net.predict(X).tolist()
    packed = net.compile(backend="numpy")  # a PackedNet exports the same graph
    assert OnnxModel(export_onnx(packed)).predict(X).tolist() == net.predict(X).tolist()


def test_bad_input():
    with pytest.raises(mo.ValidationError, match="cannot export"):
        export_onnx(object())
    net = mo.ThresholdNet.random([3, 2, 1], seed=0)
    with pytest.raises(mo.ValidationError, match="input_bound"):
        export_onnx(net, input_bound=-1)
    model = OnnxModel(export_onnx(net))
    with pytest.raises(mo.ValidationError, match="expects"):
        model.predict(np.zeros((2, 4)))
    with pytest.raises(mo.ModelFileError):
        OnnxModel(b"not an onnx model")


# ----------------------------------------------------------------------------- torch
@pytest.fixture(scope="module")
def digits():
    pytest.importorskip("torch", reason="torch not installed (pip install 'mixedopt[torch]')")
    from mixedopt.torch import load_data

    return load_data("digits")


def _torch_predict(model, X):
    import torch

    with torch.no_grad():
        return model(X).argmax(1).numpy()


@pytest.fixture(scope="module")
def trained_mlp(digits):
    """A tiny sign MLP trained by the torch backend (1 epoch, capped at 10 steps)."""
    from mixedopt.torch import fit

    res = fit(
        model="mlp",
        data=digits,
        activation="sign",
        epochs=1,
        max_steps=10,
        seed=0,
        model_options={"hidden": [32]},
    )
    return res.model.eval()


@pytest.mark.torch
def test_trained_torch_mlp_agrees(digits, trained_mlp):
    import copy

    from mixedopt.torch import to_threshold_net

    X = digits.X_test
    got = OnnxModel(export_onnx(trained_mlp)).predict_codes(X.numpy())
    np.testing.assert_array_equal(got, _torch_predict(trained_mlp, X))
    model64 = copy.deepcopy(trained_mlp).double()  # a float64 graph for a float64 model
    got64 = OnnxModel(export_onnx(model64)).predict_codes(X.numpy().astype(np.float64))
    np.testing.assert_array_equal(got64, _torch_predict(model64, X.double()))
    net = to_threshold_net(model64)  # and its numpy ThresholdNet exports as such
    flat = X.numpy().reshape(len(X), -1).astype(np.float64)
    np.testing.assert_array_equal(OnnxModel(export_onnx(net)).predict(flat), net.predict(flat))


@pytest.mark.torch
@pytest.mark.parametrize(
    ("name", "activation", "options"),
    [
        ("mlp", "staircase3", {"hidden": [32, 16]}),
        ("convnet4", "step01", {}),
        ("conv1d", "sign", {"channels": [8, 8]}),
    ],
)
def test_torch_models_agree(digits, name, activation, options):
    import torch

    from mixedopt.torch import build_model

    torch.manual_seed(0)
    X = digits.X_test.reshape(-1, 1, 64) if name == "conv1d" else digits.X_test
    model = build_model(
        name,
        activation=activation,
        num_classes=10,
        in_channels=1,
        input_size=tuple(X.shape[2:]),
        **options,
    )
    for mod in model.modules():  # batch norm statistics of a trained model
        if isinstance(mod, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 2.0)
    model.eval()
    onnx_model = OnnxModel(export_onnx(model))
    np.testing.assert_array_equal(onnx_model.predict_codes(X.numpy()), _torch_predict(model, X))
    flat = X.numpy().reshape(len(X), -1)  # flat rows are reshaped to the model's input
    np.testing.assert_array_equal(onnx_model.predict_codes(flat), _torch_predict(model, X))


@pytest.mark.torch
def test_unsupported_torch_model_is_refused(digits):
    from mixedopt.torch import build_model

    model = build_model("resnet18", num_classes=10, in_channels=1, input_size=8)
    with pytest.raises(mo.ValidationError, match="cannot export layer"):
        export_onnx(model)


# -------------------------------------------------------------------------------- CLI
def test_cli_export_onnx_and_predict(tmp_path):
    from typer.testing import CliRunner

    from mixedopt.cli import app

    runner = CliRunner()
    X, _ = mo.datasets.load("digits")
    net = mo.ThresholdNet.random([64, 16, 10], seed=1, weights="binary", activation="step")
    model = net.save(tmp_path / "net.npz")
    for extra in ([], ["--input-bound", "16"]):
        out = tmp_path / "net.onnx"
        res = runner.invoke(
            app, ["export", str(model), "--out", str(out), "--check", "digits", *extra]
        )
        assert res.exit_code == 0, res.output
        assert "opset 17" in res.output and "1797/1797" in res.output
        res = runner.invoke(app, ["predict", str(out), "--data", "digits"])
        assert res.exit_code == 0, res.output
        assert [int(v) for v in res.stdout.split()] == net.predict(X).tolist()
    res = runner.invoke(app, ["export", str(model), "--out", str(tmp_path / "x.onnx.txt")])
    assert res.exit_code == 2 and ".onnx" in res.output


@pytest.mark.torch
def test_cli_exports_a_saved_torch_model(tmp_path, trained_mlp, digits):
    from typer.testing import CliRunner

    from mixedopt.cli import app
    from mixedopt.torch import save_model

    path = save_model(trained_mlp, tmp_path / "mlp.pt")
    out = tmp_path / "mlp.onnx"
    res = CliRunner().invoke(app, ["export", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = OnnxModel(out).predict_codes(digits.X_test.numpy())
    np.testing.assert_array_equal(got, _torch_predict(trained_mlp, digits.X_test))
    res = CliRunner().invoke(app, ["export", str(path), "-f", "packed", "-o", "x.npz"])
    assert res.exit_code == 2 and "onnx only" in res.output
