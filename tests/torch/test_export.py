"""Saving, exporting and converting models (round trips checked on real outputs)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import mixedopt as mo
from mixedopt.errors import ModelFileError, ValidationError
from mixedopt.torch import (
    build_model,
    export_model,
    load_exported,
    load_model,
    save_model,
    to_threshold_net,
)


def _trained_like(model, seed=0):
    """Give BN layers non-trivial running statistics and affine parameters."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.5)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.randn(m.num_features, generator=g))  # some negative
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.3)
    return model.eval()


def test_save_and_load_model_round_trip(tmp_path):
    torch.manual_seed(0)
    m = _trained_like(
        build_model(
            "convnet4",
            activation="staircase3",
            rule="sste",
            in_channels=1,
            input_size=8,
            batch_norm=True,
        )
    )
    path = save_model(m, tmp_path / "m.pt", metadata={"test_acc": 0.9, "arr": np.arange(2)})
    doc = json.loads((tmp_path / "m.pt.json").read_text())
    assert doc["spec"]["activation"] == "staircase3" and doc["metadata"]["arr"] == [0, 1]
    m2, meta = load_model(path)
    assert meta["test_acc"] == 0.9 and m2.spec == m.spec
    x = torch.randn(5, 1, 8, 8)
    assert torch.equal(m(x), m2.eval()(x))
    (tmp_path / "m.pt.json").write_text("{")
    with pytest.raises(ModelFileError, match="corrupt"):
        load_model(path)
    with pytest.raises(ModelFileError, match="need both"):
        load_model(tmp_path / "none.pt")
    with pytest.raises(ValidationError, match="build_model"):
        save_model(torch.nn.Linear(2, 2), tmp_path / "x.pt")


@pytest.mark.parametrize("method", ["export", "torchscript"])
def test_exported_graph_gives_the_same_outputs(tmp_path, method):
    torch.manual_seed(0)
    m = _trained_like(
        build_model("convnet4", activation="sign", in_channels=1, input_size=8, batch_norm=True)
    )
    path = export_model(m, tmp_path / f"m.{method}", method=method)
    loaded = load_exported(path)
    x = torch.randn(7, 1, 8, 8)  # another batch size than the example
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), m(x))
    with pytest.raises(ModelFileError):
        load_exported(tmp_path / "missing")
    with pytest.raises(ValidationError):
        export_model(m, tmp_path / "y", method="onnx")


@pytest.mark.parametrize("activation", ["sign", "step01", "staircase3", "staircase5"])
@pytest.mark.parametrize("batch_norm", [True, False])
def test_mlp_converts_to_a_threshold_net_with_the_same_predictions(activation, batch_norm):
    torch.manual_seed(1)
    m = build_model(
        "mlp",
        activation=activation,
        num_classes=5,
        in_channels=1,
        input_size=(12,),
        hidden=[20, 10],
        batch_norm=batch_norm,
    )
    m = _trained_like(m).double()
    net = to_threshold_net(m)
    assert isinstance(net, mo.ThresholdNet) and net.sizes == [12, 20, 10, 5]
    assert net.metadata["batch_norm_folded"] is batch_norm
    X = np.random.default_rng(0).standard_normal((400, 12))
    with torch.no_grad():
        logits = m(torch.from_numpy(X)[:, None, :])
    np.testing.assert_array_equal(net.predict(X), logits.argmax(1).numpy())
    np.testing.assert_allclose(net.decision_function(X), logits.numpy(), atol=1e-9)
    # the hidden activations agree too (the folded pre-activations have the same sign)
    acts = net.activations(X)
    with torch.no_grad():
        h = (
            m[:4](torch.from_numpy(X)[:, None, :])
            if batch_norm
            else m[:3](torch.from_numpy(X)[:, None, :])
        )
    np.testing.assert_array_equal(acts[0], h.numpy())


def test_conversion_refuses_other_architectures():
    with pytest.raises(ValidationError, match="cannot convert"):
        to_threshold_net(build_model("convnet4", in_channels=1, input_size=8))
    with pytest.raises(ValidationError, match="relu"):
        to_threshold_net(build_model("mlp", activation="relu", in_channels=1, input_size=(3,)))


