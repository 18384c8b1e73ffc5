"""Adding a backend touches one file: a toy backend defined and registered here only.

``ToyBackend`` answers with the brute-force oracle's net (and its per-layer assignment),
or, with the native option ``lie=True``, with a poor net that it claims to be optimal:
train_exact and assign_targets must verify it like any other backend's answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pytest

import mixedopt as mo
from mixedopt.problems.layer import RawAssignment, TargetProblem
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Status
from mixedopt.solvers import registry
from mixedopt.solvers.base import LIMIT, Backend, RawResult, SolveContext, check_option_names


class ToyBackend(Backend):
    name = "toy"
    description = "the brute-force oracle's answer (test only)"
    domains = frozenset({"binary", "ternary", "integer"})
    objectives = frozenset({"errors"})
    STATUS_MAP: ClassVar[dict[str, Status | str]] = {
        "optimal": Status.OPTIMAL,
        "limit": LIMIT,
        "infeasible": Status.INFEASIBLE,
    }

    def check_native(self, native: Mapping[str, Any]) -> None:
        check_option_names(native, ("lie",), backend=self.name)

    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        if ctx.options.native.get("lie"):
            sizes = problem.sizes
            W = [np.zeros((sizes[k + 1], sizes[k]), np.int64) for k in range(len(sizes) - 1)]
            net = problem.make_net(W, [np.zeros(n, np.int64) for n in sizes[1:]])
            return RawResult("optimal", net=net, objective=0.0, bound=0.0)
        res = mo.solvers.get("brute").solve(problem, time_limit=ctx.time_left(), seed=ctx.seed)
        return RawResult(res.status.value, net=res.net, objective=res.objective, bound=res.bound)

    def assign(
        self,
        problem: TargetProblem,
        *,
        time_limit: float | None,
        seed: int = 0,
        threads: int = 1,
        initial_layer: tuple[Any, Any] | None = None,
        **native: Any,
    ) -> RawAssignment:
        if native.pop("lie", False):
            W = np.zeros((problem.n_units, problem.n_inputs), np.int64)
            b = np.zeros(problem.n_units, np.int64)
            wrong = -problem.realised(W, b)  # targets the layer does not realise
            return RawAssignment("optimal", wrong, W, b, bound=0.0)
        return mo.solvers.get("brute").assign(problem, time_limit=time_limit, **native)


class ToyNoAssign(ToyBackend):
    name = "toy-no-assign"
    assign = Backend.assign  # back to the default: no target assignment


@pytest.fixture
def toy():
    mo.solvers.register(ToyBackend)
    mo.solvers.register(ToyNoAssign)
    try:
        yield
    finally:
        mo.solvers.unregister("toy")
        mo.solvers.unregister("toy-no-assign")


def _noisy(seed=0):
    X, y, _ = mo.datasets.planted(m=12, d=2, h=2, noise=0.25, seed=seed, input_range=3)
    return X, y


def test_registered_backend_is_listed_and_removed_again(toy):
    assert "toy" in mo.solvers.available() and "toy" in mo.solvers.names()
    assert isinstance(mo.solvers.get("toy"), ToyBackend)
    spec = mo.solvers.spec("toy")
    assert spec.kind == "backend" and spec.assigns_targets and not spec.heuristic
    assert not mo.solvers.spec("toy-no-assign").assigns_targets
    assert "toy" in registry.target_backends()
    assert "toy-no-assign" not in registry.target_backends()
    with pytest.raises(mo.ValidationError, match="already registered"):
        mo.solvers.register(registry.BackendSpec("toy", "elsewhere", "Other"))


def test_unregistered_after_the_fixture():
    assert "toy" not in mo.solvers.names()
    with pytest.raises(mo.ValidationError, match="unknown backend 'toy'"):
        mo.solvers.get("toy")
    assert mo.solvers.names() == ["brute", "cpsat", "greedy", "maxsat", "scip"]
    assert {"brute", "cpsat", "greedy"} <= set(mo.solvers.available()) <= set(mo.solvers.names())


@pytest.mark.parametrize("method", ["auto", "monolithic"])
def test_train_exact_with_the_toy_matches_the_oracle(toy, method):
    X, y = _noisy()
    kw = dict(hidden=[2], weights="ternary", time_limit=60, seed=0)
    ref = mo.train_exact(X, y, backend="brute", **kw)
    res = mo.train_exact(X, y, backend="toy", method=method, **kw)
    assert ref.status is Status.OPTIMAL and res.status is Status.OPTIMAL
    assert res.backend == "toy"
    assert res.objective == ref.objective == res.net.n_errors(X, y)
    assert res.bound == ref.objective


def test_the_toys_claims_are_verified(toy):
    X, y = _noisy()
    res = mo.train_exact(
        X, y, hidden=[2], weights="ternary", backend="toy", method="monolithic", lie=True
    )
    # claimed optimal with 0 errors; the true forward pass says otherwise
    assert res.objective == res.net.n_errors(X, y) > 0
    assert res.status is Status.FEASIBLE
    with pytest.raises(mo.ValidationError, match="unknown toy option"):
        mo.train_exact(X, y, hidden=[2], weights="ternary", backend="toy", depth=1)


def test_capabilities_are_checked_for_the_toy(toy):
    X, y = _noisy()
    with pytest.raises(mo.ValidationError, match="backend 'toy' does not handle real weights"):
        mo.train_exact(X, y, hidden=[2], weights="real", backend="toy")
    with pytest.raises(mo.ValidationError, match="backend 'toy' does not handle the objective"):
        mo.train_exact(X, y, hidden=[2], weights="ternary", objective="weights", backend="toy")


def test_assign_targets_with_the_toy(toy):
    X, y = mo.datasets.load("xor")
    above = mo.ThresholdNet([np.array([[1, 1]])], [np.array([1])])  # OR of two units
    kw = dict(weights="integer", weight_bound=1, time_limit=10)
    ta = mo.assign_targets(X, above, y, backend="toy", **kw)
    ref = mo.assign_targets(X, above, y, backend="brute", **kw)
    assert ta.backend == "toy" and ta.status is Status.OPTIMAL
    assert ta.n_violated == ref.n_violated == 0
    assert np.array_equal(np.where(X @ ta.weights.T + ta.biases >= 0, 1, -1), ta.targets)
    lie = mo.assign_targets(X, above, y, backend="toy", lie=True, **kw)
    assert np.array_equal(lie.targets, np.where(X @ lie.weights.T + lie.biases >= 0, 1, -1))
    assert lie.info["model_targets_differ"]
    assert lie.n_violated == int(np.sum(above.predict(lie.targets) != y))


def test_a_backend_without_assign_is_no_target_backend(toy):
    X, y = mo.datasets.load("xor")
    above = mo.ThresholdNet([np.array([[1, 1]])], [np.array([1])])
    with pytest.raises(
        mo.ValidationError,
        match=r"unknown target-assignment backend 'toy-no-assign'; choose from greedy, cpsat, "
        r"scip, brute, toy\.",
    ):
        mo.assign_targets(X, above, y, backend="toy-no-assign")
    tp = TargetProblem.build(X, above, y, weights="integer", weight_bound=1)
    with pytest.raises(mo.ValidationError, match="backend 'toy-no-assign' does not assign"):
        mo.solvers.get("toy-no-assign").assign(tp, time_limit=1)


def test_shipped_registry_entries_match_their_classes():
    """The lazy registry table repeats each shipped backend's flags (so that they are read
    without importing it): they must agree with the class."""
    for name in mo.solvers.available():
        spec = mo.solvers.spec(name)
        cls = type(mo.solvers.get(name))
        # the flags agree (descriptions are free text)
        assert replace(spec, description="") == replace(
            registry.spec_of_class(cls), description=""
        ), name
        assert cls.assigns_targets == (cls.assign is not Backend.assign), name
    for entry in registry.methods():
        cls = registry.load(entry)
        if cls is None:  # not shipped / package missing
            continue
        assert issubclass(cls, Backend) and callable(registry.load(entry, entry.function))
        if entry.needs_backend is not None:
            assert entry.needs_backend in mo.solvers.names()
        assert set(entry.auto_backends) <= set(mo.solvers.names())
