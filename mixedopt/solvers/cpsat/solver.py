"""Running OR-Tools CP-SAT: status map, native parameters, solver setup and callbacks.

Shared by the monolithic backend (:mod:`mixedopt.solvers.cpsat`), the per-layer target
model (:mod:`mixedopt.solvers.cpsat.layer_targets`) and the table formulation
(:mod:`mixedopt.solvers.table`): :func:`run_solver` solves a ``CpModel`` with
incumbents and bounds reported to a :class:`~mixedopt.solvers.base.SolveContext`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mixedopt.errors import SolverError
from mixedopt.result import Status
from mixedopt.solvers.base import LIMIT, SolveContext, pass_native

__all__ = ["STATUS_MAP", "check_native_params", "configure_solver", "run_solver"]

STATUS_MAP: dict[str, Status | str] = {
    "OPTIMAL": Status.OPTIMAL,
    "FEASIBLE": LIMIT,
    "INFEASIBLE": Status.INFEASIBLE,
    "UNKNOWN": LIMIT,
}


def cp():
    from ortools.sat.python import cp_model

    return cp_model


def check_native_params(native: Mapping[str, Any]) -> None:
    """Raise ValidationError for an unknown CP-SAT parameter name or a bad value."""
    if not native:
        return
    from ortools.sat import sat_parameters_pb2

    pass_native(sat_parameters_pb2.SatParameters(), native, backend="cpsat")


def _base_params(prm: Any, time_limit: float | None, seed: int, threads: int) -> None:
    """Time limit, seed and threads of CP-SAT ``SatParameters``; no log to stdout."""
    if time_limit is not None:
        prm.max_time_in_seconds = max(0.01, float(time_limit))
    prm.random_seed = int(seed) % (2**31)
    prm.num_workers = int(threads)
    prm.log_to_stdout = False


def configure_solver(solver: Any, ctx: SolveContext, time_limit: float | None) -> None:
    """Apply time limit, seed, threads, logging and native options to a ``CpSolver``."""
    prm = solver.parameters
    _base_params(prm, time_limit, ctx.seed, ctx.threads)
    if ctx.options.log_callback is not None:
        prm.log_search_progress = True
        solver.log_callback = ctx.log_line
    pass_native(prm, ctx.options.native, backend="cpsat")


class _Callback:
    """Factory of a CpSolverSolutionCallback reporting incumbents to a SolveContext."""

    @staticmethod
    def make(ctx: SolveContext, decode, bound_of, source: str):
        cp_model = cp()

        class CB(cp_model.CpSolverSolutionCallback):
            def __init__(self) -> None:
                super().__init__()
                self.n = 0

            def on_solution_callback(self) -> None:
                self.n += 1
                try:
                    net = decode(self.Value)
                    ctx.bound(bound_of(self.BestObjectiveBound()), source=source)
                    ctx.incumbent(net, source=source)
                except KeyboardInterrupt:
                    ctx.interrupt()
                if ctx.stop_requested:
                    self.StopSearch()

        return CB()


def run_solver(model: Any, ctx: SolveContext, decode, bound_of, source: str):
    """Solve ``model`` with incumbents reported through ``ctx``; returns (solver, status)."""
    cp_model = cp()
    solver = cp_model.CpSolver()
    configure_solver(solver, ctx, ctx.time_left())
    cb = _Callback.make(ctx, decode, bound_of, source)
    limit = ctx.time_left()
    try:
        code = solver.Solve(model, cb)
    except KeyboardInterrupt:
        ctx.interrupt()
        code = cp_model.UNKNOWN
    name = solver.StatusName(code)
    if name in ("FEASIBLE", "UNKNOWN") and _stopped_by_sigint(solver, ctx, limit):
        ctx.interrupt()
    if name == "MODEL_INVALID":
        why = model.Validate() or (
            "the model is valid, so a solver parameter is not: check the native options "
            f"passed through ({str(solver.parameters).strip().replace(chr(10), '; ')})"
        )
        raise SolverError(f"CP-SAT rejected the model: {why}")
    return solver, name


def _stopped_by_sigint(solver: Any, ctx: SolveContext, limit: float | None) -> bool:
    """CP-SAT catches Ctrl-C itself and just stops: a limit status well before the time
    limit, with no stop requested by us and no other native limit, means it did."""
    if ctx.stop_requested or ctx.options.first_solution:
        return False
    if any(
        "limit" in k or (k.startswith("max_") and k != "max_time_in_seconds")
        for k in ctx.options.native
    ):
        return False
    return limit is None or solver.WallTime() < limit - 0.25


def plain_solver(time_limit: float | None, seed: int, threads: int, native: Mapping[str, Any]):
    cp_model = cp()
    solver = cp_model.CpSolver()
    prm = solver.parameters
    _base_params(prm, time_limit, seed, threads)
    pass_native(prm, native, backend="cpsat")
    return solver
