"""ExactThresholdClassifier(ensemble="ovo"): one binary net per pair of classes, majority vote."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits

import mixedopt as mo
from mixedopt.errors import ValidationError
from mixedopt.estimators.ovo import one_vs_one_decision, one_vs_one_pairs


def _digits(classes=(0, 1, 7, 8), n=15):
    X, y = load_digits(return_X_y=True)
    keep = np.concatenate([np.flatnonzero(y == c)[:n] for c in classes])
    return X[keep], y[keep]


def _fit(X, y, **kw):
    params = {"hidden": (2,), "weights": "ternary", "time_limit": 6, "random_state": 0}
    params.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mo.ExactThresholdClassifier(ensemble="ovo", **params).fit(X, y)


def test_ovo_fits_one_binary_net_per_pair_and_votes():
    X, y = _digits()
    clf = _fit(X, y)
    assert clf.pairs_ == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    assert len(clf.estimators_) == len(clf.nets_) == len(clf.results_) == 6
    assert clf.net_ is None and clf.result_ is None
    assert clf.classes_.tolist() == [0, 1, 7, 8]
    for est in clf.estimators_:
        assert est.classes_.tolist() == [0, 1]
        assert est.ensemble is None
        # each pair got its share of the budget
        assert est.time_limit == pytest.approx(6 / 6)
        assert set(np.unique(np.concatenate([w.ravel() for w in est.net_.weights]))) <= {
            -1,
            0,
            1,
        }
    D = clf.decision_function(X)
    assert D.shape == (len(X), 4)
    pred = clf.predict(X)
    assert np.array_equal(pred, clf.classes_[D.argmax(axis=1)])
    # votes by hand: the vote counts are the integer parts (the tie term is in (-1/3, 1/3))
    votes = np.zeros((len(X), 4))
    for (i, j), est in zip(clf.pairs_, clf.estimators_, strict=True):
        w = est.predict(X)
        votes[:, j] += w == 1
        votes[:, i] += w == 0
    assert np.array_equal(np.round(D), votes)
    assert clf.score(X, y) >= 0.9
    assert clf.status_ in (mo.Status.OPTIMAL, mo.Status.FEASIBLE)


def test_ovo_with_two_classes_is_the_single_net():
    X, y = _digits(classes=(3, 5))
    clf = _fit(X, y)
    assert clf.estimators_ is None
    assert clf.net_ is not None
    assert clf.decision_function(X).shape == (len(X),)


def test_ovo_ties_go_to_the_summed_decision_values_then_the_lowest_class():
    pairs = one_vs_one_pairs(3)
    # a full three-way tie in votes and summed values: the lowest class wins
    d = [np.array([0.5]), np.array([-0.5]), np.array([0.5])]
    assert one_vs_one_decision(d, pairs, 3).argmax(axis=1).tolist() == [0]
    # a vote tie broken by the sums
    d = [np.array([1.0]), np.array([-1.0]), np.array([0.0])]
    assert one_vs_one_decision(d, pairs, 3).argmax(axis=1).tolist() == [1]
    assert len(one_vs_one_pairs(10)) == 45


def test_ovo_on_iris_is_deterministic_given_the_seed_and_clones():
    X, y = mo.datasets.load("iris")
    est = mo.ExactThresholdClassifier(
        hidden=(), ensemble="ovo", backend="greedy", time_limit=1.5, random_state=0
    )
    assert clone(est).get_params()["ensemble"] == "ovo"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = clone(est).fit(X, y)
    assert len(a.estimators_) == 3
    seeds = [e.random_state for e in a.estimators_]
    assert len(set(seeds)) == 3
    assert a.score(X, y) > 0.6


def test_ovo_warm_start_reuses_the_pairwise_nets():
    X, y = _digits(classes=(0, 1, 7))
    clf = _fit(X, y, warm_start=True)
    first = list(clf.nets_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    assert len(clf.nets_) == len(first) == 3
    assert clf.score(X, y) >= 0.9


def test_bad_ensemble_raises():
    X, y = mo.datasets.load("xor")
    with pytest.raises(ValidationError, match="ensemble"):
        mo.ExactThresholdClassifier(ensemble="ovr", time_limit=1).fit(X, y)
