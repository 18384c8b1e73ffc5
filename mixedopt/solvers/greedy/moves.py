"""Move tables of the local search: the candidate vectors of a compound move of one unit
and the table of every function of a small output unit (used by the joint moves, by the
output refit and by the table solvers in :mod:`mixedopt.solvers.table` and
:mod:`mixedopt.solvers.dichotomy`)."""

from __future__ import annotations

import functools

import numpy as np

#: ratios tried by the rescaling compound move
RESCALE = (1 / 3, 1 / 2, 2 / 3, 3 / 4, 4 / 3, 3 / 2, 2.0, 3.0)


#: most entries (rows x parameters) of one compound-move table; a unit with more pairs of
#: parameters than fit gets a random sample of its pairs (every pair of a 784-input unit
#: would be a 1.2M x 785 table: gigabytes and minutes past any time limit)
MAX_COMPOUND_CELLS = 4_000_000


def compound_candidates(
    cur: np.ndarray,
    wv: np.ndarray,
    bv: np.ndarray,
    n_in: int,
    *,
    rng: np.random.Generator | None = None,
    max_cells: int = MAX_COMPOUND_CELLS,
) -> np.ndarray:
    """Unit vectors (w, b) one compound move away from ``cur`` (rows, deduplicated).

    Every pair of parameters moved by ±1 while the table stays under ``max_cells`` entries;
    beyond that a random sample of the pairs (drawn with ``rng``, default seed 0) that fits.
    """
    n = n_in + 1
    lo = np.r_[np.full(n_in, wv.min()), bv.min()]
    hi = np.r_[np.full(n_in, wv.max()), bv.max()]
    rows = []
    ii, jj = np.triu_indices(n, k=1)
    keep = max(1, max_cells // (4 * n))
    if len(ii) > keep:
        pick = (rng or np.random.default_rng(0)).choice(len(ii), size=keep, replace=False)
        pick.sort()
        ii, jj = ii[pick], jj[pick]
    for di in (-1, 1):
        for dj in (-1, 1):
            C = np.repeat(cur[None, :], len(ii), axis=0)
            C[np.arange(len(ii)), ii] += di
            C[np.arange(len(ii)), jj] += dj
            rows.append(C)
    for r in RESCALE:
        rows.append(np.round(cur * r)[None, :])
    C = np.concatenate(rows).astype(cur.dtype)
    ok = np.all((C >= lo) & (C <= hi), axis=1)
    if wv.size == 2:  # binary weights: only ±1
        ok &= np.all(np.isin(C[:, :n_in], wv), axis=1)
    if bv.size > 1 and bv[1] - bv[0] != 1:  # biases on a lattice (rational inputs, q * b)
        ok &= np.isin(C[:, n_in], bv)
    C = C[ok & np.any(C != cur, axis=1)]
    if len(C) == 0:
        return C
    return np.unique(C, axis=0)


@functools.lru_cache(maxsize=16)
def output_functions(
    h: int, wvals: tuple[int, ...], bvals: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Every Boolean function of ``h`` ±1 inputs realised by one output unit with weights in
    ``wvals`` and bias in ``bvals``: (parameters (n, h + 1), truth tables (n, 2**h) as 0/1,
    1 meaning output +1), one row per distinct function."""
    codes = ((np.arange(2**h)[:, None] >> np.arange(h)) & 1) * 2 - 1  # (2^h, h)
    grids = np.meshgrid(*([np.array(wvals)] * h + [np.array(bvals)]), indexing="ij")
    P = np.stack([g.ravel() for g in grids], axis=1).astype(np.int64)
    T = (P[:, :h] @ codes.T + P[:, h:] >= 0).astype(np.int8)
    # prefer small parameters among equal functions
    order = np.argsort(np.abs(P).sum(axis=1), kind="stable")
    P, T = P[order], T[order]
    _, idx = np.unique(T, axis=0, return_index=True)
    idx = np.sort(idx)
    return P[idx], T[idx].astype(np.float64)
