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