@pytest.mark.parametrize("batch_norm", [True, False])
def test_input_preprocessing_folds_into_the_first_layer(batch_norm):
    torch.manual_seed(2)
    m = build_model(
        "mlp",
        activation="sign",
        num_classes=4,
        in_channels=2,
        input_size=(3, 3),
        hidden=[16],
        batch_norm=batch_norm,
    )
    m = _trained_like(m).double()
    rng = np.random.default_rng(1)
    shift = rng.normal(size=(2, 1, 1)) * 5  # one value per channel
    scale = rng.uniform(0.1, 2.0, size=(2, 1, 1))
    net = to_threshold_net(m, input_scale=scale, input_shift=shift, classes=list("abcd"))
    X_raw = rng.normal(size=(300, 18)) * 4 + 3
    with torch.no_grad():
        logits = m(torch.from_numpy((X_raw.reshape(-1, 2, 3, 3) - shift) * scale))
    np.testing.assert_allclose(net.decision_function(X_raw), logits.numpy(), atol=1e-9)
    assert net.predict(X_raw).tolist() == ["abcd"[c] for c in logits.argmax(1).numpy().tolist()]
    meta = net.metadata["input_preprocessing"]
    assert (
        meta["folded"] and np.allclose(meta["shift"], shift) and np.allclose(meta["scale"], scale)
    )
    # a flat per-input scale and a scalar shift give the same net as their broadcast forms
    flat = to_threshold_net(
        m, input_scale=np.repeat(scale.ravel(), 9), input_shift=np.repeat(shift.ravel(), 9)
    )
    np.testing.assert_allclose(flat.weights[0], net.weights[0])
    np.testing.assert_allclose(flat.biases[0], net.biases[0])
    # recorded only: the net stays on preprocessed inputs
    kept = to_threshold_net(m, input_scale=scale, input_shift=shift, fold_input=False)
    np.testing.assert_array_equal(kept.weights[0], to_threshold_net(m).weights[0])
    assert kept.metadata["input_preprocessing"]["folded"] is False


def test_folding_errors_are_clear():
    with pytest.raises(ValidationError, match="cannot fold the input preprocessing into Conv2d"):
        to_threshold_net(build_model("convnet4", in_channels=1, input_size=8), input_scale=0.5)
    mlp = build_model("mlp", in_channels=1, input_size=(4,), hidden=[3])
    with pytest.raises(ValidationError, match="does not broadcast"):
        to_threshold_net(mlp, input_scale=np.ones(3))
    with pytest.raises(ValidationError, match="finite"):
        to_threshold_net(mlp, input_shift=np.inf)


@pytest.mark.parametrize("name", ["digits", "pima", "synthetic:n=40,test=10,size=4"])
def test_raw_split_is_the_load_data_split_before_preprocessing(name):
    from mixedopt.torch.data import raw_split

    r = raw_split(name)
    d = r.tensors
    for raw, x in ((r.X_train, d.X_train), (r.X_test, d.X_test)):
        assert raw.shape == (x.shape[0], int(np.prod(d.input_shape)))
        np.testing.assert_allclose(r.scaling.apply(raw), x.numpy(), atol=1e-5)
    assert r.scaling.input_shape == d.input_shape and d.scaling is not None
    np.testing.assert_array_equal(np.asarray(r.classes)[d.y_test.numpy()], r.y_test)
    if name != "digits":
        return
    X, _ = mo.datasets.load("digits")
    assert r.X_test.max() == 16 and {tuple(row) for row in r.X_test} <= {tuple(row) for row in X}
    # the preprocessed training inputs are standardized (one mean/std for the images)
    assert abs(float(d.X_train.mean())) < 1e-5 and abs(float(d.X_train.std()) - 1) < 1e-3


def test_a_trained_mlp_converts_to_a_net_on_raw_table_rows():
    from mixedopt.torch import fit
    from mixedopt.torch.data import raw_split

    res = fit(model="mlp", data="pima", activation="sign", epochs=1, seed=0, max_steps=5)
    r = raw_split("pima")
    net = to_threshold_net(
        res.model, input_scale=r.scaling.scale, input_shift=r.scaling.shift, classes=r.classes
    )
    with torch.no_grad():
        codes = res.model.eval()(r.tensors.X_test).argmax(1).numpy()
    # string labels come back; float32 torch vs float64 numpy: rare flips at 0 only
    pred = net.predict(r.X_test)
    assert set(pred) <= {"tested_negative", "tested_positive"}
    assert np.mean(pred != np.asarray(r.classes)[codes]) <= 0.01
    assert net.score(r.X_test, r.y_test) == pytest.approx(res.final["test_acc"], abs=0.011)
