"""Parallel exact search: the dichotomy search split into parts run on an executor.

``train_exact(..., n_jobs=N, executor="ray")`` runs the exact phase of the engine, when it is
the dichotomy search (:mod:`mixedopt.solvers.dichotomy`), as independent **parts** on
``N`` workers (:mod:`mixedopt.solvers.dichotomy.parts`):

* **What a part is.** The search enumerates, per canonical output function ``f``, the
  dichotomies of ``f``'s positions in index order. A part fixes the dichotomies of the
  first positions and ranges over an interval of the next; a function starts as one part
  and is split on demand: an interval is halved, an interval of one dichotomy ``u`` becomes
  the part with ``u`` fixed. Parts cover disjoint sets of nets, so they can run anywhere.
* **The plan.** As in the sequential search: the functions in branching order (fixed once,
  here, so that every part of a function uses the same order); a warm-up pass looking only
  for nets with at most a quarter of the incumbent's errors, then the main pass; the
  majority pair graph built once, in row pieces on the workers, and shared (filtered for
  the warm-up pass).
* **Sharing.** One shared incumbent (:meth:`mixedopt.executors.Executor.incumbent`: a Ray
  actor) holds the best error count and its net: a net found by one worker lowers the
  threshold of every other within :data:`~mixedopt.solvers.dichotomy.parts.POLL_S`. When a
  worker is idle and nothing is queued, the shared incumbent asks a running part to stop
  at its next candidate and hand back the rest of its work (its remainder), which is split.
* **Soundness.** A part reports the interval it settled with ``lb = tau + 1`` (``tau`` its
  threshold at the end, which only decreased, so every cut it made holds at ``tau``), and
  the parts still to do. A pass of a function is complete when none of its parts is
  left; the bound of a function is the least ``lb`` of a complete pass (0 otherwise), and
  the run's bound is the least over functions and the incumbent. ``OPTIMAL`` needs that
  bound to meet the verified best net. A part lost with its worker
  (:class:`~mixedopt.executors.WorkerLost`) is run again once (:data:`MAX_RETRIES`); lost
  again, its pass stays incomplete and the status is at most ``FEASIBLE`` with the bound
  that is still proven. Every net is verified with the true forward pass, here.
* **The local search beside it** (``method="auto"``, :func:`overlapped_phases`): the
  engine's heuristic phase runs on one worker, sharing each improvement's error count,
  while the search is built here; the other workers start once it has run
  :data:`OVERLAP_WAIT_SHARE` of its budget.
* **Limits.** Each part gets the time the run has left; at the limit (or Ctrl-C) the
  shared incumbent's stop flag ends every part at its next check, the driver waits
  :data:`STOP_GRACE_S` for their reports, then cancels what is left.

With one job (the default) none of this runs and Ray is never imported.

Examples
--------
>>> import mixedopt as mo
>>> from mixedopt.executors import SerialExecutor
>>> from mixedopt.exact.parallel import ParallelDichotomy
>>> from mixedopt.problems.training import TrainingProblem
>>> X, y, _ = mo.datasets.planted(m=80, d=2, h=3, noise=0.1, seed=1)
>>> p = TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=2)
>>> res = ParallelDichotomy(SerialExecutor()).solve(p, time_limit=30)
>>> res.status.value, res.objective == res.bound, res.info["parallel"]["workers"]
('optimal', True, 1)
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.exact.phases import Forwarder, merge, phase_budget, run_exact, run_heuristic
from mixedopt.executors import (
    Executor,
    WorkerLost,
    check_available,
    check_n_jobs,
    get_executor,
    resolve_executor,
)
from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Progress, SolveResult
from mixedopt.solvers.base import NativeLog, RawResult, SolveContext, SolveOptions
from mixedopt.solvers.dichotomy import DEFAULTS, DichotomyBackend
from mixedopt.solvers.dichotomy.functions import CanonicalFunction, is_majority
from mixedopt.solvers.dichotomy.parts import (
    GraphRows,
    Part,
    PartResult,
    graph_piece,
    run_part,
)
from mixedopt.solvers.dichotomy.search import (
    DichotomySearch,
    PairGraph,
    assemble_graph,
    filter_graph,
)
from mixedopt.threads import one_blas_thread

__all__ = [
    "MAX_RETRIES",
    "OVERLAP_WAIT_SHARE",
    "PARALLEL_METHODS",
    "STOP_GRACE_S",
    "GraphPiece",
    "HeuristicRun",
    "Parallel",
    "ParallelDichotomy",
    "exact_phase",
    "heuristic_task",
    "overlapped_phases",
    "parallel_settings",
    "run_exact_parallel",
]

logger = logging.getLogger("mixedopt.exact.parallel")

#: the exact methods that run in parallel (the others run in this process)
PARALLEL_METHODS = ("dichotomy",)
#: a part lost with its worker is run again this many times; then its pass is given up
MAX_RETRIES = 1
#: after the time limit, Ctrl-C or the proof, running parts get this long to report
STOP_GRACE_S = 1.0
#: the majority pair graph is built in this many pieces per worker
GRAPH_PIECES_PER_WORKER = 2
#: an idle worker's request for work is renewed after this many seconds without an answer
REWANT_S = 1.0
#: with several workers, this many ready parts are kept queued beyond the free workers
#: (split from the queue, or asked back from a running part), so that a worker that
#: finishes takes the next part at once instead of waiting for one to be handed back
SPARE_PARTS = 1
#: with the local search on a worker (``method="auto"``), the search is planned once the
#: local search has run this share of its budget: by then it has usually found its best
#: net, so the threshold is tight from the start (planted d = 4, m = 800, data seeds 0-3:
#: the last improvement came at 1.4, 1.4, 5.6 and 0.8 s of the 8 s budget; a later one
#: still reaches every part through the shared incumbent)
OVERLAP_WAIT_SHARE = 0.25


@dataclass(frozen=True)
class GraphPiece:
    """Rows of the majority pair graph, computed by one call (:func:`graph_piece`)."""

    rows: np.ndarray = field(compare=False)
    tau: float
    attempt: int = 0

    def retry(self) -> GraphPiece:
        return GraphPiece(self.rows, self.tau, self.attempt + 1)


@dataclass(frozen=True)
class HeuristicRun:
    """The engine's local search run on a worker (:func:`heuristic_task`)."""

    budget: float


