"""From a solution of the dichotomy search to a :class:`~mixedopt.network.ThresholdNet`."""

from __future__ import annotations

import numpy as np

from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.solvers.dichotomy.functions import CanonicalFunction
from mixedopt.solvers.dichotomy.units import UnitClass, unit_params
from mixedopt.solvers.greedy.moves import output_functions

__all__ = ["decode_net"]


def decode_net(
    p: TrainingProblem,
    uc: UnitClass,
    order: np.ndarray,
    f: CanonicalFunction,
    units: list[int],
) -> ThresholdNet:
    """The net realising canonical ``f`` on the dichotomies ``units``.

    ``units`` index the unit class sorted by ``order`` (the search's order); each position
    gets the weights of a unit inducing its dichotomy, unused positions any unit of the
    domain, and the output unit integer weights computing ``f`` on the hidden outputs, with
    the inputs of positions whose dichotomy is the negation of their unit's flipped.
    """
    h = p.hidden[0]
    d = p.n_features
    W1 = np.zeros((h, d), dtype=np.int64)
    b1 = np.zeros(h, dtype=np.int64)
    eps = np.zeros(h, dtype=bool)
    for pos_i, u in enumerate(units):
        r = order[u]
        W1[pos_i] = uc.params[r, :d]
        b1[pos_i] = uc.params[r, d]
        eps[pos_i] = uc.negated[r]
    if len(units) < h:  # irrelevant positions: any unit of the domain
        wv, bv = p.domain_values(0)
        filler = unit_params(np.array([0]), wv, bv, d)[0]
        for pos_i in range(len(units), h):
            W1[pos_i] = filler[:d]
            b1[pos_i] = filler[d]
    # output table g over the h actual hidden inputs: g(x) = f(eps * x restricted)
    table = np.zeros(1 << h, dtype=bool)
    for c in range(1 << h):
        cc = 0
        for i in range(f.h):
            bit = (c >> i) & 1
            if eps[i]:
                bit ^= 1
            cc |= bit << i
        table[c] = f.table[cc]
    wv, bv = p.domain_values(1)
    P, T = output_functions(h, tuple(int(v) for v in wv), tuple(int(v) for v in bv))
    hit = np.flatnonzero(np.all(T.astype(bool) == table[None, :], axis=1))
    if hit.size == 0:  # pragma: no cover - canonical forms come from realisable rows
        raise AssertionError("dichotomy search: output function not realisable")
    row = P[hit[0]]
    return p.make_net(
        [W1, row[None, :h]],
        [b1, row[h:]],
        metadata={"trained_by": "dichotomy", "output_function": f.name()},
    )
