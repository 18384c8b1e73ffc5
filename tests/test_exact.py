"""mo.train_exact: the engine pipeline, certificates, limits, interrupts, CLI."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from typer.testing import CliRunner

import mixedopt as mo
from mixedopt.cli import app
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Status


def _noisy(m=12, seed=0):
    X, y, _ = mo.datasets.planted(m=m, d=2, h=2, noise=0.25, seed=seed, input_range=3)
    return X, y


def test_planted_realizable_is_optimal_and_verified():
    X, y, _ = mo.datasets.planted(m=80, d=3, h=2, seed=2)
    res = mo.train_exact(X, y, hidden=[2], weights="integer", weight_bound=3, time_limit=30)
    assert res.status is Status.OPTIMAL
    assert res.objective == 0 == res.n_errors == res.net.n_errors(X, y)
    assert res.bound == 0 and res.gap == 0
    assert len(res.targets) == 1 and res.targets[0].shape == (80, 2)
    assert np.array_equal(res.targets[0], res.net.activations(X)[0])
    assert res.log and res.log[-1].wall_time <= res.wall_time + 1e-6


@pytest.mark.parametrize("backend", ["cpsat", "scip", "maxsat"])
@pytest.mark.parametrize("method", ["auto", "monolithic"])
def test_train_exact_optimum_equals_brute(backend, method):
    X, y = _noisy()
    ref = mo.train_exact(
        X, y, hidden=[2], weights="integer", weight_bound=1, backend="brute", time_limit=60
    )
    res = mo.train_exact(
        X,
        y,
        hidden=[2],
        weights="integer",
        weight_bound=1,
        backend=backend,
        method=method,
        time_limit=60,
    )
    assert ref.status is Status.OPTIMAL and res.status is Status.OPTIMAL
    assert res.objective == ref.objective == res.net.n_errors(X, y)


def test_engine_methods_match_brute():
    """Each shipped engine method (dichotomy, table) reaches the oracle's optimum."""
    from mixedopt.exact.phases import engine_solver, exact_methods

    X, y = _noisy(seed=2)
    kw = dict(hidden=[2], weights="integer", weight_bound=1, time_limit=60)
    ref = mo.train_exact(X, y, backend="brute", **kw)
    shipped = [e.name for e in exact_methods() if engine_solver(e.name) is not None]
    assert {"dichotomy", "table"} <= set(shipped)
    if not shipped:
        pytest.skip("no engine method shipped")
    for name in shipped:
        res = mo.train_exact(X, y, method=name, **kw)
        assert res.status is Status.OPTIMAL and res.objective == ref.objective, name


def test_lexicographic_objective():
    X, y = _noisy(seed=1)
    kw = dict(hidden=[2], weights="ternary", objective="errors,weights", time_limit=60)
    ref = mo.train_exact(X, y, backend="brute", **kw)
    res = mo.train_exact(X, y, backend="cpsat", **kw)
    assert res.status is Status.OPTIMAL
    assert res.info["objectives"] == ref.info["objectives"]
    assert res.objective == ref.objective  # the primary criterion


def test_multiclass_and_deep():
    rng = np.random.default_rng(0)
    X = rng.integers(-3, 4, size=(12, 2))
    y = np.array(["a", "b", "c"] * 4)
    res = mo.train_exact(X, y, hidden=[2], weights="ternary", time_limit=60)
    assert res.status is Status.OPTIMAL
    assert res.objective == res.net.n_errors(X, y)
    assert set(res.net.predict(X)) <= {"a", "b", "c"}
    X2, y2, _ = mo.datasets.planted(m=30, d=2, h=2, noise=0.1, seed=5)
    res2 = mo.train_exact(X2, y2, hidden=[2, 2], weights="ternary", time_limit=10)
    assert res2.status.has_solution and res2.objective == res2.net.n_errors(X2, y2)
    assert [t.shape for t in res2.targets] == [(30, 2), (30, 2)]


