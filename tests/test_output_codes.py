"""Output-code starts (mixedopt.exact.codes), ExactThresholdClassifier(init=...), stage records."""

from __future__ import annotations

import warnings
from itertools import product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mixedopt as mo
from mixedopt.errors import ValidationError
from mixedopt.exact.codes import code_matrix, init_applies, output_code_net, round_unit
from mixedopt.problems.training import TrainingProblem


@given(k=st.integers(2, 7), h=st.integers(1, 10), seed=st.integers(0, 5))
@settings(max_examples=15, deadline=None)
def test_code_matrix_columns_split_the_classes_in_halves(k, h, seed):
    C = code_matrix(k, h, seed=seed)
    assert C.shape == (k, h)
    assert set(np.unique(C).tolist()) <= {-1, 1}
    # every column is a half split (sizes differ by at most one)
    assert np.all(np.abs(C.sum(axis=0)) <= k % 2)
    assert np.array_equal(C, code_matrix(k, h, seed=seed))  # deterministic


def test_code_matrix_spreads_code_words_apart():
    C = code_matrix(10, 16, seed=0)
    d = (C[:, None, :] != C[None, :, :]).sum(axis=2)
    np.fill_diagonal(d, 99)
    assert d.min() >= 5  # random half splits give ~8 on average; the best of many draws


def test_code_matrix_rejects_degenerate_shapes():
    with pytest.raises(ValidationError, match="at least 2 classes"):
        code_matrix(1, 4)


def _brute_round(w, A, t, wvals, bvals):
    """Training accuracy of the best rounding over every ternary vector (tiny d)."""
    best = 0
    for wi in product(wvals.tolist(), repeat=len(w)):
        z = A @ np.array(wi)
        for b in bvals:
            best = max(best, int(((z + b >= 0) == (t > 0)).sum()))
    return best


@given(seed=st.integers(0, 200))
@settings(max_examples=30, deadline=None)
def test_round_unit_stays_in_the_domain_and_its_accuracy_is_what_it_claims(seed):
    rng = np.random.default_rng(seed)
    A = rng.integers(0, 4, size=(12, 3))
    t = np.where(rng.random(12) < 0.5, -1, 1)
    w = rng.normal(size=3)
    wvals, bvals = np.array([-1, 0, 1]), np.array([-1, 0, 1])
    wi, b = round_unit(w, A, t, wvals, bvals)
    assert set(wi.tolist()) <= {-1, 0, 1} and b in (-1, 0, 1)
    acc = int(((A @ wi + b >= 0) == (t > 0)).sum())
    # never better than the best ternary unit (an oracle), never worse than a constant
    assert acc <= _brute_round(w, A, t, wvals, bvals)
    assert acc >= min(int((t > 0).sum()), int((t < 0).sum()))


@pytest.mark.parametrize("weights,bound", [("ternary", None), ("integer", 3), ("binary", None)])
def test_output_code_net_is_a_valid_net_of_the_requested_shape(weights, bound):
    X, y = mo.datasets.load("iris")
    net = output_code_net(X, y, hidden=6, weights=weights, weight_bound=bound, seed=1)
    p = TrainingProblem.from_data(X, y, hidden=[6], weights=weights, weight_bound=bound)
    p.check_net(net)  # shape, domain, classes
    assert [w.shape for w in net.weights] == [(6, 4), (3, 6)]
    # the output layer is the code matrix: it decodes the nearest code word
    C = code_matrix(3, 6, seed=1)
    assert np.array_equal(net.weights[1], C)
    H = np.where(np.asarray(net.activations(X)[0]) > 0, 1, -1)
    dist = (H[:, None, :] != C.T[None, :, :].transpose(0, 2, 1)).sum(axis=2)
    assert np.array_equal(net.predict(X), np.asarray(p.classes)[np.argmin(dist, axis=1)])
    assert (net.predict(X) == y).mean() > 0.6


def test_output_code_net_works_on_rational_inputs():
    X, y = mo.datasets.load("iris")  # decimals: trained as q * x with q = 10
    net = output_code_net(X, y, hidden=4, weights="ternary")
    p = TrainingProblem.from_data(X, y, hidden=[4], weights="ternary")
    assert p.input_scale > 1
    p.check_net(net)
    assert p.errors(net) == int((net.predict(X) != y).sum())


