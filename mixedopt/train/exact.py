"""Whole-network exact training: :func:`train_exact` and the engine pipeline.

``method="auto"`` runs an **engine**, not one model:

1. **heuristic first** — the local search of :mod:`mixedopt.solvers.greedy` gets
   ``min(20 s, 20 % of the limit, max(2 s, 10 ms per example))`` (:func:`heuristic_budget`)
   and stops earlier after 100 perturbations without progress; a large exact model is
   never built before it has run (skipped for ``backend="brute"``). A zero-error net for
   the ``errors`` objective is already optimal and ends the run;
2. **the strongest exact formulation that applies** — for ``backend="cpsat"`` the first
   of :data:`ENGINE_METHODS` that covers the problem (the dichotomy search of
   :mod:`mixedopt.solvers.dichotomy`, the CP-SAT table model of
   :mod:`mixedopt.solvers.cpsat_table`), else the backend's monolithic model — hinted with
   the heuristic's net, with the rest of the time limit; when only a CP-SAT/MIP model
   applies and the problem has more than :data:`MODEL_MAX_CELLS` example x hidden-unit
   cells, the local search keeps the whole limit instead (such models bound nothing there);
3. the best net of all phases is **re-evaluated with the true forward pass**; the bound
   is the best proven one; ``OPTIMAL`` only if they meet;
4. a zero-error request (``weights`` / ``margin``) proven infeasible gets a small
   **certificate**: examples no net of this shape fits, shrunk by deletion filtering with
   the exact solver in the time that is left (``info["certificate_minimal"]`` says whether
   every deletion test was conclusive, i.e. the set is irreducible).

Every phase reports incumbents through one shared clock, so ``incumbent_callback`` sees
anytime progress across the pipeline. Ctrl-C (or KeyboardInterrupt raised by a callback)
returns the best net so far with ``interrupted=True``.

Examples
--------
>>> import mixedopt as mo
>>> X, y, _ = mo.datasets.planted(m=60, d=3, h=2, seed=0)
>>> res = mo.train_exact(X, y, hidden=[2], weights="integer", weight_bound=3,
...                      time_limit=20, seed=0)
>>> res.status.value, res.n_errors
('optimal', 0)
"""

from __future__ import annotations

import importlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problem import TrainingProblem
from mixedopt.result import Progress, ProgressCallback, SolveResult, Status
from mixedopt.solvers import get as get_backend
from mixedopt.solvers.base import (
    LIMIT,
    LogCallback,
    RawResult,
    SolveContext,
    SolveOptions,
    check_options,
    finalize,
)

__all__ = ["METHODS", "certificate", "heuristic_budget", "solve_problem", "train_exact"]

logger = logging.getLogger(__name__)

METHODS = ("auto", "monolithic", "table", "dichotomy", "heuristic")

#: engine methods (name, module, function), strongest first: ``method="auto"`` with
#: ``backend="cpsat"`` runs the first one whose module is shipped and whose
#: ``applicable(problem)`` is true, else the monolithic model. Each function has the shape
#: ``f(problem, *, time_limit, seed, threads, hint, log_callback, incumbent_callback,
#: **native) -> SolveResult``.
ENGINE_METHODS: tuple[tuple[str, str, str], ...] = (
    ("dichotomy", "mixedopt.solvers.dichotomy", "solve_dichotomy"),
    ("table", "mixedopt.solvers.cpsat_table", "solve_table"),
)
#: engine methods that are CP-SAT models (they take CP-SAT native options)
CPSAT_METHODS = ("table",)

#: share of the time limit given to the heuristic phase of ``method="auto"``
HEURISTIC_SHARE = 0.2
HEURISTIC_MAX_S = 20.0
HEURISTIC_S_PER_EXAMPLE = 0.01
#: ``method="auto"`` skips a CP-SAT/MIP exact phase (monolithic or table model) above this
#: many example x hidden-unit cells and lets the heuristic run to the limit: those models
#: proved nothing (bound 0) at 200 x 3 in 60 s, the monolithic one found no net at all
#: at 1,000 x 5, and on digits (100 x 16, margin objective) it raised the margin to 38 in
#: 300 s where the local search reached 814 (``results/bench_exact.md``): beyond this size
#: they only take time from the search
MODEL_MAX_CELLS = 1000
#: the heuristic phase also ends after this many perturbations without progress
HEURISTIC_MAX_STALL = 100

