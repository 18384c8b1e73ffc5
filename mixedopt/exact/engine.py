"""Whole-network exact training: :func:`train_exact` and the engine pipeline.

``method="auto"`` runs an **engine**, not one model:

1. **heuristic first** — the local search (the registry's ``heuristic`` engine method,
   :mod:`mixedopt.solvers.greedy`) gets
   ``min(20 s, 20 % of the limit, max(2 s, 10 ms per example))`` (:func:`heuristic_budget`)
   and stops earlier after 100 perturbations without progress; a large exact model is
   never built before it has run (skipped for backends that declare
   ``auto_heuristic = False``: ``brute``). A zero-error net for
   the ``errors`` objective is already optimal and ends the run;
2. **the strongest exact formulation that applies** — the first registered engine method
   whose ``auto_backends`` name the backend and that covers the problem (for the default
   ``cpsat``: the dichotomy search of :mod:`mixedopt.solvers.dichotomy`, the CP-SAT table
   model of :mod:`mixedopt.solvers.table`), else the backend's monolithic model — hinted with
   the heuristic's net, with the rest of the time limit. The engine methods run only up
   to :data:`AUTO_ENGINE_MAX_UNITS` first-layer units (beyond, the monolithic model does
   better); when only a CP-SAT/MIP model applies and the problem has more than
   :data:`MODEL_MAX_CELLS` example x hidden-unit cells, the local search keeps the whole
   limit instead (such models bound nothing there);
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

import logging
import math
from collections.abc import Sequence
from typing import Any

from mixedopt.errors import ValidationError
from mixedopt.exact.certificate import certificate, certificate_after_run
from mixedopt.exact.parallel import exact_phase, overlapped_phases, parallel_settings
from mixedopt.exact.phases import (
    HEURISTIC,
    Forwarder,
    auto_methods,
    engine_applies,
    engine_solver,
    exact_methods,
    merge,
    phase_budget,
    phase_info,
    run_heuristic,
)
from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import ProgressCallback, SolveResult, Status
from mixedopt.solvers.base import (
    LIMIT,
    LogCallback,
    RawResult,
    SolveContext,
    SolveOptions,
    check_options,
    finalize,
)
from mixedopt.solvers.registry import DEFAULT_BACKEND, find, method_spec, methods
from mixedopt.solvers.registry import get as get_backend
from mixedopt.validation import check_network_size, check_weight_bound

__all__ = ["METHODS", "certificate", "heuristic_budget", "solve_problem", "train_exact"]

logger = logging.getLogger(__name__)

#: the engine's own methods; the others come from the registry (engine methods)
BUILTIN_METHODS = ("auto", "monolithic")
#: every ``method=`` of :func:`train_exact` when this module was imported
#: (:func:`engine_methods` also sees methods registered later)
METHODS = (*BUILTIN_METHODS, *(entry.name for entry in methods()))

#: share of the time limit given to the heuristic phase of ``method="auto"``
HEURISTIC_SHARE = 0.2
HEURISTIC_MAX_S = 20.0
HEURISTIC_S_PER_EXAMPLE = 0.01
#: ``method="auto"`` skips a CP-SAT/MIP exact phase (monolithic or table model) above this
#: many example x hidden-unit cells and lets the heuristic run to the limit: those models
#: proved nothing (bound 0) at 200 x 3 in 60 s, the monolithic one found no net at all
#: at 1,000 x 5, and on digits (100 x 16, margin objective) it raised the margin to 38 in
#: 300 s where the local search reached 814 (measured on data seeds 0 and 2 while tuning,
#: see ``results/bench_exact_notes.md``; the benchmark reports on other seeds): beyond this
#: size they only take time from the search
MODEL_MAX_CELLS = 1000
#: ``method="auto"`` runs the engine methods (dichotomy search, table model) only while the
#: first layer has at most this many units (integer domain ``(2K+1)^(d+1)``): up to
#: ``d = 4`` at ``K = 3`` (16,807 units) the dichotomy search proves optima (d = 4,
#: m = 400 in 35 s); at ``d = 5`` (117,649) and ``d = 6`` (823,543) it proved none in 60 s
#: and the hinted monolithic CP-SAT model ended with fewer errors on 2/6 and 3/5 planted
#: instances (d = 6, m = 200: 9 vs 11 and 5 vs 6), worse on none; the table model was
#: worse still (24 and 20 errors). Above the cap ``auto`` goes to the monolithic model
#: (within :data:`MODEL_MAX_CELLS`) or keeps the local search
AUTO_ENGINE_MAX_UNITS = 50_000
#: ``method="auto"`` runs an engine method only when the output-function table it builds
#: before its first clock check fits in the time left: each method's registry entry gives
#: its rough cost (``setup_s_per_cell``, ``setup_s_per_permutation``, measured on one core)
_PIPELINE_STATUS: dict[str, Status | str] = {
    "optimal": Status.OPTIMAL,
    "infeasible": Status.INFEASIBLE,
    "limit": LIMIT,
}


def engine_methods() -> tuple[str, ...]:
    """Every ``method=`` of :func:`train_exact`: the engine's own, then the registered
    engine methods."""
    return (*BUILTIN_METHODS, *(entry.name for entry in methods()))


def _canonical(backend: Any) -> Any:
    """The registry name of ``backend`` (aliases resolved); unknown names unchanged."""
    entry = find(backend)
    return backend if entry is None else entry.name


def _solver_model(method: str) -> bool:
    """Whether ``method`` is a solver's (CP-SAT / MIP) model: the monolithic model or an
    engine method that needs a backend (bounded by :data:`MODEL_MAX_CELLS`)."""
    entry = method_spec(method)
    return method == "monolithic" or (entry is not None and entry.needs_backend is not None)


def _auto_exact_method(
    problem: TrainingProblem,
    backend: str,
    native: dict[str, Any],
    time_left: float | None = None,
) -> str:
    """The exact phase of ``method="auto"``: the first applicable engine method whose
    ``auto_backends`` name ``backend`` (the default backend: the other backends were asked
    for by name), else the monolithic model. Native options are the backend's parameters,
    so with any given only the backend's own models (``needs_backend``) qualify.
    Engine methods are skipped above :data:`AUTO_ENGINE_MAX_UNITS` first-layer units, and
    when their set-up (:func:`_engine_setup_seconds`) would not fit in ``time_left``."""
    backend = _canonical(backend)
    candidates = auto_methods(backend)
    if candidates:
        units = None if problem.weights == "real" else problem.n_unit_choices(0)
        if units is not None and units > AUTO_ENGINE_MAX_UNITS:
            logger.info(
                "auto: the first layer has %d units (> %d); the monolithic model replaces %s",
                units,
                AUTO_ENGINE_MAX_UNITS,
                " and ".join(f"the {entry.label}" for entry in candidates),
            )
            return "monolithic"
        for entry in candidates:
            name = entry.name
            if native and entry.needs_backend != backend:
                continue
            if not engine_applies(name, problem):
                continue
            setup = _engine_setup_seconds(name, problem)
            if time_left is not None and setup > time_left:
                logger.info(
                    "auto: %s skipped: its output-function table (%d hidden units) takes "
                    "about %.3g s to build, %.3g s of the time limit are left",
                    name,
                    problem.hidden[0],
                    setup,
                    time_left,
                )
                continue
            return name
    return "monolithic"


def _engine_setup_seconds(name: str, problem: TrainingProblem) -> float:
    """Rough seconds engine method ``name`` spends on ``problem``'s output-function table
    before it first checks the clock (its registry entry's ``setup_s_per_cell`` and
    ``setup_s_per_permutation``); only for the one-hidden-layer discrete problems the
    engine methods cover."""
    h = int(problem.hidden[0])
    if h > 40:  # no huge integers: 2**41 cells are out of reach anyway
        return math.inf
    entry = method_spec(name)
    if entry is None:
        return 0.0
    units = problem.n_unit_choices(1)
    seconds = entry.setup_s_per_cell * units * 2**h
    if entry.setup_s_per_permutation and h >= 4:
        seconds += entry.setup_s_per_permutation * units * math.factorial(h)
    return seconds


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


def solve_problem(
    problem: TrainingProblem,
    *,
    backend: str = DEFAULT_BACKEND,
    method: str = "auto",
    time_limit: float | None = 60.0,
    seed: int = 0,
    threads: int = 1,
    warm_start: ThresholdNet | None = None,
    certificate: bool = True,
    log_callback: LogCallback | None = None,
    incumbent_callback: ProgressCallback | None = None,
    n_jobs: int = 1,
    executor: Any = None,
    address: str | None = None,
    **native: Any,
) -> SolveResult:
    """Run the engine on a validated :class:`TrainingProblem` (see :func:`train_exact`)."""
    parallel = parallel_settings(executor, n_jobs, address)
    time_limit, seed, threads = check_options(
        time_limit=time_limit,
        seed=seed,
        threads=threads,
        log_callback=log_callback,
        incumbent_callback=incumbent_callback,
    )
    all_methods = engine_methods()
    if method not in all_methods:
        raise ValidationError(f"unknown method {method!r}; choose from {', '.join(all_methods)}.")
    entry = find(backend)
    name = backend if entry is None else entry.name
    if entry is not None and entry.heuristic and method not in (*BUILTIN_METHODS, HEURISTIC):
        # 'monolithic' is the backend's own model alone: for a local search, the search
        raise ValidationError(
            f"backend={backend!r} is a local search and runs no exact model, so "
            f"method={method!r} does not apply; use method='auto' with it, or an exact "
            f"backend such as backend={DEFAULT_BACKEND!r} for that method."
        )
    check_weight_bound(problem.weight_bound, problem.weights)
    check_network_size(problem.sizes, problem.n_samples)
    mentry = method_spec(method)
    if mentry is not None and mentry.needs_backend is not None and name != mentry.needs_backend:
        needed = find(mentry.needs_backend)
        label = mentry.needs_backend if needed is None else needed.label
        raise ValidationError(
            f"method={method!r} is a {label} model; use backend={mentry.needs_backend!r}."
        )
    if method in {e.name for e in exact_methods()} and engine_solver(method) is None:
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
    if not be.heuristic and method in BUILTIN_METHODS:
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
    no_model: str | None = None  # why method="auto" built no exact model (the size cap)
    label = method
    try:
        if be.heuristic or method == HEURISTIC:
            res = run_heuristic(problem, ctx, ctx.time_left(), stall=False)
            if res is None:
                run, left = phase_budget(ctx, "heuristic")
                if be.heuristic and run:
                    fwd = Forwarder(ctx, be.name)
                    res = be.solve(
                        problem,
                        time_limit=left,
                        seed=seed,
                        warm_start=warm_start,
                        incumbent_callback=fwd,
                        **native,
                    )
                    merge(ctx, res, fwd)
                elif run:  # not for want of time
                    hentry = method_spec(HEURISTIC)
                    where = "a local search" if hentry is None else hentry.module
                    raise ValidationError(
                        f"method='heuristic' needs {where}, which is not shipped yet."
                    )
            phases.append(phase_info("heuristic", res))
            label = "heuristic"
        else:
            hint = warm_start
            if method == "auto":
                budget = heuristic_budget(problem, time_limit)
                both = None  # on workers, the local search runs beside the parallel search
                if parallel is not None and be.auto_heuristic:
                    first = _auto_exact_method(problem, backend, native, ctx.time_left())
                    both = overlapped_phases(problem, ctx, first, budget, native, parallel)
                heur = None
                if both is None and be.auto_heuristic:
                    heur = run_heuristic(problem, ctx, budget)
                if heur is not None:
                    phases.append(phase_info("heuristic", heur))
                    if ctx.best_net is not None:
                        hint = ctx.best_net
                if both is not None:
                    heur, exact = both
                    phases += [phase_info("heuristic", heur), phase_info(first, exact)]
                    label = f"auto:heuristic+{first}" if heur is not None else f"auto:{first}"
                elif _settled(problem, ctx) or ctx.interrupted:
                    label = "auto:heuristic"
                else:
                    sub = _auto_exact_method(problem, backend, native, ctx.time_left())
                    if _solver_model(sub) and heur is not None and _too_big(problem):
                        # only a CP-SAT/MIP model applies and it is far past what it can
                        # bound: the heuristic keeps the whole limit instead
                        no_model = (
                            f"no exact model built: {problem.n_samples} examples x "
                            f"{sum(problem.hidden)} hidden units = "
                            f"{problem.n_samples * sum(problem.hidden)} cells, above the "
                            f"{MODEL_MAX_CELLS}-cell cap of the {sub} model; the local search "
                            "ran instead, so no bound is proven whatever the time limit "
                            f"(method={sub!r} builds it anyway)"
                        )
                        logger.info("auto: %s", no_model)
                        ctx.note(no_model, source="auto")
                        more = run_heuristic(
                            problem, ctx, ctx.time_left(), stall=False, start=ctx.best_net
                        )
                        if more is not None:
                            phases.append(phase_info("heuristic", more))
                        label = "auto:heuristic"
                    else:
                        exact = exact_phase(problem, ctx, backend, sub, hint, native, parallel)
                        phases.append(phase_info(sub, exact))
                        if exact is None:  # no time left for it (logged)
                            label = "auto:heuristic" if heur is not None else "auto"
                        else:
                            label = f"auto:{'heuristic+' if heur is not None else ''}{sub}"
            else:
                exact = exact_phase(problem, ctx, backend, method, hint, native, parallel)
                phases.append(phase_info(method, exact))
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
        # a zero-error net of the errors objective is optimal whoever found it (the
        # trivial bound 0 is a proof); otherwise the local search proves nothing
        proves_optimality=not be.heuristic or settled,
    )
    if no_model is not None:
        result.info["exact_model"] = no_model
    if exact is not None:
        for k in ("model", "formulation", "margin_model_bound", "margin_model_infeasible"):
            if k in exact.info:
                result.info[k] = exact.info[k]
    if parallel is not None:
        found = exact.info.get("parallel") if exact is not None else None
        result.info["parallel"] = found or {"note": parallel.note or "no exact phase ran"}
    if result.status is Status.INFEASIBLE and certificate and problem.hard:
        cert, minimal = certificate_after_run(problem, backend, ctx, native)
        result.certificate = cert
        result.info["certificate_minimal"] = minimal
        result.wall_time = ctx.elapsed()
    return result


def _settled(problem: TrainingProblem, ctx: SolveContext) -> bool:
    """A zero-error net for the plain ``errors`` objective is optimal (bound 0)."""
    return (
        problem.objective == ("errors",)
        and ctx.best_net is not None
        and ctx.best_key is not None
        and ctx.best_key[0] == 0  # the best net's errors (no second forward pass)
    )


# --------------------------------------------------------------------------- public API
def train_exact(
    X: Any,
    y: Any,
    *,
    hidden: int | Sequence[int] | str = (),
    weights: str = "integer",
    weight_bound: float | None = None,
    objective: str | Sequence[str] = "errors",
    backend: str = DEFAULT_BACKEND,
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
    n_jobs: int = 1,
    executor: Any = None,
    address: str | None = None,
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
    n_jobs : int, default 1
        Workers of the exact phase (``-1``: every core). Above 1, the dichotomy search
        runs as parts on the workers with a shared incumbent
        (:mod:`mixedopt.exact.parallel`, ``docs/scaling.md``); other exact phases run in
        this process (``info["parallel"]["note"]`` says so). Status, bound and net are as
        sound as with one job.
    executor : {"serial", "ray"}, Executor or None, default None
        Where the workers run: ``None`` is ``"serial"`` for one job and ``"ray"`` for more
        (``pip install 'mixedopt[ray]'``); a :class:`mixedopt.executors.Executor` instance
        is used as given and left open (e.g. one Ray cluster for many calls).
    address : str, optional
        An existing Ray cluster (``"auto"``, ``"ray://host:10001"``); default: a local
        cluster of ``n_jobs`` CPUs, started for the exact phase and shut down after it.
    **native
        Options passed to the backend (e.g. ``formulation="indicator"`` for SCIP, CP-SAT
        parameters like ``symmetry_level=2``).

    Returns
    -------
    SolveResult
        ``status`` (OPTIMAL only when the proven bound meets the true objective of the
        returned net), ``net`` (verified with the true forward pass), ``objective``,
        ``bound``, ``gap``, ``wall_time``, ``targets`` (realised hidden activations),
        ``n_errors``, ``certificate``, ``log`` and ``info["phases"]``; when
        ``method="auto"`` built no exact model because of :data:`MODEL_MAX_CELLS`,
        ``info["exact_model"]`` says so (and a progress event carried the same message).

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
    check_weight_bound(weight_bound, weights)
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
        n_jobs=n_jobs,
        executor=executor,
        address=address,
        **native,
    )
