"""CP-SAT table model: optimum equals brute force with and without symmetry breaking, the
returned net achieves the reported objective, hints, limits, bad input."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mo_strategies import tiny_problems

import mixedopt as mo
from mixedopt.errors import ValidationError
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Status
from mixedopt.solvers.greedy.moves import output_functions
from mixedopt.solvers.table import TableModel, applicable, solve_table


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=tiny_problems(max_m=11, max_sample_weight=2), symmetry=st.booleans())
def test_optimum_equals_brute_force(problem, symmetry):
    try:
        brute = mo.solvers.get("brute").solve(problem, time_limit=60)
    except ValidationError:  # above the oracle's work cap
        assume(False)
    res = solve_table(problem, time_limit=60, symmetry=symmetry)
    assert brute.status is Status.OPTIMAL
    assert res.status is Status.OPTIMAL
    assert res.objective == brute.objective == res.bound
    assert problem.errors(res.net) == res.objective


def test_output_table_for_three_units_is_every_threshold_function():
    P, T = output_functions(3, tuple(range(-3, 4)), tuple(range(-3, 4)))
    assert len(P) == 104  # all threshold functions of 3 inputs
    codes = ((np.arange(8)[:, None] >> np.arange(3)) & 1) * 2 - 1
    np.testing.assert_array_equal((P[:, :3] @ codes.T + P[:, 3:] >= 0).astype(int), T)


def test_symmetry_rules_keep_a_hinted_net_feasible():
    X, y, t = mo.datasets.planted(m=60, d=3, h=3, noise=0.0, seed=5)
    p = TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=3)
    tm = TableModel(p, symmetry=True)
    tm.add_hint(t)
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.max_time_in_seconds = 20
    status = solver.Solve(tm.model)
    assert solver.StatusName(status) in ("OPTIMAL", "FEASIBLE")
    assert p.errors(tm.decode(solver.Value)) == 0


def test_hint_and_time_limit():
    X, y, _ = mo.datasets.planted(m=300, d=4, h=3, noise=0.1, seed=0)
    p = TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=3)
    hint = mo.solvers.get("greedy").solve(p, time_limit=1, seed=0).net
    t0 = time.perf_counter()
    res = solve_table(p, time_limit=2, seed=0, hint=hint)
    assert time.perf_counter() - t0 < 2 + 2
    assert res.n_errors <= p.errors(hint)
    assert res.n_errors == p.errors(res.net)
    assert res.status in (Status.FEASIBLE, Status.OPTIMAL)


def test_applicability_and_bad_input():
    X, y = mo.datasets.load("iris")
    multi = TrainingProblem.from_data(np.round(X * 10), y, hidden=[2])
    assert not applicable(multi)
    with pytest.raises(ValidationError, match="binary"):
        solve_table(multi, time_limit=1)
    Xb, yb = mo.datasets.load("xor")
    deep = TrainingProblem.from_data(Xb, yb, hidden=[2, 2], weights="ternary")
    assert not applicable(deep)
    p = TrainingProblem.from_data(Xb, yb, hidden=[2], weights="ternary")
    with pytest.raises(ValidationError, match="unknown cpsat option"):
        solve_table(p, time_limit=1, not_a_parameter=3)
