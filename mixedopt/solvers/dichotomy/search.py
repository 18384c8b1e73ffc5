"""The search over unit dichotomies (:class:`DichotomySearch`), one canonical function at a time.

For the majority function every pair of its units is wrong together on at most ``tau``
examples, so the pairs that pass are computed once per search of majority (a sparse pair
graph) and the last two positions are completed from the graph instead of a dense pair
product.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.solvers.base import SolveContext
from mixedopt.solvers.dichotomy.bits import bits_dot, pack, unpack_bits
from mixedopt.solvers.dichotomy.decode import decode_net
from mixedopt.solvers.dichotomy.functions import (
    CanonicalFunction,
    canonical_functions,
    is_majority,
    permute,
)
from mixedopt.solvers.dichotomy.units import UnitClass, unit_class

logger = logging.getLogger(__name__)


def _never() -> bool:
    return False


@dataclass
class SearchState:
    """What a search builds before it first branches: the unit class, the order of its
    dichotomies (by their own weighted error) and their error sets as bit rows. A parallel
    search builds it once and hands it to every worker (:mod:`.parts`)."""

    uc: UnitClass
    order: np.ndarray
    bits: np.ndarray


def build_state(problem: TrainingProblem, ctx: SolveContext) -> SearchState:
    """The :class:`SearchState` of ``problem`` (checks ``ctx``'s clock between blocks)."""
    uc = unit_class(problem, ctx=ctx)
    pos = problem.y == 1
    w = problem.sample_weight.astype(np.float64)
    # error sets (a unit's pattern differs from the labels) in blocks: at d = 6 the
    # whole (n, m) matrix as float64 took 1.4 GB and 4 s without a clock check
    n_units = len(uc)
    block = max(1024, (1 << 22) // max(problem.n_samples, 1))
    size = np.empty(n_units)
    for a in range(0, n_units, block):
        ctx.check()
        size[a : a + block] = (uc.patterns[a : a + block] != pos) @ w
    order = np.argsort(size, kind="stable")
    # error sets sorted by single-unit error, as bits (rows of uint64 words)
    words = ((problem.n_samples + 7) // 8 + 7) // 8
    bits = np.empty((n_units, words), dtype=np.uint64)
    for a in range(0, n_units, block):
        ctx.check()
        rows = order[a : a + block]
        bits[a : a + block] = pack(uc.patterns[rows] != pos)
    return SearchState(uc, order, bits)


#: a majority pair graph: CSR ``(indptr, v, g)`` over the dichotomies (see
#: :meth:`DichotomySearch.graph_rows`)
PairGraph = tuple[np.ndarray, np.ndarray, np.ndarray]


class DichotomySearch:
    def __init__(
        self,
        problem: TrainingProblem,
        ctx: SolveContext,
        opts: dict[str, Any],
        *,
        state: SearchState | None = None,
    ):
        self.p = problem
        self.ctx = ctx
        self.opts = opts
        if state is None:
            state = build_state(problem, ctx)
        self.state = state
        self.uc = state.uc
        self.order = state.order
        self.bits = state.bits
        self.w = problem.sample_weight.astype(np.float64)
        self._all = np.arange(len(self.order))
        self.n = self.bits.shape[0]
        self.m = problem.n_samples
        self.pos = problem.y == 1
        self._functions: list[CanonicalFunction] | None = None
        self.best: float = math.inf
        self.best_sol: tuple[CanonicalFunction, list[int]] | None = None
        self.nodes = 0
        self.complete: dict[str, bool] = {}
        self.times: dict[str, float] = {}
        self.lb: dict[str, int] = {}
        self.cap: float = math.inf
        self._tables: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
        self._graph: PairGraph | None = None
        self._views: list[tuple[np.ndarray | None, np.ndarray, dict[bytes, np.ndarray]]] = [
            (None, self.bits, {})
        ]
        #: per position, the candidate a loop over that position is at (None: no loop
        #: there, or its loop finished): where a stopped search can be resumed (:mod:`.parts`)
        self.cursor: list[int | None] = []
        #: a part of a parallel search asks to give back the rest of its work: polled
        #: between candidates (never inside one)
        self.pause_requested: Callable[[], bool] = _never

    @property
    def functions(self) -> list[CanonicalFunction]:
        """The canonical output functions (:func:`canonical_functions`), computed on first
        use (a part of a parallel search is handed its function)."""
        if self._functions is None:
            self._functions = canonical_functions(self.p)
        return self._functions

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
        return decode_net(self.p, self.uc, self.order, f, units)

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
        return self.search_part(self.branch_order(f))

    def branch_order(self, f: CanonicalFunction) -> CanonicalFunction:
        """``f`` with its positions reordered so that the search branches first on the
        position with the fewest candidates at the root (at the current ``tau``)."""
        if f.h == 0:
            return f
        w = self.w
        ybit = self.pos.astype(np.int64)
        errtab = np.stack([f.neg_err, f.pos_err])  # [ybit, C]
        counts = []
        for r in range(f.h):
            v = (w * errtab[ybit, 1 << r]).astype(np.float32)
            counts.append(int(np.count_nonzero(self._rows_dot(self._all, v) <= self.tau() + 0.5)))
        perm = sorted(range(f.h), key=lambda r: (counts[r], r))
        return permute(f, perm) if perm != list(range(f.h)) else f

    def search_part(
        self,
        f: CanonicalFunction,
        prefix: tuple[int, ...] = (),
        lo: int = 0,
        hi: int | None = None,
        graph: PairGraph | bool | None = True,
    ) -> bool:
        """Exhaust the part of canonical ``f`` (positions in branching order, see
        :meth:`branch_order`) whose first ``len(prefix)`` positions hold the dichotomies
        ``prefix`` and whose next position holds one in ``[lo, hi)``; ``prefix=()`` with the
        full range is all of ``f``. Parts with distinct prefixes or disjoint ranges cover
        disjoint sets of nets. False when stopped before the end; then :attr:`cursor` says
        where (:func:`~mixedopt.solvers.dichotomy.parts.remainder`).

        ``graph``: the majority pair graph to use (``None``: none), or ``True`` to build it
        here."""
        w = self.w
        ybit = self.pos.astype(np.int64)
        errtab = np.stack([f.neg_err, f.pos_err])  # [ybit, C]
        self.cursor = [None] * f.h
        if f.h == 0:
            e = float(w[errtab[ybit, 0]].sum())
            if e < self.best:
                self.found(f, [], e)
            return True
        C = np.zeros(self.m, dtype=np.int64)
        hi = self.n if hi is None else hi
        cands = [np.arange(self.n) for _ in range(f.h)]
        for i, u in enumerate(prefix):
            cands[i] = np.array([u], dtype=np.int64)
        if prefix or lo > 0 or hi < self.n:
            cands[len(prefix)] = np.arange(lo, hi)
        if graph is True:
            self._graph = self._pair_graph() if is_majority(f) else None
        else:
            self._graph = graph if is_majority(f) else None
        try:
            return self._descend(f, errtab, ybit, C, [], cands)
        finally:
            self._graph = None

    def _pause(self, i: int, u: int) -> bool:
        """A loop over position ``i`` is about to take candidate ``u`` (or a block from
        ``u``): record it, and say whether to stop here: on a stop request, or when a part
        was asked to give back the rest of its work and has just finished a candidate of
        this loop (so that a part that gives work back has always settled some)."""
        cur = self.cursor
        moved = cur[i] is not None
        cur[i] = u
        for j in range(i + 1, len(cur)):
            cur[j] = None
        if self.ctx.stop_requested:
            return True
        return moved and self.pause_requested()

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
            if self._pause(i, u):
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
            full = bits_dot(B, v, self.m)
            memo[key] = full
        if U is None:
            return full[rows]
        return full[np.searchsorted(U, rows)]

    def _rows(self, rows: np.ndarray) -> np.ndarray:
        """The error sets of ``rows`` as a float32 0/1 matrix."""
        U, B, _ = self._views[-1]
        sub = B[rows] if U is None else B[np.searchsorted(U, rows)]
        return unpack_bits(sub, self.m)

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
        if self._graph is not None and is_majority(f) and p == 1:
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
            if self._pause(p, int(cp[s])):
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

    # ------------------------------------------------------ majority pair graph
    def _pair_graph(self) -> PairGraph | None:
        """Majority: every pair of its units is wrong together on at most ``tau`` (weighted)
        examples. The pairs ``u < v`` that pass, with their weighted intersection
        ``g = |A_u ∩ A_v|``, as CSR ``(indptr, v, g)`` over the units that can be the middle
        one (``|A_u| <= (W + 2 tau) / 2``). None when too costly (``graph_work``)."""
        rows = self.graph_rows()
        if rows is None:
            return None
        piece = self.graph_edges(rows)
        if piece is None:
            return None
        return assemble_graph(self.n, [piece])

    def graph_rows(self) -> np.ndarray | None:
        """The rows of the majority pair graph at the current ``tau``: the dichotomies that
        can be the middle unit (``|A_u| <= (W + 2 tau) / 2``), ascending; None when there is
        no incumbent or the graph is too costly (``graph_work``). A graph built at one
        ``tau`` serves every smaller one (it only has more pairs)."""
        tau = self.tau()
        if not math.isfinite(tau):
            return None
        W = float(self.w.sum())
        sizes = self._rows_dot(self._all, self.w.astype(np.float32))
        rows = np.flatnonzero(sizes <= (W + 2 * tau) / 2 + 0.5)
        if len(rows) * self.n * self.m > float(self.opts["graph_work"]):
            return None
        return rows

    def graph_edges(
        self, rows: np.ndarray, tau: float | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The pairs ``(u, v)``, ``u`` in ``rows`` (ascending), ``v > u``, wrong together on
        at most ``tau`` (default: the current one) weighted examples: ``(u, v, g)`` sorted by
        ``u``; None when stopped."""
        tau = self.tau() if tau is None else tau
        E = unpack_bits(self.bits, self.m)
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
        if not src:
            return (np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32))
        return (
            np.concatenate(src).astype(np.int64),
            np.concatenate(dst).astype(np.int32),
            np.concatenate(cnt).astype(np.float32),
        )

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
            if self._pause(1, int(cp[lo])):
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


def assemble_graph(n: int, pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> PairGraph:
    """The CSR pair graph over ``n`` dichotomies from edge pieces ``(u, v, g)`` (from
    :meth:`DichotomySearch.graph_edges`), given in ascending order of ``u``."""
    src = np.concatenate([p[0] for p in pieces]) if pieces else np.zeros(0, np.int64)
    dst = np.concatenate([p[1] for p in pieces]) if pieces else np.zeros(0, np.int32)
    cnt = np.concatenate([p[2] for p in pieces]) if pieces else np.zeros(0, np.float32)
    order = np.argsort(src, kind="stable")
    src, dst, cnt = src[order], dst[order], cnt[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, src + 1, 1)
    return np.cumsum(indptr), dst, cnt


def filter_graph(graph: PairGraph, tau: float) -> PairGraph:
    """The pairs of ``graph`` wrong together on at most ``tau`` weighted examples: the graph
    of a smaller ``tau`` (the rows kept are a superset of its rows, which is harmless)."""
    indptr, dst, cnt = graph
    keep = cnt <= tau + 0.5
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    new = np.zeros_like(indptr)
    new[1:] = np.cumsum(np.bincount(rows[keep], minlength=len(indptr) - 1))
    return new, dst[keep], cnt[keep]