def heuristic_task(
    problem: TrainingProblem,
    budget: float,
    seed: int,
    warm_start: ThresholdNet | None,
    board: Any,
) -> SolveResult | None:
    """The engine's heuristic phase (:func:`~mixedopt.exact.phases.run_heuristic`, its
    stall rule included) on a worker, offering the error count of every improvement to
    ``board`` as it is found (the net comes back with the result)."""

    def share(ev: Progress) -> None:
        if ev.objective is not None and ev.message != "bound":
            try:
                board.offer(float(ev.objective))
            except Exception:  # the board is gone: the result still comes back
                logger.debug("heuristic: could not share an incumbent", exc_info=True)

    options = SolveOptions(seed=seed, warm_start=warm_start, incumbent_callback=share)
    ctx = SolveContext(problem, options, source="heuristic")
    with one_blas_thread():
        return run_heuristic(problem, ctx, budget)


@dataclass
class _Pass:
    """One pass (warm-up or main) of one function: parts left, least bound settled."""

    left: int = 0
    lb: float = math.inf
    broken: bool = False

    def bound(self) -> float:
        return self.lb if self.left == 0 and not self.broken else 0.0


class ParallelDichotomy(DichotomyBackend):
    """The dichotomy search run as parts on an executor (see the module docstring).

    Parameters
    ----------
    executor : Executor
        Where the parts run (not closed here).
    task, graph_task : callable, optional
        The functions run per part and per graph piece (default
        :func:`~mixedopt.solvers.dichotomy.parts.run_part` and
        :func:`~mixedopt.solvers.dichotomy.parts.graph_piece`); a wrapper may inject
        faults in tests.
    min_parts : int, default 0
        Split each function's main pass into at least this many parts before starting
        (breadth first), instead of only on demand: to measure the sizes of small parts
        (``scripts/bench_scaling.py``) and to exercise the split in tests.
    slice_s : float, optional
        Every part hands back the rest of its work after this many seconds (then split
        like any remainder): parts of about this size, for measuring their sizes.
    heuristic : (budget, seed), optional
        First run the engine's local search (its heuristic phase) for ``budget`` seconds
        on one worker, sharing each improvement's error count, while this process builds
        the search and the other workers start on it once the local search has run
        :data:`OVERLAP_WAIT_SHARE` of its budget (``method="auto"`` with ``n_jobs > 1``).
    """

    def __init__(
        self,
        executor: Executor,
        *,
        task: Callable[..., PartResult] = run_part,
        graph_task: Callable[..., Any] = graph_piece,
        min_parts: int = 0,
        slice_s: float | None = None,
        heuristic: tuple[float, int] | None = None,
    ) -> None:
        self.executor = executor
        self.heuristic = heuristic
        #: the local search's result when ``heuristic`` ran it (else None)
        self.heuristic_result: SolveResult | None = None
        self.task = task
        self.graph_task = graph_task
        self.min_parts = int(min_parts)
        self.slice_s = slice_s
        #: the calls of the last solve (see ``_Run.log``)
        self.log: list[dict[str, Any]] = []

    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        t0 = time.perf_counter()
        opts = {**DEFAULTS, **ctx.options.native}
        reason = self.unsupported_reason(problem)
        if reason is not None:
            raise ValidationError(reason + ".")
        run = _Run(problem, ctx, opts, self)
        self.log = run.log
        with one_blas_thread():
            run.execute(t0)
        self.heuristic_result = run.heuristic_result
        search = run.search
        bound = run.bound()
        info: dict[str, Any] = {"parallel": run.stats()}
        if search is not None:
            info.update(
                dichotomies=len(search.uc),
                units=search.uc.n_units,
                functions=len(search.functions),
            )
        if ctx.best_net is not None and ctx.best_key is not None and bound >= ctx.best_key[0]:
            return RawResult("optimal", bound=float(ctx.best_key[0]), info=info)
        return RawResult("limit", bound=bound if bound > 0 else None, info=info)


