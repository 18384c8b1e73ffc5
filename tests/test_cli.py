"""The mixedopt command line: help everywhere, tables, one-line errors with exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mixedopt.cli import app

runner = CliRunner()


def test_help_lists_commands():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for cmd in ("datasets", "demo"):
        assert cmd in res.output


def test_commands_keep_their_order():
    """One module per command (mixedopt/cli/*.py); `mixedopt --help` lists them as before."""
    names = [c.name for c in app.registered_commands]
    assert names == [
        "datasets",
        "demo",
        "solve",
        "torch-train",
        "train",
        "inspect",
        "export",
        "predict",
        "bench",
    ]


def test_starting_the_cli_imports_neither_torch_nor_scikit_learn():
    """`mixedopt --help` stays fast and works without the torch extra."""
    code = (
        "import sys, mixedopt.cli; "
        "bad = [m for m in ('torch', 'sklearn', 'networkx') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_command_has_help():
    commands = [c.name for c in app.registered_commands]
    assert commands
    for name in commands:
        sub = runner.invoke(app, [name, "--help"])
        assert sub.exit_code == 0, (name, sub.output)
        assert "Usage" in sub.output


def test_datasets_lists_builtins():
    res = runner.invoke(app, ["datasets"])
    assert res.exit_code == 0, res.output
    for name in ("pima", "titanic", "german", "spambase", "digits", "xor"):
        assert name in res.output
    assert "500/268" in res.output  # pima class balance


def test_datasets_describe_one():
    res = runner.invoke(app, ["datasets", "pima"])
    assert res.exit_code == 0
    assert "768" in res.output


def test_unknown_dataset_is_one_line_error():
    res = runner.invoke(app, ["datasets", "no-such-set"])
    assert res.exit_code == 2
    assert "error:" in res.output
    assert "Traceback" not in res.output


def test_console_script_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "mixedopt.cli", "datasets", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "unknown data set" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [["datasets", "--bogus-flag"], ["no-such-command"]])
def test_usage_errors_exit_nonzero(args):
    res = runner.invoke(app, args)
    assert res.exit_code != 0


def test_bench_lists_runs_and_rejects():
    res = runner.invoke(app, ["bench"])
    assert res.exit_code == 0
    for name in ("exact", "perceptron", "ftprop", "torch", "convex", "deploy", "fewshot"):
        assert name in res.output
    bad = runner.invoke(app, ["bench", "nope"])
    assert bad.exit_code == 2 and "unknown benchmark 'nope'" in bad.output
    # options reach the script: its own argparse answers --help and rejects a bogus flag
    ok = subprocess.run(
        [sys.executable, "-m", "mixedopt.cli", "bench", "perceptron", "--", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0 and "bench_perceptron.py" in ok.stdout
    no = subprocess.run(
        [sys.executable, "-m", "mixedopt.cli", "bench", "perceptron", "--bogus"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert no.returncode == 2 and "unrecognized arguments: --bogus" in no.stderr