def test_infeasible_zero_error_request_gives_minimal_certificate():
    X, y = _noisy(m=10, seed=3)
    kw = dict(hidden=[1], weights="ternary", objective="weights")
    res = mo.train_exact(X, y, time_limit=30, **kw)
    assert res.status is Status.INFEASIBLE and res.net is None
    cert = res.certificate
    assert cert is not None and 2 <= len(cert) < len(y)
    assert res.info["certificate_minimal"] is True
    brute = mo.solvers.get("brute")
    p = TrainingProblem.from_data(X, y, **kw)
    assert brute.solve(p.subset(cert)).status is Status.INFEASIBLE
    for i in range(len(cert)):  # irreducible: dropping any example makes it fittable
        rest = np.delete(cert, i)
        assert brute.solve(p.subset(rest)).status is Status.OPTIMAL


def test_duplicate_inputs_give_two_example_certificate():
    X = np.array([[0, 1], [1, 1], [0, 1], [2, 0]])
    y = np.array([0, 1, 1, 0])
    res = mo.train_exact(X, y, hidden=[2], objective="margin", time_limit=20)
    assert res.status is Status.INFEASIBLE
    assert res.certificate.tolist() == [0, 2]


def test_margin_objective_matches_brute():
    X, y, _ = mo.datasets.planted(m=10, d=2, h=1, seed=4, input_range=3)
    kw = dict(hidden=[1], weights="integer", weight_bound=1, objective="margin", time_limit=5)
    ref = mo.train_exact(X, y, backend="brute", **kw)
    for be in ("cpsat", "scip"):
        res = mo.train_exact(X, y, backend=be, **kw)
        assert res.status is Status.OPTIMAL and res.objective == ref.objective
        p = TrainingProblem.from_data(X, y, **{k: v for k, v in kw.items() if k != "time_limit"})
        assert p.margin_value(res.net) == res.objective


def test_real_weights_via_scip():
    X, y = _noisy(m=8, seed=2)
    X = X / 2.0
    res = mo.train_exact(X, y, hidden=[1], weights="real", backend="scip", time_limit=30)
    assert res.objective == res.net.n_errors(X, y)
    # the real-weight model (a margin and a weight box) is a restriction: its optimum is not
    # a proof for all real nets, so only 0 errors would be OPTIMAL; the bound claimed is 0
    assert res.objective > 0 and res.status is Status.FEASIBLE and res.bound == 0.0
    realizable = mo.train_exact(X[:3], y[:3], hidden=[1], weights="real", backend="scip")
    assert realizable.objective == 0 and realizable.status is Status.OPTIMAL
    with pytest.raises(mo.ValidationError, match="real"):
        mo.train_exact(X, y, hidden=[1], weights="real", backend="cpsat", time_limit=5)


def test_time_limit_honoured_by_pipeline():
    X, y, _ = mo.datasets.planted(m=300, d=6, h=3, noise=0.05, seed=0)
    t0 = time.perf_counter()
    res = mo.train_exact(X, y, hidden=[3], time_limit=2.0, seed=0)
    wall = time.perf_counter() - t0
    assert wall <= 3.5 and res.wall_time <= 3.5  # 2 s limit + slack for a loaded machine
    assert res.status in (Status.FEASIBLE, Status.UNKNOWN, Status.OPTIMAL)
    if res.net is not None:
        assert res.objective == res.net.n_errors(X, y)


def test_keyboard_interrupt_returns_best_so_far():
    X, y, _ = mo.datasets.planted(m=300, d=6, h=3, noise=0.05, seed=0)
    calls = []

    def cb(ev):
        calls.append(ev)
        if ev.objective is not None and len(calls) >= 2:
            raise KeyboardInterrupt

    res = mo.train_exact(X, y, hidden=[3], time_limit=60, incumbent_callback=cb)
    assert res.interrupted and res.net is not None
    assert res.wall_time < 30
    assert res.objective == res.net.n_errors(X, y)


def test_warm_start_is_first_incumbent():
    X, y, teacher = mo.datasets.planted(m=60, d=3, h=2, noise=0.1, seed=1)
    res = mo.train_exact(X, y, hidden=[2], warm_start=teacher, method="monolithic", time_limit=5)
    assert res.log[0].source == "warm_start"
    assert res.objective <= teacher.n_errors(X, y)