class _Run:
    """The driver of one parallel search: plan, dispatch, collect, bound."""

    def __init__(
        self,
        problem: TrainingProblem,
        ctx: SolveContext,
        opts: dict[str, Any],
        backend: ParallelDichotomy,
    ) -> None:
        self.problem, self.ctx, self.opts = problem, ctx, opts
        self.search: DichotomySearch | None = None
        self.heuristic = backend.heuristic
        self.heuristic_result: SolveResult | None = None
        self.heuristic_state: str | None = None if backend.heuristic is None else "running"
        self.t_heuristic = 0.0
        self.ex = backend.executor
        self.task, self.graph_task = backend.task, backend.graph_task
        self.min_parts = backend.min_parts
        self.slice_s = backend.slice_s
        self.n = 0
        #: one record per finished call, in the order collected: for the scaling
        #: projection of ``scripts/bench_scaling.py``
        self.log: list[dict[str, Any]] = []
        self.queue: deque[Part | GraphPiece] = deque()
        self.running: dict[Any, Part | GraphPiece | HeuristicRun] = {}
        self.passes: dict[tuple[int, bool], _Pass] = {}
        self.functions: list[CanonicalFunction] = []
        self.cap = math.inf
        self.graph_pieces: list[GraphRows] = []
        self.graph_left = 0
        self.graph_state = "none"  # none | building | ready | failed
        self.graph_refs: dict[bool, Any] = {}
        self.board: Any = None
        self.wanted = 0
        self.t_want = 0.0
        self.counts = {
            "parts": 0,
            "yields": 0,
            "splits": 0,
            "lost": 0,
            "retried": 0,
            "given_up": 0,
            "graph_pieces": 0,
            "pruned": 0,
        }
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.t_setup = self.t_assemble = 0.0
        self.n_edges = 0
        self.t_graph = 0.0

    # ------------------------------------------------------------------ plan
    def plan(self) -> None:
        s = self.search
        assert s is not None
        self.n = s.n
        self.functions = [s.branch_order(f) for f in s.functions]
        frac = float(self.opts["warmup"])
        if 0 < frac < 1 and math.isfinite(s.best) and s.best >= 4:
            self.cap = math.floor(frac * s.best)
        parts = []
        for warm in (True, False) if math.isfinite(self.cap) else (False,):
            for fi, f in enumerate(self.functions):
                self.passes[(fi, warm)] = _Pass(left=1)
                parts.append(Part(fi, f, cap=self.cap if warm else math.inf))
        # majority last: it is most of the work and waits for the pair graph anyway, and
        # the other functions' parts may find a better incumbent first, which prunes it
        # (bench_scaling's cell, data seed 10: the optimum came from x1 or (x2 and x3),
        # which one process searches after majority)
        parts.sort(key=lambda p: is_majority(p.f))
        self.queue.extend(parts)
        if self.min_parts > 1:
            self.split_all(self.min_parts)
        if any(is_majority(f) for f in self.functions):
            rows = s.graph_rows()
            if rows is not None:
                tau = s.tau()
                k = max(1, GRAPH_PIECES_PER_WORKER * self.ex.n_workers)
                # pieces of about equal work: a row u costs its n - u columns
                cost = np.cumsum(self.n - rows.astype(np.float64))
                cuts = np.searchsorted(cost, cost[-1] * np.arange(1, k) / k) if len(rows) else []
                for piece in np.split(rows, np.unique(cuts)):
                    if len(piece):
                        self.queue.appendleft(GraphPiece(piece, tau))
                        self.graph_left += 1
                self.graph_state = "building" if self.graph_left else "none"
                self.t_graph = time.perf_counter()

    def split_all(self, k: int) -> None:
        """Split every main-pass part, round by round, until each function has at least
        ``k`` parts or none can be split."""
        while True:
            out: deque[Part | GraphPiece] = deque()
            changed = False
            for item in self.queue:
                if (
                    isinstance(item, Part)
                    and not math.isfinite(item.cap)
                    and self.passes[(item.fi, False)].left < k
                    and item.splittable(self.n)
                ):
                    pieces = item.split(self.n)
                    self.passes[(item.fi, False)].left += len(pieces) - 1
                    self.counts["splits"] += 1
                    out.extend(pieces)
                    changed = changed or len(pieces) > 1
                else:
                    out.append(item)
            self.queue = out
            if not changed:
                return

    # ------------------------------------------------------------------ run
    def execute(self, t0: float) -> None:
        ctx = self.ctx
        try:
            self.problem_ref = self.ex.put(self.problem)
            self.board = self.ex.incumbent(self.best(), ctx.best_net)
            if self.heuristic is not None:
                self.start_heuristic()
            search = DichotomySearch(self.problem, ctx, self.opts)  # while it runs
            self.search = search
            cells = len(search.uc) * self.problem.n_samples
            if cells > float(self.opts["max_cells"]):
                raise ValidationError(
                    f"the dichotomy search needs {len(search.uc):,} x "
                    f"{self.problem.n_samples} cells (more than "
                    f"max_cells={self.opts['max_cells']:.3g})."
                )
            if ctx.best_net is not None:
                search.offer_net(ctx.best_net)
            if self.heuristic is not None:
                self.await_heuristic()
                got = self._board("poll")
                if got is not None:
                    search.best = min(search.best, float(got[0]))
            self.plan()
            self.state_ref = self.ex.put(search.state)
            self.t_setup = time.perf_counter() - t0
            while not ctx.stop_requested and not self.proven():
                self.dispatch()
                if not self.running:
                    break  # nothing left to run
                left = ctx.time_left()
                timeout = 0.5 if left is None else min(0.5, left)
                done, _ = self.ex.wait_any(list(self.running), timeout=timeout)
                for fut in done:
                    self.collect(fut)
        except KeyboardInterrupt:
            logger.info("parallel dichotomy: interrupted, collecting the parts")
            ctx.interrupted = True
        finally:
            self.finish()

    # ------------------------------------------------------------------ heuristic
    def start_heuristic(self) -> None:
        assert self.heuristic is not None
        budget, seed = self.heuristic
        self.t_heuristic = time.perf_counter()
        fut = self.ex.submit(
            heuristic_task, self.problem_ref, budget, seed, self.ctx.options.warm_start, self.board
        )
        self.running[fut] = HeuristicRun(budget)

    def await_heuristic(self) -> None:
        """Wait until the local search is done, or has run :data:`OVERLAP_WAIT_SHARE` of
        its budget and shared an incumbent (the threshold the plan starts from)."""
        assert self.heuristic is not None
        wait = OVERLAP_WAIT_SHARE * self.heuristic[0]
        while not self.ctx.stop_requested:
            futs = [f for f, it in self.running.items() if isinstance(it, HeuristicRun)]
            if not futs:
                return
            elapsed = time.perf_counter() - self.t_heuristic
            if elapsed >= wait:
                got = self._board("poll")
                if got is None or math.isfinite(got[0]):
                    return
            left = self.ctx.time_left()
            timeout = max(0.02, min(0.1, wait - elapsed if elapsed < wait else 0.1))
            if left is not None:
                timeout = min(timeout, left)
            done, _ = self.ex.wait_any(futs, timeout=timeout)
            for fut in done:
                self.collect(fut)

    def heuristic_done(self, res: SolveResult | None) -> None:
        self.heuristic_result = res
        self.heuristic_state = "done" if res is not None else "lost or not run"
        self.t_heuristic = time.perf_counter() - self.t_heuristic
        if res is not None and res.net is not None:
            self.ctx.incumbent(res.net, source="heuristic")

    def best(self) -> float:
        ctx = self.ctx
        return float(ctx.best_key[0]) if ctx.best_net is not None and ctx.best_key else math.inf

    def ready(self, item: Part | GraphPiece) -> bool:
        if isinstance(item, GraphPiece):
            return True
        return not (is_majority(item.f) and self.graph_state == "building")

    def dispatch(self) -> None:
        free = self.ex.n_workers - len(self.running)
        self.drop_pruned()
        spare = SPARE_PARTS if self.ex.n_workers > 1 else 0
        if free > 0 and spare:
            self.split_for(free + spare)
        while free > 0:
            item = next((it for it in self.queue if self.ready(it)), None)
            if item is None:
                break
            self.queue.remove(item)
            self.submit(item)
            free -= 1
        ready_left = sum(1 for it in self.queue if self.ready(it))
        wanted = max(0, free + spare - ready_left) if self.running and spare else 0
        now = time.perf_counter()
        # a request a part claimed but could not honour (it ended first) is renewed
        if wanted != self.wanted or (wanted and now - self.t_want > REWANT_S):
            self.wanted, self.t_want = wanted, now
            self._board("want", wanted)

    def drop_pruned(self) -> None:
        """Parts of a function already proven unable to beat the incumbent are settled
        without running (as the sequential search skips such a function)."""
        best = self.best()
        keep: deque[Part | GraphPiece] = deque()
        for item in self.queue:
            if isinstance(item, Part):
                fb = self.function_bound(item.fi)
                if fb >= best:
                    ps = self.passes[(item.fi, math.isfinite(item.cap))]
                    ps.left -= 1
                    ps.lb = min(ps.lb, fb)
                    self.counts["pruned"] += 1
                    continue
            keep.append(item)
        self.queue = keep

    def split_for(self, target: int) -> None:
        """Split ready parts until ``target`` are queued (every free worker gets one, and
        :data:`SPARE_PARTS` wait for the next worker to finish): the shallowest part
        first, of those the one with the smallest dichotomies (the most candidates below
        them, so most of the work)."""
        while True:
            ready = [it for it in self.queue if self.ready(it)]
            if len(ready) >= target:
                return
            parts = [it for it in ready if isinstance(it, Part) and it.splittable(self.n)]
            if not parts:
                return
            part = min(parts, key=lambda p: (p.level, p.lo))
            pieces = part.split(self.n)
            i = self.queue.index(part)
            del self.queue[i]
            for p in reversed(pieces):
                self.queue.insert(i, p)
            self.passes[(part.fi, math.isfinite(part.cap))].left += len(pieces) - 1
            self.counts["splits"] += 1

    def submit(self, item: Part | GraphPiece) -> None:
        left = self.ctx.time_left()
        if isinstance(item, GraphPiece):
            fut = self.ex.submit(
                self.graph_task,
                self.problem_ref,
                self.state_ref,
                item.rows,
                item.tau,
                self.board,
                left,
                self.opts,
            )
        else:
            graph: Any = None
            if is_majority(item.f):
                warm = math.isfinite(item.cap)
                if self.graph_state == "ready":
                    graph = self.graph_refs[warm]
                elif self.graph_state == "failed":
                    graph = True  # build it in the part (slower, as sound)
            extra = {} if self.slice_s is None else {"slice_s": self.slice_s}
            fut = self.ex.submit(
                self.task,
                self.problem_ref,
                self.state_ref,
                item,
                self.board,
                left,
                self.opts,
                graph,
                **extra,
            )
            self.counts["parts"] += 1
        self.running[fut] = item

    # ------------------------------------------------------------------ results
    def collect(self, fut: Any) -> None:
        item = self.running.pop(fut)
        if isinstance(item, HeuristicRun):
            try:
                hres = self.ex.result(fut)
            except WorkerLost as exc:  # the search goes on with what it has
                self.counts["lost"] += 1
                logger.warning("parallel dichotomy: the local search was lost: %s", exc)
                hres = None
            self.heuristic_done(hres)
            return
        try:
            res = self.ex.result(fut)
        except WorkerLost as exc:
            self.counts["lost"] += 1
            if item.attempt < MAX_RETRIES:
                logger.warning("parallel dichotomy: %s; running its part again", exc)
                self.counts["retried"] += 1
                self.queue.appendleft(item.retry())
            else:
                logger.warning(
                    "parallel dichotomy: %s again; giving the part up (no proof for it)", exc
                )
                self.counts["given_up"] += 1
                self.give_up(item)
            return
        if isinstance(item, GraphPiece):
            self.graph_done(item, res)
        else:
            self.part_done(res)

    def give_up(self, item: Part | GraphPiece) -> None:
        if isinstance(item, GraphPiece):
            self.graph_done(item, None)
            return
        ps = self.passes[(item.fi, math.isfinite(item.cap))]
        ps.left -= 1
        ps.broken = True

    def graph_done(self, item: GraphPiece, res: Any) -> None:
        self.counts["graph_pieces"] += 1
        self.graph_left -= 1
        if self.graph_state != "building":
            return
        if res is None:
            self.graph_state = "failed"
            self.graph_pieces = []
            return
        self.graph_pieces.append(res)
        self.cpu["graph"] = self.cpu.get("graph", 0.0) + res.cpu
        self.log.append(
            {
                "kind": "graph",
                "cpu": round(res.cpu, 4),
                "seconds": round(res.seconds, 4),
                "t": round(self.ctx.elapsed(), 3),
                "rows": len(res.rows),
            }
        )
        if self.graph_left == 0:
            pieces = sorted(self.graph_pieces, key=lambda p: int(p.rows[0]))
            t_asm = time.perf_counter()
            graph: PairGraph = assemble_graph(self.n, [p.edges() for p in pieces])
            self.graph_pieces = []
            self.graph_refs[False] = self.ex.put(graph)
            if math.isfinite(self.cap):
                self.graph_refs[True] = self.ex.put(filter_graph(graph, self.cap))
            self.graph_state = "ready"
            self.t_assemble = time.perf_counter() - t_asm
            self.n_edges = len(graph[1])
            self.t_graph = time.perf_counter() - self.t_graph
            logger.debug(
                "parallel dichotomy: pair graph of %d edges in %.2f s", len(graph[1]), self.t_graph
            )

    def part_done(self, res: PartResult) -> None:
        part = res.part
        name = part.f.name()
        self.seconds[name] = self.seconds.get(name, 0.0) + res.seconds
        self.cpu[name] = self.cpu.get(name, 0.0) + res.cpu
        self.log.append(
            {
                "kind": "part",
                "function": name,
                "majority": is_majority(part.f),
                "warm": math.isfinite(part.cap),
                "level": part.level,
                "cpu": round(res.cpu, 4),
                "seconds": round(res.seconds, 4),
                "t": round(self.ctx.elapsed(), 3),
                "done": res.done,
                "yielded": res.yielded,
                "claimed_s": None if res.claimed_s is None else round(res.claimed_s, 3),
            }
        )
        if res.net is not None:
            self.ctx.incumbent(res.net, source="dichotomy", message=name)
        ps = self.passes[(part.fi, math.isfinite(part.cap))]
        ps.left -= 1
        if res.settled:
            ps.lb = min(ps.lb, res.lb)
        for r in reversed(res.remainder):
            ps.left += 1
            self.queue.appendleft(r)
        if res.yielded:
            self.counts["yields"] += 1
        b = self.bound()
        if b > 0:
            self.ctx.bound(b, source="dichotomy")

    # ------------------------------------------------------------------ bounds
    def function_bound(self, fi: int) -> float:
        """Least errors of any net of function ``fi`` that is proven (0: nothing yet)."""
        return max(
            (ps.bound() for (i, _), ps in self.passes.items() if i == fi),
            default=0.0,
        )

    def bound(self) -> float:
        """Proven lower bound on the errors of every net (at most the incumbent's)."""
        if not self.functions:  # not planned yet (stopped while building the search)
            return 0.0
        lbs = [self.function_bound(fi) for fi in range(len(self.functions))]
        return float(min([*lbs, self.best()]))

    def proven(self) -> bool:
        best = self.best()
        return math.isfinite(best) and self.bound() >= best

    # ------------------------------------------------------------------ end
    def _board(self, method: str, *args: Any) -> Any:
        if self.board is None:
            return None
        try:
            return getattr(self.board, method)(*args)
        except Exception:
            logger.warning("parallel dichotomy: the shared incumbent is gone", exc_info=True)
            self.board = None
            return None

    def finish(self) -> None:
        """Stop every part, collect what they report within :data:`STOP_GRACE_S`, cancel
        the rest, and take the shared incumbent's net (a part may have shared it and
        died)."""
        self._board("stop")
        end = time.perf_counter() + STOP_GRACE_S
        try:
            while self.running and time.perf_counter() < end:
                done, _ = self.ex.wait_any(
                    list(self.running), timeout=max(0.0, end - time.perf_counter())
                )
                for fut in done:
                    self.collect(fut)
        except KeyboardInterrupt:
            self.ctx.interrupted = True
        for fut, item in list(self.running.items()):
            if isinstance(item, HeuristicRun):
                self.heuristic_state = "cancelled: the search ended first"
            self.ex.cancel(fut)
        self.running.clear()
        got = self._board("get")
        if got is not None and got[1] is not None and isinstance(got[1], ThresholdNet):
            self.ctx.incumbent(got[1], source="dichotomy", message="shared", emit=True)
        b = self.bound()
        if b > 0:
            self.ctx.bound(b, source="dichotomy")

    def stats(self) -> dict[str, Any]:
        names = [f.name() for f in self.functions]
        return {
            "executor": self.ex.name,
            "workers": self.ex.n_workers,
            **self.counts,
            "heuristic": self.heuristic_state,
            "setup_seconds": round(self.t_setup, 3),
            "graph_seconds": round(self.t_graph, 3) if self.graph_state == "ready" else None,
            "graph_edges": self.n_edges,
            "graph_assembly_seconds": round(self.t_assemble, 3),
            "part_seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "part_cpu": {k: round(v, 3) for k, v in self.cpu.items()},
            "cpu": round(sum(self.cpu.values()), 3),
            "bounds": {n: self.function_bound(fi) for fi, n in enumerate(names)},
        }


