"""Local search over discrete weights: the ``greedy`` backend (no proof beyond zero errors).

An iterated coordinate descent over every weight and bias of a sign network (any depth,
binary or multi-class, binary / ternary / integer weights; ``real`` weights are searched on
a grid of 9 values in ``[-K, K]``):

* **one parameter at a time, every candidate value at once**: changing ``W[l][j, i]`` by
  ``delta`` moves one column of one layer's pre-activations by ``delta * a[:, i]``; the new
  activations of unit ``j`` are computed for all candidate values in one array, and only the
  examples where some candidate flips the unit are pushed through the rest of the network;
* moves are ranked by ``(weighted errors, slack)``, ``slack`` being the summed distance of the
  misclassified examples to the right side of the output threshold (a tie-breaker that gives
  the search a direction on error plateaus); a move is taken when it lowers that key, and
  with a small probability a sideways move of equal errors is taken;
* when a sweep over all parameters improves nothing, the search **perturbs**: it re-draws one
  hidden unit or a few random parameters, from the best net so far (iterated local search);
* after zero errors, a ``margin`` or ``weights`` criterion of the objective is optimised by
  the same moves restricted to those keeping zero errors.

Zero training errors is a proof of optimality for the ``errors`` objective: such a result
is ``OPTIMAL`` with bound 0; anything else is ``FEASIBLE`` without a bound.

Examples
--------
>>> import mixedopt as mo
>>> from mixedopt.problem import TrainingProblem
>>> from mixedopt.solvers.greedy import local_search
>>> X, y, _ = mo.datasets.planted(m=300, d=4, h=3, seed=1)
>>> p = TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=3)
>>> res = local_search(p, time_limit=20, seed=0)
>>> res.status.value, res.n_errors, res.bound
('optimal', 0, 0.0)
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from mixedopt._threads import one_blas_thread
from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problem import TrainingProblem
from mixedopt.result import ProgressCallback, SolveResult, Status
from mixedopt.solvers._relax import relax_unit, relaxed_start
from mixedopt.solvers.base import LIMIT, Backend, RawResult, SolveContext

__all__ = ["GreedyBackend", "local_search"]

logger = logging.getLogger(__name__)

#: native options of the local search and their defaults
DEFAULTS: dict[str, Any] = {
    "sideways": 0.05,  # probability of a sideways move of equal errors
    "kick": 3,  # parameters re-drawn by a small perturbation
    "unit_kick": 0.5,  # probability that a perturbation re-draws a whole hidden unit
    "max_stall": 0,  # stop after this many perturbations without progress (0: never)
    "init": "relax",  # "relax", "random" or "zeros" (ignored with a warm start)
    "relax_share": 0.2,  # share of the time left for one relaxation start (at most 10 s)
    "relax_iter": 1000,  # Adam steps of one relaxation start
    "restart": 8,  # new start after this many perturbations without progress (0: never)
    "real_grid": 9,  # grid size for real weights
    "joint": True,  # re-choose the output unit with each last-hidden-layer move
    "joint_top": 256,  # output functions considered by a joint move
    "unit_relax": True,  # a unit perturbation re-fits the unit through a relaxation
    "compound": True,  # at a local optimum, try pair and rescaling moves of one unit
}


def local_search(
    problem: TrainingProblem,
    *,
    time_limit: float | None = 10.0,
    seed: int = 0,
    warm_start: ThresholdNet | None = None,
    incumbent_callback: ProgressCallback | None = None,
    **native: Any,
) -> SolveResult:
    """Iterated coordinate-descent local search (see the module docstring).

    Parameters
    ----------
    problem : TrainingProblem
        Any depth, binary or multi-class, any objective.
    time_limit : float or None, default 10
        Seconds. ``None`` runs until zero errors (and then until the secondary criterion
        stalls), or until ``max_stall`` perturbations without progress when that is set.
    seed : int
        Seed of the random choices (same seed, same run on the same machine load).
    warm_start : ThresholdNet, optional
        Start from this net instead of a random one.
    incumbent_callback : callable(Progress), optional
        Called for every improving net (raise KeyboardInterrupt in it to stop).
    **native
        ``sideways``, ``kick``, ``unit_kick``, ``max_stall``, ``init`` (see ``DEFAULTS``).

    Returns
    -------
    SolveResult
        ``OPTIMAL`` with bound 0 when a zero-error net was found for the ``errors``
        objective, else ``FEASIBLE`` (``UNKNOWN`` only for an infeasible hard objective).

    Examples
    --------
    >>> import mixedopt as mo
    >>> from mixedopt.problem import TrainingProblem
    >>> X, y = mo.datasets.load("xor")
    >>> p = TrainingProblem.from_data(X, y, hidden=[2], weights="ternary")
    >>> local_search(p, time_limit=5, seed=0).n_errors
    0
    """
    return GreedyBackend().solve(
        problem,
        time_limit=time_limit,
        seed=seed,
        warm_start=warm_start,
        incumbent_callback=incumbent_callback,
        **native,
    )


class GreedyBackend(Backend):
    """Local search over discrete weights (registry name ``greedy``)."""

    name = "greedy"
    description = "local search over discrete weights (no proof beyond zero errors)"
    packages = ()
    extra = None
    # zero errors proves the errors objective; nothing else is ever claimed
    proves_optimality = True
    STATUS_MAP: ClassVar[dict[str, Status | str]] = {"zero": Status.OPTIMAL, "limit": LIMIT}

    def check_native(self, native: Mapping[str, Any]) -> None:
        bad = sorted(set(native) - set(DEFAULTS))
        if bad:
            raise ValidationError(
                f"unknown greedy option(s) {', '.join(bad)}; known: {', '.join(DEFAULTS)}."
            )
        if "init" in native and native["init"] not in ("relax", "random", "zeros"):
            raise ValidationError("greedy option init must be 'relax', 'random' or 'zeros'.")

    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        opts = {**DEFAULTS, **ctx.options.native}
        search = _Search(problem, ctx, opts)
        with one_blas_thread():
            search.run()
        info = {
            "sweeps": search.sweeps,
            "moves": search.moves,
            "perturbations": search.kicks,
            "starts": search.starts,
            "evaluations": search.evals,
        }
        best = ctx.best_net
        if best is not None and problem.objective == ("errors",) and problem.errors(best) == 0:
            return RawResult("zero", bound=0.0, info=info)
        bound = 0.0 if (best is not None and problem.errors(best) == 0) else None
        if problem.objective[0] != "errors":
            bound = None
        return RawResult("limit", bound=bound, optimal_all=False, info=info)


# --------------------------------------------------------------------------- search
class _Search:
    """State of one local search: parameters, cached pre-activations and scores."""

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
            self.wvals.append(self._domain_values(layer).astype(dt))
            lo, hi = problem.bias_bounds(layer)
            if problem.weights == "real":
                bv = self._domain_values(layer)
                bv = bv[(bv >= lo) & (bv <= hi)]
            else:
                bv = np.arange(int(lo), int(hi) + 1)
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
    def _domain_values(self, layer: int) -> np.ndarray:
        p = self.p
        if p.weights == "binary":
            return np.array([-1, 1])
        if p.weights == "ternary":
            return np.array([-1, 0, 1])
        if p.weights == "integer":
            K = int(p.weight_bound)
            return np.arange(-K, K + 1)
        g = int(self.opts["real_grid"])
        return np.linspace(-p.weight_bound, p.weight_bound, max(3, g))

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
        return self.p.make_net(W, B, metadata={"trained_by": "greedy"})

    def snapshot(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return [w.copy() for w in self.W], [b.copy() for b in self.B]

    def report(self) -> None:
        if self.err < self.best_err:
            self.best_err = self.err
            self.ctx.incumbent(self.net(), source="greedy")

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
            self.load(ws.weights, ws.biases)
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
        elif init == "relax":
            left = self.ctx.time_left()
            share = float(self.opts["relax_share"])
            budget = 10.0 if left is None else min(10.0, share * left)
            W, B = relaxed_start(
                self.p, self.rng, time_budget=budget, max_iter=int(self.opts["relax_iter"])
            )
            self.load(W, B)
            self.refit_output()
        else:
            self.load(*self._random_params())
        self.report()

    def _stop(self) -> bool:
        return self.ctx.stop_requested

    def minimise_errors(self) -> None:
        rng = self.rng
        side = float(self.opts["sideways"])
        max_stall = int(self.opts["max_stall"])
        restart = int(self.opts["restart"])
        home = self.snapshot()
        home_key = (self.err, self.slack)
        stall = run_stall = 0
        while not self._stop() and self.err > 0:
            self.sweeps += 1
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
                C = _compound_candidates(cur, wv, bv, n_in)
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
        if len(wv) ** h * len(bv) > 300_000:
            return None
        return _output_functions(h, tuple(int(v) for v in wv), tuple(int(v) for v in bv))

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
                w, b = relax_unit(self.p, self.inp(layer), self.A[layer], j, rng, layer=layer)
                W[layer][j] = w
                B[layer][j] = b
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


#: ratios tried by the rescaling compound move
RESCALE = (1 / 3, 1 / 2, 2 / 3, 3 / 4, 4 / 3, 3 / 2, 2.0, 3.0)


def _compound_candidates(cur: np.ndarray, wv: np.ndarray, bv: np.ndarray, n_in: int) -> np.ndarray:
    """Unit vectors (w, b) one compound move away from ``cur`` (rows, deduplicated)."""
    n = n_in + 1
    lo = np.r_[np.full(n_in, wv.min()), bv.min()]
    hi = np.r_[np.full(n_in, wv.max()), bv.max()]
    rows = []
    ii, jj = np.triu_indices(n, k=1)
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
    C = C[ok & np.any(C != cur, axis=1)]
    if len(C) == 0:
        return C
    return np.unique(C, axis=0)


@functools.lru_cache(maxsize=16)
def _output_functions(
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
