"""Issue 12, item 6: the small things of the surface (help, bench, datasets, summary, input)."""

from __future__ import annotations

import importlib.util
import io
import re

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

import mixedopt as mo
from mixedopt.cli import app
from mixedopt.cli.bench import BENCHMARKS, describe, scripts_dir
from mixedopt.errors import ValidationError
from mixedopt.validation import check_array

runner = CliRunner()


@pytest.mark.parametrize(
    "args", [[], ["solve"], ["train"], ["inspect"], ["datasets"], ["demo"], ["bench"]]
)
def test_help_shows_flags_without_a_bool_type(args):
    res = runner.invoke(app, [*args, "--help"], terminal_width=140)
    assert res.exit_code == 0, res.output
    assert "<bool>" not in res.output
    assert "--help" in res.output


def test_help_still_shows_other_types():
    res = runner.invoke(app, ["train", "--help"], terminal_width=140)
    assert "--no-progress" in res.output and "<int>" in res.output


def test_bench_descriptions_are_whole_plain_sentences():
    folder = scripts_dir()
    for script in BENCHMARKS.values():
        text = describe(folder / script)
        assert text and text.endswith("."), (script, text)
        assert not re.search(r":[a-z]+:`|``|\*\*", text), text
    assert "Threshold Activation Functions" in describe(folder / BENCHMARKS["convex"])
    assert "mixedopt.perceptron against" in describe(folder / BENCHMARKS["perceptron"])


def test_datasets_says_it_is_loading_on_stderr(monkeypatch):
    import mixedopt.cli.datasets as cmd

    buf = io.StringIO()
    monkeypatch.setattr(cmd, "err_console", Console(file=buf, force_terminal=True))
    res = runner.invoke(app, ["datasets", "xor"])
    assert res.exit_code == 0, res.output
    assert "loading data set xor" in buf.getvalue()
    assert "loading" not in res.stdout


def test_summary_whole_bytes_and_a_note_on_stored():
    text = str(mo.ThresholdNet.random([6, 3, 1], seed=0, weights="binary").summary())
    assert not re.search(r"\d\.\d+ B\b", text), text
    total = next(line for line in text.splitlines() if line.startswith("total"))
    assert "4 B" in total  # 21 params -> 3 B, 4 params -> 1 B
    assert "stored: bytes at each layer's own weight width" in text


def test_check_array_names_non_numeric_columns_of_a_frame():
    class Frame:  # what check_array looks at, without pandas
        columns = ("age", "city", "flag")
        dtypes = (np.dtype("float64"), np.dtype("O"), np.dtype("bool"))

        def __array__(self, dtype=None, copy=None):
            raise ValueError("could not convert string to float: 'Paris'")

    with pytest.raises(ValidationError, match=r"1 non-numeric column\(s\): 'city'"):
        check_array(Frame())


@pytest.mark.skipif(importlib.util.find_spec("pandas") is None, reason="needs pandas")
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_estimators_name_string_columns_of_a_dataframe():
    import pandas as pd

    X = pd.DataFrame(
        {
            "a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            "city": ["x", "y", "x", "y", "x", "y"],
            "kind": pd.Categorical(list("uvuvuv")),
            "ok": [True, False, True, False, True, False],
        }
    )
    y = [0, 1, 0, 1, 0, 1]
    clf = mo.FTPropClassifier(hidden=(2,), max_iter=2, random_state=0)
    with pytest.raises(ValidationError, match=r"2 non-numeric column\(s\): 'city', 'kind'") as e:
        clf.fit(X, y)
    assert "get_dummies" in str(e.value)
    clf.fit(X[["a", "ok"]], y)
    with pytest.raises(ValidationError, match="'city'"):
        clf.predict(X[["a", "city"]])
