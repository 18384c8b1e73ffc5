"""Soundness oracles: an independent brute force in exact rational arithmetic.

The oracle below shares nothing with the library's models: it reads every input as a
``fractions.Fraction`` (the decimal or dyadic value the user wrote), enumerates every net of
the stated weight domain and counts errors with sign(0) = +1. Every ``OPTIMAL`` the library
reports on such data must equal the oracle's optimum, and every returned net must make exactly
the reported number of errors under the oracle's forward pass. Inputs are deliberately *not*
integers (see ``docs/exact.md``, "What is proven").
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mixedopt as mo
from mixedopt import Status
from mixedopt.problems.training import TrainingProblem

# ----------------------------------------------------------------------------- the oracle


def _values(weights: str, K: int) -> list[int]:
    return {"binary": [-1, 1], "ternary": [-1, 0, 1]}.get(weights, list(range(-K, K + 1)))


def _bias_values(weights: str, K: int, n_in: int) -> list[int]:
    return list(range(-n_in, n_in + 1)) if weights == "binary" else _values(weights, K)


def _units(n_in: int, weights: str, K: int) -> list[tuple[tuple[int, ...], int]]:
    wv, bv = _values(weights, K), _bias_values(weights, K, n_in)
    return [(w, b) for w in itertools.product(wv, repeat=n_in) for b in bv]


def _sign(z: Fraction) -> int:
    return 1 if z >= 0 else -1


def exact_errors(net: mo.ThresholdNet, X: list[list[Fraction]], y01: list[int]) -> int:
    """Errors of a binary sign net, evaluated in exact rational arithmetic."""
    errs = 0
    for x, t in zip(X, y01, strict=True):
        a = list(x)
        for layer, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            z = [
                sum((Fraction(int(W[j, i])) * a[i] for i in range(len(a))), Fraction(0))
                + Fraction(int(b[j]))
                for j in range(W.shape[0])
            ]
            if layer < net.n_layers - 1:
                a = [Fraction(_sign(v)) for v in z]
            else:
                pred = 1 if z[0] >= 0 else 0
        errs += int(pred != t)
    return errs


def oracle_min_errors(
    X: list[list[Fraction]], y01: list[int], hidden: list[int], weights: str, K: int
) -> int:
    """Fewest errors of any binary net with ``hidden`` (at most one layer) in the domain."""
    d = len(X[0])
    if not hidden:
        cols = [
            tuple(_sign(sum(Fraction(wi) * xi for wi, xi in zip(w, x, strict=True)) + b) for x in X)
            for w, b in _units(d, weights, K)
        ]
        return min(sum(int((c > 0) != t) for c, t in zip(col, y01, strict=True)) for col in cols)
    (h,) = hidden
    cols = {
        tuple(_sign(sum(Fraction(wi) * xi for wi, xi in zip(w, x, strict=True)) + b) for x in X)
        for w, b in _units(d, weights, K)
    }
    out_units = _units(h, weights, K)
    best = len(X)
    for combo in itertools.combinations_with_replacement(sorted(cols), h):
        for perm in {tuple(p) for p in itertools.permutations(combo)}:
            H = list(zip(*perm, strict=True))  # per example: the h hidden signs
            for w, b in out_units:
                e = sum(
                    int((sum(wi * hi for wi, hi in zip(w, hk, strict=True)) + b >= 0) != t)
                    for hk, t in zip(H, y01, strict=True)
                )
                best = min(best, e)
    return best


# ----------------------------------------------------------------------------- data

#: rational inputs of the kinds users have: decimals, dyadics, thirds (none integral)
_DENOMS = [10, 4, 8, 5, 3, 100]


@st.composite
def rational_problems(draw):
    q = draw(st.sampled_from(_DENOMS))
    m = draw(st.integers(3, 6))
    d = draw(st.integers(1, 2))
    hidden = draw(st.sampled_from([[], [1], [2]]))
    weights = draw(st.sampled_from(["integer", "ternary", "binary"]))
    K = 2 if weights == "integer" and hidden != [2] else 1
    nums = draw(
        st.lists(
            st.lists(st.integers(-3 * q, 3 * q), min_size=d, max_size=d), min_size=m, max_size=m
        )
    )
    if all(n % q == 0 for row in nums for n in row):
        nums[0][0] += 1  # at least one non-integer input
    y = draw(st.lists(st.integers(0, 1), min_size=m, max_size=m))
    y[0], y[1] = 0, 1
    Xf = [[Fraction(n, q) for n in row] for row in nums]
    X = np.array([[n / q for n in row] for row in nums], dtype=np.float64)
    return X, Xf, np.array(y), hidden, weights, K


def _kw(weights: str, K: int) -> dict:
    return {"weight_bound": K} if weights == "integer" else {}


# ----------------------------------------------------------------------------- tests


def test_issue_reproduction_decimal_inputs():
    """x = 0.5, 0.7: w = 3, b = -2 makes no error (z = -0.5, 0.1); every backend finds it."""
    X, y = np.array([[0.5], [0.7]]), [0, 1]
    for hidden in ([], [1]):
        for backend, method in [("brute", "monolithic"), ("scip", "monolithic"), ("cpsat", "auto")]:
            if backend not in mo.solvers.available():
                continue
            res = mo.train_exact(
                X, y, hidden=hidden, weights="integer", weight_bound=3, backend=backend,
                method=method, time_limit=20,
            )  # fmt: skip
            assert res.status is Status.OPTIMAL and res.objective == 0, (backend, hidden)
            assert res.net.n_errors(X, y) == 0


@given(rational_problems())
@settings(max_examples=30, deadline=None)
def test_brute_and_cpsat_match_the_rational_oracle(case):
    X, Xf, y, hidden, weights, K = case
    best = oracle_min_errors(Xf, list(y), hidden, weights, K)
    for backend in ("brute", "cpsat"):
        res = mo.train_exact(
            X, y, hidden=hidden, weights=weights, backend=backend, method="monolithic",
            time_limit=30, **_kw(weights, K),
        )  # fmt: skip
        assert res.status is Status.OPTIMAL, (backend, res.status)
        assert res.objective == best, (backend, res.objective, best)
        assert exact_errors(res.net, Xf, list(y)) == best


@given(rational_problems())
@settings(max_examples=15, deadline=None)
def test_scip_matches_the_rational_oracle(case):
    if "scip" not in mo.solvers.available():
        pytest.skip("PySCIPOpt not installed")
    X, Xf, y, hidden, weights, K = case
    best = oracle_min_errors(Xf, list(y), hidden, weights, K)
    res = mo.train_exact(
        X, y, hidden=hidden, weights=weights, backend="scip", method="monolithic",
        time_limit=30, **_kw(weights, K),
    )  # fmt: skip
    assert res.status is Status.OPTIMAL and res.objective == best
    assert exact_errors(res.net, Xf, list(y)) == best


@given(rational_problems().filter(lambda c: len(c[3]) == 1))
@settings(max_examples=10, deadline=None)
def test_hinted_dichotomy_path_matches_the_rational_oracle(case):
    """``auto`` runs the local search, then the dichotomy search hinted with its net."""
    X, Xf, y, hidden, weights, K = case
    best = oracle_min_errors(Xf, list(y), hidden, weights, K)
    res = mo.train_exact(
        X, y, hidden=hidden, weights=weights, method="auto", time_limit=30, **_kw(weights, K)
    )
    assert res.status is Status.OPTIMAL and res.objective == best
    assert exact_errors(res.net, Xf, list(y)) == best
    if best > 0:  # zero errors settle it in the heuristic phase
        assert "dichotomy" in res.method
    # the dichotomy search itself, hinted with a (possibly poor) start
    hint = mo.train_exact(
        X, y, hidden=hidden, weights=weights, backend="greedy", time_limit=0.2, **_kw(weights, K)
    ).net
    res = mo.train_exact(
        X, y, hidden=hidden, weights=weights, method="dichotomy", warm_start=hint,
        time_limit=30, **_kw(weights, K),
    )  # fmt: skip
    assert res.status is Status.OPTIMAL and res.objective == best


def test_irrational_inputs_never_claim_a_margin_model_bound():
    """Inputs without a small common denominator: the margin model's bound is kept in
    ``info['margin_model_bound']`` and nothing but zero errors is claimed as optimal."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(8, 2))
    y = np.array([0, 1, 0, 1, 1, 0, 1, 0])
    p = TrainingProblem.from_data(X, y, hidden=[1], weights="integer", weight_bound=1)
    assert not p.integral and p.input_scale == 1
    res = mo.train_exact(X, y, hidden=[1], weights="integer", weight_bound=1,
                         backend="brute", method="monolithic", time_limit=20)  # fmt: skip
    if res.objective == 0:
        assert res.status is Status.OPTIMAL
    else:
        # the trivial bound 0 is all that is claimed; the margin model's is kept aside
        assert res.status is Status.FEASIBLE and res.bound in (None, 0.0)
        assert res.info["margin_model_bound"] == res.objective


