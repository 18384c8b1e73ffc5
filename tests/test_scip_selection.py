"""The unit-selection MIP of the SCIP backend (``formulation="selection"``, the default
``"auto"`` where it applies): optimum against independent oracles (brute force, the
dichotomy search), the choice and fallback of ``auto``, start solutions, honest statuses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mixedopt as mo
from mixedopt.errors import ValidationError
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Status
from mixedopt.solvers.dichotomy.decode import decode_net
from mixedopt.solvers.scip import selection
from mixedopt.solvers.scip.selection import SelectionModel, minimal_error_sets

pytest.importorskip("pyscipopt")


@st.composite
def tiny_errors_problem(draw):
    m = draw(st.integers(3, 8))
    d = draw(st.integers(1, 2))
    X = np.array(
        draw(
            st.lists(st.lists(st.integers(-2, 2), min_size=d, max_size=d), min_size=m, max_size=m)
        ),
        dtype=np.int64,
    )
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=m, max_size=m)))
    y[:2] = [0, 1]
    weights = draw(st.sampled_from(["binary", "ternary", "integer"]))
    sw = draw(st.one_of(st.none(), st.lists(st.integers(1, 3), min_size=m, max_size=m)))
    return TrainingProblem.from_data(
        X,
        y,
        hidden=draw(st.sampled_from([[1], [2]])),
        weights=weights,
        weight_bound=1 if weights == "integer" else None,
        sample_weight=sw,
    )


def _planted(m: int = 24, h: int = 2, seed: int = 0) -> TrainingProblem:
    X, y, _ = mo.datasets.planted(m, 4, h, 0.1, seed, weight_bound=2)
    return TrainingProblem.from_data(X, y, hidden=[h], weights="integer", weight_bound=2)


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(tiny_errors_problem(), st.sampled_from(["selection", "bigm"]))
def test_selection_and_bigm_match_brute_force(p, formulation):
    ref = mo.solvers.get("brute").solve(p, time_limit=60)
    res = mo.solvers.get("scip").solve(p, time_limit=60, formulation=formulation)
    assert ref.status is Status.OPTIMAL and res.status is Status.OPTIMAL, (p.describe(), res)
    assert res.info["formulation"] == formulation
    assert res.objective == ref.objective == p.errors(res.net), p.describe()
    assert res.bound == res.objective


def test_selection_matches_brute_force_on_rational_inputs():
    # decimal inputs are kept as q * x with biases scaled by q: the unit class must agree
    X = np.array([[0.5, -0.2], [0.1, 0.3], [-0.4, 0.0], [0.2, 0.2], [0.0, -0.3], [0.3, 0.1]])
    y = np.array([1, 0, 1, 0, 0, 1])
    p = TrainingProblem.from_data(X, y, hidden=[2], weights="integer", weight_bound=1)
    assert p.integral and p.input_scale == 10
    ref = mo.solvers.get("brute").solve(p, time_limit=60)
    res = mo.solvers.get("scip").solve(p, time_limit=60)
    assert res.info["formulation"] == "selection"
    assert res.status is Status.OPTIMAL and res.objective == ref.objective
    assert res.net.n_errors(X, y) == res.objective


@pytest.mark.parametrize(("m", "h", "seed"), [(24, 2, 0), (24, 2, 4), (32, 3, 3)])
def test_selection_agrees_with_the_dichotomy_search(m, h, seed):
    # the benchmark cell of issue 13 (m = 24, d = 4, h = 2, K = 2, 10 % noise) and h = 3
    p = _planted(m, h, seed)
    ref = mo.train_exact(
        p.X, p.y, hidden=[h], weight_bound=2, method="dichotomy", time_limit=60, seed=0
    )
    res = mo.solvers.get("scip").solve(p, time_limit=60, seed=0)
    assert ref.status is Status.OPTIMAL and res.status is Status.OPTIMAL
    assert res.info["formulation"] == "selection"
    assert res.objective == ref.objective == p.errors(res.net)
    assert res.info["model"]["minimal_error_sets"] < res.info["model"]["dichotomies"]


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"hidden": [2, 1]}, "one hidden layer"),
        ({"hidden": [2], "objective": "weights"}, "errors only"),
        ({"hidden": [2], "weights": "real"}, "integer inputs"),
    ],
)
def test_auto_falls_back_to_big_m_where_selection_does_not_apply(kw, why):
    X, y = mo.datasets.load("xor")
    p = TrainingProblem.from_data(X, y, **kw)
    res = mo.solvers.get("scip").solve(p, time_limit=30)
    assert res.status is Status.OPTIMAL
    assert res.info["formulation"] == "bigm" and why in res.info["selection_skipped"]


def test_size_cap_falls_back_or_refuses(monkeypatch):
    p = _planted()
    monkeypatch.setattr(selection, "MAX_SELECTION_VARS", 10)
    res = mo.solvers.get("scip").solve(p, time_limit=1)  # the big-M model: no proof needed
    assert res.info["formulation"] == "bigm"
    assert "too large" in res.info["selection_skipped"]
    with pytest.raises(ValidationError, match="formulation='bigm'"):
        mo.solvers.get("scip").solve(p, time_limit=30, formulation="selection")


def test_explicit_selection_on_an_unsupported_problem_is_refused():
    X, y = mo.datasets.load("xor")
    p = TrainingProblem.from_data(X, y, hidden=[2, 1])
    with pytest.raises(ValidationError, match="one hidden layer"):
        mo.solvers.get("scip").solve(p, time_limit=10, formulation="selection")
    above = mo.ThresholdNet([np.array([[1, 1]])], [np.array([1])])
    with pytest.raises(ValidationError, match="target assignment"):
        mo.assign_targets(X, above, y, backend="scip", time_limit=10, formulation="selection")


def test_minimal_error_sets_keep_one_subset_minimal_row_per_class():
    rng = np.random.default_rng(0)
    E = rng.random((200, 12)) < 0.5
    keep = minimal_error_sets(E)
    assert 1 < len(keep) < 200
    K = E[keep]
    # no kept row contains another kept row; every row contains some kept row
    inside = ~np.any(K[:, None, :] & ~E[None, :, :], axis=2)  # inside[i, j]: K_i within E_j
    assert inside.any(axis=0).all()
    ki = inside[:, keep]
    np.fill_diagonal(ki, False)
    assert not ki.any()
    assert len(minimal_error_sets(E, limit=len(keep))) == len(keep)
    with pytest.raises(selection.SelectionTooLarge):
        minimal_error_sets(E, limit=len(keep) - 1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_start_net_is_written_as_a_selection_with_no_more_errors(seed):
    p = _planted(24, 3, seed)
    net = mo.ThresholdNet.random([4, 3, 1], seed=seed, weights="integer", weight_bound=2)
    net = p.make_net(net.weights, net.biases)
    mm = SelectionModel(p)
    found = mm._selection_of(net)
    assert found is not None
    fi, units = found
    decoded = decode_net(p, mm.uc, mm.cand, mm.functions[fi], units)
    assert p.errors(decoded) <= p.errors(net)
    res = mo.solvers.get("scip").solve(p, time_limit=60, warm_start=net, seed=0)
    assert res.status is Status.OPTIMAL and res.objective <= p.errors(net)


def test_a_time_limit_inside_the_build_is_not_optimal():
    p = _planted(48, 3, 0)
    res = mo.solvers.get("scip").solve(p, time_limit=0.01)
    assert res.status in (Status.UNKNOWN, Status.FEASIBLE)
    assert res.wall_time < 5


def test_engine_auto_with_scip_uses_the_selection_model():
    p = _planted(24, 2, 1)
    res = mo.train_exact(
        p.X, p.y, hidden=[2], weight_bound=2, backend="scip", time_limit=30, seed=0
    )
    # the heuristic alone proves nothing above 0 errors: the SCIP phase proves the 2
    assert res.status is Status.OPTIMAL and res.objective == 2
    assert res.method == "auto:heuristic+monolithic"
    assert res.info["formulation"] == "selection"


@pytest.mark.parametrize("h", [1, 2, 3, 4])
def test_threshold_rows_represent_every_canonical_output_function(h):
    from mixedopt.solvers.dichotomy.functions import canonical_functions
    from mixedopt.solvers.scip.selection import _threshold

    X, y = mo.datasets.load("xor")
    p = TrainingProblem.from_data(X, y, hidden=[h], weights="integer", weight_bound=2)
    funcs = [f for f in canonical_functions(p) if f.h > 0]
    assert len(funcs) >= h  # at least the AND of i inputs for each i
    for f in funcs:
        a, theta = _threshold(f)
        codes = (np.arange(1 << f.h)[:, None] >> np.arange(f.h)) & 1
        assert min(a) >= 1
        assert ((codes @ np.asarray(a)) >= theta).tolist() == list(f.table), f.name()
