"""Architectures: parameter counts from the paper, shapes, baselines, summary."""

from __future__ import annotations

import json

import pytest
import torch

from mixedopt.errors import ValidationError
from mixedopt.torch import ThresholdActivation, build_model, summary


def _count(name, **kw):
    with torch.device("meta"):
        m = build_model(name, **kw)
    return sum(p.numel() for p in m.parameters())


def test_parameter_counts_match_the_reference_architectures():
    assert _count("convnet4", num_classes=10, in_channels=3, input_size=32) == 4_259_274
    assert abs(_count("convnet8", num_classes=10, in_channels=3, input_size=32) - 1.49e6) < 5e3
    n_alex = _count("alexnet", num_classes=1000, in_channels=3, input_size=224)
    assert abs(n_alex - 62.4e6) < 0.05e6
    # torchvision's resnet18 has 11,689,512 parameters
    assert _count("resnet18", num_classes=1000, input_size=224, stem="imagenet") == 11_689_512


@pytest.mark.parametrize(
    ("name", "kw", "shape"),
    [
        ("convnet4", {"in_channels": 1, "input_size": 8}, (3, 1, 8, 8)),
        ("convnet4", {"in_channels": 3, "input_size": 32, "batch_norm": True}, (3, 3, 32, 32)),
        ("convnet8", {"in_channels": 3, "input_size": 40}, (3, 3, 40, 40)),
        ("alexnet", {"in_channels": 3, "input_size": 64}, (3, 3, 64, 64)),
        ("resnet18", {"in_channels": 3, "input_size": 16}, (3, 3, 16, 16)),
        ("resnet18", {"in_channels": 1, "input_size": 32, "stem": "imagenet"}, (3, 1, 32, 32)),
        ("mlp", {"in_channels": 1, "input_size": (7,), "hidden": [5]}, (3, 1, 7)),
        ("conv1d", {"in_channels": 1, "input_size": 40}, (3, 1, 40)),
    ],
)
@pytest.mark.parametrize("activation", ["sign", "staircase3"])
def test_forward_backward_shapes(name, kw, shape, activation):
    torch.manual_seed(0)
    m = build_model(name, activation=activation, num_classes=4, **kw)
    out = m(torch.randn(*shape))
    assert out.shape == (3, 4)
    out.sum().backward()
    grads = [p.grad for p in m.parameters()]
    assert all(g is not None for g in grads)
    assert any(g.abs().sum() > 0 for g in grads[:2])  # the first layer learns through thresholds
    acts = [a for a in m.modules() if isinstance(a, ThresholdActivation)]
    assert acts and all(a.kind == activation for a in acts)
    assert m.input_shape == shape[1:]


def test_relu_baseline_and_spec():
    m = build_model("convnet4", activation="relu", rule="sste", in_channels=1, input_size=8)
    assert all(not a.is_threshold for a in m.modules() if isinstance(a, ThresholdActivation))
    assert m.spec["rule"] is None and m.spec["activation"] == "relu"
    m = build_model(
        "mlp", activation="sign", rule="sste", in_channels=1, input_size=4, hidden=(3, 2)
    )
    assert m.spec["options"] == {"hidden": [3, 2]} and m.spec["input_size"] == [4, 4]
    json.dumps(m.spec)


def test_bad_arguments():
    with pytest.raises(ValidationError, match="unknown model"):
        build_model("vgg")
    with pytest.raises(ValidationError, match="input_size >= 20"):
        build_model("convnet8", in_channels=1, input_size=8)
    with pytest.raises(ValidationError, match="hidden"):
        build_model("convnet4", hidden=[3])
    with pytest.raises(ValidationError, match="num_classes"):
        build_model("mlp", num_classes=0)
    with pytest.raises(ValidationError, match="1-D"):
        build_model("conv1d", input_size=(8, 8))
    with pytest.raises(ValidationError, match="stem"):
        build_model("resnet18", stem="tiny")


def test_summary_counts_macs_and_bits():
    m = build_model(
        "convnet4", activation="staircase3", num_classes=10, in_channels=3, input_size=32
    )
    s = summary(m)
    rows = {r.name: r for r in s.layers}
    # conv0: 32 output channels on 34x34, each 3*5*5 MACs
    assert rows["conv0"].macs == 32 * 34 * 34 * 75 and rows["conv0"].input_bits == 32
    assert rows["conv1"].input_bits == 2 and rows["conv1"].macs == 64 * 17 * 17 * 32 * 25
    assert rows["fc0"].macs == 4096 * 1024 and rows["fc0"].input_bits == 2
    assert rows["act0"].output_bits == 2 and rows["act0"].output_shape == [32, 17, 17]
    d = s.to_dict()
    assert d["totals"]["params"] == 4_259_274
    assert d["totals"]["macs"] == sum(r.macs for r in s.layers)
    assert set(d["totals"]["macs_by_input_bits"]) == {"2", "32"}
    assert d["totals"]["activation_compression"] == pytest.approx(16.0)
    json.dumps(d)
    text = str(s)
    assert "conv1" in text and "4,259,274" in text
    resnet = summary(build_model("resnet18", activation="sign", input_size=32))
    fc = next(r for r in resnet.layers if r.name == "fc")
    assert fc.input_bits == 32  # after the average pool
    with pytest.raises(ValidationError, match="input_shape"):
        summary(torch.nn.Linear(3, 2))
