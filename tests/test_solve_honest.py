"""Issue 12, item 5: an honest CLI on real data (quantisation, no exact model, convex gap)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

import mixedopt as mo
from mixedopt.cli import app
from mixedopt.cli.solve import exact_model_note, quantize_inputs
from mixedopt.cli.train import CONVEX_GAP_NOTE
from mixedopt.errors import ValidationError

runner = CliRunner()


def _csv(path, X, y):
    rows = [
        "a,b,label",
        *(f"{float(a)!r},{float(b)!r},{t}" for (a, b), t in zip(X, y, strict=True)),
    ]
    path.write_text("\n".join(rows) + "\n")
    return str(path)


@pytest.fixture
def real_csv(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 2))
    return _csv(tmp_path / "real.csv", X, (X[:, 0] > 0).astype(int))


def test_quantize_inputs():
    X = np.array([[0.123456, 1.0], [0.5, 3.25]])
    Xq, line = quantize_inputs(X, "1")
    assert Xq.tolist() == [[0.1, 1.0], [0.5, 3.2]] and "2 of 4 values changed" in line
    Xa, line = quantize_inputs(np.array([[0.1234567891], [2.0]]), "auto")  # range 1.88
    assert "rounded to 3 decimal(s)" in line and Xa[0, 0] == 0.123
    _, line = quantize_inputs(np.array([[1.0], [2.0]]), "auto")
    assert "already exact (integers)" in line
    for bad in ("7", "-1", "x"):
        with pytest.raises(ValidationError, match="--quantize takes"):
            quantize_inputs(X, bad)


def test_solve_on_real_data_points_to_quantize(real_csv):
    res = runner.invoke(app, ["solve", "-d", real_csv, "-t", "2", "--no-progress"])
    assert res.exit_code == 2
    assert "--quantize" in res.output and "np.round" not in res.output


def test_solve_quantize_auto_rounds_and_says_so(real_csv):
    res = runner.invoke(app, ["solve", "-d", real_csv, "-t", "2", "--no-progress", "-q", "3"])
    assert res.exit_code == 0, res.output
    assert "rounded to 3 decimal(s)" in res.output and "status" in res.output


def test_solve_says_decimal_inputs_are_exact(tmp_path):
    X = np.array([[0.5, 0.1], [0.7, 0.2], [0.2, 0.9], [0.4, 0.6]])
    data = _csv(tmp_path / "dec.csv", X, [0, 1, 1, 0])
    res = runner.invoke(app, ["solve", "-d", data, "-t", "2", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "rationals with common denominator 10" in res.output


def test_no_exact_model_is_said_by_engine_and_cli(monkeypatch):
    import mixedopt.exact.engine as engine

    monkeypatch.setattr(engine, "MODEL_MAX_CELLS", 10)
    X, y, _ = mo.datasets.planted(m=40, d=2, h=2, noise=0.15, seed=0)
    res = mo.train_exact(X, y, hidden=[2], backend="scip", time_limit=1.5, seed=0)
    note = res.info["exact_model"]
    assert "no exact model built" in note and "10-cell cap" in note
    assert any(ev.message == note for ev in res.log)
    out = runner.invoke(
        app,
        [
            "solve",
            "-d",
            "planted:m=40,d=2,h=2,noise=0.15",
            "--hidden",
            "2",
            "-b",
            "scip",
            "-t",
            "1.5",
        ],
    )
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.replace("│", " ").split())
    assert "exact model none built" in text and "10-cell cap" in text


def test_exact_model_note_for_a_phase_left_without_time():
    res = SimpleNamespace(info={"phases": [{"phase": "dichotomy", "status": "skipped"}]})
    assert "no time was left for dichotomy" in exact_model_note(res)
    assert exact_model_note(SimpleNamespace(info={"phases": []})) is None


def test_train_convex_explains_its_gap():
    res = runner.invoke(app, ["train", "--algo", "convex", "-d", "xor", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert CONVEX_GAP_NOTE in " ".join(res.output.split())
