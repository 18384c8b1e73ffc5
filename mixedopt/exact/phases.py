"""The phases of the :func:`~mixedopt.exact.engine.train_exact` engine and their plumbing.

An engine method is looked up in the registry (:mod:`mixedopt.solvers.registry`) and
imported lazily (its module may not be shipped); a phase runs a
local search, an engine method or a backend's monolithic model on the pipeline's
:class:`~mixedopt.solvers.context.SolveContext`: its progress events are re-timed on the
pipeline clock and relayed once (:class:`Forwarder`), and its result is merged into the
pipeline's incumbent and bound (:func:`merge`). The policy (which phase runs, with how
much time) lives in :mod:`mixedopt.exact.engine`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Progress, SolveResult, Status
from mixedopt.solvers.base import LogCallback, NativeLog, SolveContext
from mixedopt.solvers.registry import BackendSpec, load, method_function, method_spec, methods
from mixedopt.solvers.registry import get as get_backend

logger = logging.getLogger("mixedopt.exact.engine")

#: the engine method that is the local search alone; its registry entry also gives the
#: heuristic phase of ``method="auto"``
HEURISTIC = "heuristic"

#: the heuristic phase also ends after this many perturbations without progress
HEURISTIC_MAX_STALL = 100
#: a phase is skipped (and the log says so) when less than this many seconds of the time
#: limit are left: solvers reject a zero time limit, and no model is built in less
MIN_PHASE_S = 0.05
#: ... or less than this many true evaluations of a net (the slowest the pipeline has
#: seen): a phase's first and last nets are verified, merged and verified again, which
#: takes seconds for a very wide net
MIN_PHASE_EVALS = 8


def exact_methods() -> list[BackendSpec]:
    """The registered engine methods that run an exact phase (all but the local search),
    in registration order."""
    return [entry for entry in methods() if not entry.heuristic]


def auto_methods(backend: str) -> list[BackendSpec]:
    """The engine methods ``method="auto"`` may run for ``backend`` (registry name), in
    the order it tries them (strongest first)."""
    found = [
        entry
        for entry in exact_methods()
        if entry.auto_rank is not None and backend in entry.auto_backends
    ]
    return sorted(found, key=lambda entry: entry.auto_rank or 0)


def engine_solver(method: str) -> Callable[..., SolveResult] | None:
    """The solve function of exact engine ``method``, if its module is shipped."""
    entry = method_spec(method)
    if entry is None or entry.heuristic:
        return None
    return method_function(method)


def engine_applies(method: str, problem: TrainingProblem) -> bool:
    """Whether engine ``method`` is shipped and covers ``problem`` (its module's
    ``applicable(problem)``; without one: one hidden layer, binary, integral)."""
    entry = method_spec(method)
    if entry is None or entry.heuristic or engine_solver(method) is None:
        return False
    check = load(entry, "applicable")
    if check is None:
        return problem.integral and problem.is_binary and len(problem.hidden) == 1
    try:
        return bool(check(problem))
    except ValidationError:
        return False


def _native_lines(ctx: SolveContext) -> LogCallback | None:
    """The user's log callback for a phase, without the phase's own ``[mixedopt]`` progress
    lines: the phase's events reach ``ctx`` through the forwarder, which logs them once."""
    cb = ctx.options.log_callback
    return None if cb is None else NativeLog(cb)


class Forwarder:
    """Re-times a phase's progress events on the pipeline clock and re-emits them.

    It remembers what it relayed, so that merging the phase's result into the pipeline
    (:func:`merge`) records the net and bound without logging the same event twice.
    """

    def __init__(self, ctx: SolveContext, phase: str) -> None:
        self.ctx, self.phase = ctx, phase
        self.relayed_incumbent = False
        self.relayed_bound: float | None = None

    def __call__(self, ev: Progress) -> None:
        ctx = self.ctx
        if ev.source == "warm_start":
            # the phase's start net is the pipeline's warm start or best net: already logged
            self.relayed_incumbent = True
            return
        if ev.message == "bound":
            self.relayed_bound = ev.bound
        else:
            self.relayed_incumbent = True
        ctx._emit(replace(ev, wall_time=ctx.elapsed(), source=ev.source or self.phase))
        # make the phase stop too when the user interrupted or the callback failed
        if ctx.interrupted:
            raise KeyboardInterrupt
        if ctx.callback_error is not None:
            raise ctx.callback_error


