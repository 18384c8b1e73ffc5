"""Issue 12, item 4: ``verbose=1`` prints progress like scikit-learn; ``dir(mixedopt)``."""

from __future__ import annotations

import logging

import pytest

import mixedopt as mo
from mixedopt.errors import ValidationError


@pytest.fixture
def xor():
    return mo.datasets.load("xor")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_ftprop_verbose_prints_epochs_without_logging(capsys, xor):
    logging.getLogger("mixedopt").setLevel(logging.WARNING)  # nothing configured
    X, y = xor
    mo.FTPropClassifier(hidden=(4,), max_iter=3, random_state=0, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert out.count("[FTPropClassifier] epoch ") == 3 and "train accuracy" in out
    mo.FTPropClassifier(hidden=(4,), max_iter=3, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_exact_verbose_prints_incumbents_and_the_status(capsys, xor):
    X, y = xor
    seen = []
    clf = mo.ExactThresholdClassifier(hidden=(2,), time_limit=5, random_state=0, verbose=1)
    clf.fit(X, y, callback=seen.append)
    out = capsys.readouterr().out
    assert "[ExactThresholdClassifier]" in out and "objective" in out
    assert "done: optimal" in out.splitlines()[-1]
    assert seen  # the user's callback still runs
    assert "verbose" in clf.get_params()


def test_convex_verbose_prints_start_and_end(capsys, xor):
    X, y = xor
    mo.ConvexThresholdClassifier(method="pi", random_state=0, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[ConvexThresholdClassifier] solving the pi program")
    assert "done:" in lines[-1] and "gap" in lines[-1]


@pytest.mark.parametrize("bad", [True, -1, 1.5, "yes"])
def test_verbose_must_be_an_int(bad, xor):
    X, y = xor
    with pytest.raises(ValidationError, match="verbose must be an int"):
        mo.ConvexThresholdClassifier(method="pi", verbose=bad).fit(X, y)


def test_dir_shows_only_the_public_api():
    import mixedopt.io  # noqa: F401 - a loaded submodule must not show up

    names = dir(mo)
    assert names == sorted(mo.__all__)
    for leaked in ("io", "network", "importlib", "logging", "annotations", "_LAZY", "Any"):
        assert leaked not in names
    assert {"ThresholdNet", "FTPropClassifier", "train_exact", "datasets"} <= set(names)