_PIPELINE_STATUS: dict[str, Status | str] = {
    "optimal": Status.OPTIMAL,
    "infeasible": Status.INFEASIBLE,
    "limit": LIMIT,
}


def _optional(module: str, attr: str) -> Callable[..., Any] | None:
    """An engine-perf function if its module is shipped, else None."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(mod, attr, None)


def _local_search() -> Callable[..., SolveResult] | None:
    return _optional("mixedopt.solvers.greedy", "local_search")


def _engine_solver(method: str) -> Callable[..., SolveResult] | None:
    """The solve function of an engine method, if its module is shipped."""
    for name, module, attr in ENGINE_METHODS:
        if name == method:
            return _optional(module, attr)
    return None


def _engine_applies(method: str, problem: TrainingProblem) -> bool:
    """Whether engine ``method`` is shipped and covers ``problem`` (its module's
    ``applicable(problem)``; without one: one hidden layer, binary, integral)."""
    for name, module, _ in ENGINE_METHODS:
        if name != method:
            continue
        if _engine_solver(method) is None:
            return False
        check = _optional(module, "applicable")
        if check is None:
            return problem.integral and problem.is_binary and len(problem.hidden) == 1
        try:
            return bool(check(problem))
        except ValidationError:
            return False
    return False


def _auto_exact_method(problem: TrainingProblem, backend: str, native: dict[str, Any]) -> str:
    """The exact phase of ``method="auto"``: the first applicable engine method (CP-SAT
    backend only: the other backends were asked for by name), else the monolithic model.
    Native options are CP-SAT parameters, so with any given only CP-SAT models qualify."""
    if backend == "cpsat":
        for name, _, _ in ENGINE_METHODS:
            if native and name not in CPSAT_METHODS:
                continue
            if _engine_applies(name, problem):
                return name
    return "monolithic"


def _too_big(problem: TrainingProblem) -> bool:
    """Whether a CP-SAT / MIP model of ``problem`` (monolithic or table) is far past what it
    can bound in practice (:data:`MODEL_MAX_CELLS` example x hidden-unit cells)."""
    return problem.n_samples * sum(problem.hidden) > MODEL_MAX_CELLS


def heuristic_budget(problem: TrainingProblem, time_limit: float | None) -> float:
    """Seconds of the heuristic phase of ``method="auto"``: ``min(20 s, 20 % of the limit,
    max(2 s, 0.01 s per example))`` (at least 1 s or half the limit)."""
    budget = min(HEURISTIC_MAX_S, max(2.0, HEURISTIC_S_PER_EXAMPLE * problem.n_samples))
    if time_limit is not None:
        budget = min(budget, max(min(1.0, time_limit / 2), HEURISTIC_SHARE * time_limit))
    return budget


def _native_lines(ctx: SolveContext) -> LogCallback | None:
    """The user's log callback for a phase, minus the phase's own ``[mixedopt]`` progress
    lines: the phase's events reach ``ctx`` through the forwarder, which logs them once."""
    cb = ctx.options.log_callback
    if cb is None:
        return None

    def native(line: str) -> None:
        if not line.startswith("[mixedopt]"):
            cb(line)

    return native


