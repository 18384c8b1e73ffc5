"""Parts of the dichotomy search: the units of work of a parallel search.

A **part** of canonical function ``f`` (positions in branching order) fixes the dichotomies
of its first ``len(prefix)`` positions and ranges over ``[lo, hi)`` at the next one
(:meth:`~mixedopt.solvers.dichotomy.search.DichotomySearch.search_part`); parts with distinct
prefixes or disjoint ranges hold disjoint sets of nets, so a function is covered by a root
part ``((), 0, n)`` or by the pieces it is split into (:meth:`Part.split`, :func:`remainder`).

:func:`run_part` searches one part on a worker. It shares the incumbent with every other
worker through a board (:meth:`mixedopt.executors.Executor.incumbent`): a better net found
anywhere lowers the threshold ``tau`` here within :data:`POLL_S` seconds, and a net found
here is offered to the board at once. It stops at the board's stop flag or its own deadline,
and gives its remaining work back when the board asks for work for an idle worker. Its
:class:`PartResult` says what it proved: every net of the part outside the returned
remainder has at least ``lb`` errors (``lb = tau + 1`` with ``tau`` the threshold at the end,
which only decreased: every branch cut on the way was cut at a ``tau`` at least as large).

:func:`graph_piece` computes rows of the majority pair graph, so that the graph is built once
and shared (:func:`~mixedopt.solvers.dichotomy.search.assemble_graph`).

Examples
--------
>>> import mixedopt as mo
>>> from mixedopt.executors import LocalIncumbent
>>> from mixedopt.problems.training import TrainingProblem
>>> from mixedopt.solvers.dichotomy import DEFAULTS, canonical_functions
>>> from mixedopt.solvers.dichotomy.parts import Part, prepare, run_part
>>> X, y, _ = mo.datasets.planted(m=60, d=2, h=2, noise=0.1, seed=0)
>>> p = TrainingProblem.from_data(X, y, hidden=[2], weights="integer", weight_bound=2)
>>> state = prepare(p)
>>> board = LocalIncumbent()
>>> results = [run_part(p, state, Part(i, f), board, None, DEFAULTS)
...            for i, f in enumerate(canonical_functions(p))]
>>> all(r.done for r in results), min(r.lb for r in results) == board.get()[0]
(True, True)
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.solvers.context import SolveContext, SolveOptions
from mixedopt.solvers.dichotomy.functions import CanonicalFunction
from mixedopt.solvers.dichotomy.search import (
    DichotomySearch,
    PairGraph,
    SearchState,
    build_state,
)
from mixedopt.threads import one_blas_thread

__all__ = [
    "POLL_S",
    "GraphRows",
    "Part",
    "PartContext",
    "PartResult",
    "graph_piece",
    "prepare",
    "remainder",
    "run_part",
]

logger = logging.getLogger(__name__)

#: a part asks the board for the incumbent (and the stop and split flags) this often
POLL_S = 0.1
#: a part gives work back to an idle worker only after running this long (no ping-pong)
MIN_RUN_S = 0.5


@dataclass(frozen=True)
class Part:
    """One part of canonical function ``f`` (see the module docstring).

    Attributes
    ----------
    fi : int
        Index of ``f`` in the plan (a label for the bookkeeping).
    f : CanonicalFunction
        The function, positions in branching order (the same for every part of it).
    prefix : tuple of int
        Dichotomies (sorted indices) of the first positions.
    lo, hi : int
        Range of the next position (``hi=None``: to the end).
    cap : float
        Only nets with at most ``cap`` errors are looked for (the warm-up pass); ``inf``
        for the main pass.
    attempt : int
        How many times the part was lost with its worker before.
    """

    fi: int
    f: CanonicalFunction
    prefix: tuple[int, ...] = ()
    lo: int = 0
    hi: int | None = None
    cap: float = math.inf
    attempt: int = 0

    @property
    def level(self) -> int:
        """The position whose range the part splits."""
        return len(self.prefix)

    def end(self, n: int) -> int:
        return n if self.hi is None else self.hi

    def splittable(self, n: int) -> bool:
        """Whether :meth:`split` gives two parts (a range of two or more, or one
        dichotomy above the last-but-one position, which the search settles pairwise)."""
        return self.f.h >= 2 and (self.end(n) - self.lo >= 2 or self.level + 1 <= self.f.h - 2)

    def split(self, n: int) -> list[Part]:
        """Two parts covering this one: the range halved, or for a range of one dichotomy
        ``u`` the part of prefix ``prefix + (u,)`` over the whole next position."""
        hi = self.end(n)
        if hi - self.lo >= 2:
            mid = self.lo + (hi - self.lo) // 2
            return [
                Part(self.fi, self.f, self.prefix, self.lo, mid, self.cap),
                Part(self.fi, self.f, self.prefix, mid, self.hi, self.cap),
            ]
        if self.level + 1 <= self.f.h - 2 and hi - self.lo == 1:
            # interchangeable positions hold dichotomies in index order: the next one of
            # the same class starts at this one
            same = any(self.level in c and self.level + 1 in c for c in self.f.classes)
            start = self.lo if same else 0
            deeper = Part(self.fi, self.f, (*self.prefix, self.lo), start, None, self.cap)
            return deeper.split(n) if deeper.splittable(n) else [deeper]
        return [self]

    def retry(self) -> Part:
        """The same part, one more loss counted."""
        return Part(self.fi, self.f, self.prefix, self.lo, self.hi, self.cap, self.attempt + 1)


@dataclass
class PartResult:
    """What a part proved and found.

    Attributes
    ----------
    part : Part
    done : bool
        The whole part was settled (``remainder`` is empty).
    remainder : list of Part
        Parts still to search (a stopped or yielded part), covering exactly what is not
        settled.
    settled : bool
        Some of the part was settled: every net of it outside ``remainder`` has at least
        ``lb`` errors.
    lb : float
        ``tau + 1`` at the end (``inf`` when ``tau`` was unbounded: nothing was cut).
    errors, net
        The best net this part found (None if none beat the incumbent it was given).
    nodes : int
    seconds, cpu : float
        Wall and CPU seconds of the call (CPU: of the worker process, which runs one call
        at a time).
    yielded : bool
        The part gave its remaining work back for an idle worker.
    claimed_s : float or None
        Seconds into the part when it took a request for work.
    """

    part: Part
    done: bool
    remainder: list[Part] = field(default_factory=list)
    settled: bool = True
    lb: float = 0.0
    errors: float | None = None
    net: ThresholdNet | None = None
    nodes: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    yielded: bool = False
    claimed_s: float | None = None


@dataclass
class GraphRows:
    """Rows of the majority pair graph (:func:`graph_piece`): ``counts[i]`` edges of row
    ``rows[i]``, their other ends ``v`` and weights ``g``, row by row."""

    rows: np.ndarray
    counts: np.ndarray
    v: np.ndarray
    g: np.ndarray
    seconds: float = 0.0
    cpu: float = 0.0

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(u, v, g)`` for :func:`~mixedopt.solvers.dichotomy.search.assemble_graph`."""
        return np.repeat(self.rows, self.counts), self.v, self.g


