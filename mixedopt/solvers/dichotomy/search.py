"""Exact search over unit dichotomies: minimum-error one-hidden-layer sign nets with proofs.

For a binary problem with one hidden layer of ``h`` sign units, integer inputs and discrete
weights, the search enumerates the **finite unit class on the sample** instead of weights:

1. **Dichotomies.** Every first-layer unit ``(w, b)`` of the domain induces a sign pattern on
   the ``m`` examples; only distinct patterns matter (:class:`UnitClass`). The output unit
   may negate any input (its weight domain is symmetric), so the class is closed under
   negation: ``sign(-z - 1) = -sign(z)`` for integer ``z``, so ``-u`` is realised by the net
   even when ``(-w, -b - 1)`` leaves the bias box.
2. **Canonical output functions.** Up to negating and permuting its inputs, every output
   function the output layer realises is a *monotone* threshold function of its relevant
   inputs (10 classes for ``h = 3``: the constants, ``x1``, ``x1∧x2``, ``x1∨x2``, ``x1∧x2∧x3``,
   ``x1∨x2∨x3``, majority, ``x1∧(x2∨x3)``, ``x1∨(x2∧x3)``). For a monotone ``f`` an example is
   misclassified iff the set ``C`` of units that are *wrong on it* (say ``-`` on a positive,
   ``+`` on a negative) lies in an up-closed family: errors depend only on the units' **error
   sets** ``A(u) = {k : u_k != y_k}``.
3. **Search.** For each canonical ``f`` the units are fixed position by position (in index
   order inside interchangeable positions). After fixing some, an example is *forced* wrong,
   *safe*, or *undecided*; every candidate of a remaining position is filtered by the errors
   it would force (one matrix-vector product over the candidates), and the last two
   positions are settled together by one matrix product:
   ``errors(u, v) = F + a(u) + b(v) + sum_k A(u)_k A(v)_k delta_k``.
   A branch is cut as soon as it cannot beat the incumbent (``tau = best - 1``).

A complete search proves the optimum (``OPTIMAL``, bound = objective); an interrupted one
keeps the best net and the bound proven so far. The number of units, ``(2K + 1)^(d + 1)``,
limits the method to small ``d`` (the cap is the native option ``max_units``).

Examples
--------
>>> import mixedopt as mo
>>> from mixedopt.problem import TrainingProblem
>>> from mixedopt.solvers.dichotomy import solve_dichotomy
>>> X, y, _ = mo.datasets.planted(m=120, d=2, h=2, noise=0.1, seed=0)
>>> p = TrainingProblem.from_data(X, y, hidden=[2], weights="integer", weight_bound=2)
>>> res = solve_dichotomy(p, time_limit=30)
>>> res.status.value, res.objective == res.bound
('optimal', True)
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mixedopt._threads import one_blas_thread
from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problem import TrainingProblem
from mixedopt.result import ProgressCallback, SolveResult, Status
from mixedopt.solvers.base import LIMIT, Backend, RawResult, SolveContext
from mixedopt.solvers.greedy import _output_functions

__all__ = [
    "CanonicalFunction",
    "DichotomyBackend",
    "UnitClass",
    "applicable",
    "canonical_functions",
    "solve_dichotomy",
    "unit_class",
]

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "max_units": 2_000_000,  # refuse when the first-layer domain has more units
    "max_cells": 2.5e8,  # refuse when n_dichotomies * m exceeds this (memory)
    "block": 2048,  # rows per block of the pair product
    "graph_work": 2e11,  # largest rows x units x examples product for the majority pair graph
    "warmup": 0.25,  # first pass for nets with <= warmup * best errors (0: none)
}


# --------------------------------------------------------------------------- applicability
def applicable(problem: TrainingProblem, *, max_units: int = DEFAULTS["max_units"]) -> bool:
    """True when :func:`solve_dichotomy` handles ``problem``: binary output, one hidden
    layer, integer inputs, discrete weights, ``errors`` objective, and at most ``max_units``
    first-layer units."""
    return _unsupported(problem, max_units) is None


def _unsupported(problem: TrainingProblem, max_units: int) -> str | None:
    if not problem.is_binary:
        return "the dichotomy search handles binary problems only"
    if len(problem.hidden) != 1:
        return "the dichotomy search handles exactly one hidden layer"
    if not problem.integral:
        return "the dichotomy search needs integer inputs and discrete weights"
    if problem.objective != ("errors",):
        return "the dichotomy search minimises errors only (objective='errors')"
    n = _n_units(problem)
    if n > max_units:
        return (
            f"the first-layer domain has {n:,} units (more than max_units={max_units:,}); "
            "the dichotomy search enumerates them all"
        )
    return None


def _layer_values(problem: TrainingProblem, layer: int) -> tuple[np.ndarray, np.ndarray]:
    if problem.weights == "binary":
        wv = np.array([-1, 1])
    elif problem.weights == "ternary":
        wv = np.array([-1, 0, 1])
    else:
        K = int(problem.weight_bound)
        wv = np.arange(-K, K + 1)
    lo, hi = problem.bias_bounds(layer)
    return wv, np.arange(int(lo), int(hi) + 1)


def _n_units(problem: TrainingProblem) -> int:
    wv, bv = _layer_values(problem, 0)
    return len(wv) ** problem.n_features * len(bv)


# --------------------------------------------------------------------------- unit class
@dataclass
class UnitClass:
    """Distinct sign patterns of the first-layer units on the sample, closed under negation.

    Attributes
    ----------
    patterns : ndarray of bool, shape (n, m)
        ``True`` where the dichotomy says ``+1``.
    params : ndarray of int64, shape (n, d + 1)
        A unit ``(w, b)`` of the domain realising the pattern or its negation.
    negated : ndarray of bool, shape (n,)
        The pattern is the negation of ``params``' pattern (the output unit negates it).
    n_units : int
        Units enumerated.
    """

    patterns: np.ndarray
    params: np.ndarray
    negated: np.ndarray
    n_units: int

    def __len__(self) -> int:
        return int(self.patterns.shape[0])


def unit_class(problem: TrainingProblem, *, chunk: int | None = None, ctx: Any = None) -> UnitClass:
    """Enumerate the first-layer units of ``problem`` and keep one per distinct pattern.

    >>> import mixedopt as mo
    >>> X, y = mo.datasets.load("xor")
    >>> p = TrainingProblem.from_data(X, y, hidden=[2], weights="ternary")
    >>> uc = unit_class(p)
    >>> len(uc) % 2, bool(uc.patterns.all(axis=1).any())   # closed under negation
    (0, True)
    """
    X = problem.X.astype(np.int64)
    m, d = X.shape
    wv, bv = _layer_values(problem, 0)
    n_units = len(wv) ** d * len(bv)
    if chunk is None:
        # about 4 M sign entries per chunk: cache-friendly, and the time limit is checked
        # every few tens of milliseconds (64 k units x 300 examples took 0.3 s per chunk)
        chunk = max(1024, (1 << 22) // max(m, 1))
    # BLAS products are exact here: integer data and weights far below 2**53
    exact_float = (
        float(np.abs(X).max(initial=0)) * float(np.abs(wv).max(initial=0)) * (d + 1)
        + float(np.abs(bv).max(initial=0))
        < 2.0**52
    )
    Xf = X.astype(np.float64) if exact_float else X
    seen: set[bytes] = set()
    canon_rows: list[np.ndarray] = []
    canon_par: list[np.ndarray] = []
    canon_neg: list[np.ndarray] = []
    for start in range(0, n_units, chunk):
        if ctx is not None:
            ctx.check()
        idx = np.arange(start, min(n_units, start + chunk), dtype=np.int64)
        P = _unit_params(idx, wv, bv, d)
        if exact_float:
            Pf = P.astype(np.float64)
            S = (Xf @ Pf[:, :d].T + Pf[:, d]) >= 0  # (m, c)
        else:
            S = (X @ P[:, :d].T + P[:, d]) >= 0
        S = S.T
        flip = ~S[:, 0] if m else np.zeros(len(S), dtype=bool)
        C = S ^ flip[:, None]  # canonical: example 0 is '+'
        packed = np.packbits(C, axis=1)
        packed = np.ascontiguousarray(packed)
        view = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
        _, first = np.unique(view, return_index=True)
        new = []
        for f in first.tolist():
            key = view[f].tobytes()
            if key not in seen:
                seen.add(key)
                new.append(f)
        if new:  # whole blocks, not one small array per unit (memory: ~200 B per row)
            rows = np.asarray(new, dtype=np.int64)
            canon_rows.append(C[rows])
            canon_par.append(P[rows])
            canon_neg.append(flip[rows])
    if not canon_rows:
        raise ValidationError("no first-layer unit: empty weight domain.")
    Cm = np.concatenate(canon_rows).reshape(-1, m)
    par = np.concatenate(canon_par).astype(np.int64)
    neg = np.concatenate(canon_neg).astype(bool)
    patterns = np.concatenate([Cm, ~Cm])
    params = np.concatenate([par, par])
    negated = np.concatenate([neg, ~neg])
    return UnitClass(patterns, params, negated, n_units)


def _unit_params(idx: np.ndarray, wv: np.ndarray, bv: np.ndarray, d: int) -> np.ndarray:
    """Rows ``(w_1..w_d, b)`` of the units with flat indices ``idx`` (mixed radix)."""
    out = np.empty((len(idx), d + 1), dtype=np.int64)
    r = idx.copy()
    out[:, d] = bv[r % len(bv)]
    r //= len(bv)
    for i in range(d - 1, -1, -1):
        out[:, i] = wv[r % len(wv)]
        r //= len(wv)
    return out


# --------------------------------------------------------------------------- output functions
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
    on its hidden codes (see the module docstring), fewest relevant inputs first.

    >>> import mixedopt as mo
    >>> X, y, _ = mo.datasets.planted(m=20, d=2, h=3, seed=0)
    >>> p = TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=3)
    >>> len(canonical_functions(p))
    10
    """
    h = problem.hidden[0]
    wv, bv = _layer_values(problem, 1)
    _, T = _output_functions(h, tuple(int(v) for v in wv), tuple(int(v) for v in bv))
    seen: set[tuple[int, tuple[bool, ...]]] = set()
    out: list[CanonicalFunction] = []
    for row in T.astype(bool):
        f = _canonical(row, h)
        if f is not None and (f.h, f.table) not in seen:
            seen.add((f.h, f.table))
            out.append(f)
    out.sort(key=lambda f: (f.h, f.table))
    return out


