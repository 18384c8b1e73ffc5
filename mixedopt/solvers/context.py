"""Anytime bookkeeping and verification shared by every backend.

* :class:`SolveOptions` / :func:`check_options` — the validated common settings;
* :class:`SolveContext` — clock, incumbents (re-evaluated with the true forward pass),
  proven bound, progress events and user callbacks, interrupts (a KeyboardInterrupt raised
  by a callback stops the solve), :meth:`SolveContext.check` for long model builds;
* :func:`key_better` — lexicographic comparison of true objectives.

:mod:`mixedopt.solvers.finalize` turns a backend's raw result into the verified
:class:`~mixedopt.result.SolveResult`; :mod:`mixedopt.solvers.lex` folds a lexicographic
objective into one integer. Everything is re-exported by :mod:`mixedopt.solvers.base`.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Progress, ProgressCallback

__all__ = [
    "LIMIT",
    "BuildInterrupted",
    "LogCallback",
    "NativeLog",
    "SolveContext",
    "SolveOptions",
    "check_options",
    "key_better",
    "package_available",
]

logger = logging.getLogger(__name__)

#: STATUS_MAP value for "a limit was hit": FEASIBLE with a net in hand, else UNKNOWN.
LIMIT: Literal["limit"] = "limit"

LogCallback = Callable[[str], None]


def package_available(name: str) -> bool:
    """True when the top-level package ``name`` can be imported (checked without importing)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


# --------------------------------------------------------------------------- options
@dataclass
class SolveOptions:
    """Validated solve settings handed to a backend (see :meth:`Backend.solve`).

    ``native`` holds solver-specific parameters passed through unchanged; a backend that
    does not know a key raises :class:`ValidationError` naming it. ``first_solution`` asks
    the backend to stop at the first feasible solution (used for feasibility checks, e.g.
    when computing an infeasibility certificate).
    """

    time_limit: float | None = None
    seed: int = 0
    threads: int = 1
    warm_start: ThresholdNet | None = None
    log_callback: LogCallback | None = None
    incumbent_callback: ProgressCallback | None = None
    native: dict[str, Any] = field(default_factory=dict)
    first_solution: bool = False


def check_options(
    *,
    time_limit: Any,
    seed: Any,
    threads: Any,
    log_callback: Any = None,
    incumbent_callback: Any = None,
) -> tuple[float | None, int, int]:
    """Validate the common solve settings; returns ``(time_limit, seed, threads)``."""
    if time_limit is not None:
        if isinstance(time_limit, bool) or not isinstance(
            time_limit, (int, float, np.integer, np.floating)
        ):
            raise ValidationError(f"time_limit must be a number of seconds, got {time_limit!r}.")
        if not math.isfinite(float(time_limit)) or time_limit <= 0:
            raise ValidationError(f"time_limit must be a finite number > 0, got {time_limit!r}.")
        time_limit = float(time_limit)
    if seed is None:
        seed = 0
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError(f"seed must be a non-negative integer, got {seed!r}.")
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValidationError(f"threads must be a positive integer, got {threads!r}.")
    for name, cb in (("log_callback", log_callback), ("incumbent_callback", incumbent_callback)):
        if cb is not None and not callable(cb):
            raise ValidationError(f"{name} must be callable or None, got {type(cb).__name__}.")
    return time_limit, int(seed), int(threads)


class NativeLog:
    """A ``log_callback`` that takes a solver's native log lines but not the context's own
    ``[mixedopt]`` progress lines: for a sub-solve whose progress events an outer pipeline
    relays and logs itself (``train_exact``'s phases)."""

    progress_lines = False

    def __init__(self, callback: LogCallback) -> None:
        self.callback = callback

    def __call__(self, line: str) -> None:
        self.callback(line)


class BuildInterrupted(Exception):
    """Raised by :meth:`SolveContext.check` to abandon a model under construction."""


def key_better(a: tuple[float, ...], b: tuple[float, ...], rtol: float = 1e-7) -> bool:
    """True when sort key ``a`` is better (smaller) than ``b`` beyond float noise."""
    for x, y in zip(a, b, strict=True):
        if abs(x - y) > rtol * max(1.0, abs(x), abs(y)):
            return x < y
    return False


