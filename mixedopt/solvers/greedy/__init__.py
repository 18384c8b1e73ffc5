"""Local search over discrete weights: the ``greedy`` backend (no proof beyond zero errors).

An iterated coordinate descent over every weight and bias of a sign network (any depth,
binary or multi-class, binary / ternary / integer weights; ``real`` weights are searched on
a grid of 9 values in ``[-K, K]``):

* **one parameter at a time, every candidate value at once**: changing ``W[l][j, i]`` by
  ``delta`` moves one column of one layer's pre-activations by ``delta * a[:, i]``; the new
  activations of unit ``j`` are computed for all candidate values in one array, and only the
  examples where some candidate flips the unit are pushed through the rest of the network;
* moves are ranked by ``(weighted errors, slack)``, ``slack`` being the summed distance of the
  misclassified examples to the right side of the output threshold (a tie-breaker that gives
  the search a direction on error plateaus); a move is taken when it lowers that key, and
  with a small probability a sideways move of equal errors is taken;
* when a sweep over all parameters improves nothing, the search **perturbs**: it re-draws one
  hidden unit or a few random parameters, from the best net so far (iterated local search);
* after zero errors, a ``margin`` or ``weights`` criterion of the objective is optimised by
  the same moves restricted to those keeping zero errors.

Layout: this module holds the public API (:func:`local_search`, ``DEFAULTS``) and the
registered backend; :mod:`~mixedopt.solvers.greedy.search` one search
(:class:`~mixedopt.solvers.greedy.search.Search`: parameters, caches, incremental moves and
the phases that drive them), :mod:`~mixedopt.solvers.greedy.moves` the compound-move
candidates and output-function tables, :mod:`~mixedopt.solvers.greedy.relax` the
continuous-relaxation start, and :mod:`~mixedopt.solvers.greedy.layer_targets` the greedy
per-layer target assignment.

Zero training errors is a proof of optimality for the ``errors`` objective: such a result
is ``OPTIMAL`` with bound 0; anything else is ``FEASIBLE`` without a bound.

Examples
--------
>>> import mixedopt as mo
>>> from mixedopt.problems.training import TrainingProblem
>>> from mixedopt.solvers.greedy import local_search
>>> X, y, _ = mo.datasets.planted(m=300, d=4, h=3, seed=1)
>>> p = TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=3)
>>> res = local_search(p, time_limit=20, seed=0)
>>> res.status.value, res.n_errors, res.bound
('optimal', 0, 0.0)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problems.layer import RawAssignment, TargetProblem
from mixedopt.problems.layer_checks import check_layer
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import ProgressCallback, SolveResult, Status
from mixedopt.solvers.base import LIMIT, Backend, RawResult, SolveContext, check_option_names
from mixedopt.solvers.greedy.layer_targets import greedy_assign
from mixedopt.solvers.greedy.search import Search
from mixedopt.threads import one_blas_thread

__all__ = ["GreedyBackend", "local_search"]

logger = logging.getLogger(__name__)

#: native options of the local search and their defaults
DEFAULTS: dict[str, Any] = {
    "sideways": 0.05,  # probability of a sideways move of equal errors
    "kick": 3,  # parameters re-drawn by a small perturbation
    "unit_kick": 0.5,  # probability that a perturbation re-draws a whole hidden unit
    "max_stall": 0,  # stop after this many perturbations without progress (0: never)
    "init": "relax",  # "relax", "random" or "zeros" (ignored with a warm start)
    "relax_share": 0.2,  # share of the time left for one relaxation start (at most 10 s)
    "relax_iter": 1000,  # Adam steps of one relaxation start
    "restart": 8,  # new start after this many perturbations without progress (0: never)
    "real_grid": 9,  # grid size for real weights
    "joint": True,  # re-choose the output unit with each last-hidden-layer move
    "joint_top": 256,  # output functions considered by a joint move
    "unit_relax": True,  # a unit perturbation re-fits the unit through a relaxation
    "compound": True,  # at a local optimum, try pair and rescaling moves of one unit
}


def local_search(
    problem: TrainingProblem,
    *,
    time_limit: float | None = 10.0,
    seed: int = 0,
    warm_start: ThresholdNet | None = None,
    incumbent_callback: ProgressCallback | None = None,
    **native: Any,
) -> SolveResult:
    """Iterated coordinate-descent local search (see the module docstring).

    Parameters
    ----------
    problem : TrainingProblem
        Any depth, binary or multi-class, any objective.
    time_limit : float or None, default 10
        Seconds. ``None`` runs until zero errors (and then until the secondary criterion
        stalls), or until ``max_stall`` perturbations (100 if unset) or ``10 * max_stall``
        sweeps without a new best error count, so it also ends on data it cannot fit.
    seed : int
        Seed of the random choices (same seed, same run on the same machine load).
    warm_start : ThresholdNet, optional
        Start from this net instead of a random one.
    incumbent_callback : callable(Progress), optional
        Called for every improving net (raise KeyboardInterrupt in it to stop).
    **native
        ``sideways``, ``kick``, ``unit_kick``, ``max_stall``, ``init`` (see ``DEFAULTS``).

    Returns
    -------
    SolveResult
        ``OPTIMAL`` with bound 0 when a zero-error net was found for the ``errors``
        objective, else ``FEASIBLE`` (``UNKNOWN`` only for an infeasible hard objective).

    Examples
    --------
    >>> import mixedopt as mo
    >>> from mixedopt.problems.training import TrainingProblem
    >>> X, y = mo.datasets.load("xor")
    >>> p = TrainingProblem.from_data(X, y, hidden=[2], weights="ternary")
    >>> local_search(p, time_limit=5, seed=0).n_errors
    0
    """
    return GreedyBackend().solve(
        problem,
        time_limit=time_limit,
        seed=seed,
        warm_start=warm_start,
        incumbent_callback=incumbent_callback,
        **native,
    )


class GreedyBackend(Backend):
    """Local search over discrete weights (registry name ``greedy``)."""

    name = "greedy"
    label = "local search"
    description = "local search over discrete weights (no proof beyond zero errors)"
    packages = ()
    extra = None
    scaled_inputs = True
    heuristic = True
    # zero errors proves the errors objective; nothing else is ever claimed
    proves_optimality = True
    STATUS_MAP: ClassVar[dict[str, Status | str]] = {"zero": Status.OPTIMAL, "limit": LIMIT}

    def check_native(self, native: Mapping[str, Any]) -> None:
        check_option_names(native, DEFAULTS, backend="greedy")
        if "init" in native and native["init"] not in ("relax", "random", "zeros"):
            raise ValidationError("greedy option init must be 'relax', 'random' or 'zeros'.")

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
        """Anytime local search over the targets (:func:`greedy_assign`), started from
        ``initial_layer`` when given; no native options."""
        if native:
            raise ValidationError(f"greedy takes no native options, got {sorted(native)}.")
        init = (
            None
            if initial_layer is None
            else check_layer(initial_layer, problem.n_units, problem.n_inputs)
        )
        return greedy_assign(problem, time_limit=time_limit, seed=seed, initial=init)

    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        opts = {**DEFAULTS, **ctx.options.native}
        search = Search(problem, ctx, opts)
        with one_blas_thread():
            search.run()
        info = {
            "sweeps": search.sweeps,
            "moves": search.moves,
            "perturbations": search.kicks,
            "starts": search.starts,
            "evaluations": search.evals,
        }
        best = ctx.best_net
        # the best net's errors are the first entry of its key (no second forward pass)
        zero = best is not None and ctx.best_key is not None and ctx.best_key[0] == 0
        if zero and problem.objective == ("errors",):
            return RawResult("zero", bound=0.0, info=info)
        bound = 0.0 if zero else None
        if problem.objective[0] != "errors":
            bound = None
        return RawResult("limit", bound=bound, optimal_all=False, info=info)
