"""FTPROP target steps and unit losses: contracts checked against brute force and calculus."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixedopt.ftprop.exact_targets import solve_assignment
from mixedopt.ftprop.target_objective import UpperLayer, target_objective
from mixedopt.ftprop.target_steps import (
    complete_targets,
    exact_targets,
    gradient_targets,
    greedy_targets,
    target_weights,
)
from mixedopt.ftprop.unit_steps import (
    levels_of,
    output_loss,
    unit_loss,
    unit_loss_grad,
)

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)
ACTS = ["sign", "step", "staircase3"]
UNIT = ["soft-hinge", "hinge", "saturated-hinge"]


def _upper(rng, lv_above, kind: str, B: int, n: int, m: int, loss: str) -> UpperLayer:
    W = rng.normal(size=(m, n))
    b = rng.normal(size=m)
    if kind == "output":
        y = rng.integers(0, 2 if m == 1 else m, size=B)
        return UpperLayer(W=W, b=b, loss=loss, y=y, scale=1.0 / B)
    K = rng.integers(0, lv_above.n_levels, size=(B, m)).astype(np.int8)
    U = rng.uniform(0.0, 1.0, size=(B, m))
    return UpperLayer(W=W, b=b, loss=loss, targets=K, weights=U, levels=lv_above)


def _brute(lv, up: UpperLayer, K0: np.ndarray, moves: int | None) -> float:
    """Minimum target objective over every code (within ``moves`` level moves of K0)."""
    n = K0.shape[1]
    codes = np.array(list(product(range(lv.n_levels), repeat=n)))
    Z = lv.values[codes] @ up.W.T + up.b
    total = 0.0
    for i in range(K0.shape[0]):
        L = up.row_loss(Z[None], np.array([i]))[0]
        if moves is not None:
            L = np.where(np.abs(codes - K0[i]).sum(axis=1) <= moves, L, np.inf)
        total += float(L.min())
    return total


@st.composite
def problems(draw):
    act = draw(st.sampled_from(ACTS))
    kind = draw(st.sampled_from(["output", "hidden"]))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    B = draw(st.integers(1, 6))
    n = draw(st.integers(1, 4))
    m = draw(st.integers(1, 3))
    if kind == "output":
        loss = draw(st.sampled_from(["hinge", "cross-entropy"]))
        above = None
    else:
        loss = draw(st.sampled_from(UNIT))
        above = levels_of(draw(st.sampled_from(ACTS)))
    lv = levels_of(act)
    up = _upper(rng, above, kind, B, n, m, loss)
    K0 = rng.integers(0, lv.n_levels, size=(B, n)).astype(np.int8)
    moves = draw(st.sampled_from([None, 1, 2]))
    return lv, up, K0, moves


@SETTINGS
@given(problems())
def test_greedy_never_worse_than_its_start(prob):
    lv, up, K0, moves = prob
    res = greedy_targets(K0, lv, up, max_rounds=moves)
    start = target_objective(K0, lv, up)
    assert res.objective_start == pytest.approx(start)
    assert res.objective <= start + 1e-12
    assert res.objective == pytest.approx(target_objective(res.K, lv, up))
    if moves is not None:
        assert np.abs(res.K.astype(int) - K0).sum(axis=1).max() <= moves
    assert res.weights.shape == K0.shape and (res.weights >= 0).all()


@SETTINGS
@given(problems())
def test_exact_never_worse_than_greedy_and_equals_brute_force(prob):
    lv, up, K0, moves = prob
    g = greedy_targets(K0, lv, up, max_rounds=moves)
    e = exact_targets(K0, lv, up, max_rounds=moves, time_limit=30)
    assert e.objective <= g.objective + 1e-12
    assert e.status == "optimal"
    assert e.objective == pytest.approx(_brute(lv, up, K0, moves), abs=1e-9)
    assert e.objective == pytest.approx(target_objective(e.K, lv, up))


@pytest.mark.parametrize("loss", ["hinge", "saturated-hinge", "linear"])
@pytest.mark.parametrize("moves", [None, 2])
def test_milp_is_exact_for_piecewise_linear_losses(loss, moves):
    rng = np.random.default_rng(3)
    lv = levels_of("sign")
    for _ in range(3):
        up = _upper(rng, lv, "hidden", 4, 4, 3, loss)
        K0 = rng.integers(0, 2, size=(4, 4)).astype(np.int8)
        sol = solve_assignment(lv, up, time_limit=30, backend="highs", current=K0, max_moves=moves)
        assert sol.status == "optimal" and sol.solved.all()
        assert target_objective(sol.K, lv, up) == pytest.approx(_brute(lv, up, K0, moves))


def test_milp_multiclass_hinge_output_is_exact():
    rng = np.random.default_rng(4)
    lv = levels_of("sign")
    up = _upper(rng, None, "output", 5, 5, 3, "hinge")
    K0 = np.zeros((5, 5), dtype=np.int8)
    sol = solve_assignment(lv, up, time_limit=30, backend="highs")
    assert sol.status == "optimal"
    assert target_objective(sol.K, lv, up) == pytest.approx(_brute(lv, up, K0, None))


def test_exact_beats_greedy_where_greedy_is_stuck():
    # two units that only help together (a saturated loss: one flip alone gains nothing)
    lv = levels_of("sign")
    above = levels_of("sign")
    W = np.array([[1.0, 1.0]])
    up = UpperLayer(
        W=W,
        b=np.array([-1.0]),
        loss="saturated-hinge",
        targets=np.array([[1]], dtype=np.int8),
        weights=np.array([[1.0]]),
        levels=above,
    )
    K0 = np.array([[0, 0]], dtype=np.int8)  # h = (-1, -1): z = -3, saturated; one flip: -1
    g = greedy_targets(K0, lv, up, max_rounds=None)
    e = exact_targets(K0, lv, up, max_rounds=None, time_limit=10)
    assert g.objective == pytest.approx(2.0) and g.n_moves == 0
    assert e.objective == pytest.approx(0.0) and e.K.tolist() == [[1, 1]]
    assert e.info["rows_improved"] == 1


def test_exact_falls_back_to_greedy_when_the_limit_is_hit():
    rng = np.random.default_rng(5)
    lv = levels_of("sign")
    up = _upper(rng, lv, "hidden", 64, 40, 20, "soft-hinge")
    K0 = rng.integers(0, 2, size=(64, 40)).astype(np.int8)
    g = greedy_targets(K0, lv, up, max_rounds=None)
    e = exact_targets(K0, lv, up, max_rounds=None, time_limit=1e-4)
    assert e.status in ("fallback", "surrogate")
    assert e.objective <= g.objective + 1e-12


@SETTINGS
@given(problems())
def test_complete_targets_point_each_unit_at_its_best_level(prob):
    """Oracle: one unit at a time (the others kept), every one-level move tried."""
    lv, up, K0, _ = prob
    K, U = complete_targets(K0, lv, up)
    B, n = K0.shape
    for i in range(B):
        cur = target_objective(K0[i : i + 1], lv, _row(up, i))
        for j in range(n):
            alts = {}
            for d in (-1, 1):
                k = int(K0[i, j]) + d
                if 0 <= k < lv.n_levels:
                    Kc = K0[i : i + 1].copy()
                    Kc[0, j] = k
                    alts[k] = target_objective(Kc, lv, _row(up, i))
            best_k = min(alts, key=alts.get)
            if alts[best_k] < cur - 1e-9 * (1 + abs(cur)):
                assert K[i, j] == best_k
                assert U[i, j] * lv.spacing == pytest.approx(cur - alts[best_k], abs=1e-9)
            else:
                assert K[i, j] == K0[i, j]
                assert U[i, j] * lv.spacing == pytest.approx(alts[best_k] - cur, abs=1e-9)


def test_complete_targets_keep_a_local_optimum():
    rng = np.random.default_rng(7)
    lv = levels_of("sign")
    up = _upper(rng, None, "output", 8, 5, 3, "cross-entropy")
    K0 = rng.integers(0, 2, size=(8, 5)).astype(np.int8)
    g = greedy_targets(K0, lv, up, max_rounds=None)
    K, U = complete_targets(g.K, lv, up)
    assert np.array_equal(K, g.K)
    assert np.allclose(U, target_weights(g.K, lv, up))


def _row(up: UpperLayer, i: int) -> UpperLayer:
    if up.y is not None:
        return UpperLayer(W=up.W, b=up.b, loss=up.loss, y=up.y[i : i + 1], scale=up.scale)
    return UpperLayer(
        W=up.W,
        b=up.b,
        loss=up.loss,
        targets=up.targets[i : i + 1],
        weights=up.weights[i : i + 1],
        levels=up.levels,
    )


@pytest.mark.parametrize("act", ["sign", "staircase3"])
def test_soft_hinge_temperature(act):
    lv = levels_of(act)
    rng = np.random.default_rng(1)
    z = rng.uniform(-3, 3, size=(6, 4))
    k = rng.integers(0, lv.n_levels, size=(6, 4)).astype(np.int8)
    h = 1e-6
    for tau in (0.5, 3.0):
        g = unit_loss_grad(z, k, lv, "soft-hinge", tau)
        num = (
            unit_loss(z + h, k, lv, "soft-hinge", tau) - unit_loss(z - h, k, lv, "soft-hinge", tau)
        ) / (2 * h)
        assert np.allclose(g, num, atol=1e-5)
    # a very wide soft hinge is the linear loss (the plain STE) up to a constant
    if lv.binary:
        wide = unit_loss_grad(z, k, lv, "soft-hinge", 1e6)
        assert np.allclose(wide, unit_loss_grad(z, k, lv, "linear"), atol=1e-9)


def test_gradient_targets_follow_the_paper():
    lv = levels_of("sign")
    D = np.array([[-2.0, 0.5, 0.0]])
    K_cur = np.array([[0, 0, 1]], dtype=np.int8)
    res = gradient_targets(D, K_cur, lv)
    assert res.K.tolist() == [[1, 0, 1]]  # t = -sign(D); zero gradient keeps the level
    assert res.weights.tolist() == [[2.0, 0.5, 0.0]]
    st3 = levels_of("staircase3")
    res = gradient_targets(np.array([[-1.0, 1.0, -1.0]]), np.array([[1, 1, 3]], dtype=np.int8), st3)
    assert res.K.tolist() == [[2, 0, 3]]  # one level towards -sign(D), clipped


@SETTINGS
@given(
    st.sampled_from(ACTS),
    st.sampled_from([*UNIT, "linear"]),
    st.integers(0, 1000),
)
def test_unit_loss_gradient_matches_finite_differences(act, loss, seed):
    if loss == "linear" and act.startswith("staircase"):
        return
    lv = levels_of(act)
    rng = np.random.default_rng(seed)
    z = rng.uniform(-2.5, 2.5, size=(5, 3))
    k = rng.integers(0, lv.n_levels, size=(5, 3)).astype(np.int8)
    g = unit_loss_grad(z, k, lv, loss)
    h = 1e-6
    num = (unit_loss(z + h, k, lv, loss) - unit_loss(z - h, k, lv, loss)) / (2 * h)
    kinks = np.abs(num - g) > 1e-4  # only at the hinges' kinks
    assert kinks.mean() < 0.2
    assert np.allclose(g[~kinks], num[~kinks], atol=1e-5)


@pytest.mark.parametrize("loss", ["hinge", "cross-entropy"])
@pytest.mark.parametrize("m", [1, 4])
def test_output_loss_gradient_matches_finite_differences(loss, m):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(6, m)) * 2
    y = rng.integers(0, 2 if m == 1 else m, size=6)
    _, g = output_loss(z, y, loss, grad=True)
    h = 1e-6
    num = np.zeros_like(z)
    for j in range(m):
        e = np.zeros_like(z)
        e[:, j] = h
        num[:, j] = (output_loss(z + e, y, loss)[0] - output_loss(z - e, y, loss)[0]) / (2 * h)
    assert np.allclose(g, num, atol=1e-4)


def test_sign_unit_loss_is_f_of_t_times_z():
    lv = levels_of("sign")
    z = np.array([[1.5, -0.3]])
    k = np.array([[0, 1]], dtype=np.int8)  # targets -1, +1
    assert np.allclose(unit_loss(z, k, lv, "hinge"), [[2.5, 1.3]])
    assert np.allclose(unit_loss(z, k, lv, "soft-hinge"), 1 - np.tanh([[-1.5, -0.3]]))
