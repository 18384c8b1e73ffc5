"""Local search (``greedy`` backend): correctness of the incremental caches, results that
are re-verified, limits, interrupts and secondary objectives."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mixedopt as mo
from mixedopt.errors import ValidationError
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Status
from mixedopt.solvers.base import SolveContext, SolveOptions
from mixedopt.solvers.greedy import DEFAULTS, local_search
from mixedopt.solvers.greedy.moves import compound_candidates
from mixedopt.solvers.greedy.search import Search


def _planted(m=300, d=4, h=3, noise=0.0, seed=1):
    X, y, t = mo.datasets.planted(m=m, d=d, h=h, noise=noise, seed=seed)
    return TrainingProblem.from_data(X, y, hidden=[h], weights="integer", weight_bound=3), t


def _search(problem, seed=0, **opts):
    ctx = SolveContext(problem, SolveOptions(time_limit=5, seed=seed))
    return Search(problem, ctx, {**DEFAULTS, **opts})


def _fresh(search):
    net = search.net()
    pre, post = net.forward(search.p.X)
    return pre, post


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    hidden=st.sampled_from([(2,), (3,), (2, 2), (3, 2)]),
    weights=st.sampled_from(["binary", "ternary", "integer"]),
    multiclass=st.booleans(),
)
def test_incremental_caches_match_a_fresh_forward_pass(seed, hidden, weights, multiclass):
    rng = np.random.default_rng(seed)
    X = rng.integers(-4, 5, size=(40, 3))
    y = rng.integers(0, 3 if multiclass else 2, size=40)
    y[:3] = [0, 1, 2] if multiclass else [0, 1, 0]
    p = TrainingProblem.from_data(X, y, hidden=list(hidden), weights=weights)
    s = _search(p, seed=seed, joint=False)
    s.table = None
    s.joint_on = False
    s.load(*s._random_params())
    for _ in range(30):
        layer, j, i = s.params[int(rng.integers(len(s.params)))]
        cand, cur = s.candidates(layer, j, i)
        if cand.size == 0:
            continue
        errs, _, _, _, _ = s.evaluate(layer, j, i, cand, cur)
        c = int(rng.integers(cand.size))
        s.apply(layer, j, i, cand[c])
        # the predicted error count of the move is the true one after it
        assert s.err == errs[c] == p.errors(s.net())
    pre, post = _fresh(s)
    for a, b in zip(s.Z, pre, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(s.A, post, strict=True):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_joint_moves_predict_true_errors(seed):
    p, _ = _planted(m=120, d=3, h=3, noise=0.1, seed=seed % 50)
    s = _search(p, seed=seed)
    s.table = s._output_table()
    s.joint_on = True
    s._code_cache = None
    s._pm = np.where(s.y == 1, -1.0, 1.0) * s.sw
    s._pos_total = float(s.sw[s.y == 1].sum())
    s.load(*s._random_params())
    rng = np.random.default_rng(seed)
    for _ in range(10):
        j = int(rng.integers(3))
        i = int(rng.integers(4))
        cand, cur = s.candidates(0, j, i)
        errs, _, _, _, joint = s.evaluate(0, j, i, cand, cur)
        c = int(rng.integers(cand.size))
        s.apply(0, j, i, cand[c])
        s._set_output(int(joint[c]))
        assert p.errors(s.net()) == s.err == errs[c]


def test_compound_candidates_stay_in_the_domain():
    cur = np.array([3, -3, 0, 1])
    C = compound_candidates(cur, np.arange(-3, 4), np.arange(-3, 4), 3)
    assert len(C) > 0
    assert C.min() >= -3 and C.max() <= 3
    assert not np.any(np.all(C == cur, axis=1))


def test_realizable_planted_net_is_found_and_optimal():
    p, _ = _planted(m=400, d=4, h=3, seed=1)
    res = local_search(p, time_limit=20, seed=0)
    assert res.status is Status.OPTIMAL
    assert res.n_errors == 0 and res.bound == 0
    assert p.errors(res.net) == 0


def test_xor_ternary_and_registry():
    X, y = mo.datasets.load("xor")
    res = mo.solvers.get("greedy").solve_data(
        X, y, hidden=[2], weights="ternary", time_limit=5, seed=0
    )
    assert res.n_errors == 0 and res.status is Status.OPTIMAL


def test_noisy_result_is_verified_and_not_overstated():
    p, _ = _planted(m=200, d=3, h=3, noise=0.1, seed=3)
    res = local_search(p, time_limit=2, seed=0)
    assert res.n_errors == p.errors(res.net)
    assert res.objective == res.n_errors
    if res.n_errors > 0:
        assert res.status is Status.FEASIBLE and res.bound is None


def test_time_limit_is_honoured():
    p, _ = _planted(m=3000, d=8, h=4, noise=0.1, seed=0)
    t0 = time.perf_counter()
    res = local_search(p, time_limit=1.5, seed=0)
    assert time.perf_counter() - t0 < 1.5 + 1.5
    assert res.net is not None


def test_keyboard_interrupt_from_callback_returns_best_so_far():
    p, _ = _planted(m=500, d=5, h=3, noise=0.1, seed=2)
    seen = []

    def cb(ev):
        seen.append(ev)
        if len(seen) >= 2:
            raise KeyboardInterrupt

    res = local_search(p, time_limit=20, seed=0, incumbent_callback=cb)
    assert res.interrupted
    assert res.net is not None and res.n_errors == p.errors(res.net)


def test_multiclass_and_sample_weights():
    X, y = mo.datasets.load("iris")
    sw = np.where(y == 2, 3, 1)
    p = TrainingProblem.from_data(
        np.round(X * 10), y, hidden=[3], weights="integer", weight_bound=3, sample_weight=sw
    )
    res = local_search(p, time_limit=3, seed=0)
    assert res.n_errors == p.errors(res.net)
    assert res.n_errors < int(sw.sum()) // 3  # far better than a constant guess


def test_deep_net_and_warm_start():
    X, y = mo.datasets.load("xor")
    p = TrainingProblem.from_data(X, y, hidden=[2, 2], weights="integer", weight_bound=2)
    res = local_search(p, time_limit=5, seed=1)
    assert res.n_errors == 0
    again = local_search(p, time_limit=5, seed=2, warm_start=res.net)
    assert again.n_errors == 0 and again.wall_time < 2


@pytest.mark.parametrize("objective", ["margin", "errors,weights"])
def test_secondary_objectives_keep_zero_errors(objective):
    p0, teacher = _planted(m=150, d=3, h=2, seed=4)
    p = p0.with_objective(objective)
    # start from a zero-error net (the noiseless teacher), so that the secondary phase runs
    # however fast the machine is: it must never give the zero errors up
    assert p.errors(teacher) == 0
    res = local_search(p, time_limit=5, seed=0, warm_start=teacher)
    assert res.n_errors == 0
    first = res.log[0]
    assert res.status is Status.FEASIBLE  # a secondary criterion is never proven
    if objective == "margin":
        assert res.objective == p.margin_value(res.net)
    else:
        assert res.info["objectives"]["weights"] == p.n_nonzero(res.net)
    assert first.wall_time <= res.wall_time


def test_unknown_option_is_rejected():
    p, _ = _planted(m=50, d=2, h=2)
    with pytest.raises(ValidationError, match="unknown greedy option"):
        local_search(p, time_limit=1, bogus=1)


def test_no_time_limit_still_ends_on_data_it_cannot_fit():
    p, _ = _planted(m=200, d=3, h=2, noise=0.1, seed=0)
    res = local_search(p, time_limit=None, seed=0)
    assert res.n_errors > 0 and res.status is Status.FEASIBLE
    assert res.n_errors == p.errors(res.net)