def remainder(part: Part, cursor: list[int | None], n: int) -> list[Part]:
    """What a part stopped with ``cursor`` (:attr:`DichotomySearch.cursor`) has left.

    Loops at positions ``part.level .. k`` were at dichotomies ``c_level .. c_k`` (every
    smaller one settled, ``c_k`` under way): the rest is ``[c_k, end)`` under prefix
    ``c_level .. c_{k-1}`` and, for each shallower loop ``j``, ``[c_j + 1, end)`` under
    ``c_level .. c_{j-1}``. Without a loop position reached, the whole part is left.

    >>> from mixedopt.solvers.dichotomy.functions import CanonicalFunction
    >>> f = CanonicalFunction(3, (False, False, False, True, False, True, True, True),
    ...                       ((0, 1, 2),))
    >>> [(p.prefix, p.lo, p.hi) for p in remainder(Part(0, f), [4, 9, None], 100)]
    [((4,), 9, None), ((), 5, None)]
    """
    L = part.level
    levels = []
    for j in range(L, len(cursor)):
        if cursor[j] is None:
            break
        levels.append(j)
    if not levels:
        return [part]
    k = levels[-1]
    out = []
    for j in range(k, L - 1, -1):
        prefix = part.prefix + tuple(int(c) for c in cursor[L:j])  # type: ignore[arg-type]
        c = int(cursor[j])  # type: ignore[arg-type]
        lo = c if j == k else c + 1
        hi = part.hi if j == L else None
        if lo < (n if hi is None else hi):
            out.append(Part(part.fi, part.f, prefix, lo, hi, part.cap))
    return out


