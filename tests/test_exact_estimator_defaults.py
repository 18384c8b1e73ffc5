"""ExactThresholdClassifier's defaults: the few-shot MNIST configuration of issue 13 runs as is."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mixedopt as mo
from mixedopt.errors import ValidationError


def test_weight_bound_defaults_to_the_domains_default():
    clf = mo.ExactThresholdClassifier()
    assert clf.weight_bound is None
    assert clf.get_params()["weight_bound"] is None


@pytest.mark.parametrize("weights", ["ternary", "binary", "integer"])
def test_every_weight_domain_fits_with_the_default_bound(weights):
    X, y = mo.datasets.load("xor")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = mo.ExactThresholdClassifier(
            hidden=(3,), weights=weights, time_limit=10, random_state=0
        ).fit(X, y)
    assert clf.net_ is not None
    assert clf.predict(X).shape == (4,)
    if weights == "ternary":
        w = np.concatenate([np.ravel(a) for a in clf.net_.weights])
        assert set(np.unique(w).tolist()) <= {-1, 0, 1}


def test_an_explicit_bound_that_conflicts_with_ternary_still_raises():
    X, y = mo.datasets.load("xor")
    with pytest.raises(ValidationError):
        mo.ExactThresholdClassifier(
            hidden=(2,), weights="ternary", weight_bound=3, time_limit=5
        ).fit(X, y)


def test_the_few_shot_mnist_configuration_runs_with_its_defaults():
    # the single-net configuration of issue 13, on a tiny split and a short limit
    X, y = mo.datasets.load("mnist5k")
    X_tr, X_te, y_tr, _ = mo.datasets.few_shot_split(X, y, per_class=2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = mo.ExactThresholdClassifier(hidden=(16,), weights="ternary", time_limit=5).fit(
            X_tr, y_tr
        )
    assert clf.net_.n_inputs == 784
    assert clf.classes_.tolist() == list(range(10))
    assert clf.predict(X_te[:50]).shape == (50,)
