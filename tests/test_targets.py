"""mo.assign_targets: exact backends agree with brute force; every answer is verified."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mixedopt as mo
from mixedopt.problems.layer import TargetProblem
from mixedopt.result import Status

SETTINGS = settings(
    max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def instance(draw):
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    B = draw(st.integers(3, 7))
    d = draw(st.integers(1, 2))
    n = draw(st.sampled_from([1, 2]))
    A = rng.integers(-2, 3, size=(B, d))
    kind = draw(st.sampled_from(["sign", "argmax", "layer"]))
    if kind == "sign":
        above = mo.ThresholdNet([rng.integers(-1, 2, size=(1, n))], [rng.integers(-1, 2, size=1)])
        y = rng.choice([-1, 1], size=B)
    elif kind == "argmax":
        above = mo.ThresholdNet(
            [rng.integers(-1, 2, size=(3, n))], [rng.integers(-1, 2, size=3)], output="argmax"
        )
        y = rng.integers(0, 3, size=B)
    else:
        above = (rng.integers(-1, 2, size=(2, n)), rng.integers(-1, 2, size=2))
        y = rng.choice([-1, 1], size=(B, 2))
    current = np.where(A @ rng.integers(-1, 2, size=(n, d)).T >= 0, 1, -1)
    max_flips = draw(st.sampled_from([None, 1]))
    weights = draw(st.sampled_from(["binary", "ternary", "integer"]))
    return {
        "A": A,
        "above": above,
        "y_down": y,
        "current": current,
        "max_flips": max_flips,
        "weights": weights,
        "weight_bound": 1 if weights == "integer" else None,
    }


def _check(ta: mo.TargetAssignment, kw: dict) -> None:
    """The layer realises the targets exactly and the count is the true one."""
    tp = TargetProblem.build(
        kw["A"],
        kw["above"],
        kw["y_down"],
        current=kw.get("current"),
        weights=kw["weights"],
        weight_bound=kw.get("weight_bound"),
        max_flips=kw.get("max_flips"),
    )
    z = np.asarray(kw["A"]) @ ta.weights.T + ta.biases
    assert np.array_equal(np.where(z >= 0, 1, -1), ta.targets)
    assert ta.n_violated == tp.violations(ta.targets)
    if kw.get("max_flips") is not None and ta.status.has_solution:
        assert np.all(np.sum(ta.targets != kw["current"], axis=1) <= kw["max_flips"])
    if kw["weights"] != "real":
        assert np.all(np.abs(ta.weights) <= (kw.get("weight_bound") or 1))


@SETTINGS
@given(instance())
def test_exact_backends_match_brute(kw):
    ref = mo.assign_targets(backend="brute", time_limit=30, **kw)
    _check(ref, kw)
    for be in ("cpsat", "scip"):
        ta = mo.assign_targets(backend=be, time_limit=30, **kw)
        assert ta.status == ref.status, (be, ta, ref)
        if ref.status is Status.OPTIMAL:
            assert ta.n_violated == ref.n_violated, be
            assert ta.bound == pytest.approx(ta.n_violated)
        _check(ta, kw)


@SETTINGS
@given(instance())
def test_greedy_is_verified_and_never_beats_the_optimum(kw):
    ref = mo.assign_targets(backend="brute", time_limit=30, **kw)
    ta = mo.assign_targets(backend="greedy", time_limit=2, seed=0, **kw)
    _check(ta, kw)
    if ta.status.has_solution and ref.status is Status.OPTIMAL:
        assert ta.n_violated >= ref.n_violated
    assert ta.status in (Status.FEASIBLE, Status.OPTIMAL, Status.UNKNOWN)
    if ta.status is Status.OPTIMAL:
        assert ta.n_violated == 0


def test_real_weights_scip_matches_brute():
    rng = np.random.default_rng(7)
    for _ in range(3):
        A = rng.normal(size=(6, 2))
        above = mo.ThresholdNet(
            [rng.normal(size=(2, 2)), rng.normal(size=(1, 2))],
            [rng.normal(size=2), rng.normal(size=1)],
        )
        y = rng.choice([-1, 1], size=6)
        kw = {"A": A, "above": above, "y_down": y, "weights": "real", "weight_bound": 2.0}
        ref = mo.assign_targets(backend="brute", time_limit=30, **kw)
        ta = mo.assign_targets(backend="scip", time_limit=30, **kw)
        # a box on real weights makes the margin model a restriction: both solve it to
        # optimality, but only a zero-violation layer is a proof for the stated problem
        for r in (ref, ta):
            if r.n_violated == 0:
                assert r.status is Status.OPTIMAL
            else:
                assert r.status is Status.FEASIBLE and r.bound is None
                assert r.info["margin_model_bound"] == r.n_violated
        assert ta.n_violated == ref.n_violated
        _check(ta, kw)


def test_unbounded_real_weights_use_indicators():
    X, y = mo.datasets.load("xor")
    above = mo.ThresholdNet([np.array([[1, 1]])], [np.array([1])])
    ta = mo.assign_targets(X, above, y, backend="scip", time_limit=20)
    assert ta.status is Status.OPTIMAL and ta.n_violated == 0
    assert ta.info["formulation"] == "indicator"
    _check(ta, {"A": X, "above": above, "y_down": y, "weights": "real"})


def test_greedy_finds_planted_targets():
    X, y, teacher = mo.datasets.planted(m=120, d=4, h=3, seed=3)
    above = mo.ThresholdNet([teacher.weights[1]], [teacher.biases[1]])
    start = -teacher.activations(X)[0]  # worst start: every target flipped
    ta = mo.assign_targets(
        X, above, y, current=start, weights="integer", weight_bound=3, time_limit=10, seed=0
    )
    _check(ta, {"A": X, "above": above, "y_down": y, "weights": "integer", "weight_bound": 3})
    assert ta.n_violated <= 0.1 * len(y)


def test_time_limit_honoured():
    X, y, teacher = mo.datasets.planted(m=400, d=6, h=4, noise=0.1, seed=0)
    above = mo.ThresholdNet([teacher.weights[1]], [teacher.biases[1]])
    for be in ("greedy", "cpsat"):
        t0 = time.perf_counter()
        ta = mo.assign_targets(
            X, above, y, weights="integer", weight_bound=3, backend=be, time_limit=1.0
        )
        assert time.perf_counter() - t0 <= 2.5, be
        assert ta.status in (Status.FEASIBLE, Status.OPTIMAL, Status.UNKNOWN)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"backend": "magic"}, "backend"),
        ({"current": np.ones((4, 3))}, "current"),
        ({"max_flips": 1}, "max_flips needs current"),
        ({"n_units": 5}, "n_units"),
        ({"weights": "complex"}, "weights"),
        ({"y_down": [0, 1]}, "y_down"),
        ({"y_down": ["a", "b", "a", "b"]}, "labels"),
        ({"backend": "cpsat", "weights": "real"}, "scip"),
        ({"sample_weight": [1, 0, 1, 1]}, "sample_weight"),
        ({"time_limit": 0}, "time_limit"),
    ],
)
def test_bad_input(kwargs, match):
    X, y = mo.datasets.load("xor")
    above = mo.ThresholdNet([np.array([[1, 1]])], [np.array([1])])
    kw = {"A": X, "above": above, "y_down": y, **kwargs}
    with pytest.raises(mo.ValidationError, match=match):
        mo.assign_targets(kw.pop("A"), kw.pop("above"), kw.pop("y_down"), **kw)


def test_above_must_be_net_or_layer():
    X, y = mo.datasets.load("xor")
    with pytest.raises(mo.ValidationError, match="above"):
        mo.assign_targets(X, "net", y)


def test_greedy_exact_start_from_layer():
    X, y, teacher = mo.datasets.planted(m=100, d=4, h=3, seed=4)
    above = mo.ThresholdNet([teacher.weights[1]], [teacher.biases[1]])
    ta = mo.assign_targets(
        X,
        above,
        y,
        current=teacher.activations(X)[0],
        layer=(teacher.weights[0], teacher.biases[0]),
        weights="integer",
        weight_bound=3,
        time_limit=5,
    )
    assert ta.status is Status.OPTIMAL and ta.n_violated == 0
    with pytest.raises(mo.ValidationError, match="layer"):
        mo.assign_targets(X, above, y, layer=(np.ones((2, 4)), np.zeros(2)))


@pytest.mark.parametrize("weights", ["integer", "real"])
def test_column_realisable_exact_check(weights):
    X, y = mo.datasets.load("xor")
    above = mo.ThresholdNet([np.array([[1, 1]])], [np.array([1])])
    tp = TargetProblem.build(X, above, y, weights=weights, weight_bound=1)
    xor_col = np.where(X[:, 0] * X[:, 1] > 0, 1, -1)
    and_col = np.where((X[:, 0] > 0) & (X[:, 1] > 0), 1, -1)
    assert tp.column_realisable(xor_col)[0] is False
    ok, v = tp.column_realisable(and_col)
    assert ok
    assert np.array_equal(np.where(X @ v[:-1] + v[-1] >= 0, 1, -1), and_col)
