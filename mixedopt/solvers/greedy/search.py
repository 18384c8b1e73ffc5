"""One local search (:class:`Search`): its state — parameters, cached pre-activations and
scores, and the single-parameter moves evaluated and applied incrementally on them (including
the joint moves that re-choose the output unit for new hidden codes) — and the phases that
drive it: starts, error descent, compound moves, output refits, perturbations and the
secondary criteria kept at zero errors."""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np

from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.solvers.base import SolveContext
from mixedopt.solvers.greedy.moves import compound_candidates, output_functions
from mixedopt.solvers.greedy.relax import relax_unit, relaxed_start

logger = logging.getLogger("mixedopt.solvers.greedy")

#: rough seconds to build the output-function table, per function x hidden code
TABLE_S_PER_CELL = 0.5e-6
#: the search builds the table only when that takes at most this share of its time left
TABLE_SHARE = 0.25
#: ``time_limit=None`` without ``max_stall``: stop after this many perturbations without
#: progress (a noisy problem never reaches zero errors)
UNLIMITED_MAX_STALL = 100
#: ``time_limit=None``: also stop after this many sweeps per ``max_stall`` without a new
#: best error count
MAX_IDLE_SWEEPS = 10
#: the search stops this many true evaluations of a net (the slowest seen) before its
#: deadline: its result is verified, merged and verified again by the engine after it,
#: which takes seconds for a very wide net
FINISH_EVALS = 6
#: the starting point (relaxation and quantisation) leaves at least this share of the
#: time left to the search
START_SHARE = 0.5
#: rough seconds of the first Adam step of the relaxation start per example x unit (it
#: allocates a dozen such arrays); a start whose first step would not fit in its budget
#: is a random one
RELAX_S_PER_CELL = 2e-7


