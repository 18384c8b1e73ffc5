"""One-vs-one ensembles on an executor: the pairs as Ray tasks give the serial ensemble;
benchmark cells as Ray tasks (scripts/_cells.py through bench_fewshot.py).

The Ray tests share one local cluster (2 CPUs) started once for the module; they skip with
the reason when Ray is not installed or cannot start here. The error and ``n_jobs=1`` tests
run without Ray.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits

import mixedopt as mo
from mixedopt.errors import SolverUnavailableError, ValidationError


def _digits(classes=(0, 1, 7, 8), n=12):
    X, y = load_digits(return_X_y=True)
    keep = np.concatenate([np.flatnonzero(y == c)[:n] for c in classes])
    return X[keep], y[keep]


def _clf(**kw):
    # every pair reaches zero errors in its heuristic phase: a proven optimum that does not
    # depend on the wall clock, so serial and parallel runs must agree exactly
    params = {
        "hidden": (2,),
        "weights": "ternary",
        "time_limit": 12,
        "random_state": 0,
        "ensemble": "ovo",
    }
    params.update(kw)
    return mo.ExactThresholdClassifier(**params)


def _fit(est, X, y, **fit_kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y, **fit_kw)


@pytest.fixture(scope="module")
def ray_cluster():
    """A local 2-CPU Ray cluster for the module (fits reuse it instead of starting one)."""
    pytest.importorskip(
        "ray", reason="Ray is not installed (pip install 'mixedopt[ray]')", exc_type=ImportError
    )
    from mixedopt.executors import get_executor

    ex = get_executor("ray", n_jobs=2)
    try:
        ex.ray()
    except Exception as exc:  # pragma: no cover - sandboxes without shared memory / ports
        ex.close()
        pytest.skip(f"a local Ray cluster cannot start here: {exc}")
    yield ex
    ex.close()


def test_ovo_on_two_ray_workers_equals_serial(ray_cluster):
    X, y = _digits()
    serial = _fit(_clf(), X, y)
    events = []
    par = _fit(_clf(n_jobs=2, executor="ray"), X, y, callback=events.append)
    assert all(r.status is mo.Status.OPTIMAL for r in serial.results_)
    assert par.pairs_ == serial.pairs_
    assert par.status_ is serial.status_
    for a, b in zip(serial.estimators_, par.estimators_, strict=True):
        # each pair keeps its own budget and seed
        assert b.time_limit == pytest.approx(12 / 6) == a.time_limit
        assert b.random_state == a.random_state
        params_a, params_b = a.net_.weights + a.net_.biases, b.net_.weights + b.net_.biases
        for wa, wb in zip(params_a, params_b, strict=True):
            assert np.array_equal(wa, wb)
    assert np.array_equal(serial.predict(X), par.predict(X))
    assert np.array_equal(serial.decision_function(X), par.decision_function(X))
    # the parallel fit's estimator keeps its settings (clone / get_params work)
    assert clone(par).get_params()["n_jobs"] == 2
    # every pair's progress was replayed to the callback here
    assert len(events) == sum(len(r.log) for r in par.results_) > 0


def test_ovo_on_ray_replays_verbose_lines_and_warm_starts(ray_cluster, capsys):
    X, y = _digits(classes=(0, 1, 7))
    clf = _fit(_clf(n_jobs=2, executor="ray", verbose=1, warm_start=True), X, y)
    out = capsys.readouterr().out
    assert out.count("[ExactThresholdClassifier] done: optimal") == 3
    first = [n.weights for n in clf.nets_]
    _fit(clf, X, y)  # warm start: each pair starts from its previous (optimal) net
    assert len(clf.nets_) == 3 and clf.score(X, y) == 1.0
    assert all(r.status is mo.Status.OPTIMAL for r in clf.results_)
    assert [len(w) for w in first] == [len(n.weights) for n in clf.nets_]


def test_ovo_with_one_job_never_imports_ray(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # any `import ray` now fails
    X, y = _digits(classes=(0, 1, 7), n=8)
    clf = _fit(_clf(time_limit=6), X, y)
    assert len(clf.estimators_) == 3 and clf.score(X, y) == 1.0


def test_missing_ray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    X, y = _digits(classes=(0, 1, 7), n=8)
    with pytest.raises(SolverUnavailableError, match=r"mixedopt\[ray\]"):
        _fit(_clf(n_jobs=2), X, y)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"n_jobs": 0}, "n_jobs"),
        ({"n_jobs": 2, "executor": "serial"}, "executor='serial'"),
        ({"executor": "dask"}, "executor must be"),
        ({"address": 5}, "address"),
    ],
)
def test_bad_executor_settings_are_refused_before_fitting(kw, match):
    X, y = _digits(classes=(0, 1, 7), n=8)
    with pytest.raises(ValidationError, match=match):
        _clf(**kw).fit(X, y)


def test_benchmark_cells_run_as_ray_tasks(ray_cluster, tmp_path):
    path = Path(__file__).resolve().parents[1] / "scripts" / "bench_fewshot.py"
    spec = importlib.util.spec_from_file_location("bench_fewshot_ray", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    argv = ["--per-class", "2", "--seeds", "0,1,2", "--rows", "logreg", "--n-jobs", "2"]
    assert bench.main([*argv, "--executor", "ray", "--out", str(tmp_path)]) == 0
    payload = json.loads((tmp_path / "bench_fewshot.json").read_text())
    assert payload["run"]["executor"] == "ray" and payload["run"]["n_jobs"] == 2
    runs = payload["results"]["2"]["logreg"]["runs"]
    assert [r["seed"] for r in runs] == [0, 1, 2]  # cell order, whatever finished first
    # the same cells in this process give the same (deterministic) accuracies
    X, y = mo.datasets.load("mnist5k")
    for r in runs:
        Xtr, Xte, ytr, yte = mo.datasets.few_shot_split(X, y, per_class=2, seed=r["seed"])
        assert r["test_acc"] == bench.run_logreg(Xtr, ytr, Xte, yte, r["seed"])["test_acc"]
    assert "**Parallel run**" in (tmp_path / "bench_fewshot.md").read_text()


def test_a_single_net_hands_the_workers_to_train_exact(monkeypatch):
    import mixedopt.exact.engine as engine

    seen = {}
    real = engine.train_exact

    def spy(X, y, **kw):
        seen.update(kw)
        kw.update(n_jobs=1, executor=None, address=None)  # solve here: Ray is not needed
        return real(X, y, **kw)

    monkeypatch.setattr(engine, "train_exact", spy)
    X, y = _digits(classes=(0, 1), n=8)
    est = _clf(ensemble=None, n_jobs=2, executor="ray", address="auto", time_limit=5)
    _fit(est, X, y)
    assert (seen["n_jobs"], seen["executor"], seen["address"]) == (2, "ray", "auto")
    seen.clear()
    _fit(_clf(ensemble=None, time_limit=5), X, y)  # n_jobs=1: the engine's defaults
    assert seen and not {"n_jobs", "executor", "address"} & set(seen)
