"""Exact search over unit dichotomies: minimum-error one-hidden-layer sign nets with proofs.

For a binary problem with one hidden layer of ``h`` sign units, integer inputs and discrete
weights, the search enumerates the **finite unit class on the sample** instead of weights:

1. **Dichotomies.** Every first-layer unit ``(w, b)`` of the domain induces a sign pattern on
   the ``m`` examples; only distinct patterns matter (:class:`UnitClass`). The output unit
   may negate any input (its weight domain is symmetric), so the class is closed under
   negation: ``sign(-z - 1) = -sign(z)`` for integer ``z``, so ``-u`` is realised by the net
   even when ``(-w, -b - 1)`` leaves the bias box.
2. **Canonical output functions.** Up to negating and permuting its inputs, every output
   function the output layer realises is a *monotone* threshold function of its relevant
   inputs (10 classes for ``h = 3``: the constants, ``x1``, ``x1∧x2``, ``x1∨x2``, ``x1∧x2∧x3``,
   ``x1∨x2∨x3``, majority, ``x1∧(x2∨x3)``, ``x1∨(x2∧x3)``). For a monotone ``f`` an example is
   misclassified iff the set ``C`` of units that are *wrong on it* (say ``-`` on a positive,
   ``+`` on a negative) lies in an up-closed family: errors depend only on the units' **error
   sets** ``A(u) = {k : u_k != y_k}``.
3. **Search.** For each canonical ``f`` the units are fixed position by position (in index
   order inside interchangeable positions). After fixing some, an example is *forced* wrong,
   *safe*, or *undecided*; every candidate of a remaining position is filtered by the errors
   it would force (one matrix-vector product over the candidates), and the last two
   positions are settled together by one matrix product:
   ``errors(u, v) = F + a(u) + b(v) + sum_k A(u)_k A(v)_k delta_k``.
   A branch is cut as soon as it cannot beat the incumbent (``tau = best - 1``).

A complete search proves the optimum (``OPTIMAL``, bound = objective); an interrupted one
keeps the best net and the bound proven so far. The number of units, ``(2K + 1)^(d + 1)``,
limits the method to small ``d`` (the cap is the native option ``max_units``).

The package holds :mod:`.units` (the unit class), :mod:`.functions` (canonical output
functions), :mod:`.search` (the search, with its majority pair graph), :mod:`.decode` (a
solution as a network) and :mod:`.bits` (bit-plane products); this module holds the public
API and the backend.

Examples
--------
>>> import mixedopt as mo
>>> from mixedopt.problems.training import TrainingProblem
>>> from mixedopt.solvers.dichotomy import solve_dichotomy
>>> X, y, _ = mo.datasets.planted(m=120, d=2, h=2, noise=0.1, seed=0)
>>> p = TrainingProblem.from_data(X, y, hidden=[2], weights="integer", weight_bound=2)
>>> res = solve_dichotomy(p, time_limit=30)
>>> res.status.value, res.objective == res.bound
('optimal', True)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import ProgressCallback, SolveResult, Status
from mixedopt.solvers.base import LIMIT, Backend, RawResult, SolveContext, check_option_names
from mixedopt.solvers.dichotomy.functions import CanonicalFunction, canonical_functions
from mixedopt.solvers.dichotomy.search import DichotomySearch
from mixedopt.solvers.dichotomy.units import UnitClass, unit_class
from mixedopt.threads import one_blas_thread

__all__ = [
    "CanonicalFunction",
    "DichotomyBackend",
    "UnitClass",
    "applicable",
    "canonical_functions",
    "solve_dichotomy",
    "unit_class",
]

logger = logging.getLogger(__name__)  # the search logs to its child, ``.search``

DEFAULTS: dict[str, Any] = {
    "max_units": 2_000_000,  # refuse when the first-layer domain has more units
    "max_cells": 2.5e8,  # refuse when n_dichotomies * m exceeds this (memory)
    "block": 2048,  # rows per block of the pair product
    "graph_work": 2e11,  # largest rows x units x examples product for the majority pair graph
    "warmup": 0.25,  # first pass for nets with <= warmup * best errors (0: none)
}


# --------------------------------------------------------------------------- applicability
def applicable(problem: TrainingProblem, *, max_units: int = DEFAULTS["max_units"]) -> bool:
    """True when :func:`solve_dichotomy` handles ``problem``: binary output, one hidden
    layer, integer inputs, discrete weights, ``errors`` objective, and at most ``max_units``
    first-layer units."""
    return _unsupported(problem, max_units) is None


def _unsupported(problem: TrainingProblem, max_units: int) -> str | None:
    if not problem.is_binary:
        return "the dichotomy search handles binary problems only"
    if len(problem.hidden) != 1:
        return "the dichotomy search handles exactly one hidden layer"
    if not problem.integral:
        return "the dichotomy search needs integer inputs and discrete weights"
    if problem.objective != ("errors",):
        return "the dichotomy search minimises errors only (objective='errors')"
    n = problem.n_unit_choices(0)
    if n > max_units:
        return (
            f"the first-layer domain has {n:,} units (more than max_units={max_units:,}); "
            "the dichotomy search enumerates them all"
        )
    return None


# --------------------------------------------------------------------------- backend
class DichotomyBackend(Backend):
    """Exact search over unit dichotomies (see the module docstring)."""

    name = "dichotomy"
    description = "exact search over unit dichotomies (1 hidden layer, binary, small d)"
    packages = ()
    extra = None
    domains = frozenset({"binary", "ternary", "integer"})
    objectives = frozenset({"errors"})
    needs_integral = True
    scaled_inputs = True
    multiclass = False
    max_hidden_layers = 1
    STATUS_MAP: ClassVar[dict[str, Status | str]] = {"optimal": Status.OPTIMAL, "limit": LIMIT}

    def check_native(self, native: Mapping[str, Any]) -> None:
        check_option_names(native, DEFAULTS, backend="dichotomy")

    def unsupported_reason(self, problem: TrainingProblem) -> str | None:
        reason = super().unsupported_reason(problem)
        if reason is not None:
            return reason
        return _unsupported(problem, int(DEFAULTS["max_units"]))

    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        opts = {**DEFAULTS, **ctx.options.native}
        reason = _unsupported(problem, int(opts["max_units"]))
        if reason is not None:
            raise ValidationError(reason + ".")
        search = DichotomySearch(problem, ctx, opts)
        cells = len(search.uc) * problem.n_samples
        if cells > float(opts["max_cells"]):
            raise ValidationError(
                f"the dichotomy search needs {len(search.uc):,} x {problem.n_samples} cells "
                f"(more than max_cells={opts['max_cells']:.3g})."
            )
        if ctx.best_net is not None:
            search.offer_net(ctx.best_net)
        with one_blas_thread():
            search.run()
        info = {
            "dichotomies": len(search.uc),
            "units": search.uc.n_units,
            "functions": len(search.functions),
            "nodes": search.nodes,
            "complete": search.complete,
            "times": search.times,
        }
        bound = search.bound()
        info["bounds"] = dict(search.lb)
        if ctx.best_net is not None and bound >= problem.errors(ctx.best_net):
            return RawResult("optimal", bound=float(problem.errors(ctx.best_net)), info=info)
        return RawResult("limit", bound=bound if bound > 0 else None, info=info)


def solve_dichotomy(
    problem: TrainingProblem,
    *,
    time_limit: float | None = 60.0,
    seed: int = 0,
    threads: int = 1,
    hint: ThresholdNet | None = None,
    log_callback: Any = None,
    incumbent_callback: ProgressCallback | None = None,
    **native: Any,
) -> SolveResult:
    """Exact minimum-error training by search over unit dichotomies.

    Parameters
    ----------
    problem : TrainingProblem
        Binary, one hidden layer, integer inputs, discrete weights, ``errors`` objective
        (see :func:`applicable`).
    time_limit : float or None
        Seconds; an interrupted search returns the best net with status ``FEASIBLE``.
    seed, threads : int
        Accepted for a uniform interface (the search is deterministic and single-threaded).
    hint : ThresholdNet, optional
        A good net (e.g. from the local search): its error count is the first incumbent,
        which makes the pruning strong from the start.
    log_callback, incumbent_callback : callable, optional
        As for every backend.
    **native
        ``max_units``, ``max_cells``, ``block``.

    Returns
    -------
    SolveResult
        ``OPTIMAL`` with ``bound == objective`` when the search completed.

    Examples
    --------
    >>> import mixedopt as mo
    >>> from mixedopt.problems.training import TrainingProblem
    >>> X, y = mo.datasets.load("xor")
    >>> p = TrainingProblem.from_data(X, y, hidden=[1], weights="integer", weight_bound=1)
    >>> res = solve_dichotomy(p, time_limit=10)
    >>> res.status.value, res.objective
    ('optimal', 1)
    """
    return DichotomyBackend().solve(
        problem,
        time_limit=time_limit,
        seed=seed,
        threads=threads,
        warm_start=hint,
        log_callback=log_callback,
        incumbent_callback=incumbent_callback,
        **native,
    )
