"""The pair graph of the majority function, a mixin of :class:`~.search._Search`.

For majority every pair of its units is wrong together on at most ``tau`` examples, so the
pairs that pass are computed once per search of majority (a sparse graph) and the last two
positions are completed from the graph instead of a dense pair product.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mixedopt.solvers.base import SolveContext
from mixedopt.solvers.dichotomy.bits import unpack_bits
from mixedopt.solvers.dichotomy.functions import CanonicalFunction


class PairGraph:
    """Pair-graph methods of the search. They use the search's state and its ``tau``,
    ``found``, ``_rows`` and ``_rows_dot``."""

    ctx: SolveContext
    opts: dict[str, Any]
    w: np.ndarray
    bits: np.ndarray
    n: int
    m: int
    _graph: tuple[np.ndarray, np.ndarray, np.ndarray] | None

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
        src_a = np.concatenate(src) if src else np.zeros(0, dtype=np.int64)
        order = np.argsort(src_a, kind="stable")
        dst_a = np.concatenate(dst)[order] if dst else np.zeros(0, dtype=np.int64)
        cnt_a = np.concatenate(cnt)[order].astype(np.float64) if cnt else np.zeros(0)
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.add.at(indptr, src_a[order] + 1, 1)
        return np.cumsum(indptr), dst_a, cnt_a

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