def _canonical(row: np.ndarray, h: int) -> CanonicalFunction | None:
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
                [bt[_swap_bits(c, i, j)] for c in range(1 << k)],
                dtype=bool,
            )
            if np.array_equal(sw, bt):
                cl.append(i)
                break
        else:
            classes.append([i])
    return CanonicalFunction(k, best, tuple(tuple(c) for c in classes))


def _permute(f: CanonicalFunction, perm: list[int]) -> CanonicalFunction:
    """The same function with new position ``t`` holding old position ``perm[t]``."""
    k = f.h
    table = tuple(f.table[sum(((c >> t) & 1) << perm[t] for t in range(k))] for c in range(1 << k))
    inv = {old: new for new, old in enumerate(perm)}
    classes = tuple(tuple(sorted(inv[i] for i in cl)) for cl in f.classes)
    return CanonicalFunction(k, table, classes)


def _swap_bits(c: int, i: int, j: int) -> int:
    bi, bj = (c >> i) & 1, (c >> j) & 1
    if bi == bj:
        return c
    return c ^ ((1 << i) | (1 << j))


# --------------------------------------------------------------------------- search
class _Search:
    def __init__(self, problem: TrainingProblem, ctx: SolveContext, opts: dict[str, Any]):
        self.p = problem
        self.ctx = ctx
        self.opts = opts
        self.uc = unit_class(problem, ctx=ctx)
        pos = problem.y == 1
        w = problem.sample_weight.astype(np.float64)
        self.w = w
        # error sets (a unit's pattern differs from the labels) in blocks: at d = 6 the
        # whole (n, m) matrix as float64 took 1.4 GB and 4 s without a clock check
        n_units = len(self.uc)
        block = max(1024, (1 << 22) // max(problem.n_samples, 1))
        size = np.empty(n_units)
        for a in range(0, n_units, block):
            ctx.check()
            size[a : a + block] = (self.uc.patterns[a : a + block] != pos) @ w
        order = np.argsort(size, kind="stable")
        self.order = order
        self._all = np.arange(len(order))
        # error sets sorted by single-unit error, as bits (rows of uint64 words)
        words = ((problem.n_samples + 7) // 8 + 7) // 8
        self.bits = np.empty((n_units, words), dtype=np.uint64)
        for a in range(0, n_units, block):
            ctx.check()
            rows = order[a : a + block]
            self.bits[a : a + block] = _pack(self.uc.patterns[rows] != pos)
        self.n = self.bits.shape[0]
        self.m = problem.n_samples
        self.pos = pos
        self.functions = canonical_functions(problem)
        self.best: float = math.inf
        self.best_sol: tuple[CanonicalFunction, list[int]] | None = None
        self.nodes = 0
        self.complete: dict[str, bool] = {}
        self.times: dict[str, float] = {}
        self.lb: dict[str, int] = {}
        self.cap: float = math.inf
        self._tables: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
        self._graph: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._views: list[tuple[np.ndarray | None, np.ndarray, dict[bytes, np.ndarray]]] = [
            (None, self.bits, {})
        ]

    # ---------------------------------------------------------------- incumbents
    def offer_net(self, net: ThresholdNet) -> None:
        e = self.p.errors(net)
        if e < self.best:
            self.best = e
            self.best_sol = None
            self.ctx.incumbent(net, source="dichotomy")

    def found(self, f: CanonicalFunction, units: list[int], errors: float) -> None:
        if errors >= self.best:
            return
        net = self.make_net(f, units)
        true = self.p.errors(net)
        if true != round(errors):  # pragma: no cover - internal consistency
            raise AssertionError(f"dichotomy search: model {errors} vs true {true} errors")
        self.best = true
        self.best_sol = (f, units)
        self.ctx.incumbent(net, source="dichotomy", message=f"{f.name()}")

    def make_net(self, f: CanonicalFunction, units: list[int]) -> ThresholdNet:
        """Net realising canonical ``f`` on the dichotomies ``units`` (sorted indices)."""
        p = self.p
        h = p.hidden[0]
        d = p.n_features
        W1 = np.zeros((h, d), dtype=np.int64)
        b1 = np.zeros(h, dtype=np.int64)
        eps = np.zeros(h, dtype=bool)
        for pos_i, u in enumerate(units):
            r = self.order[u]
            W1[pos_i] = self.uc.params[r, :d]
            b1[pos_i] = self.uc.params[r, d]
            eps[pos_i] = self.uc.negated[r]
        if len(units) < h:  # irrelevant positions: any unit of the domain
            wv, bv = _layer_values(p, 0)
            filler = _unit_params(np.array([0]), wv, bv, d)[0]
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
        wv, bv = _layer_values(p, 1)
        P, T = _output_functions(h, tuple(int(v) for v in wv), tuple(int(v) for v in bv))
        hit = np.flatnonzero(np.all(T.astype(bool) == table[None, :], axis=1))
        if hit.size == 0:  # pragma: no cover - canonical forms come from realisable rows
            raise AssertionError("dichotomy search: output function not realisable")
        row = P[hit[0]]
        return p.make_net(
            [W1, row[None, :h]],
            [b1, row[h:]],
            metadata={"trained_by": "dichotomy", "output_function": f.name()},
        )

    # ---------------------------------------------------------------- main loop
    def run(self) -> None:
        """Search every canonical function. With ``warmup > 0`` a first pass looks only for
        nets with at most ``warmup * best`` errors (cheap: the bounds cut hard), so that an
        interrupted run still has a proven bound; the main pass then skips every function
        already proven unable to beat the incumbent."""
        frac = float(self.opts["warmup"])
        if 0 < frac < 1 and math.isfinite(self.best) and self.best >= 4:
            self.cap = math.floor(frac * self.best)
            self._pass()
            self.cap = math.inf
        self._pass()

    def _pass(self) -> None:
        for f in self.functions:
            name = f.name()
            if self.lb.get(name, 0) >= self.best:
                continue  # proven unable to beat the incumbent
            if self.ctx.stop_requested:
                return
            t0 = time.perf_counter()
            done = self.search_function(f)
            self.complete[name] = done
            self.times[name] = round(self.times.get(name, 0.0) + time.perf_counter() - t0, 3)
            if done and math.isfinite(self.tau()):
                self.lb[name] = max(self.lb.get(name, 0), int(self.tau()) + 1)
                self.report_bound()
            logger.debug(
                "dichotomy: %s done=%s best=%s nodes=%d", name, done, self.best, self.nodes
            )

    def bound(self) -> float:
        """Proven lower bound on the optimum: the least bound over canonical functions."""
        if not self.functions:
            return 0.0
        return float(min(min(self.lb.get(f.name(), 0) for f in self.functions), self.best))

    def report_bound(self) -> None:
        b = self.bound()
        if b > 0:
            self.ctx.bound(b, source="dichotomy")

    def tau(self) -> float:
        """Largest error count still worth finding (integer weights: best - 1), capped
        during the warm-up pass."""
        return min(self.best - 1, self.cap)

    def search_function(self, f: CanonicalFunction) -> bool:
        """Exhaust canonical ``f``; False when stopped before the end."""
        w = self.w
        ybit = self.pos.astype(np.int64)
        errtab = np.stack([f.neg_err, f.pos_err])  # [ybit, C]
        if f.h == 0:
            e = float(w[errtab[ybit, 0]].sum())
            if e < self.best:
                self.found(f, [], e)
            return True
        C = np.zeros(self.m, dtype=np.int64)
        # branch first on the position with the fewest candidates at the root
        counts = []
        for r in range(f.h):
            v = (w * errtab[ybit, 1 << r]).astype(np.float32)
            counts.append(int(np.count_nonzero(self._rows_dot(self._all, v) <= self.tau() + 0.5)))
        perm = sorted(range(f.h), key=lambda r: (counts[r], r))
        if perm != list(range(f.h)):
            f = _permute(f, perm)
            errtab = np.stack([f.neg_err, f.pos_err])
        cands = [np.arange(self.n) for _ in range(f.h)]
        self._graph = self._pair_graph() if _is_majority(f) else None
        try:
            return self._descend(f, errtab, ybit, C, [], cands)
        finally:
            self._graph = None

    def _pair_graph(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Majority: every pair of its units is wrong together on at most ``tau`` (weighted)
        examples. The pairs ``u < v`` that pass, with their weighted intersection
        ``g = |A_u ∩ A_v|``, as CSR ``(indptr, v, g)`` over the units that can be the middle
        one (``|A_u| <= (W + 2 tau) / 2``). None when too costly (``graph_work``)."""
        tau = self.tau()
        if not math.isfinite(tau):
            return None
        W = float(self.w.sum())
        sizes = self._rows_dot(self._all, self.w.astype(np.float32))
        rows = np.flatnonzero(sizes <= (W + 2 * tau) / 2 + 0.5)
        if len(rows) * self.n * self.m > float(self.opts["graph_work"]):
            return None
        E = _unpack(self.bits, self.m)
        Ew = E * self.w.astype(np.float32)[None, :]
        ET = np.ascontiguousarray(E.T)
        src, dst, cnt = [], [], []
        for s in range(0, len(rows), 512):
            if self.ctx.stop_requested:
                return None
            blk = rows[s : s + 512]
            lo = int(blk[0]) + 1
            inter = Ew[blk] @ ET[:, lo:]
            r, c = np.nonzero(inter <= tau + 0.5)
            c = c + lo
            keep = c > blk[r]
            src.append(blk[r[keep]])
            dst.append(c[keep])
            cnt.append(inter[r[keep], c[keep] - lo])
        src_a = np.concatenate(src) if src else np.zeros(0, dtype=np.int64)
        order = np.argsort(src_a, kind="stable")
        dst_a = np.concatenate(dst)[order] if dst else np.zeros(0, dtype=np.int64)
        cnt_a = np.concatenate(cnt)[order].astype(np.float64) if cnt else np.zeros(0)
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.add.at(indptr, src_a[order] + 1, 1)
        return np.cumsum(indptr), dst_a, cnt_a

    def _class_of(self, f: CanonicalFunction, i: int) -> tuple[int, ...]:
        for cl in f.classes:
            if i in cl:
                return cl
        return (i,)

    def _lower_index(self, f: CanonicalFunction, i: int, chosen: list[int]) -> int:
        """Least dichotomy index allowed at position ``i`` (order inside a class)."""
        lo = 0
        for j in self._class_of(f, i):
            if j < i and j < len(chosen):
                lo = max(lo, chosen[j])
        return lo

    def _descend(
        self,
        f: CanonicalFunction,
        errtab: np.ndarray,
        ybit: np.ndarray,
        C: np.ndarray,
        chosen: list[int],
        cands: list[np.ndarray],
    ) -> bool:
        depth = len(self._views)
        try:
            return self._node(f, errtab, ybit, C, chosen, cands)
        finally:
            del self._views[depth:]

    def _node(
        self,
        f: CanonicalFunction,
        errtab: np.ndarray,
        ybit: np.ndarray,
        C: np.ndarray,
        chosen: list[int],
        cands: list[np.ndarray],
    ) -> bool:
        self.nodes += 1
        self._views[-1][2].clear()
        if self.ctx.stop_requested:
            return False
        h = f.h
        i = len(chosen)
        w = self.w
        full = (1 << h) - 1
        rest = full & ~((1 << i) - 1)
        err_now = errtab[ybit, C]
        forced = float(w[err_now].sum())
        if forced > self.tau():
            return True
        und = ~err_now & errtab[ybit, C | rest]
        # filter each remaining position by the errors it would force on its own
        new_cands = list(cands)
        for r in range(i, h):
            v = w * (und & errtab[ybit, C | (1 << r)])
            cr = cands[r]
            lo = self._lower_index(f, r, chosen) if chosen else 0
            cr = cr[cr >= lo]
            if cr.size and v.any():
                a = self._rows_dot(cr, v.astype(np.float32))
                cr = cr[forced + a <= self.tau() + 0.5]
            new_cands[r] = cr
            if cr.size == 0:
                return True
        # the rest of this node (and its children) only touch these rows
        self._push_view(new_cands[i:])
        if h - i >= 2:
            new_cands[i] = self._sum_filter(f, errtab, ybit, C, i, new_cands, forced)
            if new_cands[i].size == 0:
                return True
        if h - i == 2:
            new_cands[i + 1] = self._sum_filter(
                f, errtab, ybit, C, i, new_cands, forced, target=i + 1
            )
            if new_cands[i + 1].size == 0:
                return True
        if h - i == 1:
            return self._last(f, errtab, ybit, C, chosen, new_cands[i], forced)
        if h - i == 2:
            return self._last_two(f, errtab, ybit, C, chosen, new_cands, forced)
        for u in new_cands[i].tolist():
            if self.ctx.stop_requested:
                return False
            if forced > self.tau():
                return True
            C2 = C | (self._rows(np.array([u]))[0].astype(bool).astype(np.int64) << i)
            ok = self._descend(f, errtab, ybit, C2, [*chosen, u], new_cands)
            if not ok:
                return False
        return True

    def _sum_filter(
        self,
        f: CanonicalFunction,
        errtab: np.ndarray,
        ybit: np.ndarray,
        C: np.ndarray,
        i: int,
        cands: list[np.ndarray],
        forced: float,
        target: int | None = None,
    ) -> np.ndarray:
        """Filter the candidates of position ``target`` (default ``i``, the next to branch
        on) by additive bounds over all remaining positions ``i..h-1``.

        Each undecided example gets a linear bound ``err(C ∪ S) >= t |S| - mu`` valid for
        every set ``S`` of remaining positions wrong on it, so the errors are at least
        ``forced - sum(mu) + sum_r A(u_r) · t``. Two families are tried (the larger bound
        wins): ``t = 1 / (|R| - s)``, ``mu = s t`` with ``s`` the largest harmless ``S``,
        and the root family (the same rule for all ``h`` positions, shifted by the wrong
        units already fixed). Positions interchangeable with the target are ordered by
        index, hence suffix (prefix) minima; as indices sort dichotomies by their own
        error, for majority this gives ``3 |A(u_0)| <= m + 2 tau``.
        """
        tgt = i if target is None else target
        ci = cands[tgt]
        if ci.size == 0:
            return ci
        cls = self._class_of(f, tgt)
        best = np.full(len(ci), -np.inf)
        for t_tab, mu_tab in self._bound_tables(f, errtab, i):
            t = t_tab[ybit, C]
            if not t.any():
                continue
            v = (self.w * t).astype(np.float32)
            M = float((self.w * mu_tab[ybit, C]).sum())
            bound = forced - M + self._rows_dot(ci, v).astype(np.float64)
            for r in range(i, f.h):
                if r == tgt:
                    continue
                cr = cands[r]
                if cr.size == 0:
                    return cr
                a_r = self._rows_dot(cr, v)
                if r in cls:
                    if r > tgt:  # u_r >= u_tgt: suffix minima
                        ext = np.minimum.accumulate(a_r[::-1])[::-1]
                        pos = np.searchsorted(cr, ci, side="left")
                        ok = pos < len(cr)
                    else:  # u_r <= u_tgt: prefix minima
                        ext = np.minimum.accumulate(a_r)
                        pos = np.searchsorted(cr, ci, side="right") - 1
                        ok = pos >= 0
                    add = np.full(len(ci), np.inf)
                    add[ok] = ext[pos[ok]]
                    bound = bound + add
                else:
                    bound = bound + float(a_r.min())
            best = np.maximum(best, bound)
        return ci[best <= self.tau() + 0.5]

    def _bound_tables(
        self, f: CanonicalFunction, errtab: np.ndarray, i: int
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        out = [self._uniform_tables(f, errtab, i)]
        if i > 0:
            t0, mu0 = self._uniform_tables(f, errtab, 0)
            h = f.h
            fixed = (1 << i) - 1
            t = np.zeros_like(t0)
            mu = np.zeros_like(mu0)
            full = (1 << h) - 1
            for yb in (0, 1):
                for c in range(1 << h):
                    if errtab[yb, c] or not errtab[yb, c | (full & ~fixed)]:
                        continue  # forced or safe: contributes 0
                    t[yb, c] = t0[yb, 0]
                    mu[yb, c] = mu0[yb, 0] - t0[yb, 0] * bin(c & fixed).count("1")
            out.append((t, mu))
        return out

    def _uniform_tables(
        self, f: CanonicalFunction, errtab: np.ndarray, i: int
    ) -> tuple[np.ndarray, np.ndarray]:
        key = (f.table, i)
        hit = self._tables.get(key)
        if hit is not None:
            return hit
        h = f.h
        R = list(range(i, h))
        t = np.zeros((2, 1 << h))
        mu = np.zeros((2, 1 << h))
        subsets = [
            sum(1 << r for r in S) for k in range(len(R) + 1) for S in itertools.combinations(R, k)
        ]
        for yb in (0, 1):
            for c in range(1 << h):
                if errtab[yb, c]:
                    continue
                harmless = [bin(S).count("1") for S in subsets if not errtab[yb, c | S]]
                s_max = max(harmless)
                if s_max == len(R):
                    continue
                t[yb, c] = 1.0 / (len(R) - s_max)
                mu[yb, c] = s_max * t[yb, c]
        self._tables[key] = (t, mu)
        return t, mu

    def _rows_dot(self, rows: np.ndarray, v: np.ndarray) -> np.ndarray:
        """``E[rows] @ v`` (``E`` the 0/1 error-set matrix) for sorted global ``rows``.

        The product is taken over the whole current view (the rows this node can still
        use) and memoised per vector for the node. A vector with few distinct values is
        split into bit planes: each plane costs one AND + popcount over packed rows (32x
        less memory traffic than a float product)."""
        U, B, memo = self._views[-1]
        key = v.tobytes()
        full = memo.get(key)
        if full is None:
            full = _bits_dot(B, v, self.m)
            memo[key] = full
        if U is None:
            return full[rows]
        return full[np.searchsorted(U, rows)]

    def _rows(self, rows: np.ndarray) -> np.ndarray:
        """The error sets of ``rows`` as a float32 0/1 matrix."""
        U, B, _ = self._views[-1]
        sub = B[rows] if U is None else B[np.searchsorted(U, rows)]
        return _unpack(sub, self.m)

    def _push_view(self, cands: list[np.ndarray]) -> bool:
        """Re-base the matrix on the rows still used when they are few; True if pushed."""
        U_par, E_par, _ = self._views[-1]
        n_par = self.n if U_par is None else len(U_par)
        U = np.unique(np.concatenate(cands)) if cands else np.zeros(0, dtype=np.int64)
        if len(U) * 2 > n_par:
            return False
        rows = U if U_par is None else np.searchsorted(U_par, U)
        self._views.append((U, E_par[rows], {}))
        return True

    def _last(
        self,
        f: CanonicalFunction,
        errtab: np.ndarray,
        ybit: np.ndarray,
        C: np.ndarray,
        chosen: list[int],
        cand: np.ndarray,
        forced: float,
    ) -> bool:
        i = len(chosen)
        v = self.w * (~errtab[ybit, C] & errtab[ybit, C | (1 << i)])
        tot = forced + self._rows_dot(cand, v.astype(np.float32))
        b = int(np.argmin(tot))
        if tot[b] < self.best - 0.5:
            self.found(f, [*chosen, int(cand[b])], float(np.rint(tot[b])))
        return True

    def _last_two(
        self,
        f: CanonicalFunction,
        errtab: np.ndarray,
        ybit: np.ndarray,
        C: np.ndarray,
        chosen: list[int],
        cands: list[np.ndarray],
        forced: float,
    ) -> bool:
        i = len(chosen)
        p, q = i, i + 1
        w = self.w
        bp, bq = 1 << p, 1 << q
        e0 = errtab[ybit, C]
        e_p = errtab[ybit, C | bp]
        und0 = ~e0 & errtab[ybit, C | bq]
        und1 = ~e_p & errtab[ybit, C | bp | bq]
        av = (w * (e_p & ~e0)).astype(np.float32)
        bvec = (w * und0).astype(np.float32)
        delta = (w * (und1.astype(np.float64) - und0)).astype(np.float32)
        cp, cq = cands[p], cands[q]
        if self._graph is not None and _is_majority(f) and p == 1:
            return self._last_two_graph(f, chosen, cp, cq, forced, av, bvec, C)
        same = q in self._class_of(f, p)
        nz = np.flatnonzero(delta)  # examples that matter to the pair term
        Eq = self._rows(cq)
        bq_val = Eq @ bvec
        EqT = np.ascontiguousarray(Eq[:, nz].T)
        dnz = delta[nz]
        a_all = self._rows_dot(cp, av)
        # interchangeable positions need u_q >= u_p: square blocks along the diagonal
        block = 128 if same else int(self.opts["block"])
        for s in range(0, len(cp), block):
            if self.ctx.stop_requested:
                return False
            up = cp[s : s + block]
            a = a_all[s : s + block]
            keep = forced + a <= self.tau() + 0.5
            if not keep.any():
                continue
            up, a = up[keep], a[keep]
            c0 = int(np.searchsorted(cq, up[0])) if same else 0
            if c0 >= len(cq):
                continue
            Ep = self._rows(up)
            tot = (Ep[:, nz] * dnz[None, :]) @ EqT[:, c0:]
            tot += (forced + a)[:, None]
            tot += bq_val[None, c0:]
            if same:
                tot[cq[None, c0:] < up[:, None]] = np.inf
            k = int(np.argmin(tot))
            r, c = divmod(k, tot.shape[1])
            self.nodes += len(up)
            if tot[r, c] < self.best - 0.5:
                u_q = int(cq[c0 + c])
                self.found(f, [*chosen, int(up[r]), u_q], float(np.rint(tot[r, c])))
        return True

    def _last_two_graph(
        self,
        f: CanonicalFunction,
        chosen: list[int],
        cp: np.ndarray,
        cq: np.ndarray,
        forced: float,
        av: np.ndarray,
        bvec: np.ndarray,
        C: np.ndarray,
    ) -> bool:
        """Majority, first unit ``u0`` fixed: only pairs of the pair graph can finish a
        triple. With ``A0`` the error set of ``u0``,
        ``errors = |A0∩A1| + |A0∩A2| + |A1∩A2| - 2 |A0∩A1∩A2|``; the first three terms
        are known per pair, the last one is at most ``min(|A0∩A1|, |A0∩A2|)`` and is
        counted exactly only for pairs that the bound does not cut."""
        assert self._graph is not None
        indptr = self._graph[0]
        a = self._rows_dot(cp, av)
        keep = forced + a <= self.tau() + 0.5
        cp, a = cp[keep], a[keep]
        if cp.size == 0 or cq.size == 0:
            return True
        b_all = self._rows_dot(cq, bvec)
        b_of = np.full(self.n, np.nan)
        b_of[cq] = b_all
        mask0 = (C & 1).astype(bool)
        wa0 = np.where(mask0, self.w, 0.0).astype(np.float32)
        lens = indptr[cp + 1] - indptr[cp]
        # rows in chunks of about a million edges (the clock is checked between chunks)
        ends = np.cumsum(lens)
        cuts = np.searchsorted(ends, np.arange(1, int(ends[-1] // 1_000_000) + 1) * 1_000_000)
        lo = 0
        for hi in [*cuts.tolist(), len(cp)]:
            if hi <= lo:
                continue
            if self.ctx.stop_requested:
                return False
            self._graph_chunk(f, chosen, cp[lo:hi], a[lo:hi], forced, b_of, wa0)
            lo = hi
        return True

    def _graph_chunk(
        self,
        f: CanonicalFunction,
        chosen: list[int],
        cp: np.ndarray,
        a: np.ndarray,
        forced: float,
        b_of: np.ndarray,
        wa0: np.ndarray,
    ) -> None:
        assert self._graph is not None
        indptr, dst, cnt = self._graph
        starts = indptr[cp]
        lens = indptr[cp + 1] - starts
        tot_len = int(lens.sum())
        if tot_len == 0:
            return
        # gather every edge (u1, u2) of the rows cp
        row = np.repeat(np.arange(len(cp)), lens)
        offs = np.arange(tot_len) - np.repeat(np.cumsum(lens) - lens, lens)
        e = np.repeat(starts, lens) + offs
        v = dst[e]
        bv = b_of[v]
        ok = ~np.isnan(bv)
        row, v, bv, g = row[ok], v[ok], bv[ok], cnt[e[ok]]
        av_r = a[row]
        lower = forced + av_r + bv + g - 2 * np.minimum(av_r, bv)
        ok = lower <= self.tau() + 0.5
        if not ok.any():
            return
        row, v, av_r, bv, g = row[ok], v[ok], av_r[ok], bv[ok], g[ok]
        u = cp[row]
        # exact triple term sum_{k in A0} w_k A1_k A2_k for the survivors
        t = np.empty(len(u))
        for s in range(0, len(u), 4096):
            B1 = self._rows(u[s : s + 4096])
            B2 = self._rows(v[s : s + 4096])
            t[s : s + 4096] = (B1 * B2) @ wa0
        tot = forced + av_r + bv + g - 2 * t
        k = int(np.argmin(tot))
        self.nodes += len(u)
        if tot[k] < self.best - 0.5:
            self.found(f, [*chosen, int(u[k]), int(v[k])], float(np.rint(tot[k])))


MAJORITY = (False, False, False, True, False, True, True, True)


def _is_majority(f: CanonicalFunction) -> bool:
    return f.h == 3 and f.table == MAJORITY


# --------------------------------------------------------------------------- bit helpers
def _pack(M: np.ndarray) -> np.ndarray:
    """Rows of a bool matrix as uint64 words (zero padded)."""
    n, m = M.shape
    nbytes = (m + 7) // 8
    words = (nbytes + 7) // 8
    out = np.zeros((n, words * 8), dtype=np.uint8)
    out[:, :nbytes] = np.packbits(M, axis=1)
    return out.view(np.uint64)


def _unpack(B: np.ndarray, m: int) -> np.ndarray:
    return np.unpackbits(B.view(np.uint8), axis=1, count=m).astype(np.float32)


_HAS_POPCOUNT = hasattr(np, "bitwise_count")


def _bits_dot(B: np.ndarray, v: np.ndarray, m: int) -> np.ndarray:
    """``unpack(B) @ v`` through bit planes when ``v`` has few distinct values."""
    vals = np.unique(v[v != 0])
    if vals.size == 0:
        return np.zeros(B.shape[0], dtype=np.float64)
    if not _HAS_POPCOUNT or vals.size > 4:
        return (_unpack(B, m) @ v.astype(np.float32)).astype(np.float64)
    out = np.zeros(B.shape[0], dtype=np.float64)
    for c in vals.tolist():
        mask = _pack((v == c)[None, :])[0]
        cnt = np.bitwise_count(B & mask).sum(axis=1, dtype=np.int64)
        out += c * cnt
    return out


# --------------------------------------------------------------------------- backend
class DichotomyBackend(Backend):
    """Exact search over unit dichotomies (see the module docstring)."""

    name = "dichotomy"
    description = "exact search over unit dichotomies (1 hidden layer, binary, small d)"
    packages = ()
    extra = None
    domains = frozenset({"binary", "ternary", "integer"})
    objectives = frozenset({"errors"})
    needs_integral = True
    multiclass = False
    max_hidden_layers = 1
    STATUS_MAP: ClassVar[dict[str, Status | str]] = {"optimal": Status.OPTIMAL, "limit": LIMIT}

    def check_native(self, native: Mapping[str, Any]) -> None:
        bad = sorted(set(native) - set(DEFAULTS))
        if bad:
            raise ValidationError(
                f"unknown dichotomy option(s) {', '.join(bad)}; known: {', '.join(DEFAULTS)}."
            )

    def unsupported_reason(self, problem: TrainingProblem) -> str | None:
        reason = super().unsupported_reason(problem)
        if reason is not None:
            return reason
        return _unsupported(problem, int(DEFAULTS["max_units"]))

    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        opts = {**DEFAULTS, **ctx.options.native}
        reason = _unsupported(problem, int(opts["max_units"]))
        if reason is not None:
            raise ValidationError(reason + ".")
        search = _Search(problem, ctx, opts)
        cells = len(search.uc) * problem.n_samples
        if cells > float(opts["max_cells"]):
            raise ValidationError(
                f"the dichotomy search needs {len(search.uc):,} x {problem.n_samples} cells "
                f"(more than max_cells={opts['max_cells']:.3g})."
            )
        if ctx.best_net is not None:
            search.offer_net(ctx.best_net)
        with one_blas_thread():
            search.run()
        info = {
            "dichotomies": len(search.uc),
            "units": search.uc.n_units,
            "functions": len(search.functions),
            "nodes": search.nodes,
            "complete": search.complete,
            "times": search.times,
        }
        bound = search.bound()
        info["bounds"] = dict(search.lb)
        if ctx.best_net is not None and bound >= problem.errors(ctx.best_net):
            return RawResult("optimal", bound=float(problem.errors(ctx.best_net)), info=info)
        return RawResult("limit", bound=bound if bound > 0 else None, info=info)


def solve_dichotomy(
    problem: TrainingProblem,
    *,
    time_limit: float | None = 60.0,
    seed: int = 0,
    threads: int = 1,
    hint: ThresholdNet | None = None,
    log_callback: Any = None,
    incumbent_callback: ProgressCallback | None = None,
    **native: Any,
) -> SolveResult:
    """Exact minimum-error training by search over unit dichotomies.

    Parameters
    ----------
    problem : TrainingProblem
        Binary, one hidden layer, integer inputs, discrete weights, ``errors`` objective
        (see :func:`applicable`).
    time_limit : float or None
        Seconds; an interrupted search returns the best net with status ``FEASIBLE``.
    seed, threads : int
        Accepted for a uniform interface (the search is deterministic and single-threaded).
    hint : ThresholdNet, optional
        A good net (e.g. from the local search): its error count is the first incumbent,
        which makes the pruning strong from the start.
    log_callback, incumbent_callback : callable, optional
        As for every backend.
    **native
        ``max_units``, ``max_cells``, ``block``.

    Returns
    -------
    SolveResult
        ``OPTIMAL`` with ``bound == objective`` when the search completed.

    Examples
    --------
    >>> import mixedopt as mo
    >>> from mixedopt.problem import TrainingProblem
    >>> X, y = mo.datasets.load("xor")
    >>> p = TrainingProblem.from_data(X, y, hidden=[1], weights="integer", weight_bound=1)
    >>> res = solve_dichotomy(p, time_limit=10)
    >>> res.status.value, res.objective
    ('optimal', 1)
    """
    return DichotomyBackend().solve(
        problem,
        time_limit=time_limit,
        seed=seed,
        threads=threads,
        warm_start=hint,
        log_callback=log_callback,
        incumbent_callback=incumbent_callback,
        **native,
    )
