"""Compound moves of a wide unit are sampled: a 784-input unit stays a small table."""

from __future__ import annotations

import time

import numpy as np

from mixedopt.solvers.greedy.moves import MAX_COMPOUND_CELLS, compound_candidates


def test_compound_table_of_a_784_input_unit_is_capped_and_in_the_domain():
    rng = np.random.default_rng(0)
    cur = rng.integers(-1, 2, size=785)
    vals = np.array([-1, 0, 1])
    t = time.perf_counter()
    C = compound_candidates(cur, vals, vals, 784, rng=np.random.default_rng(1))
    assert time.perf_counter() - t < 5.0
    assert 0 < C.size <= MAX_COMPOUND_CELLS
    assert C.min() >= -1 and C.max() <= 1
    # every row differs from cur in at most two parameters (or is a rescale)
    assert np.all((C != cur).sum(axis=1) >= 1)


def test_small_units_still_get_every_pair():
    cur = np.zeros(4, dtype=np.int64)
    vals = np.arange(-3, 4)
    full = compound_candidates(cur, vals, vals, 3)
    # 6 pairs x 4 sign patterns, all distinct and inside the box (rescales of 0 are 0)
    assert len(full) == 24