def run_exact_parallel(
    problem: TrainingProblem,
    ctx: SolveContext,
    method: str,
    hint: ThresholdNet | None,
    native: dict[str, Any],
    executor: Executor,
) -> SolveResult | None:
    """The engine's exact phase for ``method`` (one of :data:`PARALLEL_METHODS`) on
    ``executor``, hinted with ``hint``, with the time the run has left; the parallel twin
    of :func:`mixedopt.exact.phases.run_exact`. None (skipped, logged) when too little time
    is left."""
    if method not in PARALLEL_METHODS:
        raise ValidationError(
            f"method={method!r} has no parallel search; parallel: {', '.join(PARALLEL_METHODS)}."
        )
    run, left = phase_budget(ctx, f"exact ({method}, parallel)")
    if not run:
        return None
    fwd = Forwarder(ctx, method)
    cb = ctx.options.log_callback
    res = ParallelDichotomy(executor).solve(
        problem,
        time_limit=left,
        seed=ctx.seed,
        threads=ctx.threads,
        warm_start=hint,
        log_callback=None if cb is None else NativeLog(cb),
        incumbent_callback=fwd,
        method=method,
        **native,
    )
    merge(ctx, res, fwd)
    return res


# --------------------------------------------------------------------------- engine hook
@dataclass
class Parallel:
    """How :func:`~mixedopt.exact.engine.train_exact` runs its exact phase in parallel
    (:func:`parallel_settings`); ``note`` records what happened, for ``info["parallel"]``."""

    executor: Executor | str
    n_jobs: int
    address: str | None = None
    note: str | None = None

    def open(self) -> tuple[Executor, bool]:
        """The executor, and whether it was made here (then the caller closes it)."""
        if isinstance(self.executor, Executor):
            return self.executor, False
        return get_executor(self.executor, n_jobs=self.n_jobs, address=self.address), True


