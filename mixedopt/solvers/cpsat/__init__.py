"""OR-Tools CP-SAT backend: the naive monolithic CP model (``backend="cpsat"``).

Formulation (integral problems: integer inputs, discrete weights; sign(0) = +1):

* weights ``W_l[j, i]`` and biases ``b_l[j]`` are integer variables over the weight domain
  (``binary`` {-1, 1}; ``ternary`` [-1, 1]; ``integer`` [-K, K]; biases see
  :meth:`~mixedopt.problems.training.TrainingProblem.bias_bounds`);
* one Boolean ``u[k, j]`` per example and hidden unit (``a = 2u - 1``), linked to the
  pre-activation by half-reification, exact without any big-M:
  ``z >= 0`` if ``u`` and ``z <= -1`` if not ``u``;
* the first layer is linear in the weights (``X`` is data); deeper layers use one product
  variable ``p = W * a`` per (example, unit, input): ``p == W`` if ``u`` else ``p == -W``;
* binary output: a Boolean ``c_k`` per example with ``c_k => z >= 0`` (label +1) or
  ``c_k => z <= -1`` (label -1); multi-class (argmax, ties to the lowest index):
  ``c_k => z_c >= z_j + 1`` for ``j < c`` and ``z_c >= z_j`` for ``j > c``;
* objectives: ``errors`` = sum of ``sample_weight * (1 - c_k)``; ``weights`` = sum of
  indicators ``nz >= [w != 0]``; ``margin`` = sum of per-unit margins ``mu_j``
  (``z >= mu`` if active, ``z <= -1 - mu`` if inactive); a lexicographic objective is folded
  into one integer objective exactly (:class:`~mixedopt.solvers.base.LexScalarizer`).
  ``weights``/``margin`` require zero errors: the ``c_k`` are then fixed to true.

This is the baseline ("naive") model of the notes; the stronger table formulation with
symmetry breaking lives in :mod:`mixedopt.solvers.table`. The per-layer
target-assignment model is :func:`assign_layer_targets`.

Layout: this module holds the registered backend (:class:`CPSATBackend`);
:mod:`~mixedopt.solvers.cpsat.model` the model (:class:`MonolithicModel`),
:mod:`~mixedopt.solvers.cpsat.solver` what runs CP-SAT (status map, parameters, the
incumbent callback: :func:`run_solver`, :func:`configure_solver`), shared with
:mod:`mixedopt.solvers.table`, and :mod:`~mixedopt.solvers.cpsat.layer_targets` the
per-layer target-assignment model (:func:`assign_layer_targets`, :meth:`CPSATBackend.assign`).

Native options are fields of CP-SAT's ``SatParameters`` (e.g. ``symmetry_level=2``,
``linearization_level=2``); unknown names raise :class:`~mixedopt.errors.ValidationError`.

Examples
--------
>>> import mixedopt as mo
>>> X, y = mo.datasets.load("xor")
>>> res = mo.solvers.get("cpsat").solve_data(X, y, hidden=[2], weights="ternary",
...                                          time_limit=10)
>>> res.status.value, res.objective
('optimal', 0)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from mixedopt.problems.layer import RawAssignment, TargetProblem
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Status
from mixedopt.solvers.base import Backend, RawResult, SolveContext
from mixedopt.solvers.cpsat.layer_targets import assign_layer_targets
from mixedopt.solvers.cpsat.model import MonolithicModel
from mixedopt.solvers.cpsat.solver import (
    STATUS_MAP,
    check_native_params,
    configure_solver,
    run_solver,
)

__all__ = [
    "CPSATBackend",
    "MonolithicModel",
    "assign_layer_targets",
    "configure_solver",
    "run_solver",
]

logger = logging.getLogger(__name__)


class CPSATBackend(Backend):
    """OR-Tools CP-SAT, naive monolithic model (see the module docstring)."""

    name = "cpsat"
    label = "CP-SAT"
    scaled_inputs = True
    description = "OR-Tools CP-SAT, monolithic CP model"
    packages = ("ortools",)
    extra = None
    domains = frozenset({"binary", "ternary", "integer"})
    needs_integral = True
    STATUS_MAP: ClassVar[dict[str, Status | str]] = STATUS_MAP

    def check_native(self, native: Mapping[str, Any]) -> None:
        check_native_params(native)

    def assign(
        self,
        problem: TargetProblem,
        *,
        time_limit: float | None,
        seed: int = 0,
        threads: int = 1,
        initial_layer: tuple[Any, Any] | None = None,
        **native: Any,
    ) -> RawAssignment:
        """The exact CP-SAT target-assignment model (:func:`assign_layer_targets`)."""
        return assign_layer_targets(
            problem, time_limit=time_limit, seed=seed, threads=threads, **native
        )

    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        mm = MonolithicModel(problem, ctx)
        if ctx.options.warm_start is not None:
            mm.add_hint(ctx.options.warm_start)
        elif ctx.best_net is not None:
            mm.add_hint(ctx.best_net)
        info = {"model": mm.size()}
        if ctx.stop_requested:
            return RawResult("UNKNOWN", info=info)
        solver, status = run_solver(mm.model, ctx, mm.decode, mm.primary_bound, self.name)
        info["wall_time_solver"] = solver.WallTime()
        if status in ("OPTIMAL", "FEASIBLE"):
            net = mm.decode(solver.Value)
            has_obj = mm.has_objective
            bound = (
                mm.primary_bound(solver.BestObjectiveBound())
                if has_obj
                else problem.objective_value(net)
                if status == "OPTIMAL"
                else None
            )
            return RawResult(
                status,
                net=net,
                objective=mm.belief(solver.Value),
                bound=bound,
                optimal_all=status == "OPTIMAL",
                info=info,
            )
        return RawResult(status, info=info)
