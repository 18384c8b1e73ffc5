"""The phases of one local search over :class:`~mixedopt.solvers.greedy.state.SearchState`:
starts, error descent, compound moves, output refits, perturbations and the secondary
criteria kept at zero errors."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from mixedopt.solvers.greedy.moves import compound_candidates
from mixedopt.solvers.greedy.relax import relax_unit, relaxed_start
from mixedopt.solvers.greedy.state import SearchState

logger = logging.getLogger("mixedopt.solvers.greedy")

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


class Search(SearchState):
    """One local search: :meth:`run` drives the phases over the state of :class:`SearchState`."""

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
                C = compound_candidates(cur, wv, bv, n_in)
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
