"""Straight-through baselines: same objective as the convex programs, never below the optimum."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from mixedopt.convex import (
    enumerate_patterns,
    network_objective,
    solve_complete,
    solve_lasso,
)
from mixedopt.errors import ValidationError

pytestmark = pytest.mark.torch


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1, -1)
    return X, y


@pytest.mark.parametrize("rule", ["ste", "relu", "lrelu", "crelu"])
def test_heuristics_never_beat_the_exact_convex_optimum(tiny, rule):
    from mixedopt.torch.baselines import train_heuristic

    X, y = tiny
    beta = 1e-2
    D = enumerate_patterns(X).patterns.toarray()  # complete arrangement set of the data
    p_star = solve_lasso(D, y.astype(float), beta, solver="qp", tol=1e-10).objective
    for seed in range(2):
        res = train_heuristic(
            X, y, rule=rule, hidden=(20,), beta=beta, lr=0.05, epochs=150, seed=seed, init="normal"
        )
        assert res.objective >= p_star - 1e-9
        assert res.objective <= res.raw_objective + 1e-6  # rescaling only lowers it
        assert network_objective(res.net, X, y.astype(float), beta) == pytest.approx(res.objective)
    # deeper heuristic nets are bounded by program (7)
    res = train_heuristic(X, y, rule=rule, hidden=(10, 5), beta=beta, lr=0.05, epochs=100, seed=0)
    assert res.objective >= solve_complete(y.astype(float), beta).objective - 1e-9


def test_network_matches_the_torch_model(tiny):
    import torch

    from mixedopt.torch.baselines import ThresholdMLP, _to_net

    X, _ = tiny
    torch.manual_seed(0)
    model = ThresholdMLP(2, (6, 4), 1, "ste").double()
    with torch.no_grad():
        for a in model.amplitudes:
            a.uniform_(-2, 2)
        out = model(torch.from_numpy(X)).numpy()[:, 0]
    net = _to_net(model, np.zeros(2), np.ones(2), np.array([-1, 1]), {})
    np.testing.assert_allclose(net.decision_function(X), out, atol=1e-10)


def test_bad_baseline_inputs(tiny):
    from mixedopt.torch.baselines import train_heuristic

    X, y = tiny
    with pytest.raises(ValidationError, match="rule"):
        train_heuristic(X, y, rule="sgd")
    with pytest.raises(ValidationError, match="beta"):
        train_heuristic(X, y, beta=0)
    with pytest.raises(ValidationError, match="class"):
        train_heuristic(X, np.ones(len(y)))
