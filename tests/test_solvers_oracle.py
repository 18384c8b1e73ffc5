"""Oracle tests: every exact backend's optimum equals brute force on random tiny instances,
and the returned net achieves the reported objective under the true forward pass."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mixedopt as mo
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Status

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def tiny_problem(draw, objectives=("errors", "weights", "errors,weights"), multiclass=False):
    m = draw(st.integers(3, 7))
    d = draw(st.integers(1, 2))
    X = np.array(
        draw(
            st.lists(st.lists(st.integers(-2, 2), min_size=d, max_size=d), min_size=m, max_size=m)
        ),
        dtype=np.int64,
    )
    k = 3 if multiclass else 2
    y = np.array(draw(st.lists(st.integers(0, k - 1), min_size=m, max_size=m)))
    y[:k] = np.arange(k)  # every class present
    hidden = [1] if multiclass else draw(st.sampled_from([[1], [2]]))
    weights = draw(st.sampled_from(["binary", "ternary", "integer"]))
    objective = draw(st.sampled_from(objectives))
    return TrainingProblem.from_data(
        X,
        y,
        hidden=hidden,
        weights=weights,
        weight_bound=1 if weights == "integer" else None,
        objective=objective,
    )


def _check_pair(p: TrainingProblem, backend: str, **native) -> None:
    ref = mo.solvers.get("brute").solve(p, time_limit=60)
    res = mo.solvers.get(backend).solve(p, time_limit=60, seed=0, **native)
    assert ref.status in (Status.OPTIMAL, Status.INFEASIBLE)
    assert res.status == ref.status, (p.describe(), ref, res)
    if ref.status is Status.INFEASIBLE:
        assert res.net is None or not p.is_feasible(res.net)
        return
    # the returned net achieves the reported objective (true forward pass)
    vals = p.evaluate(res.net)
    assert res.objective == pytest.approx(p.objective_value(res.net))
    assert res.n_errors == vals["errors"]
    # lexicographic optimum: every criterion matches the oracle's
    for c in p.objective:
        assert vals[c] == pytest.approx(p.evaluate(ref.net)[c]), (c, p.describe())
    assert res.bound == pytest.approx(res.objective)
    assert [t.tolist() for t in res.targets] == [a.tolist() for a in res.net.activations(p.X)]


@SETTINGS
@given(tiny_problem(objectives=("errors", "weights", "margin", "errors,weights", "errors,margin")))
def test_cpsat_matches_brute(p):
    _check_pair(p, "cpsat")


@SETTINGS
@given(tiny_problem(objectives=("errors", "weights", "margin", "errors,margin")))
def test_scip_matches_brute(p):
    _check_pair(p, "scip")


@settings(max_examples=8, deadline=None, derandomize=True)
@given(
    tiny_problem(objectives=("errors", "weights", "margin")),
    st.sampled_from(["indicator", "hull"]),
)
def test_scip_formulations_match_brute(p, formulation):
    _check_pair(p, "scip", formulation=formulation)


@SETTINGS
@given(tiny_problem(objectives=("errors", "weights", "errors,weights")))
def test_maxsat_matches_brute(p):
    _check_pair(p, "maxsat")


def test_multiclass_backends_agree():
    rng = np.random.default_rng(3)
    X = rng.integers(-2, 3, size=(7, 2))
    y = np.array([0, 1, 2, 0, 1, 2, 1])
    for obj in ("errors", "errors,margin"):
        p = TrainingProblem.from_data(X, y, hidden=[1], weights="ternary", objective=obj)
        ref = mo.solvers.get("brute").solve(p, time_limit=60)
        for be in ("cpsat", "scip") + (("maxsat",) if obj == "errors" else ()):
            res = mo.solvers.get(be).solve(p, time_limit=60)
            assert res.status is Status.OPTIMAL
            for c in p.objective:
                assert p.evaluate(res.net)[c] == pytest.approx(p.evaluate(ref.net)[c]), be


def test_two_hidden_layers_agree():
    X, y, _ = mo.datasets.planted(m=8, d=2, h=2, noise=0.2, seed=3, input_range=2)
    p = TrainingProblem.from_data(X, y, hidden=[2, 1], weights="ternary")
    ref = mo.solvers.get("brute").solve(p, time_limit=60)
    assert ref.status is Status.OPTIMAL
    for be in ("cpsat", "scip", "maxsat"):
        res = mo.solvers.get(be).solve(p, time_limit=60)
        assert res.status is Status.OPTIMAL and res.objective == ref.objective, be


@pytest.mark.parametrize("objective", ["errors", "errors,margin"])
def test_real_weights_scip_matches_brute(objective):
    X, y, _ = mo.datasets.planted(m=5, d=2, h=2, noise=0.2, seed=3, input_range=2)
    X = X + 0.5  # non-integral inputs: margin semantics
    p = TrainingProblem.from_data(X, y, hidden=[1], weights="real", objective=objective)
    ref = mo.solvers.get("brute").solve(p, time_limit=60)
    res = mo.solvers.get("scip").solve(p, time_limit=60)
    assert ref.status is Status.OPTIMAL and res.status is Status.OPTIMAL
    for c in p.objective:
        assert p.evaluate(res.net)[c] == pytest.approx(p.evaluate(ref.net)[c], abs=1e-5)


def test_brute_refuses_large_instances():
    X, y, _ = mo.datasets.planted(m=200, d=6, h=3, seed=0)
    with pytest.raises(mo.ValidationError, match="too large for brute force"):
        mo.solvers.get("brute").solve_data(X, y, hidden=[3], weights="integer", time_limit=5)