def merge(ctx: SolveContext, res: SolveResult, fwd: Forwarder) -> None:
    """Fold a phase's result into the pipeline; events the phase already relayed through
    ``fwd`` are recorded silently."""
    source = res.method or res.backend
    if res.net is not None:
        ctx.incumbent(res.net, source=source, emit=not fwd.relayed_incumbent)
    if res.bound is not None and res.status is not Status.INFEASIBLE:
        ctx.bound(res.bound, source=source, emit=res.bound != fwd.relayed_bound)
    if res.interrupted:
        ctx.interrupted = True


def phase_info(name: str, res: SolveResult | None) -> dict[str, Any]:
    """One entry of ``info["phases"]``; ``res=None``: the phase was skipped (no time)."""
    if res is None:
        return {
            "phase": name,
            "status": "skipped",
            "objective": None,
            "bound": None,
            "wall_time": 0.0,
        }
    return {
        "phase": name,
        "status": res.status.value,
        "objective": res.objective,
        "bound": res.bound,
        "wall_time": round(res.wall_time, 3),
    }


# --------------------------------------------------------------------------- phases
def phase_budget(
    ctx: SolveContext, phase: str, budget: float | None = None
) -> tuple[bool, float | None]:
    """``(run, seconds)`` of a phase: at most ``budget`` and the time the run has left;
    ``run`` is False (and the log says why) when less than :data:`MIN_PHASE_S` or
    :data:`MIN_PHASE_EVALS` evaluations of a net are left."""
    left = ctx.time_left()
    if left is None:
        return True, budget
    if budget is not None:
        left = min(left, budget)
    if left < max(MIN_PHASE_S, MIN_PHASE_EVALS * ctx.eval_seconds):
        logger.info("%s phase skipped: %.3f s of the time limit left", phase, left)
        return False, None
    return True, left


def run_heuristic(
    problem: TrainingProblem,
    ctx: SolveContext,
    budget: float | None,
    stall: bool = True,
    start: ThresholdNet | None = None,
) -> SolveResult | None:
    """The local search for ``budget`` seconds (at most the time left) from ``start``
    (default: the user's warm start); None when it is not shipped, does not apply or no
    time is left."""
    entry = method_spec(HEURISTIC)
    ls = None if entry is None else load(entry, entry.function)
    if entry is None or ls is None:
        return None
    run, budget = phase_budget(ctx, "heuristic", budget)
    if not run:
        return None
    extra: dict[str, Any] = {}
    defaults = load(entry, "DEFAULTS")
    if stall and isinstance(defaults, dict) and "max_stall" in defaults:
        extra["max_stall"] = HEURISTIC_MAX_STALL  # stop early when it stops improving
    try:
        fwd = Forwarder(ctx, getattr(load(entry), "name", "") or entry.name)
        res = ls(
            problem,
            time_limit=budget,
            seed=ctx.seed,
            warm_start=ctx.options.warm_start if start is None else start,
            incumbent_callback=fwd,
            **extra,
        )
    except ValidationError as exc:
        logger.info("heuristic phase skipped: %s", exc)
        return None
    merge(ctx, res, fwd)
    return res


def run_exact(
    problem: TrainingProblem,
    ctx: SolveContext,
    backend: str,
    method: str,
    hint: ThresholdNet | None,
    native: dict[str, Any],
) -> SolveResult | None:
    """The exact phase: engine ``method`` (hinted with ``hint``) or, for
    ``"monolithic"``, the backend's model (warm-started with ``hint`` if it fits), with
    the time the run has left; None (skipped, logged) when too little is left."""
    if method != "monolithic":
        solve = engine_solver(method)
        if solve is None:
            raise ValidationError(
                f"method={method!r} is not shipped in this installation; use method='monolithic'."
            )
        phase, start = method, {"hint": hint}
    else:
        solve = get_backend(backend).solve
        if hint is not None:
            try:
                problem.check_net(hint)
            except ValidationError:
                hint = None
        phase, start = backend, {"warm_start": hint}
    run, left = phase_budget(ctx, f"exact ({method})")
    if not run:
        return None
    fwd = Forwarder(ctx, phase)
    res = solve(
        problem,
        time_limit=left,
        seed=ctx.seed,
        threads=ctx.threads,
        log_callback=_native_lines(ctx),
        incumbent_callback=fwd,
        **start,
        **native,
    )
    merge(ctx, res, fwd)
    return res