class _Forwarder:
    """Re-times a phase's progress events on the pipeline clock and re-emits them.

    It remembers what it relayed, so that merging the phase's result into the pipeline
    (:func:`_merge`) records the net and bound without logging the same event twice.
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


def _merge(ctx: SolveContext, res: SolveResult, fwd: _Forwarder) -> None:
    """Fold a phase's result into the pipeline; events the phase already relayed through
    ``fwd`` are recorded silently."""
    source = res.method or res.backend
    if res.net is not None:
        ctx.incumbent(res.net, source=source, emit=not fwd.relayed_incumbent)
    if res.bound is not None and res.status is not Status.INFEASIBLE:
        ctx.bound(res.bound, source=source, emit=res.bound != fwd.relayed_bound)
    if res.interrupted:
        ctx.interrupted = True


def _phase_info(name: str, res: SolveResult) -> dict[str, Any]:
    return {
        "phase": name,
        "status": res.status.value,
        "objective": res.objective,
        "bound": res.bound,
        "wall_time": round(res.wall_time, 3),
    }


# --------------------------------------------------------------------------- phases
def _run_heuristic(
    problem: TrainingProblem,
    ctx: SolveContext,
    budget: float | None,
    stall: bool = True,
    start: ThresholdNet | None = None,
) -> SolveResult | None:
    """The local search for ``budget`` seconds from ``start`` (default: the user's warm
    start); None when it is not shipped or does not apply."""
    ls = _local_search()
    if ls is None:
        return None
    extra: dict[str, Any] = {}
    defaults = _optional("mixedopt.solvers.greedy", "DEFAULTS")
    if stall and isinstance(defaults, dict) and "max_stall" in defaults:
        extra["max_stall"] = HEURISTIC_MAX_STALL  # stop early when it stops improving
    try:
        fwd = _Forwarder(ctx, "greedy")
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
    _merge(ctx, res, fwd)
    return res


def _run_exact(
    problem: TrainingProblem,
    ctx: SolveContext,
    backend: str,
    method: str,
    hint: ThresholdNet | None,
    native: dict[str, Any],
) -> SolveResult:
    left = ctx.time_left()
    if method != "monolithic":
        solve = _engine_solver(method)
        if solve is None:
            raise ValidationError(
                f"method={method!r} is not shipped in this installation; use method='monolithic'."
            )
        fwd = _Forwarder(ctx, method)
        res = solve(
            problem,
            time_limit=left,
            seed=ctx.seed,
            threads=ctx.threads,
            hint=hint,
            log_callback=_native_lines(ctx),
            incumbent_callback=fwd,
            **native,
        )
        _merge(ctx, res, fwd)
        return res
    be = get_backend(backend)
    if hint is not None:
        try:
            problem.check_net(hint)
        except ValidationError:
            hint = None
    fwd = _Forwarder(ctx, backend)
    res = be.solve(
        problem,
        time_limit=left,
        seed=ctx.seed,
        threads=ctx.threads,
        warm_start=hint,
        log_callback=_native_lines(ctx),
        incumbent_callback=fwd,
        **native,
    )
    _merge(ctx, res, fwd)
    return res


def solve_problem(
    problem: TrainingProblem,
    *,
    backend: str = "cpsat",
    method: str = "auto",
    time_limit: float | None = 60.0,
    seed: int = 0,
    threads: int = 1,
    warm_start: ThresholdNet | None = None,
    certificate: bool = True,
    log_callback: LogCallback | None = None,
    incumbent_callback: ProgressCallback | None = None,
    **native: Any,
) -> SolveResult:
    """Run the engine on a validated :class:`TrainingProblem` (see :func:`train_exact`)."""
    time_limit, seed, threads = check_options(
        time_limit=time_limit,
        seed=seed,
        threads=threads,
        log_callback=log_callback,
        incumbent_callback=incumbent_callback,
    )
    if method not in METHODS:
        raise ValidationError(f"unknown method {method!r}; choose from {', '.join(METHODS)}.")
    if method == "table" and backend != "cpsat":
        raise ValidationError("method='table' is a CP-SAT model; use backend='cpsat'.")
    if method in {n for n, _, _ in ENGINE_METHODS} and _engine_solver(method) is None:
        raise ValidationError(
            f"method={method!r} is not shipped in this installation; use method='monolithic'."
        )
    if warm_start is not None:
        if not isinstance(warm_start, ThresholdNet):
            raise ValidationError(
                f"warm_start must be a ThresholdNet, got {type(warm_start).__name__}."
            )
        problem.check_net(warm_start)
    be = get_backend(backend)  # validates the name and the package (extra to install)
    if backend != "greedy" and method in ("auto", "monolithic"):
        reason = be.unsupported_reason(problem)
        if reason is not None:
            raise ValidationError(reason + ".")
    if method in ("auto", "monolithic", "heuristic"):
        be.check_native(native)

    options = SolveOptions(
        time_limit=time_limit,
        seed=seed,
        threads=threads,
        warm_start=warm_start,
        log_callback=log_callback,
        incumbent_callback=incumbent_callback,
        native=dict(native),
    )
    ctx = SolveContext(problem, options, source="auto")
    phases: list[dict[str, Any]] = []
    if warm_start is not None:
        ctx.incumbent(warm_start, source="warm_start", message="warm start")

    exact: SolveResult | None = None
    label = method
    try:
        if backend == "greedy" or method == "heuristic":
            res = _run_heuristic(problem, ctx, ctx.time_left(), stall=False)
            if res is None:
                if backend == "greedy":
                    fwd = _Forwarder(ctx, "greedy")
                    res = be.solve(
                        problem,
                        time_limit=ctx.time_left(),
                        seed=seed,
                        warm_start=warm_start,
                        incumbent_callback=fwd,
                        **native,
                    )
                    _merge(ctx, res, fwd)
                else:
                    raise ValidationError(
                        "method='heuristic' needs mixedopt.solvers.greedy, which is not "
                        "shipped yet."
                    )
            phases.append(_phase_info("heuristic", res))
            label = "heuristic"
        else:
            hint = warm_start
            if method == "auto":
                budget = heuristic_budget(problem, time_limit)
                heur = None if backend == "brute" else _run_heuristic(problem, ctx, budget)
                if heur is not None:
                    phases.append(_phase_info("heuristic", heur))
                    if ctx.best_net is not None:
                        hint = ctx.best_net
                if _settled(problem, ctx) or ctx.interrupted:
                    label = "auto:heuristic"
                else:
                    sub = _auto_exact_method(problem, backend, native)
                    if sub in ("monolithic", "table") and heur is not None and _too_big(problem):
                        # only a CP-SAT/MIP model applies and it is far past what it can
                        # bound: the heuristic keeps the whole limit instead
                        logger.info(
                            "auto: %d examples x %d hidden units is beyond the %s model "
                            "(> %d cells); the local search continues instead",
                            problem.n_samples,
                            sum(problem.hidden),
                            sub,
                            MODEL_MAX_CELLS,
                        )
                        more = _run_heuristic(
                            problem, ctx, ctx.time_left(), stall=False, start=ctx.best_net
                        )
                        if more is not None:
                            phases.append(_phase_info("heuristic", more))
                        label = "auto:heuristic"
                    else:
                        exact = _run_exact(problem, ctx, backend, sub, hint, native)
                        phases.append(_phase_info(sub, exact))
                        label = f"auto:{'heuristic+' if heur is not None else ''}{sub}"
            else:
                exact = _run_exact(problem, ctx, backend, method, hint, native)
                phases.append(_phase_info(method, exact))
    except KeyboardInterrupt:
        ctx.interrupted = True
    if ctx.callback_error is not None:
        raise ctx.callback_error

    settled = _settled(problem, ctx)
    if exact is not None and exact.status is Status.INFEASIBLE:
        native_status = "infeasible"
    elif exact is not None and exact.status is Status.OPTIMAL:
        native_status = "optimal"
    elif settled:
        native_status = "optimal"
    else:
        native_status = "limit"
    bound = None
    if exact is not None and exact.status is not Status.INFEASIBLE:
        bound = exact.bound
    if settled:
        bound = 0.0
    raw = RawResult(
        native_status,
        bound=bound,
        optimal_all=settled or (exact is not None and exact.status is Status.OPTIMAL),
        info={"phases": phases},
    )
    result = finalize(
        problem,
        raw,
        ctx,
        status_map=_PIPELINE_STATUS,
        backend=backend,
        method=label,
        proves_optimality=backend != "greedy",
    )
    if exact is not None:
        for k in ("model", "formulation"):
            if k in exact.info:
                result.info[k] = exact.info[k]
    if result.status is Status.INFEASIBLE and certificate and problem.hard:
        cert, minimal = _certificate(problem, backend, ctx, native)
        result.certificate = cert
        result.info["certificate_minimal"] = minimal
        result.wall_time = ctx.elapsed()
    return result


def _settled(problem: TrainingProblem, ctx: SolveContext) -> bool:
    """A zero-error net for the plain ``errors`` objective is optimal (bound 0)."""
    return (
        problem.objective == ("errors",)
        and ctx.best_net is not None
        and problem.errors(ctx.best_net) == 0
    )


# --------------------------------------------------------------------------- certificate
def _duplicate_conflict(problem: TrainingProblem) -> np.ndarray | None:
    """Two examples with identical inputs and different labels (a minimal certificate)."""
    _, inv = np.unique(problem.X, axis=0, return_inverse=True)
    inv = inv.ravel()
    seen: dict[tuple[int, int], int] = {}
    for k, (g, c) in enumerate(zip(inv.tolist(), problem.y.tolist(), strict=True)):
        for (g2, c2), k2 in seen.items():
            if g2 == g and c2 != c:
                return np.array(sorted((k2, k)))
        seen.setdefault((g, c), k)
    return None


def _certificate(
    problem: TrainingProblem, backend: str, ctx: SolveContext, native: dict[str, Any]
) -> tuple[np.ndarray, bool]:
    dup = _duplicate_conflict(problem)
    if dup is not None:
        return dup, True
    left = ctx.time_left()
    budget = 30.0 if left is None else left
    return certificate(problem, backend=backend, time_limit=budget, seed=ctx.seed, **native)


def certificate(
    problem: TrainingProblem,
    *,
    backend: str = "cpsat",
    time_limit: float = 30.0,
    seed: int = 0,
    subset: Sequence[int] | None = None,
    **native: Any,
) -> tuple[np.ndarray, bool]:
    """Shrink a set of examples that no zero-error net of this shape fits.

    Deletion filtering with chunks (halves, quarters, ..., single examples): a chunk is
    dropped when the rest is *proven* infeasible by ``backend`` (each test stops at the
    first feasible net). The returned set is always proven infeasible; it is irreducible
    (``minimal=True``) when every single-example test was conclusive within the budget.

    Parameters
    ----------
    problem : TrainingProblem
        Any objective; feasibility means zero training errors.
    subset : sequence of int, optional
        A starting set already known to be infeasible (default: every example).

    Returns
    -------
    indices : ndarray of int
        Example indices (into ``problem``).
    minimal : bool
        Whether every example of the set was shown to be necessary.
    """
    start = time.perf_counter()
    be = get_backend(backend)
    feas = problem if problem.hard else problem.with_objective("weights")
    if "margin" in feas.objective and "margin" not in be.objectives:
        feas = feas.with_objective("weights")
    S = list(range(problem.n_samples)) if subset is None else [int(i) for i in subset]
    conclusive = True

    def infeasible(idx: list[int]) -> bool | None:
        nonlocal conclusive
        left = time_limit - (time.perf_counter() - start)
        if left <= 0.05:
            return None
        sub = feas.subset(np.array(idx, dtype=np.int64))
        res = be.solve(sub, time_limit=left, seed=seed, first_solution=True, **native)
        if res.status is Status.INFEASIBLE:
            return True
        if res.status.has_solution:
            return False
        return None

    chunk = max(1, len(S) // 2)
    while True:
        i = 0
        while i < len(S):
            rest = S[:i] + S[i + chunk :]
            verdict = infeasible(rest) if rest else False
            if verdict is True:
                S = rest
            else:
                if verdict is None:
                    conclusive = False
                i += chunk
            if time_limit - (time.perf_counter() - start) <= 0.05:
                return np.array(sorted(S), dtype=np.int64), False
        if chunk == 1:
            break
        chunk = max(1, chunk // 2)
    return np.array(sorted(S), dtype=np.int64), conclusive


# --------------------------------------------------------------------------- public API
def train_exact(
    X: Any,
    y: Any,
    *,
    hidden: int | Sequence[int] | str = (),
    weights: str = "integer",
    weight_bound: float | None = None,
    objective: str | Sequence[str] = "errors",
    backend: str = "cpsat",
    method: str = "auto",
    time_limit: float | None = 60.0,
    seed: int = 0,
    threads: int = 1,
    warm_start: ThresholdNet | None = None,
    sample_weight: Any = None,
    margin: float | None = None,
    certificate: bool = True,
    log_callback: LogCallback | None = None,
    incumbent_callback: ProgressCallback | None = None,
    **native: Any,
) -> SolveResult:
    """Train a sign network exactly (or as well as the time limit allows).

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
        Inputs. Integer inputs keep every pre-activation an integer (exact ``z <= -1``);
        other inputs use the margin semantics below.
    y : array-like, shape (n_samples,)
        Labels: two classes (one output unit, class 1 iff ``z >= 0``) or more (one output
        unit per class, argmax with ties to the lowest index).
    hidden : int, sequence of int or str, default ()
        Hidden layer widths (``[3]``, ``"4,2"``); empty for a single layer.
    weights : {"integer", "binary", "ternary", "real"}, default "integer"
        Weight domain. ``real``: continuous weights in ``[-K, K]`` solved as a MIP
        (``backend="scip"`` or ``"brute"``) with ``z <= -margin`` for inactive units.
    weight_bound : number, optional
        ``K``: integer weights and biases in ``[-K, K]`` (default 3); box of real weights
        (default 1).
    objective : str or sequence, default "errors"
        ``errors`` (minimise misclassified, weighted by ``sample_weight``), ``weights``
        (fewest nonzero weights+biases with zero errors), ``margin`` (largest sum of unit
        margins with zero errors) or a lexicographic combination (``"errors,weights"``).
    backend : {"cpsat", "scip", "maxsat", "brute", "greedy"}, default "cpsat"
        Solver (see :func:`mixedopt.solvers.available`).
    method : {"auto", "monolithic", "table", "dichotomy", "heuristic"}, default "auto"
        ``auto``: heuristic, then the strongest exact model (see the module docstring).
    time_limit : float or None, default 60
        Wall-clock seconds for the whole run (all phases and the certificate).
    seed, threads : int
        Random seed (solvers and heuristic) and solver threads.
    warm_start : ThresholdNet, optional
        A net of the right shape: first incumbent and solver hint.
    sample_weight : array-like of positive int, optional
        Multiplicity of each example in the error count.
    margin : float, optional
        Gap of inactive units for non-integral problems (default 1).
    certificate : bool, default True
        For a zero-error objective proven infeasible, compute a small set of examples no
        net of this shape fits (``result.certificate``).
    log_callback : callable(str), optional
        Native solver log lines.
    incumbent_callback : callable(Progress), optional
        Anytime progress: every improving net (true objective) and bound. Raising
        KeyboardInterrupt from it stops the run with the best net so far.
    **native
        Options passed to the backend (e.g. ``formulation="indicator"`` for SCIP, CP-SAT
        parameters like ``symmetry_level=2``).

    Returns
    -------
    SolveResult
        ``status`` (OPTIMAL only when the proven bound meets the true objective of the
        returned net), ``net`` (verified with the true forward pass), ``objective``,
        ``bound``, ``gap``, ``wall_time``, ``targets`` (realised hidden activations),
        ``n_errors``, ``certificate``, ``log`` and ``info["phases"]``.

    Raises
    ------
    ValidationError
        Bad data or settings, an unknown backend/method, or a backend that cannot handle
        the problem (the message says what to change).
    SolverUnavailableError
        The backend's package is missing (the message names the extra to install).

    Examples
    --------
    >>> import mixedopt as mo
    >>> X, y = mo.datasets.load("xor")
    >>> res = mo.train_exact(X, y, hidden=[2], weights="ternary", objective="weights",
    ...                      time_limit=10)
    >>> res.status.value, res.objective, res.n_errors
    ('optimal', 6, 0)
    """
    problem = TrainingProblem.from_data(
        X,
        y,
        hidden=hidden,
        weights=weights,
        weight_bound=weight_bound,
        objective=objective,
        sample_weight=sample_weight,
        margin=margin,
    )
    if time_limit is not None and (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, (int, float))
        or not math.isfinite(time_limit)
        or time_limit <= 0
    ):
        raise ValidationError(f"time_limit must be a finite number > 0, got {time_limit!r}.")
    return solve_problem(
        problem,
        backend=backend,
        method=method,
        time_limit=time_limit,
        seed=seed,
        threads=threads,
        warm_start=warm_start,
        certificate=certificate,
        log_callback=log_callback,
        incumbent_callback=incumbent_callback,
        **native,
    )
