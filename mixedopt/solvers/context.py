"""Anytime bookkeeping and verification shared by every backend.

* :class:`SolveOptions` / :func:`check_options` — the validated common settings;
* :class:`SolveContext` — clock, incumbents (re-evaluated with the true forward pass),
  proven bound, progress events and user callbacks, interrupts (a KeyboardInterrupt raised
  by a callback stops the solve), :meth:`SolveContext.check` for long model builds;
* :class:`RawResult` — what a backend returns (the model's view);
* :func:`finalize` — the verified :class:`~mixedopt.result.SolveResult`: best net by true
  objective, true objective reported, ``OPTIMAL`` only when the bound meets it;
* :class:`LexScalarizer` — an integral lexicographic objective folded into one integer.

Everything here is re-exported by :mod:`mixedopt.solvers.base`.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from mixedopt.errors import SolverError, ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problem import TrainingProblem
from mixedopt.result import Progress, ProgressCallback, SolveResult, Status

__all__ = [
    "LIMIT",
    "BuildInterrupted",
    "LexScalarizer",
    "LogCallback",
    "RawResult",
    "SolveContext",
    "SolveOptions",
    "check_options",
    "finalize",
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
        :meth:`~mixedopt.problem.TrainingProblem.sort_key`).
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
        if self.options.log_callback is not None:
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
        key = self.problem.sort_key(net)
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


# --------------------------------------------------------------------------- raw result
@dataclass
class RawResult:
    """What a backend's :meth:`Backend._solve` returns (model's view, before verification).

    Attributes
    ----------
    native_status : str
        The solver's own status name (looked up in the backend's ``STATUS_MAP``).
    net : ThresholdNet or None
        The final solution of the model (the context's best net is also considered).
    objective : float or None
        The model's belief about the primary criterion of ``net``.
    bound : float or None
        Proven bound on the primary criterion (None if nothing is proven).
    optimal_all : bool
        For a lexicographic objective: every criterion was closed (not only the primary).
    info : dict
        Extras (model size, native statistics); merged into ``SolveResult.info``.
    """

    native_status: str
    net: ThresholdNet | None = None
    objective: float | None = None
    bound: float | None = None
    optimal_all: bool = True
    info: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- scalarizer
class LexScalarizer:
    """Fold an integral lexicographic objective into one integer to minimise, exactly.

    Each criterion ``c`` has an integer value range ``[0, R_c]`` (errors: total sample
    weight; weights: number of parameters; margin: :meth:`TrainingProblem.margin_range`);
    ``margin`` enters negated. Coefficients are chosen from the last criterion to the first
    so that one unit of an earlier criterion outweighs the whole range of the later ones.

    >>> import mixedopt as mo
    >>> from mixedopt.problem import TrainingProblem
    >>> X, y = mo.datasets.load("xor")
    >>> p = TrainingProblem.from_data(X, y, hidden=[2], objective="errors,weights")
    >>> s = LexScalarizer(p)
    >>> s.coef
    {'errors': 10, 'weights': 1}
    >>> s.value({"errors": 1, "weights": 4})
    14
    >>> s.primary_bound(12)
    1.0
    """

    def __init__(self, problem: TrainingProblem) -> None:
        if not problem.integral:
            raise ValidationError(
                "a single integer objective needs an integral problem (integer inputs, "
                "discrete weights)."
            )
        self.problem = problem
        self.criteria = problem.objective
        ranges = {
            "errors": int(problem.sample_weight.sum()),
            "weights": problem.n_params,
            "margin": int(problem.margin_range()),
        }
        self.ranges = {c: ranges[c] for c in self.criteria}
        coef: dict[str, int] = {}
        mult = 1
        for c in reversed(self.criteria):
            coef[c] = mult
            mult *= self.ranges[c] + 1
        self.coef = {c: coef[c] for c in self.criteria}

    def sign(self, criterion: str) -> int:
        return -1 if criterion == "margin" else 1

    def value(self, values: Mapping[str, float]) -> int:
        """Scalar (minimised) value of the per-criterion values."""
        return int(sum(self.sign(c) * self.coef[c] * values[c] for c in self.criteria))

    def primary_bound(self, scalar_bound: float) -> float:
        """Proven bound on the primary criterion implied by a lower bound on the scalar."""
        c0 = self.criteria[0]
        rest_max = sum(self.coef[c] * self.ranges[c] for c in self.criteria[1:] if self.sign(c) > 0)
        if self.sign(c0) > 0:
            # coef*v + rest >= S, rest <= rest_max  ->  v >= (S - rest_max) / coef
            return float(max(0, math.ceil((scalar_bound - rest_max - 1e-9) / self.coef[c0])))
        # -coef*v + rest >= S, rest >= rest_min... upper bound on v: v <= (rest_max - S)/coef
        return float(math.floor((rest_max - scalar_bound + 1e-9) / self.coef[c0]))

    def __repr__(self) -> str:
        return f"LexScalarizer({self.coef})"


# --------------------------------------------------------------------------- finalize
def finalize(
    problem: TrainingProblem,
    raw: RawResult,
    ctx: SolveContext,
    *,
    status_map: Mapping[str, Status | str],
    backend: str,
    method: str,
    proves_optimality: bool = True,
) -> SolveResult:
    """Turn a backend's :class:`RawResult` into a verified :class:`SolveResult`.

    The returned net is the better (by true objective) of the model's final net and the best
    incumbent; its true objective is what is reported. ``OPTIMAL`` needs the native status to
    say so *and* the true objective to meet the proven bound. A model whose belief differs
    from the truth is logged as a warning; a bound contradicted by a better true objective
    (possible only for non-integral problems, whose model uses a margin) is dropped.
    """
    if raw.native_status not in status_map:
        raise SolverError(
            f"{backend}: unknown native status {raw.native_status!r}; known: "
            f"{', '.join(map(str, status_map))}. Please report this."
        )
    mapped = status_map[raw.native_status]
    if raw.net is not None:
        ctx.incumbent(raw.net, source=backend, message="final")
    net = ctx.best_net
    bound = raw.bound if raw.bound is not None else ctx.best_bound
    if bound is not None:
        bound = float(bound) + 0.0  # no -0.0
    if bound is not None and ctx.best_bound is not None:
        bound = max(bound, ctx.best_bound) if not problem.maximize else min(bound, ctx.best_bound)
    info = dict(raw.info)
    info["native_status"] = raw.native_status
    feasible = net is not None and problem.is_feasible(net)
    values = problem.evaluate(net) if net is not None else None
    true_obj = problem.objective_value(net) if net is not None else None

    if mapped == Status.INFEASIBLE:
        if feasible:
            logger.warning(
                "%s claims no net of this shape fits, but one was found (true objective %s); "
                "reporting FEASIBLE",
                backend,
                true_obj,
            )
            status = Status.FEASIBLE
            bound = None
        else:
            status = Status.INFEASIBLE
    elif not feasible:
        status = Status.UNKNOWN
    else:
        assert true_obj is not None
        if (
            raw.objective is not None
            and raw.net is net
            and _better(problem, raw.objective, true_obj)
        ):
            logger.warning(
                "%s: the model believes objective %s but the true forward pass gives %s; "
                "reporting the truth",
                backend,
                raw.objective,
                true_obj,
            )
            info["model_objective"] = raw.objective
        if bound is not None and _better(problem, true_obj, bound):
            logger.warning(
                "%s: true objective %s beats the model's bound %s (the model is a restriction, "
                "e.g. a margin on non-integral data); dropping the bound",
                backend,
                true_obj,
                bound,
            )
            bound = None
        if problem.weights == "real" and bound is not None:
            # a real-weight model is a restriction (a margin and a weight box stand in for
            # the strict sign inequalities): its bound holds for that model, not for every
            # real-weight net. Only the trivial bound (0 errors) is a proof.
            info["model_bound"] = bound
            trivial = problem.objective[0] == "errors" and not problem.maximize
            bound = 0.0 if trivial else None
            logger.info(
                "%s: real weights; the model's bound %s holds only under its margin and "
                "weight box, so it is kept as info['model_bound'], not claimed",
                backend,
                info["model_bound"],
            )
        closed = bound is not None and _close(true_obj, bound)
        if (
            proves_optimality
            and closed
            and (mapped == Status.OPTIMAL or len(problem.objective) == 1)
            and (raw.optimal_all or len(problem.objective) == 1)
        ):
            status = Status.OPTIMAL
        else:
            status = Status.FEASIBLE
        if (
            mapped == Status.OPTIMAL
            and not closed
            and ctx.interrupted is False
            and "model_bound" not in info
        ):
            logger.warning(
                "%s reported optimal, but the returned net's true objective %s does not meet "
                "the bound %s; reporting FEASIBLE",
                backend,
                true_obj,
                bound,
            )
    if status is Status.INFEASIBLE:
        net, values = None, None  # a best-effort net would contradict the verdict
    if values is not None and status.has_solution:
        info["objectives"] = {c: values[c] for c in problem.objective}
    n_err = None if values is None else int(values["errors"])
    targets = (
        [] if net is None else [np.asarray(a, dtype=np.int8) for a in net.activations(problem.X)]
    )
    if status is Status.UNKNOWN and net is not None:
        info["best_effort_errors"] = n_err
    return SolveResult(
        status=status,
        net=net,
        objective=true_obj if status.has_solution else None,
        bound=bound,
        wall_time=ctx.elapsed(),
        targets=targets,
        n_errors=n_err,
        backend=backend,
        method=method,
        seed=ctx.seed,
        interrupted=ctx.interrupted,
        log=ctx.log,
        info=info,
    )


def _close(a: float, b: float) -> bool:
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)), abs(float(b)))


def _better(problem: TrainingProblem, value: float, bound: float) -> bool:
    """True when ``value`` is strictly better than the proven ``bound`` allows."""
    if _close(value, bound):
        return False
    return value > bound if problem.maximize else value < bound