def test_output_code_net_refuses_what_it_does_not_cover():
    X, y = mo.datasets.load("iris")
    with pytest.raises(ValidationError, match="at least 2 hidden units"):
        output_code_net(X, y, hidden=1)
    with pytest.raises(ValidationError, match="one hidden layer"):
        output_code_net(X, y, hidden=[4, 2])
    p = TrainingProblem.from_data(X, y, hidden=[4], weights="real")
    assert not init_applies(p)


def _digits_few_shot(per_class=10, seed=0):
    X, y = mo.datasets.load("digits")
    return mo.datasets.few_shot_split(X, y, per_class=per_class, seed=seed)


def test_estimator_init_auto_starts_from_the_output_code_net():
    Xtr, Xte, ytr, yte = _digits_few_shot()
    kw = dict(hidden=(12,), weights="ternary", time_limit=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = mo.ExactThresholdClassifier(**kw).fit(Xtr, ytr)
    start = output_code_net(Xtr, ytr, hidden=12, weights="ternary", seed=0)
    sources = [ev.source for ev in clf.result_.log]
    assert "warm_start" in sources  # the engine saw the output-code net first
    assert clf.result_.n_errors <= int((start.predict(Xtr) != ytr).sum())
    assert clf.score(Xte, yte) > 0.6  # digits 8x8, ten per class


def test_estimator_init_none_and_bad_values():
    X, y = mo.datasets.load("iris")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = mo.ExactThresholdClassifier(hidden=(3,), init=None, time_limit=3, random_state=0)
        clf.fit(X, y)
    assert "warm_start" not in [ev.source for ev in clf.result_.log]
    with pytest.raises(ValidationError, match="init must be"):
        mo.ExactThresholdClassifier(init="random").fit(X, y)
    with pytest.raises(ValidationError, match="init='codes' needs"):
        mo.ExactThresholdClassifier(hidden=(2, 2), init="codes", time_limit=3).fit(X, y)
    # 'auto' simply does not apply to two hidden layers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mo.ExactThresholdClassifier(hidden=(2, 2), time_limit=3, random_state=0).fit(X, y)


def test_two_classes_start_from_a_vote_of_bootstrap_units():
    X, y = mo.datasets.load("digits")
    m = (y == 3) | (y == 5)
    Xtr, Xte, ytr, yte = mo.datasets.few_shot_split(X[m], y[m], per_class=10, seed=0)
    net = output_code_net(Xtr, ytr, hidden=5, weights="ternary", seed=0)
    assert [w.shape for w in net.weights] == [(5, X.shape[1]), (1, 5)]
    assert set(np.unique(net.weights[1]).tolist()) <= {-1, 1}  # the output unit votes
    assert (net.predict(Xte) == yte).mean() > 0.8
    # units differ (bootstrap samples), and the training errors are what the net makes
    assert len({tuple(w) for w in net.weights[0].tolist()}) > 1


@pytest.mark.parametrize(
    "objective", ["errors", "errors,margin", "errors,weights", "weights", "margin"]
)
def test_stage_records_follow_the_objective_order_and_never_overclaim(objective):
    X, y = mo.datasets.load("xor")
    res = mo.train_exact(X, y, hidden=[2], weights="ternary", objective=objective, time_limit=10)
    stages = res.info["stages"]
    assert [s["criterion"] for s in stages] == objective.split(",")
    values = res.info["objectives"]
    for s in stages:
        assert s["value"] == values[s["criterion"]]
        assert s["status"] in ("optimal", "feasible")
        if s["status"] == "optimal":
            assert s["bound"] == pytest.approx(s["value"])
    if res.status is mo.Status.OPTIMAL:
        assert all(s["status"] == "optimal" for s in stages)


def test_a_later_stage_cut_by_the_limit_keeps_the_trivial_bound():
    X, y = mo.datasets.load("iris")
    res = mo.train_exact(
        X, y, hidden=[4], weights="ternary", objective="errors,margin", time_limit=2, seed=0
    )
    first, second = res.info["stages"]
    assert first["criterion"] == "errors" and second["criterion"] == "margin"
    if res.status is not mo.Status.OPTIMAL:
        assert second["bound_kind"] == "trivial"
        p = TrainingProblem.from_data(
            X, y, hidden=[4], weights="ternary", objective="errors,margin"
        )
        assert second["bound"] == pytest.approx(p.margin_range())
        assert second["status"] == "feasible"