def parallel_settings(executor: Any, n_jobs: Any, address: Any) -> Parallel | None:
    """Validate ``executor`` / ``n_jobs`` / ``address`` of :func:`train_exact`: None for the
    sequential engine (one job, no executor: nothing changes and Ray is never imported),
    else the :class:`Parallel` settings. An :class:`~mixedopt.executors.Executor` instance
    is used as given (its own worker count; it is not closed). A missing Ray raises
    :class:`~mixedopt.errors.SolverUnavailableError` naming the extra, before any work.

    >>> parallel_settings(None, 1, None) is None
    True
    >>> parallel_settings("serial", 1, None) is None
    True
    """
    if isinstance(executor, Executor):
        if address is not None:
            raise ValidationError(
                "address= names a Ray cluster to start an executor on; it does not apply to "
                "an executor passed in (create that one with the address instead)."
            )
        return Parallel(executor, executor.n_workers)
    if executor is not None and not isinstance(executor, str):
        raise ValidationError(
            "executor must be 'serial', 'ray', None or a mixedopt.executors.Executor, got "
            f"{type(executor).__name__}."
        )
    name = resolve_executor(executor, n_jobs, address)
    if name == "serial":
        return None
    check_available(name)
    return Parallel(name, check_n_jobs(n_jobs), address)


