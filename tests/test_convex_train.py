"""train_convex: reconstruction reproduces the convex model, objectives, bounds, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mixedopt as mo
from mixedopt.convex import (
    enumerate_patterns,
    network_objective,
    solve_complete,
    solve_lasso,
    staircase_decomposition,
    train_convex,
    train_convex_path,
)
from mixedopt.errors import ValidationError
from mixedopt.result import Status


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.where(np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] > 0, "yes", "no")
    return X, y


def _pm1(y, classes):
    return np.where(y == classes[1], 1.0, -1.0)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=12))
def test_staircase_decomposition_is_exact(delta):
    delta = np.round(np.asarray(delta), 3)
    P, amp = staircase_decomposition(delta)
    np.testing.assert_allclose(P.astype(float) @ amp, delta, atol=1e-12)
    assert np.sum(np.abs(amp)) == pytest.approx(
        max(delta.max(), 0) + max(-delta.min(), 0), abs=1e-12
    )


@pytest.mark.parametrize("sampler", ["gaussian", "data"])
def test_lasso_network_reproduces_the_convex_model(data, sampler):
    X, y = data
    res = train_convex(X, y, method="lasso", n_patterns=300, beta=1e-3, sampler=sampler, seed=1)
    assert res.info["train_agreement"] == 1.0
    assert res.net.activation_names == ["step"]
    assert res.objective == pytest.approx(res.info["restricted_objective"], rel=1e-9)
    assert res.bound <= res.objective
    assert res.status is Status.FEASIBLE  # sampled patterns: no global optimality claim
    assert res.info["restricted_status"] == "optimal"
    # the objective is the network's own value, recomputed here
    obj = network_objective(res.net, X, _pm1(y, res.net.classes), 1e-3)
    assert obj == pytest.approx(res.objective, rel=1e-12)


@pytest.mark.parametrize("method", ["pi", "svm"])
@pytest.mark.parametrize("representation", ["random", "staircase"])
def test_complete_methods_are_certified_optimal(data, method, representation):
    X, y = data
    res = train_convex(
        X,
        y,
        method=method,
        beta=1e-3,
        representation=representation,
        representation_size=200,
        seed=0,
    )
    assert res.info["train_agreement"] == 1.0
    assert res.info["patterns_realised"] == 1.0
    assert res.status is Status.OPTIMAL and res.gap <= 1e-4
    p = solve_complete(_pm1(y, res.net.classes), 1e-3).objective
    assert res.objective == pytest.approx(p, rel=1e-6)
    assert res.n_errors == 0
    assert res.net.hidden_sizes[0] == (200 if representation == "random" else len(X))


def test_multiclass_and_deep_variants(data):
    X, _ = data
    y3 = np.digitize(X[:, 0], [-0.5, 0.5])
    for kw in (
        {"method": "lasso", "n_patterns": 200},
        {"method": "lasso", "n_patterns": 200, "multiclass": "group"},
        {"method": "lasso", "n_patterns": 200, "loss": "logistic"},
        {"method": "lasso", "n_patterns": 200, "depth": 3, "representation_size": 50},
        {"method": "pi", "representation_size": 150},
    ):
        res = train_convex(X, y3, beta=1e-3, seed=0, **kw)
        assert res.info["train_agreement"] == 1.0, kw
        assert res.net.output == "argmax" and res.net.sizes[-1] == 3
        assert res.bound <= res.objective + 1e-12
        depth = kw.get("depth", 1 if kw["method"] == "lasso" else 2)
        assert len(res.net.hidden_sizes) == depth


def test_hinge_and_logistic_binary(data):
    X, y = data
    for loss in ("hinge", "logistic"):
        res = train_convex(X, y, n_patterns=200, beta=1e-2, loss=loss, seed=0)
        assert res.info["train_agreement"] == 1.0
        assert res.bound <= res.objective


def test_path_matches_single_solves(data):
    X, y = data
    betas = [1e-2, 1e-3]
    path = train_convex_path(X, y, betas, n_patterns=200, seed=3)
    for b, res in zip(betas, path, strict=True):
        single = train_convex(X, y, beta=b, n_patterns=200, seed=3)
        assert res.objective == pytest.approx(single.objective, rel=1e-6)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), width=st.integers(1, 6))
def test_exact_program_is_below_every_network_of_the_same_form(seed, width):
    # complete arrangement set of tiny data: the Lasso over H(X) is program (6) exactly, so no
    # two-layer step network (any weights, any width) has a lower objective
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(7, 2))
    y = np.where(rng.random(7) < 0.5, -1.0, 1.0)
    y[:2] = [1.0, -1.0]
    beta = 0.02
    D = enumerate_patterns(X).patterns.toarray()
    p_star = solve_lasso(D, y, beta, solver="qp", tol=1e-10).objective
    net = mo.ThresholdNet(
        [rng.normal(size=(width, 2)), rng.normal(size=(1, width))],
        [rng.normal(size=width), np.zeros(1)],
        "step",
    )
    # also the best output weights for these hidden units (a convex fit over their patterns)
    H = net.activations(X)[0].astype(bool)
    if H.any():
        best = solve_lasso(H, y, beta, solver="qp", tol=1e-10)
        assert best.objective >= p_star - 1e-7
    assert network_objective(net, X, y, beta) >= p_star - 1e-9
    assert p_star >= solve_complete(y, beta).objective - 1e-9


def test_exact_enumeration_sampler_is_optimal_when_complete():
    # d + 1 >= n points in general position: H(X) is complete, (6) = (7)
    X = np.random.default_rng(0).normal(size=(5, 4))
    y = np.array([1, -1, 1, 1, -1])
    res = train_convex(X, y, sampler="enumerate", beta=1e-2, tol=1e-6)
    assert res.info["complete_patterns"] and res.status is Status.OPTIMAL


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"beta": 0.0}, "beta"),
        ({"beta": -1.0}, "beta"),
        ({"n_patterns": 0}, "n_patterns"),
        ({"method": "magic"}, "method"),
        ({"loss": "l3"}, "loss"),
        ({"depth": 0}, "depth"),
        ({"sampler": "x"}, "sampler"),
        ({"multiclass": "x"}, "multiclass"),
    ],
)
def test_bad_inputs(data, kwargs, match):
    X, y = data
    with pytest.raises(ValidationError, match=match):
        train_convex(X, y, **kwargs)


def test_one_class_and_bad_shapes(data):
    X, y = data
    with pytest.raises(ValidationError, match="class"):
        train_convex(X, np.ones(len(X)))
    with pytest.raises(ValidationError, match="different lengths"):
        train_convex(X, y[:-1])


@pytest.mark.parametrize("C", [None, 1.0])
def test_svm_units_from_the_gram_matrix_equal_the_plain_linear_svm(monkeypatch, C):
    import mixedopt.convex.reconstruct as rc

    rng = np.random.default_rng(0)
    A = (rng.normal(size=(120, 30)) > 0).astype(float)
    A = np.unique(A, axis=0)
    P = np.column_stack([A[:, 0] > 0, A[:, :3].sum(1) >= 2, np.ones(len(A), bool)])
    layer, realised = rc.pattern_units(A, P, "svm", svm_C=C, seed=0)
    monkeypatch.setattr(rc, "SVM_GRAM_MAX_ROWS", 0)  # the per-unit linear-kernel path
    plain, realised_plain = rc.pattern_units(A, P, "svm", svm_C=C, seed=0)
    np.testing.assert_allclose(layer.weights, plain.weights, atol=1e-8)
    np.testing.assert_allclose(layer.biases, plain.biases, atol=1e-8)
    assert realised.tolist() == realised_plain.tolist()
    assert realised[[0, 2]].all()  # a separable pattern and the constant one