def test_forward_pass_is_exact_on_decimal_ties():
    # 0.1 + 0.2 - 0.3 is 5.6e-17 in float64 and 0.3 - 0.1 - 0.2 is -2.8e-17: both are 0
    net = mo.ThresholdNet([[[1, 1, -1]]], [[0]])
    assert net.predict_codes(np.array([[0.1, 0.2, 0.3], [-0.1, -0.2, -0.3]])).tolist() == [1, 1]
    net = mo.ThresholdNet([[[-1, 1, 1]]], [[0]])
    assert net.predict_codes(np.array([[0.3, 0.1, 0.2]])).tolist() == [1]
    # staircase levels are rationals (k / n): exact in the next layer too
    net = mo.ThresholdNet([[[1, 1]], [[3]]], [[0], [-2]], activations="staircase3")
    assert net.predict_codes(np.array([[0.5, 0.5]])).tolist() == [1]  # 3 * 2/3 - 2 = 0


@pytest.mark.parametrize("dtype", [np.int64, np.uint64, object])
def test_forward_pass_never_overflows(dtype):
    net = mo.ThresholdNet([[[3]]], [[0]])
    big = np.array([[4 * 10**18]], dtype=dtype)
    assert net.predict_codes(big).tolist() == [1]
    z = net.decision_function(big)
    assert float(z[0]) == pytest.approx(1.2e19)
    neg = mo.ThresholdNet([[[-3]]], [[1]])
    assert neg.predict_codes(big).tolist() == [0]
    x = np.array([[2**64 - 1]], dtype=np.uint64)
    assert mo.ThresholdNet([[[-1]]], [[0]]).predict_codes(x).tolist() == [0]
    # argmax between outputs that differ by 1 beyond 2**53
    net = mo.ThresholdNet([[[1], [1]]], [[0, 1]])
    assert net.predict_codes(np.array([[2**62]])).tolist() == [1]


def test_huge_inputs_are_rejected_with_the_limit():
    X, y, _ = mo.datasets.planted(m=20, d=2, h=2, seed=0)
    with pytest.raises(mo.ValidationError, match=r"2\*\*53"):
        mo.train_exact(X * 2**59, y, hidden=[2], weights="integer", weight_bound=3)