def exact_phase(
    problem: TrainingProblem,
    ctx: SolveContext,
    backend: str,
    method: str,
    hint: ThresholdNet | None,
    native: dict[str, Any],
    parallel: Parallel | None,
) -> SolveResult | None:
    """The engine's exact phase: :func:`run_exact_parallel` when ``parallel`` is set and
    ``method`` has a parallel search, else :func:`~mixedopt.exact.phases.run_exact` (the
    reason is kept in ``parallel.note``)."""
    if parallel is None:
        return run_exact(problem, ctx, backend, method, hint, native)
    if method not in PARALLEL_METHODS:
        parallel.note = (
            f"the exact phase ({method}) has no parallel search (only "
            f"{', '.join(PARALLEL_METHODS)}): it ran in this process"
        )
        logger.info("parallel: %s", parallel.note)
        return run_exact(problem, ctx, backend, method, hint, native)
    ex, own = parallel.open()
    try:
        return run_exact_parallel(problem, ctx, method, hint, native, ex)
    finally:
        if own:
            ex.close()


def overlapped_phases(
    problem: TrainingProblem,
    ctx: SolveContext,
    method: str,
    budget: float,
    native: dict[str, Any],
    parallel: Parallel,
) -> tuple[SolveResult | None, SolveResult] | None:
    """``method="auto"`` on several workers when its exact phase would be ``method``, a
    parallel search: the local search (``budget`` seconds, the engine's heuristic phase)
    runs on one worker while the search is built here and started on the others
    (:class:`ParallelDichotomy` with ``heuristic=``). Returns ``(heuristic result, exact
    result)``, or None when ``method`` has no parallel search or no time is left (the
    engine then runs its phases one after the other)."""
    if method not in PARALLEL_METHODS:
        return None
    run, left = phase_budget(ctx, f"exact ({method}, parallel)")
    if not run:
        return None
    ex, own = parallel.open()
    try:
        fwd = Forwarder(ctx, method)
        cb = ctx.options.log_callback
        backend = ParallelDichotomy(ex, heuristic=(budget, ctx.seed))
        res = backend.solve(
            problem,
            time_limit=left,
            seed=ctx.seed,
            threads=ctx.threads,
            warm_start=ctx.options.warm_start,
            log_callback=None if cb is None else NativeLog(cb),
            incumbent_callback=fwd,
            method=method,
            **native,
        )
        merge(ctx, res, fwd)
        return backend.heuristic_result, res
    finally:
        if own:
            ex.close()