class Search:
    """One local search: parameters, cached pre-activations and scores, the moves on them,
    and the phases that :meth:`run` drives over them."""

    # set by run (the output-function table and whether joint moves use it)
    table: tuple[np.ndarray, np.ndarray] | None
    joint_on: bool

    def __init__(self, problem: TrainingProblem, ctx: SolveContext, opts: dict[str, Any]):
        self.p = problem
        self.ctx = ctx
        self.opts = opts
        self.rng = np.random.default_rng(ctx.seed)
        self.sizes = problem.sizes
        self.L = len(self.sizes) - 1
        self.binary = problem.is_binary
        self.exact = problem.integral
        dt = np.int64 if self.exact else np.float64
        if self.exact and problem.X.size and np.abs(problem.X).max() < 2**20:
            dt = np.int32
        self.dt = dt
        self.X = problem.X.astype(dt)
        self.y = problem.y
        self.sw = problem.sample_weight.astype(np.int64)
        self.m = problem.n_samples
        self.eps_out = problem.eps(self.L - 1) if not self.exact else 1
        self.wvals: list[np.ndarray] = []
        self.bvals: list[np.ndarray] = []
        for layer in range(self.L):
            if problem.weights == "real":
                wv = self._real_grid()
                lo, hi = problem.bias_bounds(layer)
                bv = wv[(wv >= lo) & (wv <= hi)]
            else:
                wv, bv = problem.domain_values(layer)
                # rational inputs are kept as q * x: the search keeps first-layer biases in
                # the same units (q * b); to_internal / net() convert
                bv = bv * problem.bias_scale(layer)
            self.wvals.append(wv.astype(dt))
            self.bvals.append(bv.astype(dt))
        self.params = [
            (layer, j, i)
            for layer in range(self.L)
            for j in range(self.sizes[layer + 1])
            for i in range(self.sizes[layer] + 1)
        ]
        self.sweeps = self.moves = self.kicks = self.evals = self.starts = 0
        self.best_err: float = math.inf

    # ------------------------------------------------------------------ setup
    def _real_grid(self) -> np.ndarray:
        """The values a real weight may take in a move: a grid over the weight box."""
        g = int(self.opts["real_grid"])
        return np.linspace(-self.p.weight_bound, self.p.weight_bound, max(3, g))

    def _random_params(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        W, B = [], []
        for layer in range(self.L):
            n_in, n_out = self.sizes[layer], self.sizes[layer + 1]
            W.append(self.rng.choice(self.wvals[layer], size=(n_out, n_in)))
            B.append(self.rng.choice(self.bvals[layer], size=n_out))
        return W, B

    def _zero_params(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        W, B = [], []
        for layer in range(self.L):
            n_in, n_out = self.sizes[layer], self.sizes[layer + 1]
            w0 = self.wvals[layer][np.argmin(np.abs(self.wvals[layer]))]
            b0 = self.bvals[layer][np.argmin(np.abs(self.bvals[layer]))]
            W.append(np.full((n_out, n_in), w0, dtype=self.dt))
            B.append(np.full(n_out, b0, dtype=self.dt))
        return W, B

    def load(self, W: list[np.ndarray], B: list[np.ndarray]) -> None:
        """Set parameters and recompute every cache."""
        self.W = [np.array(w, dtype=self.dt) for w in W]
        self.B = [np.array(b, dtype=self.dt) for b in B]
        self.Z: list[np.ndarray] = []
        self.A: list[np.ndarray] = []
        a = self.X
        for layer in range(self.L):
            z = a @ self.W[layer].T + self.B[layer]
            self.Z.append(z)
            if layer < self.L - 1:
                a = np.where(z >= 0, 1, -1).astype(self.dt)
                self.A.append(a)
        self.err_k, self.slack_k = self._score_rows(self.Z[-1], self.y, self.sw)
        self.err = int(self.err_k.sum())
        self.slack = float(self.slack_k.sum())

    def to_internal(
        self, W: list[np.ndarray], B: list[np.ndarray]
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Parameters in the user's units -> the search's (first-layer bias times
        :meth:`TrainingProblem.bias_scale`)."""
        q = self.p.bias_scale(0)
        if q == 1:
            return W, B
        return list(W), [np.asarray(b) * q if i == 0 else b for i, b in enumerate(B)]

    def inp(self, layer: int) -> np.ndarray:
        return self.X if layer == 0 else self.A[layer - 1]

    # ------------------------------------------------------------------ scoring
    def _score_rows(
        self, out: np.ndarray, y: np.ndarray, sw: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-example weighted error and slack for outputs ``out`` (..., n, C)."""
        if self.binary:
            z = out[..., 0]
            pos = y == 1
            wrong = np.where(pos, z < 0, z >= 0)
            slack = np.where(pos, np.maximum(0, -z), np.maximum(0, z + self.eps_out))
        else:
            C = out.shape[-1]
            yy = np.broadcast_to(y[:, None], (*out.shape[:-1], 1))
            zy = np.take_along_axis(out, yy, -1)[..., 0]
            # a lower index wins ties: it only needs z_j > z_y - eps
            other = out + (np.arange(C)[None, :] < y[:, None]) * self.eps_out
            low = np.iinfo(other.dtype).min // 4 if other.dtype.kind == "i" else -np.inf
            np.put_along_axis(other, yy, low, axis=-1)
            slack = np.maximum(0, other.max(axis=-1) - zy)
            wrong = np.argmax(out, axis=-1) != y
        return wrong * sw, slack * sw

    # ------------------------------------------------------------------ moves
    def candidates(self, layer: int, j: int, i: int) -> tuple[np.ndarray, Any]:
        n_in = self.sizes[layer]
        if i < n_in:
            vals, cur = self.wvals[layer], self.W[layer][j, i]
        else:
            vals, cur = self.bvals[layer], self.B[layer][j]
        return vals[vals != cur], cur

    def evaluate(
        self, layer: int, j: int, i: int, cand: np.ndarray, cur: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray | None]:
        """Score the net with parameter (layer, j, i) set to each candidate value.

        Returns ``(errors, slack, hidden slack, current hidden slack, output)``. In joint
        mode (a last-hidden-layer parameter of a binary net with a small output table) the
        errors are those with the output unit re-chosen for the new hidden codes, slack is
        0 and ``output`` holds the chosen output function of each candidate (else None).

        The hidden slack of a unit of the last hidden layer sums, over the misclassified
        examples whose output would move toward the right side if that unit flipped, the
        distance of its pre-activation to the flip: a direction on plateaus where no
        activation changes.
        """
        self.evals += 1
        n_in = self.sizes[layer]
        col = self.inp(layer)[:, i] if i < n_in else None
        delta = (cand - cur).astype(self.dt)
        if layer == self.L - 1:
            if col is None:
                newz = self.Z[layer][:, j][None, :] + delta[:, None]
                rows = np.arange(self.m)
            else:
                rows = np.flatnonzero(col)
                newz = self.Z[layer][rows, j][None, :] + delta[:, None] * col[rows][None, :]
            out = np.broadcast_to(self.Z[layer][rows], (len(cand), len(rows), self.sizes[-1]))
            out = out.copy()
            out[:, :, j] = newz
            e, s = self._score_rows(out, self.y[rows], self.sw[rows])
            errs = self.err - self.err_k[rows].sum() + e.sum(axis=1)
            slack = self.slack - self.slack_k[rows].sum() + s.sum(axis=1)
            return errs, slack, np.zeros(len(cand)), 0.0, None
        z = self.Z[layer][:, j]
        zn = z[None, :] + (delta[:, None] if col is None else delta[:, None] * col[None, :])
        return self.score_unit(layer, j, zn)

    def joint_applies(self, layer: int) -> bool:
        return self.joint_on and layer == self.L - 2 and self.table is not None

    def score_unit(
        self, layer: int, j: int, zn: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray | None]:
        """Score candidate pre-activation columns ``zn`` (n_cand, m) of hidden unit ``j``
        (see :meth:`evaluate`)."""
        hid, hid0 = self._hidden_slack(layer, j, zn)
        nc = zn.shape[0]
        if self.joint_applies(layer):
            errs, fidx = self._joint(layer, j, zn)
            return errs, np.zeros(nc), hid, hid0, fidx
        an = np.where(zn >= 0, 1, -1).astype(self.dt)
        ch = an != self.A[layer][:, j][None, :]
        rows = np.flatnonzero(ch.any(axis=0))
        if rows.size == 0:
            return (
                np.full(nc, self.err, dtype=np.int64),
                np.full(nc, self.slack),
                hid,
                hid0,
                None,
            )
        da = an[:, rows] - self.A[layer][rows, j][None, :]
        outs = self._downstream(layer, j, rows, da)
        e, s = self._score_rows(outs[-1], self.y[rows], self.sw[rows])
        errs = self.err - self.err_k[rows].sum() + e.sum(axis=1)
        slack = self.slack - self.slack_k[rows].sum() + s.sum(axis=1)
        return errs, slack, hid, hid0, None

    def _hidden_slack(self, layer: int, j: int, zn: np.ndarray) -> tuple[np.ndarray, float]:
        if layer != self.L - 2 or self.err == 0:
            return np.zeros(zn.shape[0]), 0.0
        wrong = np.flatnonzero(self.err_k)
        a = self.A[layer][wrong, j]
        dz = -2 * a[:, None] * self.W[-1][:, j][None, :]  # output change if unit j flips
        out = self.Z[-1][wrong]
        if self.binary:
            helps = np.where(self.y[wrong] == 1, dz[:, 0] > 0, dz[:, 0] < 0)
        else:
            _, s_new = self._score_rows(out + dz, self.y[wrong], self.sw[wrong])
            helps = s_new < self.slack_k[wrong]
        rows = wrong[helps]
        if rows.size == 0:
            return np.zeros(zn.shape[0]), 0.0
        w = self.sw[rows]
        pos = (self.A[layer][rows, j] > 0)[None, :]
        cur = self.Z[layer][rows, j][None, :]
        d0 = np.where(pos, cur + 1, -cur).clip(min=0)
        zr = zn[:, rows]
        d = np.where(pos, zr + 1, -zr).clip(min=0)
        return (d * w).sum(axis=1).astype(np.float64), float((d0 * w).sum())

    def _downstream(self, layer: int, j: int, rows: np.ndarray, da: np.ndarray) -> list:
        """Pre-activations of the layers above ``layer`` on ``rows`` after unit ``j`` of
        ``layer`` changes by ``da`` (shape (n_cand, n_rows)); one array per layer above."""
        w = self.W[layer + 1][:, j]
        z = self.Z[layer + 1][rows][None, :, :] + da[:, :, None] * w[None, None, :]
        outs = [z]
        for up in range(layer + 2, self.L):
            a = np.where(z >= 0, 1, -1).astype(self.dt)
            z = a @ self.W[up].T + self.B[up]
            outs.append(z)
        return outs

    def apply(self, layer: int, j: int, i: int, value: Any) -> None:
        """Set one parameter and update the caches (incrementally)."""
        n_in = self.sizes[layer]
        if i < n_in:
            delta = value - self.W[layer][j, i]
            self.W[layer][j, i] = value
            self.Z[layer][:, j] += delta * self.inp(layer)[:, i]
        else:
            delta = value - self.B[layer][j]
            self.B[layer][j] = value
            self.Z[layer][:, j] += delta
        self._refresh_from(layer, j)
        self.moves += 1

    def _refresh_from(self, layer: int, j: int) -> None:
        if layer < self.L - 1:
            an = np.where(self.Z[layer][:, j] >= 0, 1, -1).astype(self.dt)
            rows = np.flatnonzero(an != self.A[layer][:, j])
            if rows.size:
                da = an[rows] - self.A[layer][rows, j]
                self.A[layer][rows, j] = an[rows]
                self.Z[layer + 1][rows] += da[:, None] * self.W[layer + 1][:, j][None, :]
                for up in range(layer + 1, self.L - 1):
                    a_new = np.where(self.Z[up][rows] >= 0, 1, -1).astype(self.dt)
                    self.A[up][rows] = a_new
                    self.Z[up + 1][rows] = a_new @ self.W[up + 1].T + self.B[up + 1]
                e, s = self._score_rows(self.Z[-1][rows], self.y[rows], self.sw[rows])
                self.err_k[rows] = e
                self.slack_k[rows] = s
        else:
            self.err_k, self.slack_k = self._score_rows(self.Z[-1], self.y, self.sw)
        self.err = int(self.err_k.sum())
        self.slack = float(self.slack_k.sum())

    # ------------------------------------------------------------------ bookkeeping
    def net(self) -> ThresholdNet:
        W = [np.array(w) for w in self.W]
        B = [np.array(b) for b in self.B]
        if self.exact:
            W = [w.astype(np.int64) for w in W]
            B = [b.astype(np.int64) for b in B]
            q = self.p.bias_scale(0)
            if q != 1:
                assert np.all(B[0] % q == 0), "greedy: a first-layer bias left the domain"
                B[0] = B[0] // q
        return self.p.make_net(W, B, metadata={"trained_by": "greedy"})

    def snapshot(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return [w.copy() for w in self.W], [b.copy() for b in self.B]

    def report(self) -> None:
        if self.err < self.best_err:
            self.best_err = self.err
            self.ctx.incumbent(self.net(), source="greedy")

    # ------------------------------------------------------------------ joint output
    def _codes(self) -> np.ndarray:
        h = self.sizes[-2]
        return ((self.A[-1] > 0).astype(np.int64) << np.arange(h)).sum(axis=1)

    def _set_output(self, f: int) -> None:
        assert self.table is not None
        P = self.table[0]
        h = self.sizes[-2]
        if np.array_equal(P[f, :h], self.W[-1][0]) and P[f, h] == self.B[-1][0]:
            return
        self.W[-1][0] = P[f, :h]
        self.B[-1][0] = P[f, h]
        self.Z[-1] = self.A[-1] @ self.W[-1].T + self.B[-1]
        self._refresh_from(self.L - 1, 0)

    def _joint(self, layer: int, j: int, zn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Errors of candidate columns ``zn`` of last-hidden-layer unit ``j`` when the output
        unit is re-chosen for the new hidden codes among the functions best for the current
        codes; returns (errors, index of the chosen output function in the table)."""
        assert self.table is not None
        T = self.table[1]
        nb = 2 ** self.sizes[-2]
        nc = zn.shape[0]
        ch = (zn >= 0) != (self.A[layer][:, j] > 0)[None, :]
        code, base, top = self._code_state()
        cc, rows = np.nonzero(ch)
        pm = self._pm[rows]
        d = np.bincount(cc * nb + (code[rows] ^ (1 << j)), weights=pm, minlength=nc * nb)
        d -= np.bincount(cc * nb + code[rows], weights=pm, minlength=nc * nb)
        D = base[:, None] + d.reshape(nc, nb).T
        E = T[top] @ D + self._pos_total
        best = E.argmin(axis=0)
        errs = np.rint(E[best, np.arange(nc)]).astype(np.int64)
        return errs, top[best]

    def _code_state(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Current hidden codes, their (neg - pos) weight histogram and the indices of the
        output functions best for it (cached until the next move)."""
        if self._code_cache is not None and self._code_cache[0] == self.moves:
            return self._code_cache[1]
        assert self.table is not None
        T = self.table[1]
        h = self.sizes[-2]
        code = self._codes()
        base = np.bincount(code, weights=self._pm, minlength=2**h)
        E = T @ base
        k = min(len(E), int(self.opts["joint_top"]))
        top = np.argpartition(E, k - 1)[:k] if k < len(E) else np.arange(len(E))
        state = (code, base, top)
        self._code_cache = (self.moves, state)
        return state

    def _output_table(self) -> tuple[np.ndarray, np.ndarray] | None:
        if not self.binary or self.L < 2 or not self.exact:
            return None
        h = self.sizes[-2]
        wv, bv = self.wvals[-1], self.bvals[-1]
        # every domain has >= 2 weight values and 2 ** 19 > 300,000: no huge len(wv) ** h
        if h >= 19 or len(wv) ** h * len(bv) > 300_000:
            return None
        key = (h, tuple(int(v) for v in wv), tuple(int(v) for v in bv))
        if getattr(self, "_table_skipped", False):
            return None
        # built before any clock check (about 0.5 µs per function x hidden code: h = 5,
        # K = 3 takes 1.7 s): a short search goes without it rather than past its limit
        left = self.ctx.time_left()
        cost = TABLE_S_PER_CELL * len(wv) ** h * len(bv) * 2**h
        if left is not None and cost > TABLE_SHARE * left:
            self._table_skipped = True
            logger.info(
                "local search: no output-function table (about %.2g s to build, %.2g s left)",
                cost,
                left,
            )
            return None
        return output_functions(*key)

    # ------------------------------------------------------------------ phases
    def run(self) -> None:
        ctx = self.ctx
        self.table = self._output_table() if self.opts["joint"] else None
        self.joint_on = True
        self._code_cache: tuple[int, Any] | None = None
        self._pm = np.where(self.y == 1, -1.0, 1.0) * self.sw  # (neg - pos) contribution
        self._pos_total = float(self.sw[self.y == 1].sum())
        if ctx.options.warm_start is not None:
            ws = ctx.options.warm_start
            self.load(*self.to_internal(ws.weights, ws.biases))
            self.report()
        else:
            self.start()
        self.minimise_errors()
        if self.err == 0 and not ctx.stop_requested:
            rest = [c for c in self.p.objective if c != "errors"]
            if rest:
                self.secondary(rest[0])

    def start(self) -> None:
        """A fresh starting point (relaxation, random or zeros)."""
        self.starts += 1
        init = self.opts["init"]
        if init == "zeros" and self.starts == 1:
            self.load(*self._zero_params())
        elif init == "relax" and self._relax_fits():
            left = self.ctx.time_left()
            share = float(self.opts["relax_share"])
            budget = 10.0 if left is None else min(10.0, share * left)
            W, B = relaxed_start(
                self.p,
                self.rng,
                time_budget=budget,
                max_iter=int(self.opts["relax_iter"]),
                deadline=None if left is None else time.perf_counter() + START_SHARE * left,
            )
            self.load(*self.to_internal(W, B))
            self.refit_output()
        else:
            self.load(*self._random_params())
        self.report()

    def _relax_fits(self) -> bool:
        """Whether one Adam step of the relaxation start fits in its share of the time
        left (:data:`RELAX_S_PER_CELL`); logged when it does not."""
        left = self.ctx.time_left()
        if left is None:
            return True
        step = RELAX_S_PER_CELL * self.m * sum(self.sizes[1:])
        budget = min(10.0, float(self.opts["relax_share"]) * left)
        if step <= budget:
            return True
        logger.info(
            "local search: random start instead of the relaxation (one Adam step takes "
            "about %.2g s, %.2g s budgeted)",
            step,
            budget,
        )
        return False

    def _stop(self) -> bool:
        ctx = self.ctx
        if ctx.stop_requested:
            return True
        left = ctx.time_left()
        return left is not None and left < FINISH_EVALS * ctx.eval_seconds

    def minimise_errors(self) -> None:
        rng = self.rng
        side = float(self.opts["sideways"])
        max_stall = int(self.opts["max_stall"])
        restart = int(self.opts["restart"])
        home = self.snapshot()
        home_key = (self.err, self.slack)
        stall = run_stall = 0
        # without a time limit the run must still end on data it cannot fit: slack
        # improvements and compound moves do not count as stalls, so count sweeps that do
        # not lower the best error count too (MAX_IDLE_SWEEPS x max_stall of them)
        unlimited = self.ctx.options.time_limit is None
        if unlimited and max_stall == 0:
            max_stall = UNLIMITED_MAX_STALL
        idle, best_seen = 0, self.best_err
        while not self._stop() and self.err > 0:
            self.sweeps += 1
            if self.best_err < best_seen:
                idle, best_seen = 0, self.best_err
            else:
                idle += 1
            if unlimited and idle > MAX_IDLE_SWEEPS * max_stall:
                return
            improved = False
            for idx in rng.permutation(len(self.params)):
                layer, j, i = self.params[idx]
                cand, cur = self.candidates(layer, j, i)
                if cand.size == 0:
                    continue
                errs, slack, hid, hid0, joint = self.evaluate(layer, j, i, cand, cur)
                cur_slack = 0.0 if joint is not None else self.slack
                order = np.lexsort((hid, slack, errs))
                b = order[0]
                if (errs[b], slack[b], hid[b]) < (self.err, cur_slack, hid0 - 1e-9):
                    self.apply(layer, j, i, cand[b])
                    if joint is not None:
                        self._set_output(int(joint[b]))
                    improved = True
                    if self.err < home_key[0]:
                        run_stall = 0
                    if self.err < self.best_err:
                        self.report()
                        stall = 0
                        if self.err == 0:
                            return
                elif side > 0 and rng.random() < side:
                    eq = np.flatnonzero(errs == self.err)
                    if eq.size:
                        self.apply(layer, j, i, cand[rng.choice(eq)])
                if self._stop():
                    return
            if improved:
                continue
            # local optimum: exact output layer for the current hidden codes, compound
            # moves of one unit, then iterated local search from the best home
            if self.refit_output():
                continue
            if self.opts["compound"] and self.exact and self.compound():
                if self.err < self.best_err:
                    self.report()
                    stall = 0
                continue
            key = (self.err, self.slack)
            if key <= home_key:
                home, home_key = self.snapshot(), key
            elif rng.random() < 0.9:
                self.load(*home)
            stall += 1
            if max_stall and stall >= max_stall:
                return
            run_stall += 1
            if restart and run_stall >= restart:
                self.start()
                home, home_key = self.snapshot(), (self.err, self.slack)
                run_stall = 0
                continue
            self.perturb()

    def compound(self) -> bool:
        """Best improving move that changes several parameters of one hidden unit: every
        pair of its parameters moved by ±1, and the unit rescaled by a ratio in
        ``RESCALE``; True when one was applied."""
        best: tuple[Any, ...] | None = None
        for layer in range(self.L - 1):
            n_in = self.sizes[layer]
            wv, bv = self.wvals[layer], self.bvals[layer]
            A = self.inp(layer)
            for j in range(self.sizes[layer + 1]):
                cur = np.concatenate([self.W[layer][j], [self.B[layer][j]]])
                C = compound_candidates(cur, wv, bv, n_in, rng=self.rng)
                if len(C) == 0:
                    continue
                zn = (A @ C[:, :n_in].T + C[:, n_in]).T
                errs, slack, hid, hid0, joint = self.score_unit(layer, j, zn)
                cur_slack = 0.0 if joint is not None else self.slack
                b = int(np.lexsort((hid, slack, errs))[0])
                key = (errs[b], slack[b], hid[b])
                if key < (self.err, cur_slack, hid0 - 1e-9) and (best is None or key < best[0]):
                    f = None if joint is None else int(joint[b])
                    best = (key, layer, j, C[b], f)
                if self._stop():
                    return False
        if best is None:
            return False
        _, layer, j, vec, f = best
        n_in = self.sizes[layer]
        self.W[layer][j] = vec[:n_in]
        self.B[layer][j] = vec[n_in]
        self.Z[layer][:, j] = self.inp(layer) @ self.W[layer][j] + self.B[layer][j]
        self._refresh_from(layer, j)
        self.moves += 1
        if f is not None:
            self._set_output(f)
        return True

    def refit_output(self) -> bool:
        """Replace the output layer by the best one for the current hidden codes (binary
        output, small last hidden layer); True when the errors went down."""
        tab = self._output_table()
        if tab is None or self.L < 2:
            return False
        P, T = tab
        h = self.sizes[-2]
        a = self.X if self.L == 1 else self.A[-1]
        code = ((a > 0).astype(np.int64) << np.arange(h)).sum(axis=1)
        pos = np.bincount(code, weights=self.sw * (self.y == 1), minlength=2**h)
        neg = np.bincount(code, weights=self.sw * (self.y != 1), minlength=2**h)
        errs = T @ (neg - pos) + pos.sum()
        b = int(np.argmin(errs))
        if errs[b] >= self.err - 1e-9:
            return False
        W = [w.copy() for w in self.W]
        B = [b_.copy() for b_ in self.B]
        W[-1][0] = P[b, :h]
        B[-1][0] = P[b, h]
        self.load(W, B)
        self.moves += 1
        if self.err < self.best_err:
            self.report()
        return True

    def perturb(self) -> None:
        rng = self.rng
        self.kicks += 1
        W, B = self.snapshot()
        hidden_layers = [layer for layer in range(self.L - 1)]
        if hidden_layers and rng.random() < float(self.opts["unit_kick"]):
            layer = int(rng.choice(hidden_layers))
            j = int(rng.integers(self.sizes[layer + 1]))
            if layer == self.L - 2 and self.opts["unit_relax"]:
                # re-fit the unit through a relaxation with the rest of its layer frozen
                w, b = relax_unit(
                    self.p,
                    self.inp(layer),
                    self.A[layer],
                    j,
                    rng,
                    layer=layer,
                    deadline=self.ctx.deadline,
                )
                W[layer][j] = w
                B[layer][j] = b * self.p.bias_scale(layer)
            else:
                W[layer][j] = rng.choice(self.wvals[layer], size=self.sizes[layer])
                B[layer][j] = rng.choice(self.bvals[layer])
            self.load(W, B)
            self.refit_output()
            return
        else:
            for _ in range(max(1, int(self.opts["kick"]))):
                layer, j, i = self.params[int(rng.integers(len(self.params)))]
                if i < self.sizes[layer]:
                    W[layer][j, i] = rng.choice(self.wvals[layer])
                else:
                    B[layer][j] = rng.choice(self.bvals[layer])
        self.load(W, B)

    # ------------------------------------------------------------------ secondary criteria
    def secondary(self, criterion: str) -> None:
        """Optimise ``margin`` (maximise) or ``weights`` (minimise) keeping zero errors."""
        p = self.p
        rng = self.rng
        self.joint_on = False
        best_net = self.net()
        best_val = p.evaluate(best_net)[criterion]
        sign = -1.0 if criterion == "margin" else 1.0
        stall_sweeps = 0
        while not self._stop():
            self.sweeps += 1
            improved = False
            for idx in rng.permutation(len(self.params)):
                layer, j, i = self.params[idx]
                cand, cur = self.candidates(layer, j, i)
                if cand.size == 0:
                    continue
                errs = self.evaluate(layer, j, i, cand, cur)[0]
                ok = np.flatnonzero(errs == 0)
                if ok.size == 0:
                    continue
                vals = self._secondary_values(criterion, layer, j, i, cand[ok], cur)
                cur_val = self._secondary_current(criterion)
                b = int(np.argmin(sign * vals))
                if sign * vals[b] < sign * cur_val - 1e-9:
                    self.apply(layer, j, i, cand[ok][b])
                    improved = True
                elif rng.random() < float(self.opts["sideways"]):
                    eq = np.flatnonzero(np.abs(vals - cur_val) <= 1e-9)
                    if eq.size:
                        self.apply(layer, j, i, cand[ok][rng.choice(eq)])
                if self._stop():
                    break
            net = self.net()
            v = p.evaluate(net)[criterion]
            if sign * v < sign * best_val - 1e-9:
                best_val = v
                self.ctx.incumbent(net, source="greedy", message=f"{criterion} {v}")
                stall_sweeps = 0
            else:
                stall_sweeps += 1
            if not improved or (self.ctx.options.time_limit is None and stall_sweeps > 20):
                if self.ctx.options.time_limit is None:
                    return
                self.perturb_keep_zero()

    def _secondary_current(self, criterion: str) -> float:
        if criterion == "weights":
            return float(
                sum(
                    np.count_nonzero(w) + np.count_nonzero(b)
                    for w, b in zip(self.W, self.B, strict=True)
                )
            )
        return float(self._margin_total())

    def _secondary_values(
        self, criterion: str, layer: int, j: int, i: int, cand: np.ndarray, cur: Any
    ) -> np.ndarray:
        if criterion == "weights":
            base = self._secondary_current("weights")
            return base - (cur != 0) + (cand != 0)
        # margin: try each candidate (exact re-evaluation of the changed unit and the output)
        vals = np.empty(len(cand))
        for c, v in enumerate(cand):
            self.apply(layer, j, i, v)
            vals[c] = self._margin_total() if self.err == 0 else -np.inf
            self.apply(layer, j, i, cur)
            self.moves -= 2
        return vals

    def _margin_total(self) -> float:
        total = 0.0
        for layer in range(self.L - 1):
            z = self.Z[layer]
            eps = self.p.eps(layer)
            s = np.where(z >= 0, z, -eps - z)
            total += float(s.min(axis=0).sum()) if s.shape[0] else 0.0
        z = self.Z[-1]
        eps = self.p.eps(self.L - 1)
        if self.binary:
            s = np.where(self.y == 1, z[:, 0], -eps - z[:, 0])
        else:
            k = np.arange(self.m)
            zc = z[k, self.y]
            diff = zc[:, None] - z - eps * (np.arange(z.shape[1])[None, :] < self.y[:, None])
            diff = diff.astype(np.float64)
            diff[k, self.y] = np.inf
            s = diff.min(axis=1)
        total += float(s.min()) if s.size else 0.0
        return total

    def perturb_keep_zero(self) -> None:
        """Small random move that keeps zero errors (or none if none found)."""
        rng = self.rng
        for _ in range(20):
            layer, j, i = self.params[int(rng.integers(len(self.params)))]
            cand, cur = self.candidates(layer, j, i)
            if cand.size == 0:
                continue
            errs = self.evaluate(layer, j, i, cand, cur)[0]
            ok = np.flatnonzero(errs == 0)
            if ok.size:
                self.apply(layer, j, i, cand[rng.choice(ok)])
                return
