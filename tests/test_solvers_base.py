"""Backend interface: registry, availability, status maps, options, time limits, interrupts."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time

import numpy as np
import pytest

import mixedopt as mo
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Status
from mixedopt.solvers.base import (
    LIMIT,
    LexScalarizer,
    RawResult,
    SolveContext,
    SolveOptions,
    finalize,
)

EXACT = ("cpsat", "scip", "maxsat", "brute")


def _xor_problem(**kw):
    X, y = mo.datasets.load("xor")
    return TrainingProblem.from_data(X, y, hidden=[2], weights="ternary", **kw)


def _hard_problem(m=300, d=6, noise=0.05, seed=0):
    X, y, _ = mo.datasets.planted(m=m, d=d, h=3, noise=noise, seed=seed)
    return TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=3)


# --------------------------------------------------------------------------- registry
def test_available_lists_installed_backends():
    names = mo.solvers.available()
    assert {"cpsat", "scip", "maxsat", "brute"} <= set(names)
    assert set(names) <= set(mo.solvers.names())


def test_available_does_not_import_solver_packages():
    code = (
        "import sys, mixedopt as mo; mo.solvers.available(); "
        "bad = [m for m in ('ortools.sat', 'pyscipopt', 'pysat.solvers') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_get_unknown_backend_lists_choices():
    with pytest.raises(mo.ValidationError, match=r"unknown backend .nope.*cpsat"):
        mo.solvers.get("nope")


def test_aliases():
    assert mo.solvers.get("ortools").name == "cpsat"
    assert mo.solvers.get("RC2").name == "maxsat"


@pytest.mark.parametrize(
    ("backend", "package", "extra"), [("scip", "pyscipopt", "scip"), ("maxsat", "pysat", "maxsat")]
)
def test_missing_package_names_the_extra(monkeypatch, backend, package, extra):
    real = importlib.util.find_spec

    def fake(name, *args, **kwargs):
        if name == package or name.startswith(package + "."):
            return None
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", fake)
    assert backend not in mo.solvers.available()
    with pytest.raises(mo.SolverUnavailableError, match=rf"mixedopt\[{extra}\]"):
        mo.solvers.get(backend)
    cls = type(mo.solvers.get("brute"))
    assert cls.is_available()


# --------------------------------------------------------------------------- status maps
def test_status_maps_cover_native_statuses():
    from ortools.sat.python import cp_model

    cp = mo.solvers.get("cpsat")
    for code in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE, cp_model.UNKNOWN):
        name = cp_model.CpSolver().StatusName(code)
        assert name in cp.STATUS_MAP
    scip = mo.solvers.get("scip")
    for name in ("optimal", "infeasible", "timelimit", "userinterrupt", "gaplimit", "unknown"):
        assert name in scip.STATUS_MAP
    for be in EXACT:
        for v in mo.solvers.get(be).STATUS_MAP.values():
            assert v == LIMIT or isinstance(v, Status)


def test_unknown_native_status_raises():
    p = _xor_problem()
    ctx = SolveContext(p, SolveOptions())
    with pytest.raises(mo.SolverError, match="unknown native status 'WEIRD'"):
        finalize(
            p, RawResult("WEIRD"), ctx, status_map={"OK": Status.OPTIMAL}, backend="x", method="x"
        )


def test_limit_maps_to_feasible_or_unknown():
    p = _xor_problem()
    net = mo.solvers.get("brute").solve(p).net
    ctx = SolveContext(p, SolveOptions())
    res = finalize(
        p,
        RawResult("T", net=net, bound=None),
        ctx,
        status_map={"T": LIMIT},
        backend="x",
        method="x",
    )
    assert res.status is Status.OPTIMAL or res.status is Status.FEASIBLE
    ctx = SolveContext(p, SolveOptions())
    res = finalize(p, RawResult("T"), ctx, status_map={"T": LIMIT}, backend="x", method="x")
    assert res.status is Status.UNKNOWN and res.net is None


def test_model_belief_is_never_reported(caplog):
    """A backend claiming a better objective than its net achieves gets the truth."""
    p = _xor_problem()
    bad = mo.ThresholdNet(
        [np.zeros((2, 2), int), np.zeros((1, 2), int)], [np.zeros(2, int), np.zeros(1, int)]
    )
    ctx = SolveContext(p, SolveOptions())
    with caplog.at_level("WARNING"):
        res = finalize(
            p,
            RawResult("OPT", net=bad, objective=0, bound=0),
            ctx,
            status_map={"OPT": Status.OPTIMAL},
            backend="liar",
            method="x",
        )
    assert res.objective == p.errors(bad) == 2
    assert res.status is Status.FEASIBLE
    assert "true forward pass" in caplog.text


# --------------------------------------------------------------------------- options
@pytest.mark.parametrize(
    ("backend", "native", "match"),
    [
        ("cpsat", {"no_such_param": 1}, "no_such_param"),
        ("scip", {"limits/nosuch": 1}, "limits/nosuch"),
        ("scip", {"bogus": 1}, "bogus"),
        ("scip", {"formulation": "cones"}, "formulation"),
        ("maxsat", {"turbo": True}, "turbo"),
        ("maxsat", {"solver": "cd19"}, "cannot be interrupted"),
        ("maxsat", {"pb_encoding": "magic"}, "magic"),
        ("brute", {"speed": 3}, "speed"),
    ],
)
def test_bad_native_options_are_named(backend, native, match):
    with pytest.raises(mo.ValidationError, match=match):
        mo.solvers.get(backend).solve(_xor_problem(), time_limit=5, **native)


def test_native_options_pass_through():
    res = mo.solvers.get("cpsat").solve(_xor_problem(), time_limit=5, symmetry_level=0)
    assert res.status is Status.OPTIMAL
    res = mo.solvers.get("scip").solve(_xor_problem(), time_limit=5, **{"limits/gap": 0.0})
    assert res.status is Status.OPTIMAL


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "10", True])
def test_bad_time_limit(bad):
    with pytest.raises(mo.ValidationError, match="time_limit"):
        mo.solvers.get("cpsat").solve(_xor_problem(), time_limit=bad)


def test_bad_seed_and_threads():
    with pytest.raises(mo.ValidationError, match="seed"):
        mo.solvers.get("cpsat").solve(_xor_problem(), seed=-1)
    with pytest.raises(mo.ValidationError, match="threads"):
        mo.solvers.get("cpsat").solve(_xor_problem(), threads=0)


def test_capability_errors():
    X, y = mo.datasets.load("xor")
    real = TrainingProblem.from_data(X, y, hidden=[2], weights="real")
    with pytest.raises(mo.ValidationError, match=r"cpsat.*real"):
        mo.solvers.get("cpsat").solve(real)
    with pytest.raises(mo.ValidationError, match="margin"):
        mo.solvers.get("maxsat").solve(_xor_problem(objective="margin"))
    # inputs that are not small-denominator rationals: no exact integer model
    irr = TrainingProblem.from_data(X + np.pi / 10, y, hidden=[2], weights="integer")
    assert irr.input_scale == 1 and not irr.integral
    with pytest.raises(mo.ValidationError, match="integer inputs"):
        mo.solvers.get("cpsat").solve(irr)
    # decimal inputs are rationals: CP-SAT solves them exactly, MaxSAT says it cannot
    frac = TrainingProblem.from_data(X + 0.5, y, hidden=[2], weights="integer")
    assert frac.input_scale == 2 and frac.integral
    assert mo.solvers.get("cpsat").solve(frac, time_limit=10).status is mo.Status.OPTIMAL
    with pytest.raises(mo.ValidationError, match="common denominator 2"):
        mo.solvers.get("maxsat").solve(frac)


def test_warm_start_checked():
    with pytest.raises(mo.ValidationError, match="layer sizes"):
        mo.solvers.get("cpsat").solve(
            _xor_problem(), warm_start=mo.ThresholdNet.random([2, 3, 1], seed=0)
        )


def test_scalarizer_is_exact():
    p = _xor_problem(objective="errors,weights")
    s = LexScalarizer(p)
    P = p.n_params
    assert s.coef == {"errors": P + 1, "weights": 1}
    for e in range(3):
        for nz in range(P + 1):
            assert s.primary_bound(s.value({"errors": e, "weights": nz})) == e
    pm = _xor_problem(objective="margin,weights")
    sm = LexScalarizer(pm)
    v = sm.value({"margin": 2, "weights": 3})
    assert sm.primary_bound(v) == 2


# --------------------------------------------------------------------------- time / interrupt
@pytest.mark.parametrize("backend", ["cpsat", "scip", "maxsat"])
def test_time_limit_honoured(backend):
    p = _hard_problem(m=150 if backend == "maxsat" else 300)
    t0 = time.perf_counter()
    res = mo.solvers.get(backend).solve(p, time_limit=1.5, seed=0)
    wall = time.perf_counter() - t0
    assert wall <= 1.5 + 1.0, wall
    assert res.wall_time <= 1.5 + 1.0
    assert res.status in (Status.FEASIBLE, Status.UNKNOWN)
    if res.net is not None:
        assert res.objective == p.errors(res.net)


def test_brute_time_limit_returns_best_so_far():
    X, y, _ = mo.datasets.planted(m=40, d=2, h=2, noise=0.2, seed=1)
    p = TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=2)
    t0 = time.perf_counter()
    res = mo.solvers.get("brute").solve(p, time_limit=0.5, max_combos=1e9, max_work=1e12)
    assert time.perf_counter() - t0 <= 1.5
    assert res.status is Status.FEASIBLE and res.bound is None
    assert res.objective == p.errors(res.net)


@pytest.mark.parametrize("backend", ["cpsat", "scip", "brute"])
def test_keyboard_interrupt_from_callback_returns_best_so_far(backend):
    if backend == "brute":
        X, y, _ = mo.datasets.planted(m=40, d=2, h=2, noise=0.2, seed=1)
        p = TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=2)
        native = {"max_combos": 1e9, "max_work": 1e12}
    else:
        p = _hard_problem(m=150)
        native = {}
    seen = []

    def cb(ev):
        seen.append(ev)
        if ev.objective is not None:
            raise KeyboardInterrupt

    t0 = time.perf_counter()
    res = mo.solvers.get(backend).solve(p, time_limit=30, incumbent_callback=cb, **native)
    assert time.perf_counter() - t0 < 15
    assert res.interrupted
    assert res.net is not None and res.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert res.objective == p.errors(res.net)
    assert seen


def test_callback_errors_propagate():
    def cb(ev):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        mo.solvers.get("cpsat").solve(_hard_problem(m=100), time_limit=10, incumbent_callback=cb)


def test_log_callback_receives_lines():
    lines = []
    mo.solvers.get("cpsat").solve(_xor_problem(), time_limit=5, log_callback=lines.append)
    assert any("CP-SAT" in ln or "#" in ln for ln in lines)
    lines.clear()
    mo.solvers.get("scip").solve(_xor_problem(), time_limit=5, log_callback=lines.append)
    assert lines


@pytest.mark.parametrize("backend", ["greedy", "brute", "maxsat", "cpsat"])
def test_log_callback_gets_progress_lines_from_every_backend(backend):
    if backend not in mo.solvers.available():
        pytest.skip(f"{backend} is not installed")
    X, y, _ = mo.datasets.planted(m=12, d=2, h=2, noise=0.1, seed=0)
    lines: list[str] = []
    res = mo.train_exact(
        X,
        y,
        hidden=[2],
        weights="ternary",
        backend=backend,
        method="monolithic",
        time_limit=2 if backend == "greedy" else 5,  # greedy proves nothing: runs to the limit
        log_callback=lines.append,
    )
    ours = [ln for ln in lines if ln.startswith("[mixedopt]")]
    assert ours and all(backend in ln or "warm_start" in ln for ln in ours)
    assert len(ours) == len(res.log)
    # each event once: not once per layer, nor again when the phase's result is merged
    # (compared without the clock, which can tick between a copy and its original)
    events = [(ev.message, ev.objective, ev.bound, ev.source) for ev in res.log]
    assert len(events) == len(set(events)), events


def test_native_log_gets_the_solver_log_but_not_the_progress_lines():
    from mixedopt.solvers.base import NativeLog

    plain: list[str] = []
    native: list[str] = []
    mo.solvers.get("cpsat").solve(_xor_problem(), time_limit=5, log_callback=plain.append)
    mo.solvers.get("cpsat").solve(
        _xor_problem(), time_limit=5, log_callback=NativeLog(native.append)
    )
    assert any(ln.startswith("[mixedopt]") for ln in plain)
    assert native and not any(ln.startswith("[mixedopt]") for ln in native)


@pytest.mark.parametrize("warm", [False, True])
def test_pipeline_logs_the_warm_start_and_merged_results_once(warm):
    X, y, _ = mo.datasets.planted(m=12, d=2, h=2, noise=0.1, seed=0)
    start = mo.train_exact(X, y, hidden=[2], weights="ternary", time_limit=5).net if warm else None
    res = mo.train_exact(X, y, hidden=[2], weights="ternary", time_limit=5, warm_start=start)
    assert res.status is Status.OPTIMAL
    events = [(ev.message, ev.objective, ev.bound) for ev in res.log]
    assert len(events) == len(set(events)), events
    assert sum(ev.message == "warm start" for ev in res.log) == int(warm)


def test_engine_pipeline_logs_each_event_once():
    X, y, _ = mo.datasets.planted(m=60, d=3, h=2, noise=0.05, seed=0)
    lines: list[str] = []
    res = mo.train_exact(
        X,
        y,
        hidden=[2],
        weights="integer",
        weight_bound=2,
        time_limit=20,
        log_callback=lines.append,
    )
    assert res.status is Status.OPTIMAL
    assert any("(dichotomy)" in ln for ln in lines)
    assert len(lines) == len(res.log)
