"""Exact search over unit dichotomies: brute-force oracle, the unit class, canonical output
functions, agreement with the CP-SAT table model, limits, bad input."""

from __future__ import annotations

import itertools
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
from mixedopt.solvers.dichotomy import (
    applicable,
    canonical_functions,
    solve_dichotomy,
    unit_class,
)
from mixedopt.solvers.dichotomy.bits import bits_dot, pack


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=tiny_problems(max_m=12, max_sample_weight=3))
def test_optimum_equals_brute_force(problem):
    try:
        brute = mo.solvers.get("brute").solve(problem, time_limit=60)
    except ValidationError:  # above the oracle's work cap
        assume(False)
    res = solve_dichotomy(problem, time_limit=60)
    assert res.status is Status.OPTIMAL
    assert res.objective == brute.objective == res.bound
    assert problem.errors(res.net) == res.objective
    problem.check_net(res.net)  # in the problem's weight domain


def test_unit_class_is_closed_under_negation_and_realised():
    X, y, _ = mo.datasets.planted(m=40, d=2, h=2, seed=3)
    p = TrainingProblem.from_data(X, y, hidden=[2], weights="integer", weight_bound=2)
    uc = unit_class(p)
    n = len(uc) // 2
    np.testing.assert_array_equal(uc.patterns[:n], ~uc.patterns[n:])
    assert len({row.tobytes() for row in uc.patterns}) == len(uc)  # distinct
    z = X @ uc.params[:, :2].T + uc.params[:, 2]
    np.testing.assert_array_equal((z >= 0).T ^ uc.negated[:, None], uc.patterns)
    # every unit of the domain is represented
    grid = np.array(list(itertools.product(range(-2, 3), repeat=3)))
    pats = {((X @ g[:2] + g[2]) >= 0).tobytes() for g in grid}
    assert pats <= {row.tobytes() for row in uc.patterns}


def test_canonical_functions_are_monotone_and_cover_the_output_layer():
    X, y, _ = mo.datasets.planted(m=20, d=2, h=3, seed=0)
    p = TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=3)
    fs = canonical_functions(p)
    assert len(fs) == 10
    for f in fs:
        t = np.array(f.table)
        for i in range(f.h):
            c = np.arange(1 << f.h)
            assert np.all(t[c & ~(1 << i)] <= t[c | (1 << i)])  # monotone
        # error families are up-closed
        for fam in (f.pos_err, f.neg_err):
            for c in range(1 << f.h):
                for i in range(f.h):
                    assert fam[c] <= fam[c | (1 << i)]
    # ternary output weights cannot make a 3-input AND: fewer classes
    pt = TrainingProblem.from_data(X, y, hidden=[3], weights="ternary")
    assert len(canonical_functions(pt)) < 10


@settings(max_examples=30, deadline=None)
@given(
    rows=st.integers(1, 30),
    m=st.integers(1, 150),
    seed=st.integers(0, 1000),
    levels=st.sampled_from([1, 2, 3, 7]),
)
def test_bit_plane_products(rows, m, seed, levels):
    rng = np.random.default_rng(seed)
    M = rng.random((rows, m)) < 0.4
    v = rng.integers(0, levels + 1, size=m) / 2.0
    got = bits_dot(pack(M), v.astype(np.float32), m)
    np.testing.assert_allclose(got, M.astype(float) @ v, rtol=1e-6)


def test_agrees_with_table_model_and_beats_local_search():
    X, y, _ = mo.datasets.planted(m=80, d=2, h=3, noise=0.1, seed=1)
    p = TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=3)
    res = solve_dichotomy(p, time_limit=60)
    tab = mo.solvers.get("greedy").solve(p, time_limit=1, seed=0)
    from mixedopt.solvers.table import solve_table

    t = solve_table(p, time_limit=60, hint=res.net)
    assert res.status is Status.OPTIMAL and t.status is Status.OPTIMAL
    assert res.objective == t.objective <= tab.n_errors


def test_proves_a_noisy_planted_instance_with_a_hint():
    X, y, teacher = mo.datasets.planted(m=300, d=3, h=3, noise=0.05, seed=0)
    p = TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=3)
    hint = mo.solvers.get("greedy").solve(p, time_limit=2, seed=0).net
    res = solve_dichotomy(p, time_limit=60, hint=hint)
    assert res.status is Status.OPTIMAL
    assert 0 < res.objective <= min(p.errors(hint), p.errors(teacher))
    assert res.info["dichotomies"] > 0


def test_time_limit_returns_best_so_far():
    X, y, _ = mo.datasets.planted(m=300, d=5, h=3, noise=0.1, seed=0)
    p = TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=3)
    hint = mo.solvers.get("greedy").solve(p, time_limit=1, seed=0).net
    t0 = time.perf_counter()
    res = solve_dichotomy(p, time_limit=3, hint=hint)
    assert time.perf_counter() - t0 < 3 + 2
    assert res.status is Status.FEASIBLE
    assert res.n_errors <= p.errors(hint)


def test_applicability_and_bad_input():
    X, y = mo.datasets.load("xor")
    assert applicable(TrainingProblem.from_data(X, y, hidden=[2], weights="ternary"))
    for p in (
        TrainingProblem.from_data(X, y, hidden=[2, 2], weights="ternary"),
        TrainingProblem.from_data(X, y, hidden=[2], weights="ternary", objective="margin"),
        TrainingProblem.from_data(X, y, hidden=[2], weights="real"),
    ):
        assert not applicable(p)
        with pytest.raises(ValidationError):
            solve_dichotomy(p, time_limit=1)
    big = TrainingProblem.from_data(
        np.ones((4, 12), dtype=int) * np.arange(4)[:, None], [0, 1, 0, 1], hidden=[2]
    )
    assert not applicable(big)  # 7^13 units
    with pytest.raises(ValidationError, match="unknown dichotomy option"):
        solve_dichotomy(TrainingProblem.from_data(X, y, hidden=[2]), time_limit=1, bogus=1)


def test_majority_pair_graph_agrees_with_the_plain_search():
    X, y, _ = mo.datasets.planted(m=120, d=3, h=3, noise=0.1, seed=2)
    p = TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=3)
    sw = np.random.default_rng(0).integers(1, 3, size=120)
    pw = TrainingProblem.from_data(
        X, y, hidden=[3], weights="integer", weight_bound=3, sample_weight=sw
    )
    for prob in (p, pw):
        with_graph = solve_dichotomy(prob, time_limit=60)
        plain = solve_dichotomy(prob, time_limit=60, graph_work=0)
        assert with_graph.status is plain.status is Status.OPTIMAL
        assert with_graph.objective == plain.objective
