"""`mixedopt demo` (what `make demo` runs) works end to end and its numbers are sane."""

from __future__ import annotations

import io

from rich.console import Console

import mixedopt as mo
from mixedopt.cli.demo import run_demo


def test_demo_runs_and_proves_its_optimum():
    buf = io.StringIO()
    out = run_demo(Console(file=buf, width=100), seed=0, time_limit=30)
    text = buf.getvalue()
    res = out["exact"]
    # the exact result is re-verified: its error count is the true one, and never above the
    # teacher's (the teacher is one network of the same shape)
    X, y, teacher = mo.datasets.planted(m=200, d=3, h=3, noise=0.05, seed=0)
    assert res.net is not None
    assert res.n_errors == res.net.n_errors(X, y)
    assert res.n_errors <= teacher.n_errors(X, y)
    if res.status is mo.Status.OPTIMAL:
        assert res.bound == res.objective == res.n_errors
    assert out["ftprop_test_accuracy"] > 0.6
    assert "test accuracy" in text and "status" in text
