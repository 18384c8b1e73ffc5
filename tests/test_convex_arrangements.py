"""Arrangement patterns: sampling, exact enumeration, representations, bit-packed storage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixedopt.convex.arrangements import (
    PatternMatrix,
    ThresholdLayer,
    cover_bound,
    enumerate_patterns,
    random_representation,
    sample_patterns,
    staircase_representation,
    unique_rows,
)
from mixedopt.errors import ValidationError


def _cols(D: np.ndarray) -> set[bytes]:
    return {np.packbits(c).tobytes() for c in np.asarray(D, dtype=bool).T}


@pytest.mark.parametrize(("n", "d"), [(8, 2), (7, 3), (9, 1)])
def test_enumeration_matches_cover_count(n, d):
    # points in general position: |H(X)| = C(n, d+1) (Cover 1965), minus the empty pattern
    X = np.random.default_rng(n + d).normal(size=(n, d))
    arr = enumerate_patterns(X)
    assert arr.complete
    assert arr.n_patterns == cover_bound(n, d + 1) - 1
    D = arr.patterns.toarray()
    assert np.array_equal(arr.transform(X), D)  # every unit realises its pattern
    assert len(_cols(D)) == arr.n_patterns and D.any(axis=0).all()


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), sampler=st.sampled_from(["gaussian", "data"]))
def test_sampled_patterns_are_distinct_nonzero_and_realisable(seed, sampler):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(7, 2))
    arr = sample_patterns(X, 300, sampler=sampler, seed=seed)
    D = arr.patterns.toarray()
    assert D.any(axis=0).all(), "the all-zero pattern must be dropped"
    assert len(_cols(D)) == D.shape[1], "patterns must be deduplicated"
    assert np.array_equal(arr.transform(X), D)
    assert D[:, 0].all(), "the all-ones pattern comes first when include_ones"
    assert _cols(D) <= _cols(enumerate_patterns(X).patterns.toarray())


def test_data_sampler_keeps_points_off_the_hyperplanes():
    X = np.random.default_rng(0).normal(size=(50, 4))
    arr = sample_patterns(X, 200, sampler="data", seed=1, include_ones=False)
    Z = arr.layer.preactivation(X)
    assert np.min(np.abs(Z)) > 1e-9


def test_sampling_is_invariant_to_feature_scale():
    X = np.random.default_rng(3).normal(size=(40, 3))
    a = sample_patterns(X, 100, seed=7).patterns.toarray()
    b = sample_patterns(X * [1.0, 1000.0, 1e-3] + 5.0, 100, seed=7).patterns.toarray()
    assert np.array_equal(a, b)


def test_pattern_matrix_products_match_dense():
    rng = np.random.default_rng(0)
    D = rng.random((37, 11)) < 0.4  # 37 rows: not a multiple of 8
    M = PatternMatrix.from_dense(D)
    assert M.shape == (37, 11) and M.nbytes == 5 * 11
    w, W = rng.normal(size=11), rng.normal(size=(11, 3))
    r, R = rng.normal(size=37), rng.normal(size=(37, 3))
    np.testing.assert_allclose(M.matvec(w), D @ w)
    np.testing.assert_allclose(M.matvec(W), D @ W)
    np.testing.assert_allclose(M.rmatvec(r), D.T @ r)
    np.testing.assert_allclose(M.rmatvec(R), D.T @ R)
    assert np.array_equal(M.toarray(), D) and np.array_equal(M.column(4), D[:, 4])
    assert np.array_equal(M.take([2, 0]).toarray(), D[:, [2, 0]])
    with pytest.raises(ValidationError):
        PatternMatrix.from_dense(np.array([[0, 2]]))


def test_large_n_is_stored_one_bit_per_entry():
    X = np.random.default_rng(0).normal(size=(100_000, 5))
    arr = sample_patterns(X, 64, seed=0)
    assert arr.patterns.nbytes <= 100_000 // 8 * arr.n_patterns
    v = np.ones(arr.n_patterns)
    np.testing.assert_allclose(arr.patterns.matvec(v)[:100], arr.transform(X[:100]) @ v)


def test_staircase_representation_makes_every_subset_a_pattern():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(6, 3))
    X = np.vstack([X, X[:2]])  # duplicates: 6 distinct points
    layer = staircase_representation(X)
    T = layer.transform(X)
    first, _, counts = unique_rows(X)
    assert first.size == 6 and counts.sum() == 8
    Tu = T[first].astype(float)
    assert np.linalg.matrix_rank(Tu) == 6
    # complete arrangement set of the representation: all 2^6 - 1 non-empty patterns
    assert enumerate_patterns(Tu).n_patterns == 2**6 - 1


def test_random_representation_and_layers():
    X = np.random.default_rng(1).normal(size=(30, 4))
    layer = random_representation(X, 50, seed=0)
    assert layer.transform(X).shape == (30, 50)
    assert layer.take([1, 3]).n_units == 2
    with pytest.raises(ValidationError):
        random_representation(X, 0)
    with pytest.raises(ValidationError):
        ThresholdLayer(np.zeros((2, 3)), np.zeros(3))


def test_bad_sampling_inputs():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValidationError, match="n_patterns"):
        sample_patterns(X, 0)
    with pytest.raises(ValidationError, match="sampler"):
        sample_patterns(X, 10, sampler="bogus")
    with pytest.raises(ValidationError, match="NaN"):
        sample_patterns(np.array([[np.nan, 1.0]]), 10)
