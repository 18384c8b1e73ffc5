"""Convex programs: closed form of (7) vs generic solvers, Lasso back ends, certificates."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixedopt.convex import (
    PatternMatrix,
    beta_max,
    closed_form_pm1,
    complete_prox,
    lasso_path,
    solve_complete,
    solve_complete_qp,
    solve_lasso,
)
from mixedopt.convex.complete import complete_penalty
from mixedopt.convex.losses import loss_value
from mixedopt.errors import ValidationError
from mixedopt.result import Status


def _all_patterns(n: int) -> np.ndarray:
    return np.array(list(itertools.product([0, 1], repeat=n))[1:], dtype=bool).T


@settings(max_examples=20, deadline=None)
@given(
    y=st.lists(st.floats(-3, 3, allow_nan=False), min_size=2, max_size=7),
    beta=st.floats(0.01, 1.0),
)
def test_closed_form_matches_the_generic_qp(y, beta):
    y = np.asarray(y)
    sol = solve_complete(y, beta)
    delta, p = solve_complete_qp(y, beta)
    assert sol.objective == pytest.approx(p, abs=1e-6)
    assert sol.status is Status.OPTIMAL and sol.gap <= 1e-12
    np.testing.assert_allclose(sol.delta, delta, atol=1e-4)


@pytest.mark.parametrize("seed", [0, 1])
def test_closed_form_matches_the_lasso_over_all_patterns(seed):
    # with the complete set {0,1}^n program (6) IS program (7)
    rng = np.random.default_rng(seed)
    n = 6
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    y[:2] = [1.0, -1.0]
    for beta in (0.02, 0.2):
        lasso = solve_lasso(_all_patterns(n), y, beta, solver="qp", tol=1e-9)
        comp = solve_complete(y, beta)
        assert lasso.objective == pytest.approx(comp.objective, abs=1e-7)
        delta, p = closed_form_pm1(y, beta)
        assert p == pytest.approx(comp.objective, abs=1e-12)
        np.testing.assert_allclose(delta, comp.delta, atol=1e-12)


def test_prox_is_the_minimiser():
    rng = np.random.default_rng(0)
    v, w = rng.normal(size=8), rng.uniform(0.5, 3, size=8)

    def f(d):
        return 0.5 * np.sum(w * (d - v) ** 2) + 0.7 * complete_penalty(d)

    d = complete_prox(v, 0.7, w)
    for _ in range(200):
        assert f(d) <= f(d + 0.01 * rng.normal(size=8)) + 1e-12


def test_grouped_closed_form_equals_duplicated_samples():
    y = np.array([1.0, 1.0, -1.0, 1.0, -1.0, -1.0])
    groups = np.array([0, 0, 0, 1, 2, 2])  # group 0 has conflicting labels
    sol = solve_complete(y, 0.05, groups=groups)
    assert sol.status is Status.OPTIMAL
    assert sol.delta[0] == sol.delta[1] == sol.delta[2]
    # brute-force check on the 3 group values
    rng = np.random.default_rng(0)
    for _ in range(300):
        g = sol.delta_groups + 0.02 * rng.normal(size=3)
        val = loss_value(g[groups], y, "squared") + 0.05 * complete_penalty(g)
        assert val >= sol.objective - 1e-12


@pytest.mark.parametrize("loss", ["logistic", "hinge"])
def test_complete_program_other_losses_certified(loss):
    y = np.where(np.random.default_rng(2).random(30) < 0.4, -1.0, 1.0)
    sol = solve_complete(y, 0.01, loss=loss, tol=1e-7)
    assert sol.dual_objective <= sol.objective + 1e-12
    assert sol.relative_gap <= 1e-6
    assert np.all(np.sign(sol.delta) == y)


@pytest.fixture(scope="module")
def lasso_problem():
    rng = np.random.default_rng(0)
    D = rng.random((60, 40)) < 0.5
    y = np.where(rng.random(60) < 0.5, -1.0, 1.0)
    return D, y


@pytest.mark.parametrize("beta", [3e-3, 3e-2])
def test_lasso_back_ends_agree(lasso_problem, beta):
    D, y = lasso_problem
    objs = {}
    for solver in ("lars", "qp", "fista", "cd"):
        sol = solve_lasso(D, y, beta, solver=solver, tol=1e-7, max_iter=100_000)
        assert sol.dual_objective <= sol.objective + 1e-12
        objs[solver] = sol.objective
    ref = objs["qp"]
    for solver, val in objs.items():
        assert val == pytest.approx(ref, rel=1e-5), solver
    packed = solve_lasso(PatternMatrix.from_dense(D), y, beta, solver="fista", tol=1e-7)
    assert packed.objective == pytest.approx(ref, rel=1e-5)


def test_group_lasso_fista_matches_sklearn(lasso_problem):
    D, _ = lasso_problem
    rng = np.random.default_rng(1)
    Y = np.where(rng.integers(0, 3, 60)[:, None] == np.arange(3), 1.0, -1.0)
    a = solve_lasso(D, Y, 1e-2, solver="fista", tol=1e-7, max_iter=100_000)
    b = solve_lasso(D, Y, 1e-2, solver="cd", tol=1e-7, max_iter=100_000)
    assert a.coef.shape == (40, 3)
    assert a.objective == pytest.approx(b.objective, rel=1e-5)


@pytest.mark.parametrize("loss", ["logistic", "hinge"])
def test_other_losses_have_small_gaps(lasso_problem, loss):
    D, y = lasso_problem
    sol = solve_lasso(D, y, 1e-2, loss=loss, tol=1e-6, max_iter=50_000)
    assert sol.status is Status.OPTIMAL and sol.relative_gap <= 1e-6
    assert sol.kkt_residual <= 1e-3


def test_path_is_warm_started_and_ordered(lasso_problem):
    D, y = lasso_problem
    betas = [1e-3, 1e-1, 1e-2]
    path = lasso_path(D, y, betas, tol=1e-8)
    assert [s.beta for s in path] == betas
    for s in path:
        single = solve_lasso(D, y, s.beta, solver="qp", tol=1e-9)
        assert s.objective == pytest.approx(single.objective, rel=1e-6)
    bmax = beta_max(D, y)
    assert len(solve_lasso(D, y, bmax * 1.001).support) == 0
    assert len(solve_lasso(D, y, bmax * 0.9).support) > 0


def test_bad_solver_inputs(lasso_problem):
    D, y = lasso_problem
    with pytest.raises(ValidationError, match="beta"):
        solve_lasso(D, y, 0.0)
    with pytest.raises(ValidationError, match="beta"):
        solve_complete(y, -1.0)
    with pytest.raises(ValidationError, match="empty"):
        solve_lasso(np.zeros((60, 0), dtype=bool), y, 0.1)
    with pytest.raises(ValidationError, match="loss"):
        solve_lasso(D, y, 0.1, loss="cauchy")
    with pytest.raises(ValidationError, match="-1"):
        solve_lasso(D, y * 2, 0.1, loss="hinge")
    with pytest.raises(ValidationError, match="rows"):
        solve_lasso(D, y[:5], 0.1)
