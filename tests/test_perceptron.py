"""Tests of mixedopt.perceptron: oracles (Fourier–Motzkin, exhaustive integer search,
an independent full LP), properties, and input validation."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixedopt.errors import ValidationError
from mixedopt.perceptron import (
    METHODS,
    UnitFit,
    fit_unit,
    fit_units,
    is_separable,
    verify_conflict,
)

FAST = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


# ------------------------------------------------------------------------------ oracles
def fm_separable(A: np.ndarray, t: np.ndarray) -> bool:
    """Exact separability by Fourier–Motzkin elimination over the rationals.

    Decides whether ``t_k (w·a_k + b) >= 1`` has a real solution (equivalent to strict
    separability, by scaling). FM elimination is exact: a system is feasible iff the system
    with one variable eliminated is; after eliminating all variables only ``0 >= h`` remains.
    """
    m, n = A.shape
    cons = []
    for k in range(m):
        g = [Fraction(int(A[k, i]) * int(t[k])) for i in range(n)] + [Fraction(int(t[k]))]
        cons.append((g, Fraction(1)))
    nvar = n + 1
    for j in reversed(range(nvar)):  # bias first
        pos = [(g, h) for g, h in cons if g[j] > 0]
        neg = [(g, h) for g, h in cons if g[j] < 0]
        zero = [(g, h) for g, h in cons if g[j] == 0]
        if j == 0:  # last variable: compare bounds directly
            lower = max((h / g[0] for g, h in pos), default=None)
            upper = min((h / g[0] for g, h in neg), default=None)
            if any(h > 0 for _, h in zero):
                return False
            return lower is None or upper is None or lower <= upper
        new: dict[tuple, Fraction] = {}
        for g, h in zero:
            _add(new, g, h)
        for gp, hp in pos:
            for gn, hn in neg:
                a, b = -gn[j], gp[j]
                _add(new, [a * x + b * y for x, y in zip(gp, gn, strict=True)], a * hp + b * hn)
        cons = [(list(g), h) for g, h in new.items()]
    raise AssertionError("unreachable")


def _add(store: dict, g: list, h: Fraction) -> None:
    s = max((abs(x) for x in g), default=Fraction(0))
    if s == 0:
        key = tuple(g)
    else:
        g = [x / s for x in g]
        h = h / s
        key = tuple(g)
    if key not in store or store[key] < h:
        store[key] = h


def brute_max_margin(A: np.ndarray, t: np.ndarray) -> float:
    """Maximum geometric margin by enumerating candidate support sets.

    For every subset S, the minimum-norm ``(w, b)`` with ``t_k (w·a_k + b) = 1`` on S is
    computed; among those feasible for all examples the smallest ``||w||`` is the optimum (the
    true support set is one of the subsets, and every feasible point has ``||w|| >= ||w*||``).
    """
    m, n = A.shape
    X = A.astype(float)
    best = np.inf
    for size in range(2, min(m, n + 1) + 1):
        for S in itertools.combinations(range(m), size):
            S = list(S)
            if len(set(t[S].tolist())) < 2:
                continue
            Xs, ts = X[S], t[S].astype(float)
            w = np.linalg.lstsq(Xs - Xs.mean(0), ts - ts.mean(), rcond=1e-12)[0]
            b = np.mean(ts - Xs @ w)
            if not np.allclose(Xs @ w + b, ts, atol=1e-9):
                continue
            if np.min(t * (X @ w + b)) >= 1 - 1e-9:
                best = min(best, float(np.linalg.norm(w)))
    return 1.0 / best


def exact_errors(A: np.ndarray, t: np.ndarray, w, b) -> int:
    """Misclassified examples of (w, b) under sign(0) = +1, in rational arithmetic."""
    wq = [Fraction(float(x)) for x in w]
    bq = Fraction(float(b))
    err = 0
    for k in range(A.shape[0]):
        z = bq + sum(Fraction(int(a)) * q for a, q in zip(A[k], wq, strict=True))
        err += (1 if z >= 0 else -1) != int(t[k])
    return err


@st.composite
def tiny_problem(draw, max_m: int = 8, max_n: int = 3, lo: int = -3, hi: int = 3):
    m = draw(st.integers(1, max_m))
    n = draw(st.integers(1, max_n))
    A = np.array(draw(st.lists(st.integers(lo, hi), min_size=m * n, max_size=m * n))).reshape(m, n)
    t = np.array(draw(st.lists(st.sampled_from([-1, 1]), min_size=m, max_size=m)))
    return A, t


def planted(m: int, n: int, *, gap: float = 0.1, noise: float = 0.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(n)
    w /= np.linalg.norm(w)
    X = rng.standard_normal((4 * m, n))
    z = X @ w + 0.1
    X = X[np.abs(z) >= gap][:m]
    t = np.where(X @ w + 0.1 >= 0, 1, -1)
    if noise:
        flip = rng.random(m) < noise
        t[flip] *= -1
    return X, t


# ------------------------------------------------------------------- lp vs brute force
def test_fm_oracle_sanity():
    A = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    assert fm_separable(A, np.array([-1, 1, 1, 1]))
    assert not fm_separable(A, np.array([-1, 1, 1, -1]))
    assert not fm_separable(np.array([[2], [2]]), np.array([1, -1]))
    assert fm_separable(np.array([[1], [2], [3]]), np.array([-1, 1, 1]))
    assert not fm_separable(np.array([[1], [2], [3]]), np.array([1, -1, 1]))


@FAST
@given(tiny_problem())
def test_lp_matches_fourier_motzkin(prob):
    A, t = prob
    fit = fit_unit(A, t, method="lp")
    truth = fm_separable(A, t)
    assert fit.separable is truth
    assert is_separable(A, t) is truth
    if truth:
        assert fit.status == "optimal"
        assert fit.n_violations == 0
        assert exact_errors(A, t, fit.w, fit.b) == 0
        z = t * (A @ fit.w + fit.b)
        assert z.min() >= 1 - 1e-9  # functional margin 1
        assert fit.conflict is None
    else:
        assert fit.status == "infeasible"
        S = fit.conflict
        assert S is not None
        assert len(S) <= A.shape[1] + 2
        assert len(set(S.tolist())) == len(S)
        assert not fm_separable(A[S], t[S])  # non-separable ...
        for k in range(len(S)):  # ... and irreducible
            keep = np.delete(S, k)
            assert fm_separable(A[keep], t[keep])
        assert verify_conflict(A, t, S, exact=True)
        assert verify_conflict(A, t, S, exact=False)
        # the best-effort fit is a real hyperplane and its violation count is exact
        assert np.all(np.isfinite(fit.w)) and np.isfinite(fit.b)
        assert fit.n_violations == exact_errors(A, t, fit.w, fit.b) > 0


@settings(max_examples=60, deadline=None, derandomize=True)
@given(tiny_problem(max_m=7, max_n=2), st.data())
def test_verify_conflict_rejects_non_iis(prob, data):
    A, t = prob
    m = A.shape[0]
    idx = data.draw(st.lists(st.integers(0, m - 1), min_size=1, max_size=m, unique=True))
    idx = np.array(idx)
    sub_sep = fm_separable(A[idx], t[idx])
    iis = (not sub_sep) and all(
        fm_separable(np.delete(A[idx], k, 0), np.delete(t[idx], k)) for k in range(len(idx))
    )
    assert verify_conflict(A, t, idx, exact=True) is iis
    assert verify_conflict(A, t, idx, exact=False) is iis


def linprog_separable(X: np.ndarray, t: np.ndarray) -> bool:
    """Independent verdict: phase-1 LP ``min Σ s_k s.t. t_k (w·x_k + b) + s_k >= 1``."""
    from scipy.optimize import linprog

    m, n = X.shape
    A_ub = np.hstack([-(t[:, None] * X), -t[:, None].astype(float), -np.eye(m)])
    res = linprog(
        np.r_[np.zeros(n + 1), np.ones(m)],
        A_ub=A_ub,
        b_ub=-np.ones(m),
        bounds=[(None, None)] * (n + 1) + [(0, None)] * m,
        method="highs",
    )
    assert res.status == 0
    return bool(res.fun < 1e-7)


@pytest.mark.parametrize("seed", range(8))
def test_lp_matches_independent_lp_on_medium_problems(seed):
    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(20, 200)), int(rng.integers(2, 12))
    kind = seed % 4
    if kind == 0:  # random labels: usually not separable
        X, t = rng.standard_normal((m, n)), np.where(rng.random(m) < 0.5, 1, -1)
    elif kind == 1:  # planted, no gap
        X, t = planted(m, n, gap=0.0, seed=seed)
    elif kind == 2:  # planted with a few flipped labels
        X, t = planted(m, n, gap=0.05, noise=0.02, seed=seed)
    else:  # small integer grid, planted labels (ties and duplicates)
        X = rng.integers(-2, 3, size=(m, n)).astype(float)
        t = np.where(X @ rng.standard_normal(n) + 0.1 >= 0, 1, -1)
    fit = fit_unit(X, t)
    assert fit.separable is linprog_separable(X, t)
    if fit.separable:
        assert fit.n_violations == 0
    else:
        assert len(fit.conflict) <= n + 2
        assert verify_conflict(X, t, fit.conflict, exact=False)


def test_highs_fallback_gives_the_same_answers(monkeypatch):
    import mixedopt.perceptron.separability as P

    calls = []
    highs = P.highs_separate

    def counted(*a, **k):
        calls.append(1)
        return highs(*a, **k)

    monkeypatch.setattr(P, "ldp", lambda *a, **k: None)  # force the full-LP path
    monkeypatch.setattr(P, "highs_separate", counted)
    X, t = planted(150, 4, noise=0.05, seed=11)
    fit = fit_unit(X, t)
    assert fit.separable is False and verify_conflict(X, t, fit.conflict)
    X, t = planted(150, 4, gap=0.0, seed=12)
    fit = fit_unit(X, t)
    assert fit.separable is True and fit.n_violations == 0
    assert calls  # the full LP decided


def test_duplicate_points_with_opposite_targets_conflict():
    A = np.array([[1.0, 2.0], [0.0, 0.0], [5.0, 1.0], [1.0, 2.0]])
    t = np.array([1, 1, -1, -1])
    fit = fit_unit(A, t)
    assert fit.separable is False
    assert fit.conflict.tolist() == [0, 3]


def test_xor_conflict_is_all_four():
    A = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    fit = fit_unit(A, [-1, 1, 1, -1])
    assert fit.conflict.tolist() == [0, 1, 2, 3]
    assert fit.n_violations >= 1


def test_conflict_on_larger_noisy_data_is_verified():
    X, t = planted(600, 5, noise=0.02, seed=3)
    fit = fit_unit(X, t, method="lp")
    assert fit.separable is False
    assert 2 <= len(fit.conflict) <= 7
    assert verify_conflict(X, t, fit.conflict)  # exact (rational) check
    assert verify_conflict(X, t, fit.conflict, exact=False)


def test_lp_separable_large_and_margin_one():
    X, t = planted(3000, 20, gap=0.02, seed=1)
    fit = fit_unit(X, t)
    assert fit.separable is True and fit.n_violations == 0 and fit.status == "optimal"
    z = t * (X @ fit.w + fit.b)
    assert abs(z.min() - 1.0) < 1e-9
    assert fit.margin > 0


def test_one_class_and_constant_columns():
    A = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    fit = fit_unit(A, [1, 1, 1])
    assert fit.separable is True and fit.n_violations == 0
    assert fit.margin == np.inf
    fit = fit_unit(A, [-1, 1, 1])  # constant second column
    assert fit.separable is True
    fit = fit_unit(np.array([[3.0], [3.0]]), [1, 1])
    assert fit.separable is True


def test_targets_as_01_and_bool():
    A = np.array([[0.0], [1.0], [2.0]])
    f1 = fit_unit(A, [0, 1, 1])
    f2 = fit_unit(A, np.array([False, True, True]))
    assert f1.separable and f2.separable
    assert f1.predict(A).tolist() == [-1, 1, 1]


# ----------------------------------------------------------------------- exact evaluation
def test_exact_sign_beats_float_rounding():
    # 0.1 + 0.2 rounds up to 0.30000000000000004 in float64; the exact sum is smaller
    fit = UnitFit(
        w=np.array([1.0, 1.0]),
        b=-0.30000000000000004,
        margin=0.0,
        n_violations=0,
        separable=None,
        conflict=None,
        method="lp",
        status="feasible",
    )
    assert float(fit.decision_function([[0.1, 0.2]])[0]) == 0.0
    assert fit.predict([[0.1, 0.2]]).tolist() == [-1]
    # exactly on the hyperplane: +1
    fit0 = UnitFit(np.array([1.0]), -1.0, 0.0, 0, None, None, "lp", "feasible")
    assert fit0.predict([[1.0], [0.5]]).tolist() == [1, -1]


def test_predict_checks_columns():
    fit = fit_unit([[0.0, 1.0], [1.0, 0.0]], [1, -1])
    with pytest.raises(ValidationError, match="columns"):
        fit.predict([[1.0, 2.0, 3.0]])


# ---------------------------------------------------------------------------- integer
def brute_integer(A, t, c, K):
    n = A.shape[1]
    grid = np.array(list(itertools.product(range(-K, K + 1), repeat=n + 1)))  # (w..., b)
    Z = A @ grid[:, :n].T + grid[:, n]
    pred = np.where(Z >= 0, 1, -1)
    err = ((pred != t[:, None]) * c[:, None]).sum(axis=0)
    best = err.min()
    l1 = np.abs(grid[:, :n]).sum(axis=1)
    return best, l1[err == best].min()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(tiny_problem(max_m=8, max_n=3), st.sampled_from([1, 2]), st.data())
def test_integer_matches_exhaustive_search(prob, K, data):
    A, t = prob
    c = np.array(data.draw(st.lists(st.integers(0, 3), min_size=len(t), max_size=len(t))))
    if c.sum() == 0:
        c[0] = 1
    fit = fit_unit(A, t, method="integer", weight_bound=K, sample_weight=c)
    best, best_l1 = brute_integer(A, t, c, K)
    assert fit.status == "optimal"
    assert fit.objective == best == fit.bound
    assert int(np.abs(fit.w).sum()) == best_l1  # tie-break by min Σ|w|
    assert np.abs(fit.w).max(initial=0) <= K and abs(fit.b) <= K
    assert fit.w.dtype == np.int64 and isinstance(fit.b, int)
    pred = np.where(A @ fit.w + fit.b >= 0, 1, -1)
    assert fit.n_violations == int((pred != t).sum())
    assert fit.separable is (fit.n_violations == 0)
    assert fit.margin == float((t * (A @ fit.w + fit.b)).min())


def test_integer_requires_bound_and_integer_data():
    A = np.array([[0, 1], [1, 0]])
    with pytest.raises(ValidationError, match="weight_bound"):
        fit_unit(A, [1, -1], method="integer")
    with pytest.raises(ValidationError, match="integer-valued"):
        fit_unit(A + 0.5, [1, -1], method="integer", weight_bound=2)
    with pytest.raises(ValidationError, match="weight_bound"):
        fit_unit(A, [1, -1], method="integer", weight_bound=0)
    # integral floats are fine
    assert fit_unit(A.astype(float), [1, -1], method="integer", weight_bound=1).n_violations == 0


def test_integer_time_limit_status():
    rng = np.random.default_rng(0)
    A = rng.integers(-3, 4, size=(200, 12))
    t = np.where(rng.random(200) < 0.5, 1, -1)
    fit = fit_unit(A, t, method="integer", weight_bound=5, time_limit=0.05)
    assert fit.status in ("time_limit", "optimal")
    if fit.status == "time_limit":
        assert fit.separable in (None, True)
        assert fit.bound <= fit.objective


# ------------------------------------------------------------------------ max-margin
def test_max_margin_matches_svc_and_beats_lp():
    from sklearn.svm import SVC

    X, t = planted(80, 3, gap=0.05, seed=7)
    mm = fit_unit(X, t, method="max-margin")
    lp = fit_unit(X, t, method="lp")
    assert mm.status == "optimal" and mm.separable is True
    assert mm.margin >= lp.margin - 1e-12
    svc = SVC(kernel="linear", C=1e5, tol=1e-9).fit(X, t)
    w, b = svc.coef_.ravel(), svc.intercept_[0]
    svc_margin = (t * (X @ w + b)).min() / np.linalg.norm(w)
    assert mm.margin == pytest.approx(svc_margin, rel=1e-4)
    assert mm.margin >= svc_margin - 1e-9
    cos = mm.w @ w / (np.linalg.norm(mm.w) * np.linalg.norm(w))
    assert cos > 1 - 1e-6
    assert mm.objective == pytest.approx(0.5 * mm.w @ mm.w)


@FAST
@given(tiny_problem(max_m=8, max_n=3))
def test_max_margin_properties(prob):
    A, t = prob
    mm = fit_unit(A, t, method="max-margin")
    lp = fit_unit(A, t, method="lp")
    assert mm.separable is lp.separable
    if lp.separable:
        assert mm.n_violations == 0
        if np.isinf(lp.margin):  # one class: w = 0
            assert np.isinf(mm.margin)
        else:
            assert mm.margin >= lp.margin - 1e-9 * max(1.0, abs(lp.margin))
        if np.unique(t).size == 2:
            assert mm.status == "optimal"
            z = t * (A @ mm.w + mm.b)
            assert z.min() == pytest.approx(1.0, abs=1e-7)  # hard-margin solution
            assert mm.margin == pytest.approx(brute_max_margin(A, t), rel=1e-7)
    else:
        assert mm.status == "infeasible"
        assert mm.conflict is not None


def test_soft_margin_fallback_objective():
    from scipy.optimize import minimize

    X, t = planted(120, 3, noise=0.1, seed=2)
    c = np.random.default_rng(0).uniform(0.5, 2.0, size=len(t))
    C = 0.7
    fit = fit_unit(X, t, method="max-margin", C=C, sample_weight=c)
    assert fit.status == "infeasible" and fit.separable is False

    def f(v):
        w, b = v[:-1], v[-1]
        h = np.maximum(0, 1 - t * (X @ w + b))
        return 0.5 * w @ w + 0.5 * C * c @ (h * h)

    ref = minimize(f, np.zeros(X.shape[1] + 1), method="BFGS", options={"gtol": 1e-10})
    assert fit.objective == pytest.approx(f(np.r_[fit.w, fit.b]), rel=1e-9)
    assert fit.objective <= ref.fun + 1e-8
    assert fit.objective == pytest.approx(ref.fun, rel=1e-6)


# ------------------------------------------------------------------------------ hinge
def hinge_reference(X, t, c, C):
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix, hstack, identity

    m, n = X.shape
    cost = np.r_[np.ones(2 * n), 0.0, C * c]
    T = t[:, None] * X
    A_ub = hstack(
        [csr_matrix(-T), csr_matrix(T), csr_matrix(-t[:, None].astype(float)), -identity(m)]
    )
    bounds = [(0, None)] * (2 * n) + [(None, None)] + [(0, None)] * m
    res = linprog(cost, A_ub=A_ub, b_ub=-np.ones(m), bounds=bounds, method="highs")
    assert res.status == 0
    return res.fun


@pytest.mark.parametrize(("noise", "C", "seed"), [(0.0, 1.0, 0), (0.05, 1.0, 1), (0.1, 0.3, 2)])
def test_hinge_matches_reference_lp(noise, C, seed):
    X, t = planted(300, 6, noise=noise, seed=seed)
    c = np.random.default_rng(seed).integers(0, 4, size=len(t)).astype(float)
    fit = fit_unit(X, t, method="hinge", C=C, sample_weight=c)
    ref = hinge_reference(X, t, c, C)
    assert fit.status == "optimal"
    assert fit.objective == pytest.approx(ref, rel=1e-7, abs=1e-9)
    hinge = np.maximum(0, 1 - t * (X @ fit.w + fit.b))
    assert fit.objective == pytest.approx(np.abs(fit.w).sum() + C * c @ hinge, rel=1e-12)


def test_hinge_weight_equals_duplicate():
    X, t = planted(100, 3, noise=0.1, seed=4)
    c = np.ones(len(t))
    c[:10] = 2.0
    fw = fit_unit(X, t, method="hinge", sample_weight=c)
    Xd = np.vstack([X, X[:10]])
    td = np.r_[t, t[:10]]
    fd = fit_unit(Xd, td, method="hinge")
    assert fw.objective == pytest.approx(fd.objective, rel=1e-8)


# ------------------------------------------------------------------------- perceptron
def test_perceptron_separable_data():
    X, t = planted(2000, 10, gap=0.1, seed=5)
    fit = fit_unit(X, t, method="perceptron", seed=3, max_iter=500)
    assert fit.separable is True and fit.n_violations == 0 and fit.status == "optimal"
    again = fit_unit(X, t, method="perceptron", seed=3, max_iter=500)
    assert np.array_equal(fit.w, again.w) and fit.b == again.b  # deterministic


def test_perceptron_non_separable_data():
    A = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    xor = [-1, 1, 1, -1]
    fit = fit_unit(A, xor, method="perceptron", max_iter=20, n_iter_no_change=None)
    assert fit.separable is None and fit.status == "feasible"
    assert fit.n_violations >= 1 and fit.n_iter == 20
    # patience (default 5): the best error count stops improving, the fit stops early
    fit = fit_unit(A, xor, method="perceptron", max_iter=20)
    assert fit.separable is None and fit.status == "feasible"
    assert fit.n_violations >= 1 and 6 <= fit.n_iter < 20


@pytest.mark.parametrize("patience", [1, 3, 5])
def test_perceptron_patience_stops_early_and_keeps_the_best_iterate(patience):
    X, t = planted(600, 5, gap=0.0, noise=0.08, seed=21)
    c = np.where(np.arange(len(t)) % 3 == 0, 2.0, 1.0)
    fit = fit_unit(
        X, t, method="perceptron", sample_weight=c, max_iter=300, n_iter_no_change=patience
    )
    assert fit.status == "feasible" and fit.separable is None
    # the first epoch sets the best count; then `patience` epochs without improvement
    assert patience + 1 <= fit.n_iter < 300
    # the same epochs without the rule (same shuffles): never fewer weighted errors
    plain = fit_unit(
        X, t, method="perceptron", sample_weight=c, max_iter=fit.n_iter, n_iter_no_change=None
    )
    assert plain.n_iter == fit.n_iter
    werr = float(c @ (fit.predict(X) != t))
    assert werr <= float(c @ (plain.predict(X) != t))


def test_perceptron_patience_ends_at_a_separator():
    X, t = planted(800, 6, gap=0.05, seed=22)
    fit = fit_unit(X, t, method="perceptron", max_iter=500, n_iter_no_change=3)
    assert fit.status == "optimal" and fit.separable is True and fit.n_violations == 0


def test_perceptron_zero_weight_examples_are_ignored():
    A = np.array([[0.0], [1.0], [2.0], [3.0]])
    t = np.array([-1, 1, 1, -1])
    fit = fit_unit(A, t, method="perceptron", sample_weight=[1, 1, 1, 0], max_iter=200)
    assert fit.status == "optimal"
    assert fit.predict(A[:3]).tolist() == [-1, 1, 1]
    assert fit.n_violations == 1 and fit.separable is None


# ------------------------------------------------------------------------- fit_units
def test_fit_units_matches_fit_unit():
    rng = np.random.default_rng(0)
    X, t = planted(400, 5, seed=6)
    T = np.column_stack([t, -t, np.where(rng.random(400) < 0.5, 1, -1), np.ones(400, int)])
    fits = fit_units(X, T)
    assert len(fits) == 4
    for j, f in enumerate(fits):
        g = fit_unit(X, T[:, j])
        assert f.separable is g.separable
        assert f.n_violations == g.n_violations
        if f.conflict is not None:
            assert verify_conflict(X, T[:, j], f.conflict)
    assert [f.separable for f in fits] == [True, True, False, True]
    Ai = np.round(X[:60] * 2)
    ints = fit_units(Ai, T[:60, :2], method="integer", weight_bound=2)
    for j, f in enumerate(ints):
        assert f.objective == fit_unit(Ai, T[:60, j], method="integer", weight_bound=2).objective
    hinge = fit_units(X, T[:, :2], method="hinge")
    assert [f.method for f in hinge] == ["hinge", "hinge"]
    assert len(fit_units(X, t)) == 1


# --------------------------------------------------------------------------- all methods
@pytest.mark.parametrize("method", METHODS)
def test_every_method_returns_a_consistent_fit(method):
    A = np.array([[0, 0], [0, 1], [1, 0], [1, 1], [2, 2]])
    t = np.array([-1, 1, 1, 1, 1])
    fit = fit_unit(A, t, method=method, weight_bound=2)
    assert fit.method == method
    assert fit.status in ("optimal", "feasible", "infeasible", "time_limit")
    assert fit.w.shape == (2,)
    assert not fit.w.flags.writeable
    assert fit.n_violations == exact_errors(A, t, fit.w, fit.b)
    assert fit.predict(A).dtype == np.int8
    assert fit.decision_function(A).shape == (5,)
    if fit.separable:
        assert fit.n_violations == 0 and fit.margin >= 0


def test_time_limit_is_respected():
    X, t = planted(20000, 30, gap=0.0, seed=8)
    fit = fit_unit(X, t, method="hinge", time_limit=0.01)
    assert fit.status in ("time_limit", "optimal")
    assert np.all(np.isfinite(fit.w))


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"A": [[np.nan, 1.0], [0.0, 1.0]]}, "NaN"),
        ({"A": [[np.inf, 1.0], [0.0, 1.0]]}, "NaN or infinite"),
        ({"A": [0.0, 1.0]}, "2-D"),
        ({"A": np.zeros((2, 2, 2))}, "2-D"),
        ({"t": [1, -1, 1]}, "one target per row"),
        ({"t": [1, 2]}, "targets"),
        ({"sample_weight": [1.0, -1.0]}, "nonnegative"),
        ({"sample_weight": [0.0, 0.0]}, "all zero"),
        ({"sample_weight": [1.0]}, "one weight per example"),
        ({"sample_weight": [1.0, np.nan]}, "NaN"),
        ({"time_limit": 0}, "time_limit"),
        ({"time_limit": -1.0}, "time_limit"),
        ({"time_limit": "soon"}, "time_limit"),
        ({"method": "simplex"}, "'lp', 'max-margin', 'hinge', 'integer', 'perceptron'"),
        ({"C": 0.0}, "C"),
        ({"C": np.inf}, "C"),
        ({"max_iter": 0}, "max_iter"),
        ({"max_iter": 2.5}, "max_iter"),
        ({"n_iter_no_change": 0}, "n_iter_no_change"),
        ({"n_iter_no_change": 1.5}, "n_iter_no_change"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_inputs(kwargs, match):
    args = {"A": [[0.0, 1.0], [1.0, 0.0]], "t": [1, -1]}
    args.update(kwargs)
    A, t = args.pop("A"), args.pop("t")
    with pytest.raises(ValidationError, match=match):
        fit_unit(A, t, **args)


def test_bad_inputs_of_helpers():
    A, t = [[0.0], [1.0]], [1, -1]
    with pytest.raises(ValidationError, match="idx"):
        verify_conflict(A, t, [])
    with pytest.raises(ValidationError, match="outside"):
        verify_conflict(A, t, [0, 5])
    with pytest.raises(ValidationError, match="repeated"):
        verify_conflict(A, t, [0, 0])
    with pytest.raises(ValidationError, match="integer"):
        verify_conflict(A, t, [0.5])
    with pytest.raises(ValidationError, match="different lengths"):
        fit_units(A, [[1], [1], [1]])
    with pytest.raises(ValidationError, match="2-D"):
        fit_units(A, np.ones((2, 1, 1)))
    with pytest.raises(ValidationError, match="method"):
        fit_units(A, [[1], [-1]], method="nope")
    with pytest.raises(ValidationError):
        is_separable([[np.nan]], [1])
