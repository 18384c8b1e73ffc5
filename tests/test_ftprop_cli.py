"""`mixedopt train` and `mixedopt inspect` end to end (small data, few epochs)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import mixedopt as mo
from mixedopt.cli import app

runner = CliRunner()


def test_train_then_inspect(tmp_path):
    model = tmp_path / "model.npz"
    res = runner.invoke(
        app,
        [
            "train",
            "--algo",
            "ftprop",
            "--data",
            "breast_cancer",
            "--hidden",
            "8,4",
            "--epochs",
            "3",
            "--target-step",
            "greedy",
            "--param",
            "batch_size=64",
            "--out",
            str(model),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "epoch   3" in res.output and "test accuracy" in res.output
    net = mo.ThresholdNet.load(model)
    assert net.sizes == [30, 8, 4, 1]
    meta = net.metadata["mixedopt_train"]
    assert meta["data"] == "breast_cancer" and meta["params"]["batch_size"] == 64
    assert len(net.metadata["history"]["epoch"]) == 3

    out = tmp_path / "report"
    res = runner.invoke(app, ["inspect", str(model), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "target assignment" in res.output
    for name in ("report.html", "report.json", "targets_layer0.png", "training.png"):
        assert (out / name).exists(), name
    rep = json.loads((out / "report.json").read_text())
    assert len(rep["layers"]) == 3 and rep["history"]["epoch"] == [1, 2, 3]


def test_train_exact_and_errors(tmp_path):
    res = runner.invoke(
        app,
        [
            "train",
            "--algo",
            "exact",
            "--data",
            "xor",
            "--hidden",
            "2",
            "--test-size",
            "0",
            "--time-limit",
            "20",
            "--out",
            str(tmp_path / "x.npz"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "optimal" in res.output
    res = runner.invoke(app, ["inspect", str(tmp_path / "x.npz"), "--split", "all"])
    assert res.exit_code == 0, res.output

    res = runner.invoke(app, ["train", "--algo", "exact", "--data", "xor", "--epochs", "3"])
    assert res.exit_code == 2 and "--epochs does not apply to --algo exact" in res.output
    res = runner.invoke(app, ["train", "--algo", "magic", "--data", "xor"])
    assert res.exit_code == 2 and "unknown --algo" in res.output
    res = runner.invoke(app, ["train", "--data", "xor", "--param", "nonsense=1"])
    assert res.exit_code == 2 and "not a parameter" in res.output
    res = runner.invoke(app, ["inspect", str(tmp_path / "missing.npz")])
    assert res.exit_code == 2


def test_convex_dispatches_through_its_estimator(tmp_path):
    from mixedopt.cli.train import estimator_class

    try:
        estimator_class("convex")
    except mo.ValidationError:
        pytest.skip("ConvexThresholdClassifier is not in this tree")
    res = runner.invoke(
        app,
        ["train", "--algo", "convex", "--data", "xor", "--test-size", "0", "--hidden", "2"],
    )
    assert res.exit_code == 2 and "--hidden does not apply to --algo convex" in res.output
    res = runner.invoke(
        app,
        [
            "train",
            "--algo",
            "convex",
            "--data",
            "moons",
            "--param",
            "n_patterns=20",
            "--out",
            str(tmp_path / "c.npz"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert mo.ThresholdNet.load(tmp_path / "c.npz").metadata["mixedopt_train"]["algo"] == "convex"
