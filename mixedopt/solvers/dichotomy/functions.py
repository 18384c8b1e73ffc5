"""Canonical output functions: the monotone forms, up to negating and permuting inputs, of
every function the output layer realises on the hidden codes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from mixedopt.problems.training import TrainingProblem
from mixedopt.solvers.greedy.moves import output_functions


@dataclass(frozen=True)
class CanonicalFunction:
    """A monotone output function of ``h`` relevant inputs (truth table over codes).

    ``table[c]`` is the output for the code ``c`` (bit ``i`` set = input ``i`` is ``+1``).
    ``classes`` lists groups of interchangeable positions. ``pos_err[C]`` / ``neg_err[C]``
    say whether a positive / negative example whose wrong units are the bit set ``C`` is
    misclassified.
    """

    h: int
    table: tuple[bool, ...]
    classes: tuple[tuple[int, ...], ...]

    @property
    def pos_err(self) -> np.ndarray:
        full = (1 << self.h) - 1
        return np.array([not self.table[full & ~C] for C in range(1 << self.h)])

    @property
    def neg_err(self) -> np.ndarray:
        return np.array([self.table[C] for C in range(1 << self.h)])

    def name(self) -> str:
        if self.h == 0:
            return "const+" if self.table[0] else "const-"
        ones = [c for c in range(1 << self.h) if self.table[c]]
        return f"f{self.h}[{','.join(map(str, ones))}]"


def canonical_functions(problem: TrainingProblem) -> list[CanonicalFunction]:
    """Canonical monotone forms of every function the output layer of ``problem`` realises
    on its hidden codes (see :mod:`mixedopt.solvers.dichotomy`), fewest relevant inputs first.

    >>> import mixedopt as mo
    >>> X, y, _ = mo.datasets.planted(m=20, d=2, h=3, seed=0)
    >>> p = TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=3)
    >>> len(canonical_functions(p))
    10
    """
    h = problem.hidden[0]
    wv, bv = problem.domain_values(1)
    _, T = output_functions(h, tuple(int(v) for v in wv), tuple(int(v) for v in bv))
    seen: set[tuple[int, tuple[bool, ...]]] = set()
    out: list[CanonicalFunction] = []
    for row in T.astype(bool):
        f = canonical_function(row, h)
        if f is not None and (f.h, f.table) not in seen:
            seen.add((f.h, f.table))
            out.append(f)
    out.sort(key=lambda f: (f.h, f.table))
    return out


def canonical_function(row: np.ndarray, h: int) -> CanonicalFunction | None:
    codes = np.arange(1 << h)
    relevant = []
    table = row.copy()
    for i in range(h):
        lo = table[codes & ~(1 << i)]
        hi = table[codes | (1 << i)]
        if np.array_equal(lo, hi):
            continue
        if np.all(lo <= hi):
            relevant.append(i)
        elif np.all(lo >= hi):
            table = table[codes ^ (1 << i)]  # negate input i
            relevant.append(i)
        else:  # not unate: not a threshold function (cannot happen)
            return None
    k = len(relevant)
    # restrict to the relevant inputs (the others fixed at 0: irrelevant anyway)
    sub = np.array(
        [table[sum(((c >> t) & 1) << relevant[t] for t in range(k))] for c in range(1 << k)],
        dtype=bool,
    )
    best: tuple[bool, ...] | None = None
    for perm in itertools.permutations(range(k)):
        t = tuple(
            bool(sub[sum(((c >> perm[t]) & 1) << t for t in range(k))]) for c in range(1 << k)
        )
        if best is None or t < best:
            best = t
    assert best is not None
    bt = np.array(best, dtype=bool)
    classes: list[list[int]] = []
    for i in range(k):
        for cl in classes:
            j = cl[0]
            sw = np.array(
                [bt[swap_bits(c, i, j)] for c in range(1 << k)],
                dtype=bool,
            )
            if np.array_equal(sw, bt):
                cl.append(i)
                break
        else:
            classes.append([i])
    return CanonicalFunction(k, best, tuple(tuple(c) for c in classes))


def permute(f: CanonicalFunction, perm: list[int]) -> CanonicalFunction:
    """The same function with new position ``t`` holding old position ``perm[t]``."""
    k = f.h
    table = tuple(f.table[sum(((c >> t) & 1) << perm[t] for t in range(k))] for c in range(1 << k))
    inv = {old: new for new, old in enumerate(perm)}
    classes = tuple(tuple(sorted(inv[i] for i in cl)) for cl in f.classes)
    return CanonicalFunction(k, table, classes)


def swap_bits(c: int, i: int, j: int) -> int:
    bi, bj = (c >> i) & 1, (c >> j) & 1
    if bi == bj:
        return c
    return c ^ ((1 << i) | (1 << j))


MAJORITY = (False, False, False, True, False, True, True, True)


def is_majority(f: CanonicalFunction) -> bool:
    return f.h == 3 and f.table == MAJORITY