def test_greedy_backend_proves_nothing_but_zero():
    X, y = _noisy(m=30, seed=6)
    res = mo.train_exact(X, y, hidden=[2], backend="greedy", time_limit=1.0)
    assert res.status in (Status.FEASIBLE, Status.OPTIMAL)
    if res.status is Status.OPTIMAL:
        assert res.objective == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "magic"}, "unknown method"),
        ({"backend": "gurobi"}, "unknown backend"),
        ({"time_limit": -1}, "time_limit"),
        ({"hidden": [0]}, "hidden"),
        ({"weights": "complex"}, "weights"),
        ({"objective": "accuracy"}, "objective"),
        ({"backend": "maxsat", "objective": "margin"}, "margin"),
        ({"formulation": "x", "backend": "scip"}, "formulation"),
        ({"method": "table", "backend": "scip"}, "CP-SAT"),
    ],
)
def test_bad_input(kwargs, match):
    X, y = mo.datasets.load("xor")
    kw = {"hidden": [2], "time_limit": 5, **kwargs}
    with pytest.raises(mo.ValidationError, match=match):
        mo.train_exact(X, y, **kw)


def test_bad_data():
    with pytest.raises(mo.ValidationError):
        mo.train_exact(np.array([[np.nan, 1.0], [0.0, 1.0]]), [0, 1], hidden=[1])
    with pytest.raises(mo.ValidationError):
        mo.train_exact(np.zeros((3, 2)), [1, 1, 1], hidden=[1])


# --------------------------------------------------------------------------- CLI
def test_cli_solve(tmp_path):
    out = tmp_path / "net.npz"
    js = tmp_path / "res.json"
    r = CliRunner().invoke(
        app,
        [
            "solve",
            "--data",
            "planted:m=40,d=3,h=2,seed=1",
            "--hidden",
            "2",
            "--weights",
            "integer",
            "--bound",
            "3",
            "--time-limit",
            "20",
            "--out",
            str(out),
            "--json",
            str(js),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "status" in r.output and "optimal" in r.output
    net = mo.ThresholdNet.load(out)
    X, y = mo.datasets.load("planted:m=40,d=3,h=2,seed=1")
    assert net.n_errors(X, y) == 0
    d = json.loads(js.read_text())
    assert d["status"] == "optimal" and d["objective"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["solve", "--data", "xor", "--weights", "bogus"],
        ["solve", "--data", "no-such-data"],
        ["solve", "--data", "xor", "--hidden", "2", "--backend", "nope"],
        ["solve", "--data", "xor", "--time-limit", "-3"],
    ],
)
def test_cli_solve_bad_input(args):
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2
    assert "error" in r.output.lower()


def test_auto_keeps_the_heuristic_when_the_model_is_too_big(monkeypatch):
    import mixedopt.exact.engine as engine

    monkeypatch.setattr(engine, "MODEL_MAX_CELLS", 10)
    X, y, _ = mo.datasets.planted(m=40, d=2, h=2, noise=0.15, seed=0)
    res = mo.train_exact(X, y, hidden=[2], backend="scip", time_limit=3, seed=0)
    phases = [p["phase"] for p in res.info["phases"]]
    assert phases == ["heuristic", "heuristic"], phases
    assert res.method == "auto:heuristic"
    assert res.objective == res.net.n_errors(X, y) and res.status is Status.FEASIBLE
    assert res.wall_time <= 4.5


@pytest.mark.parametrize(("d", "phase"), [(3, "dichotomy"), (5, "monolithic")])
def test_auto_runs_the_engine_methods_only_on_small_unit_classes(d, phase):
    # K = 3: 7^4 = 2,401 first-layer units at d = 3, 7^6 = 117,649 at d = 5 (over the cap)
    X, y, _ = mo.datasets.planted(m=40, d=d, h=2, noise=0.2, seed=0)
    res = mo.train_exact(X, y, hidden=[2], weight_bound=3, time_limit=3, seed=0)
    phases = [p["phase"] for p in res.info["phases"]]
    assert phases == ["heuristic", phase], phases
    assert res.method == f"auto:heuristic+{phase}"
    assert res.objective == res.net.n_errors(X, y)
