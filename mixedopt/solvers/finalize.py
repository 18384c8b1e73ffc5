"""From a backend's raw answer to a verified result.

* :class:`RawResult` — what a backend's ``_solve`` returns (the model's view);
* :func:`finalize` — the verified :class:`~mixedopt.result.SolveResult`: best net by true
  objective, true objective reported, ``OPTIMAL`` only when the bound meets it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixedopt.errors import SolverError
from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import SolveResult, Status
from mixedopt.solvers.context import SolveContext

__all__ = ["RawResult", "finalize"]

logger = logging.getLogger(__name__)


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
    # one true evaluation (a forward pass each is what a wide net's finish costs):
    # feasibility and the primary criterion as TrainingProblem.is_feasible/objective_value
    values = problem.evaluate(net) if net is not None else None
    feasible = values is not None and (not problem.hard or values["errors"] == 0)
    true_obj = values[problem.objective[0]] if values is not None and feasible else None

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
        elif not problem.integral:
            # the model demands a margin the stated problem does not (strict inequalities on
            # non-integral pre-activations): its infeasibility proves nothing
            info["margin_model_infeasible"] = True
            logger.info(
                "%s: no net satisfies the margin model, which is stricter than the problem "
                "(non-integral pre-activations); reporting UNKNOWN, not INFEASIBLE",
                backend,
            )
            status = Status.UNKNOWN
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
        if not problem.integral and bound is not None:
            # real weights, or discrete weights on inputs that are not small-denominator
            # rationals: the model is a restriction (a margin stands in for the strict sign
            # inequalities, a box for real weights), so its bound holds for that margin
            # model, not for the stated problem. Only the trivial bound (0 errors) is a proof.
            info["margin_model_bound"] = bound
            trivial = problem.objective[0] == "errors" and not problem.maximize
            bound = 0.0 if trivial else None
            logger.info(
                "%s: %s; the model's bound %s holds only under its margin%s, so it is kept as "
                "info['margin_model_bound'], not claimed",
                backend,
                "real weights"
                if problem.weights == "real"
                else "inputs are not integers or small-denominator rationals",
                info["margin_model_bound"],
                " and weight box" if problem.weights == "real" else "",
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
            and "margin_model_bound" not in info
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
        info["stages"] = _stages(problem, values, status, true_obj, bound, proves_optimality)
    n_err = None if values is None else int(values["errors"])
    targets = (
        [] if net is None else [np.asarray(a, dtype=np.int8) for a in problem.activations(net)]
    )
    if net is not None and net.hidden_sizes:
        net.set_training_targets(
            targets,
            problem.X,
            source="exact",
            description=f"the exact solver's hidden targets ({backend}, status {status.value}; "
            "the verified net's hidden activations on its training samples)",
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


def _stages(
    problem: TrainingProblem,
    values: Mapping[str, float],
    status: Status,
    true_obj: float | None,
    bound: float | None,
    proves_optimality: bool,
) -> list[dict[str, Any]]:
    """One record per criterion of the (lexicographic) objective, in order.

    ``criterion``, ``value`` (true, of the returned net), ``bound`` (proven: for the primary
    criterion the run's bound; for a later one its value when the whole order is proven,
    else the trivial bound of its range: 0 errors, 0 weights,
    :meth:`~TrainingProblem.margin_range` for the margin), ``bound_kind`` (``"proven"``,
    ``"trivial"``, ``"none"``) and ``status`` (``"optimal"`` only when the bound meets the value).
    """
    out: list[dict[str, Any]] = []
    for i, c in enumerate(problem.objective):
        v = values[c]
        if i == 0 and c == "errors" and (b0 := 0.0) is not None and _close(v, b0):
            # zero errors: the trivial bound is a proof, whoever found the net
            b, closed = (bound if bound is not None else b0), True
            kind = "proven" if bound is not None else "trivial"
        elif i == 0:
            b = bound
            closed = proves_optimality and b is not None and true_obj is not None and _close(v, b)
            kind = "proven" if b is not None else "none"
        elif status is Status.OPTIMAL:
            b, closed, kind = v, True, "proven"
        else:
            b = problem.margin_range() if c == "margin" else 0.0
            closed = _close(v, b)
            kind = "trivial"
        out.append(
            {
                "criterion": c,
                "value": v,
                "bound": None if b is None else float(b),
                "bound_kind": kind,
                "status": "optimal" if closed else "feasible",
            }
        )
    return out


def _close(a: float, b: float) -> bool:
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)), abs(float(b)))


def _better(problem: TrainingProblem, value: float, bound: float) -> bool:
    """True when ``value`` is strictly better than the proven ``bound`` allows."""
    if _close(value, bound):
        return False
    return value > bound if problem.maximize else value < bound
