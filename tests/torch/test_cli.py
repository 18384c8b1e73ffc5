"""``mixedopt torch-train`` end to end, and the import boundary of the torch extra."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mixedopt.cli import app

runner = CliRunner()


def test_readme_command_works():
    res = runner.invoke(
        app, ["torch-train", "--model", "convnet4", "--data", "digits", "--epochs", "1"]
    )
    assert res.exit_code == 0, res.output
    assert "test accuracy" in res.output and "convnet4" in res.output


def test_outputs_are_written(tmp_path):
    args = [
        "torch-train",
        "-m",
        "mlp",
        "-a",
        "staircase3",
        "-r",
        "sste",
        "-d",
        "digits",
        "-e",
        "2",
        "--max-steps",
        "3",
        "-o",
        "hidden=16",
        "-o",
        "batch_norm=false",
        "--save",
        str(tmp_path / "m.pt"),
        "--export",
        str(tmp_path / "m.pt2"),
        "--capture-targets",
        str(tmp_path / "t.npz"),
        "--metrics",
        str(tmp_path / "m.jsonl"),
        "--checkpoint",
        str(tmp_path / "c.pt"),
        "--summary",
        "--milestones",
        "2",
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    for name in ("m.pt", "m.pt.json", "m.pt2", "t.npz", "m.jsonl", "c.pt"):
        assert (tmp_path / name).is_file(), name
    lines = (tmp_path / "m.jsonl").read_text().splitlines()
    assert [json.loads(s)["lr"] for s in lines] == [pytest.approx(1e-3), pytest.approx(1e-4)]
    assert "MACs" in res.output  # the summary
    meta = json.loads((tmp_path / "m.pt.json").read_text())
    assert meta["spec"]["options"] == {"hidden": [16], "batch_norm": False}
    res = runner.invoke(
        app,
        [
            "torch-train",
            "-m",
            "mlp",
            "-d",
            "digits",
            "-e",
            "3",
            "--max-steps",
            "2",
            "-o",
            "hidden=16",
            "-o",
            "batch_norm=false",
            "-a",
            "staircase3",
            "-r",
            "sste",
            "--resume",
            str(tmp_path / "c.pt"),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert '"epochs": 3' in res.output


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--activation", "tanh"], "kind"),
        (["--rule", "magic"], "rule"),
        (["--data", "cifar10"], "--data-dir"),
        (["--option", "hidden"], "key=value"),
        (["--epochs", "0"], "epochs"),
        (["--resume", "/nonexistent/ck.pt"], "not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, match):
    res = runner.invoke(app, ["torch-train", "-m", "mlp", *args])
    assert res.exit_code == 2, res.output
    assert match in res.output and "Traceback" not in res.output


def test_import_mixedopt_does_not_import_torch():
    code = "import sys, mixedopt; mixedopt.ThresholdNet; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_missing_torch_gives_a_clear_error():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import mixedopt\n"
        "try:\n"
        "    import mixedopt.torch\n"
        "except mixedopt.SolverUnavailableError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "pip install 'mixedopt[torch]'" in out


def test_save_net_reads_the_raw_data_set_and_inspect_works(tmp_path):
    import numpy as np
    import torch

    import mixedopt as mo
    from mixedopt.torch import load_model
    from mixedopt.torch.data import raw_split

    net_path, pt = tmp_path / "net.npz", tmp_path / "m.pt"
    args = ["torch-train", "-m", "mlp", "-d", "digits", "-e", "1", "-o", "hidden=32"]
    res = runner.invoke(app, [*args, "--save", str(pt), "--save-net", str(net_path)])
    assert res.exit_code == 0, res.output
    assert "ThresholdNet test accuracy" in res.output and "on raw inputs" in res.output
    net = mo.ThresholdNet.load(net_path)
    assert net.metadata["input_preprocessing"]["folded"] is True
    model, _ = load_model(pt)
    r = raw_split("digits")
    with torch.no_grad():
        torch_codes = model.eval()(r.tensors.X_test).argmax(1).numpy()
    # the net on raw 0..16 pixels vs the torch model on the loader's standardized inputs
    assert np.mean(net.predict(r.X_test) != np.asarray(r.classes)[torch_codes]) <= 0.01
    torch_acc = float(np.mean(torch_codes == r.tensors.y_test.numpy()))
    assert torch_acc > 0.3  # it learned something, so the agreement is not trivial
    assert abs(net.score(r.X_test, r.y_test) - torch_acc) <= 0.01
    # mixedopt inspect on the raw data set: same split, same accuracy
    res = runner.invoke(app, ["inspect", str(net_path), "--data", "digits", "--split", "test"])
    assert res.exit_code == 0, res.output
    assert f"accuracy {net.score(r.X_test, r.y_test):.3f}" in res.output


def test_save_net_json_and_refusal_before_training(tmp_path):
    args = ["torch-train", "-m", "mlp", "-d", "iris", "-e", "1", "--max-steps", "2", "--json"]
    res = runner.invoke(app, [*args, "--save-net", str(tmp_path / "n")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output[res.output.rindex('{\n  "final"') :])
    rep = doc["save_net"]
    assert rep["path"].endswith("n.npz") and (tmp_path / "n.npz").is_file()
    assert rep["disagreements"] <= 1 and rep["n_test"] == 30
    res = runner.invoke(
        app, ["torch-train", "-m", "convnet4", "--save-net", str(tmp_path / "c.npz")]
    )
    assert res.exit_code == 2 and "cannot be converted" in res.output
    assert "epoch" not in res.output  # refused before any training