# --------------------------------------------------------------------------- context
class SolveContext:
    """Anytime bookkeeping of one solve: clock, incumbents, bound, progress, interrupts.

    Backends call :meth:`incumbent` for every solution they find and :meth:`bound` when the
    proven bound moves; they poll :attr:`stop_requested` (or use :meth:`time_left`) to stop.

    Attributes
    ----------
    best_net : ThresholdNet or None
        Best network seen so far by true objective (see
        :meth:`~mixedopt.problems.training.TrainingProblem.sort_key`).
    best_bound : float or None
        Best proven bound on the primary criterion (lower for minimisation, upper for margin).
    interrupted : bool
        A KeyboardInterrupt (Ctrl-C, or raised by a callback) stopped the solve.
    """

    def __init__(
        self,
        problem: TrainingProblem,
        options: SolveOptions,
        *,
        source: str = "",
        start: float | None = None,
        log: list[Progress] | None = None,
    ) -> None:
        self.problem = problem
        self.options = options
        self.source = source
        self.start = time.perf_counter() if start is None else start
        self.deadline = None if options.time_limit is None else self.start + options.time_limit
        self.best_net: ThresholdNet | None = None
        self.best_key: tuple[float, ...] | None = None
        self.best_bound: float | None = None
        self.log: list[Progress] = [] if log is None else log
        self.interrupted = False
        self.first_solution_found = False
        self.callback_error: BaseException | None = None
        #: seconds of the slowest true evaluation of a net so far (:meth:`incumbent`): what
        #: each verification still ahead will cost, for phases that keep time to finish
        self.eval_seconds = 0.0

    # clock
    @property
    def seed(self) -> int:
        return self.options.seed

    @property
    def threads(self) -> int:
        return self.options.threads

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def time_left(self) -> float | None:
        """Seconds until the deadline (never negative), or None without a time limit."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.perf_counter())

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    @property
    def stop_requested(self) -> bool:
        """True when the backend should stop now (interrupt, callback error, first solution
        requested and found, or the deadline passed)."""
        return (
            self.interrupted
            or self.callback_error is not None
            or (self.options.first_solution and self.first_solution_found)
            or self.out_of_time()
        )

    def check(self) -> None:
        """Raise :class:`BuildInterrupted` when the solve should stop (call it while
        building large models, so that a time limit also bounds model construction)."""
        if self.stop_requested:
            raise BuildInterrupted

    def interrupt(self) -> None:
        """Ask the solve to stop and return the best net so far (as Ctrl-C does)."""
        self.interrupted = True

    # events
    def _emit(self, event: Progress) -> None:
        self.log.append(event)
        log = self.options.log_callback
        if log is not None and getattr(log, "progress_lines", True):
            obj = "-" if event.objective is None else f"{event.objective:g}"
            bnd = "-" if event.bound is None else f"{event.bound + 0.0:g}"  # no "-0"
            self.log_line(
                f"[mixedopt] {event.wall_time:8.2f}s  {event.message:<9}  objective {obj}  "
                f"bound {bnd}  ({event.source})"
            )
        cb = self.options.incumbent_callback
        if cb is None:
            return
        try:
            cb(event)
        except KeyboardInterrupt:
            logger.info("incumbent callback raised KeyboardInterrupt: stopping")
            self.interrupted = True
        except Exception as exc:  # re-raised by Backend.solve after the solver stopped
            self.callback_error = exc

    def incumbent(
        self,
        net: ThresholdNet,
        *,
        source: str | None = None,
        message: str = "",
        emit: bool = True,
    ) -> bool:
        """Offer a solution; returns True when it is the best so far.

        The net is evaluated with the true forward pass; the emitted progress event carries
        its true primary objective. Nets that violate the hard zero-error requirement of a
        ``weights``/``margin`` objective are kept as best-effort fallback but reported with
        ``objective=None``. ``emit=False`` records the net without a progress event (for a
        net whose event was already relayed from a sub-solve).
        """
        t0 = time.perf_counter()
        key = self.problem.sort_key(net)
        self.eval_seconds = max(self.eval_seconds, time.perf_counter() - t0)
        if self.options.first_solution and self.problem.is_feasible(net):
            self.first_solution_found = True
        if self.best_key is not None and not key_better(key, self.best_key):
            return False
        self.best_net, self.best_key = net, key
        if not emit:
            return True
        obj = self.problem.objective_value(net)
        self._emit(
            Progress(
                wall_time=self.elapsed(),
                objective=obj,
                bound=self.best_bound,
                message=message or "incumbent",
                source=source or self.source,
            )
        )
        return True

    def bound(self, value: float | None, *, source: str | None = None, emit: bool = True) -> None:
        """Record a proven bound on the primary criterion (kept only if it improves);
        ``emit=False`` records it without a progress event."""
        if value is None or not math.isfinite(value):
            return
        better = (
            self.best_bound is None
            or (self.problem.maximize and value < self.best_bound)
            or (not self.problem.maximize and value > self.best_bound)
        )
        if not better:
            return
        self.best_bound = float(value)
        if not emit:
            return
        obj = None if self.best_net is None else self.problem.objective_value(self.best_net)
        self._emit(
            Progress(
                wall_time=self.elapsed(),
                objective=obj,
                bound=self.best_bound,
                message="bound",
                source=source or self.source,
            )
        )

    def note(self, message: str, *, source: str | None = None) -> None:
        """Emit a progress event that only carries ``message`` (with the current objective
        and bound), e.g. that a phase was left out."""
        obj = None if self.best_net is None else self.problem.objective_value(self.best_net)
        self._emit(
            Progress(
                wall_time=self.elapsed(),
                objective=obj,
                bound=self.best_bound,
                message=message,
                source=source or self.source,
            )
        )

    def log_line(self, line: str) -> None:
        """Forward one line of native solver log to the user's ``log_callback``."""
        cb = self.options.log_callback
        if cb is None:
            return
        try:
            cb(line)
        except KeyboardInterrupt:
            self.interrupted = True
        except Exception as exc:
            self.callback_error = exc
