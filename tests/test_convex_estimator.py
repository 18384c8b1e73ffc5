"""ConvexThresholdClassifier: scikit-learn conventions, pipelines, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import mixedopt as mo
from mixedopt.errors import ValidationError

# No check is skipped: every scikit-learn estimator check passes for both configurations
# (check_array_api_input skips itself unless SCIPY_ARRAY_API is set).
ESTIMATORS = [
    mo.ConvexThresholdClassifier(n_patterns=200, random_state=0),
    mo.ConvexThresholdClassifier(method="pi", representation_size=200, random_state=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def data():
    X, y = mo.datasets.load("breast_cancer")
    return X[:200], y[:200]


def test_fitted_attributes(data):
    X, y = data
    clf = mo.ConvexThresholdClassifier(n_patterns=300, beta=1e-2, random_state=0)
    assert clf.fit(X, y) is clf
    assert clf.net_.activation_names == ["step"]
    assert np.array_equal(clf.classes_, np.unique(y))
    assert clf.bound_ <= clf.objective_ and clf.n_hidden_ == clf.net_.hidden_sizes[0]
    assert clf.n_features_in_ == X.shape[1]
    assert clf.score(X, y) > 0.9
    np.testing.assert_array_equal(clf.predict(X), clf.net_.predict(X))
    assert clf.decision_function(X).shape == (len(X),)


def test_svm_method_and_deep(data):
    X, y = data
    svm = mo.ConvexThresholdClassifier(method="svm", representation_size=300, random_state=0)
    assert svm.fit(X, y).status_.value == "optimal"
    deep = mo.ConvexThresholdClassifier(
        depth=2, representation_size=100, n_patterns=200, random_state=0
    ).fit(X, y)
    assert len(deep.net_.hidden_sizes) == 2


def test_pipeline_and_grid_search(data):
    X, y = data
    pipe = make_pipeline(
        StandardScaler(), mo.ConvexThresholdClassifier(n_patterns=200, random_state=0)
    )
    grid = GridSearchCV(pipe, {"convexthresholdclassifier__beta": [1e-3, 1e-2]}, cv=2)
    grid.fit(X, y)
    assert grid.best_params_["convexthresholdclassifier__beta"] in (1e-3, 1e-2)
    assert grid.score(X, y) > 0.85


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"beta": 0.0}, "beta"),
        ({"beta": -0.1}, "beta"),
        ({"n_patterns": 0}, "n_patterns"),
        ({"n_patterns": 2.5}, "n_patterns"),
        ({"method": "cvx"}, "method"),
        ({"time_limit": 0}, "time_limit"),
    ],
)
def test_bad_parameters(data, params, match):
    X, y = data
    with pytest.raises(ValidationError, match=match):
        mo.ConvexThresholdClassifier(**params).fit(X, y)


def test_one_class_and_not_fitted(data):
    X, _ = data
    with pytest.raises(ValueError, match="class"):
        mo.ConvexThresholdClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(NotFittedError):
        mo.ConvexThresholdClassifier().predict(X)
