"""SCIP backend (PySCIPOpt): the training MIPs of ``backend="scip"``.

The native option ``formulation`` picks the model; the default ``"auto"`` takes the
**unit-selection MIP** (``"selection"``, :mod:`mixedopt.solvers.scip.selection`) where it
applies — binary output, one hidden layer, integer inputs, discrete weights, the ``errors``
objective, at most :data:`~mixedopt.solvers.scip.selection.AUTO_MAX_UNITS` first-layer units
and :data:`~mixedopt.solvers.scip.selection.MAX_SELECTION_VARS` selection binaries — and the
big-M monolithic model otherwise (``info["selection_skipped"]`` says why). The selection
model picks each hidden unit among the dichotomies the weight domain realises on the data,
with no weight variable. On planted ``m = 24, d = 4, h = 2, K = 2`` instances with 10 % noise
it proves the optimum in 0.05-1.2 s, median 1.65x the monolithic CP-SAT model's time, where
the monolithic SCIP model took a median 38x (one of five unproven in 60 s); at ``m = 48`` and
at ``h = 3`` it is on par with CP-SAT (``scripts/bench_scip.py``, ``results/bench_scip.md``).

The monolithic model is the same model as :mod:`mixedopt.solvers.cpsat` as a MIP, for every
weight domain including ``real`` (continuous weights in ``[-K, K]``):

* binaries ``u[k, j]`` (hidden activations) and ``c_k`` (example correctly classified;
  fixed to 1 for the zero-error objectives ``weights``/``margin``);
* threshold links ``u => z >= tol + mu``, ``not u => z <= -eps - mu`` (``tol``, ``eps`` from
  :meth:`~mixedopt.problems.training.TrainingProblem.active_tol` / ``eps``: 0 and 1 on integral
  layers), in one of these formulations (native option ``formulation``):

  - ``"bigm"`` (what ``auto`` falls back to): rows with a **per-example** constant
    ``M_k = K * ||x_k||_1 + B`` (first layer) or ``K * n_in + B`` (deeper), never a global
    one;
  - ``"indicator"``: SCIP indicator constraints (no M in the model; SCIP separates them);
  - ``"hull"``: the convex hull of each first-layer disjunction over the weight box
    (``(w, b, mu)`` disaggregated into one copy per side, scaled by ``u`` / ``1 - u``);
    deeper layers and the output use big-M;

* products ``p = w * a`` of deeper layers: four exact McCormick rows with ``M = 2K``;
* a lexicographic objective is solved in stages: optimise the first criterion, constrain
  it to the value found, re-optimise the next one with the time left (the result is
  ``OPTIMAL`` only if every stage closed).

Native options: SCIP parameters by name (``**{"limits/gap": 0.01}`` or
``scip_params={"presolving/maxrounds": 0}``; they override the selection model's
:data:`~mixedopt.solvers.scip.selection.SCIP_DEFAULTS`) and ``formulation`` (``"auto"``,
``"bigm"``, ``"indicator"``, ``"hull"``, ``"selection"``). Unknown parameter names
raise :class:`~mixedopt.errors.ValidationError`.

Layout: this module holds the registered backend (:class:`SCIPBackend`: the choice of
model, the lexicographic stages and the progress event handler);
:mod:`~mixedopt.solvers.scip.model` the monolithic MIP
(:class:`~mixedopt.solvers.scip.model.Model`), :mod:`~mixedopt.solvers.scip.selection` the
unit-selection MIP, :mod:`~mixedopt.solvers.scip.native` the formulation names, status map
and parameter handling, and
:mod:`~mixedopt.solvers.scip.layer_targets` the per-layer target-assignment MIP
(:func:`assign_layer_targets`).

Examples
--------
>>> import mixedopt as mo
>>> X, y = mo.datasets.load("xor")
>>> res = mo.solvers.get("scip").solve_data(X, y, hidden=[2], weights="integer",
...                                         weight_bound=1, time_limit=20)
>>> res.status.value, res.objective
('optimal', 0)
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from mixedopt.errors import SolverError, ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problems.layer import RawAssignment, TargetProblem
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Status
from mixedopt.solvers.base import Backend, RawResult, SolveContext
from mixedopt.solvers.scip.layer_targets import assign_layer_targets
from mixedopt.solvers.scip.model import Model
from mixedopt.solvers.scip.native import FORMULATIONS, STATUS_MAP, set_params, split_native
from mixedopt.solvers.scip.selection import (
    AUTO_MAX_UNITS,
    SCIP_DEFAULTS,
    SelectionModel,
    SelectionTooLarge,
    selection_unsupported,
)

__all__ = ["FORMULATIONS", "SCIPBackend", "assign_layer_targets"]

logger = logging.getLogger(__name__)


class _Events:
    """SCIP event handler forwarding incumbents, bounds and log lines to a SolveContext.

    One handler serves every lexicographic stage: ``state["stage"]`` names the criterion
    being optimised and ``state["bound_of"]`` turns SCIP's dual bound into a bound on it;
    only the primary stage's dual bound is reported.
    """

    @staticmethod
    def make(mm: Model, ctx: SolveContext, state: dict[str, Any], logfile: str | None):
        scip = mm.scip
        kinds = (scip.SCIP_EVENTTYPE.BESTSOLFOUND, scip.SCIP_EVENTTYPE.NODESOLVED)

        class H(scip.Eventhdlr):
            pos = 0

            def eventinit(self) -> None:
                for ev in kinds:
                    self.model.catchEvent(ev, self)

            def eventexit(self) -> None:
                for ev in kinds:
                    self.model.dropEvent(ev, self)

            def eventexec(self, event: Any) -> None:
                md = self.model
                stage = state["stage"]
                try:
                    if event.getType() == scip.SCIP_EVENTTYPE.BESTSOLFOUND:
                        ctx.incumbent(mm.decode(md.getBestSol()), source="scip", message=stage)
                    if stage == mm.p.objective[0]:
                        ctx.bound(state["bound_of"](md.getDualbound()), source="scip")
                    if logfile is not None:
                        self.pos = _forward_log(logfile, self.pos, ctx)
                except KeyboardInterrupt:
                    ctx.interrupt()
                if ctx.stop_requested:
                    md.interruptSolve()

        return H()


def _build(
    problem: TrainingProblem, formulation: str, ctx: SolveContext
) -> tuple[Model | SelectionModel, str | None]:
    """The model of ``formulation`` (``"auto"``: the selection model where it applies and
    stays within its size caps, else big-M) and, when ``auto`` fell back, why."""
    if formulation == "selection":
        try:
            return SelectionModel(problem, ctx), None
        except SelectionTooLarge as exc:
            raise ValidationError(
                f"formulation='selection' is too large here: {exc}; use formulation='bigm'."
            ) from exc
    note = None
    if formulation == "auto":
        note = selection_unsupported(problem, AUTO_MAX_UNITS)
        if note is None:
            try:
                return SelectionModel(problem, ctx, max_units=AUTO_MAX_UNITS), None
            except SelectionTooLarge as exc:
                note = f"the selection model is too large ({exc})"
        logger.debug("scip formulation auto: big-M model (%s)", note)
        formulation = "bigm"
    return Model(problem, formulation, ctx), note


def _forward_log(path: str, pos: int, ctx: SolveContext) -> int:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            f.seek(pos)
            chunk = f.read()
            pos = f.tell()
    except OSError:
        return pos
    for line in chunk.splitlines():
        ctx.log_line(line)
    return pos


class SCIPBackend(Backend):
    """SCIP monolithic MIP (see the module docstring)."""

    name = "scip"
    label = "SCIP"
    scaled_inputs = True
    description = "SCIP MIP (unit selection where it applies, else big-M or indicator links)"
    packages = ("pyscipopt",)
    extra = "scip"
    STATUS_MAP: ClassVar[dict[str, Status | str]] = STATUS_MAP

    def check_native(self, native: Mapping[str, Any]) -> None:
        _, params = split_native(native)
        if params:
            import pyscipopt as scip

            set_params(scip.Model(), params)

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
        """The exact target-assignment MIP (:func:`assign_layer_targets`)."""
        return assign_layer_targets(
            problem, time_limit=time_limit, seed=seed, threads=threads, **native
        )

    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        formulation, params = split_native(ctx.options.native)
        mm, why_not_selection = _build(problem, formulation, ctx)
        md = mm.model
        md.setParam("randomization/randomseedshift", int(ctx.seed) % 2**31)
        md.setParam("parallel/maxnthreads", int(ctx.threads))
        if isinstance(mm, SelectionModel):
            set_params(md, {k: v for k, v in SCIP_DEFAULTS.items() if k not in params})
        set_params(md, params)
        logfile = None
        if ctx.options.log_callback is not None:
            fd, logfile = tempfile.mkstemp(prefix="mixedopt-scip-", suffix=".log")
            os.close(fd)
            md.setLogfile(logfile)
            md.setIntParam("display/verblevel", 4)
        start = ctx.options.warm_start or ctx.best_net
        info: dict[str, Any] = {
            "model": getattr(mm, "size_info", None)
            or {"variables": md.getNVars(), "constraints": md.getNConss()},
            "formulation": mm.formulation,
        }
        if why_not_selection is not None:
            info["selection_skipped"] = why_not_selection
        try:
            return self._stages(problem, mm, ctx, start, logfile, info)
        finally:
            if logfile is not None:
                try:
                    os.unlink(logfile)
                except OSError:
                    pass

    def _stages(
        self,
        problem: TrainingProblem,
        mm: Model,
        ctx: SolveContext,
        start: ThresholdNet | None,
        logfile: str | None,
        info: dict[str, Any],
    ) -> RawResult:
        md = mm.model
        primary = problem.objective[0]
        state: dict[str, Any] = {"stage": primary, "bound_of": lambda v: None}
        md.includeEventhdlr(_Events.make(mm, ctx, state, logfile), "mixedopt", "progress")
        bound = belief = net = None
        status = "unknown"
        optimal_all = True
        for si, crit in enumerate(problem.objective):
            expr = mm.terms[crit]
            last_stage = si == len(problem.objective) - 1
            if isinstance(expr, (int, float)):  # errors under a hard objective: always 0
                continue
            integral = problem.integral or crit != "margin"

            def bound_of(v: Any, crit: str = crit, integral: bool = integral) -> float | None:
                if v is None or not np.isfinite(v) or abs(v) >= 1e19:
                    return None
                if not integral:
                    return float(v)
                return float(np.floor(v + 1e-6) if crit == "margin" else np.ceil(v - 1e-6))

            state["stage"], state["bound_of"] = crit, bound_of
            md.setObjective(expr, sense="maximize" if crit == "margin" else "minimize")
            left = ctx.time_left()
            if left is not None:
                md.setParam("limits/time", max(0.01, left))
            if start is not None:
                mm.hint(start)
            try:
                md.optimize()
            except KeyboardInterrupt:
                ctx.interrupt()
            st = md.getStatus()
            if st == "userinterrupt" and not ctx.stop_requested:
                ctx.interrupt()  # SCIP caught Ctrl-C itself
            if st not in STATUS_MAP:
                if st == "unbounded":
                    raise SolverError("SCIP reports the training MIP unbounded (a bug).")
                raise SolverError(f"unknown SCIP status {st!r}; please report this.")
            has_sol = md.getNSols() > 0
            if crit == primary:
                status = st
                if st != "infeasible":
                    bound = bound_of(md.getDualbound())
                if has_sol:
                    belief = float(md.getObjVal())
            if not has_sol:
                optimal_all = False
                break
            net = mm.decode(md.getBestSol())
            start = net
            ctx.incumbent(net, source="scip", message=crit)
            if st != "optimal":
                optimal_all = False
            value = float(md.getObjVal())
            md.freeTransform()
            if not last_stage:
                tol = 0.0 if integral else 1e-6 * max(1.0, abs(value))
                md.addCons(expr >= value - tol if crit == "margin" else expr <= value + tol)
            if ctx.stop_requested:
                optimal_all = False
                break
        if net is None:
            return RawResult(status, bound=bound, info=info, optimal_all=False)
        return RawResult(
            status, net=net, objective=belief, bound=bound, optimal_all=optimal_all, info=info
        )
