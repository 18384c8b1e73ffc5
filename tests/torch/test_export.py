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