class PartContext(SolveContext):
    """The context of a part on a worker: its own deadline, plus the shared board, polled
    every :data:`POLL_S` seconds for a better incumbent (which lowers the search's
    threshold), the stop flag (the time limit or Ctrl-C of the whole run) and requests to
    give work back. A board that stops answering (its actor died) is dropped: the part
    goes on alone, as soundly, with its own incumbent."""

    def __init__(
        self,
        problem: TrainingProblem,
        time_left: float | None,
        board: Any,
        *,
        poll_s: float | None = None,
        min_run_s: float | None = None,
        slice_s: float | None = None,
    ) -> None:
        super().__init__(problem, SolveOptions(time_limit=time_left), source="dichotomy")
        self.board = board
        self.poll_s = POLL_S if poll_s is None else poll_s
        self.min_run_s = MIN_RUN_S if min_run_s is None else min_run_s
        self.slice_s = slice_s
        if slice_s is not None:
            self.poll_s = min(self.poll_s, slice_s / 2)
        self.search: DichotomySearch | None = None
        self.board_best = math.inf
        self.stopped = False
        self.yield_now = False
        #: seconds into the part when it took a request for work (None: it did not)
        self.claimed_s: float | None = None
        self._next_poll = 0.0
        self._can_yield = False

    def attach(self, search: DichotomySearch) -> None:
        """Let polls lower ``search``'s incumbent; poll once now."""
        self.search = search
        search.pause_requested = self._pause
        self._can_yield = True
        self.poll(force=True)

    def _pause(self) -> bool:
        return self.yield_now

    def poll(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now < self._next_poll:
            return
        self._next_poll = now + self.poll_s
        if self._can_yield and self.slice_s is not None and now - self.start >= self.slice_s:
            self.yield_now = True
        if self.board is None:
            return
        try:
            value, stop, wanted = self.board.poll_latest()
            if (
                wanted > 0
                and self._can_yield
                and not self.yield_now
                and now - self.start >= self.min_run_s
                and self.board.claim()
            ):
                self.yield_now = True
                self.claimed_s = now - self.start
        except Exception:  # the board is gone: go on alone
            logger.warning("dichotomy part: the shared incumbent stopped answering", exc_info=True)
            self.board = None
            return
        if stop:
            self.stopped = True
        self.board_best = min(self.board_best, float(value))
        s = self.search
        if s is not None and self.board_best < s.best:
            s.best = self.board_best
            s.best_sol = None

    @property
    def stop_requested(self) -> bool:  # type: ignore[override]
        if SolveContext.stop_requested.fget(self):  # type: ignore[attr-defined]
            return True
        self.poll()
        return self.stopped

    def incumbent(
        self,
        net: ThresholdNet,
        *,
        source: str | None = None,
        message: str = "",
        emit: bool = True,
    ) -> bool:
        better = super().incumbent(net, source=source, message=message, emit=False)
        if better and self.board is not None and self.best_key is not None:
            try:
                self.board.offer(float(self.best_key[0]), net)
            except Exception:
                logger.warning("dichotomy part: could not share a net", exc_info=True)
                self.board = None
        return better


def prepare(problem: TrainingProblem, time_limit: float | None = None) -> SearchState:
    """The :class:`~mixedopt.solvers.dichotomy.search.SearchState` every part of
    ``problem`` shares (built once, by the driver)."""
    ctx = SolveContext(problem, SolveOptions(time_limit=time_limit), source="dichotomy")
    return build_state(problem, ctx)


def run_part(
    problem: TrainingProblem,
    state: SearchState,
    part: Part,
    board: Any,
    time_left: float | None,
    opts: dict[str, Any],
    graph: PairGraph | bool | None = True,
    slice_s: float | None = None,
) -> PartResult:
    """Search ``part`` (on a worker): see the module docstring.

    Parameters
    ----------
    problem, state
        The problem and its shared :class:`SearchState` (:func:`prepare`).
    part : Part
    board
        The shared incumbent (:class:`mixedopt.executors.SharedIncumbent`), or None.
    time_left : float or None
        Seconds this part may run.
    opts : dict
        The search options (``DEFAULTS`` of :mod:`mixedopt.solvers.dichotomy`).
    graph
        The majority pair graph (``True``: build it here if the function is majority).
    slice_s : float, optional
        Give the rest back after this many seconds (once a candidate is settled), whether
        or not a worker is idle: parts of about this size, for measuring.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    ctx = PartContext(problem, time_left, board, slice_s=slice_s)
    search = DichotomySearch(problem, ctx, opts, state=state)
    ctx.attach(search)
    search.cap = part.cap
    start_best = search.best
    with one_blas_thread():
        done = search.search_part(part.f, part.prefix, part.lo, part.hi, graph=graph)
    n = search.n
    rest = [] if done else remainder(part, search.cursor, n)
    found = ctx.best_net is not None and ctx.best_key is not None
    tau = search.tau()
    res = PartResult(
        part=part,
        done=done,
        remainder=rest,
        settled=done or rest != [part],
        lb=tau + 1 if math.isfinite(tau) else math.inf,
        errors=float(ctx.best_key[0]) if found else None,  # type: ignore[index]
        net=ctx.best_net if found else None,
        nodes=search.nodes,
        seconds=time.perf_counter() - t0,
        cpu=time.process_time() - c0,
        yielded=ctx.yield_now and not done,
        claimed_s=ctx.claimed_s,
    )
    logger.debug(
        "part %s %s [%s, %s) cap %s: done=%s best %s -> %s, %d nodes, %.2f s",
        part.f.name(),
        part.prefix,
        part.lo,
        part.hi,
        part.cap,
        done,
        start_best,
        search.best,
        search.nodes,
        res.seconds,
    )
    return res


def graph_piece(
    problem: TrainingProblem,
    state: SearchState,
    rows: np.ndarray,
    tau: float,
    board: Any,
    time_left: float | None,
    opts: dict[str, Any],
) -> GraphRows | None:
    """Rows ``rows`` of the majority pair graph at ``tau``, on a worker; None when stopped
    (see :meth:`~mixedopt.solvers.dichotomy.search.DichotomySearch.graph_edges`)."""
    t0, c0 = time.perf_counter(), time.process_time()
    ctx = PartContext(problem, time_left, board)
    search = DichotomySearch(problem, ctx, opts, state=state)
    rows = np.asarray(rows)
    with one_blas_thread():
        edges = search.graph_edges(rows, tau)
    if edges is None:
        return None
    src, dst, cnt = edges
    counts = np.bincount(np.searchsorted(rows, src), minlength=len(rows)).astype(np.int64)
    return GraphRows(rows, counts, dst, cnt, time.perf_counter() - t0, time.process_time() - c0)
