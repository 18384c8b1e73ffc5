"""TEMPLATE: everything needed to add a backend (copy this file and rename it).

A **backend** is a whole-net solver: ``train_exact(..., backend="<name>")``. It is one
module (or package) that

1. subclasses :class:`~mixedopt.solvers.base.Backend`;
2. **declares its capabilities** as class attributes (below). The engine
   (:mod:`mixedopt.exact`), :func:`~mixedopt.targets.assign_targets`, the estimators and
   the CLI read only these: nothing outside :mod:`mixedopt.solvers` names a backend;
3. implements :meth:`~mixedopt.solvers.base.Backend._solve` — build and run the model,
   offer every net found to ``ctx.incumbent`` (it is re-evaluated with the true forward
   pass), return a :class:`~mixedopt.solvers.base.RawResult`. The base class checks the
   arguments and capabilities, keeps the best net, maps the status through ``STATUS_MAP``
   and claims ``OPTIMAL`` only when a proven bound meets the true objective;
4. optionally implements :meth:`~mixedopt.solvers.base.Backend.assign` (one layer's
   targets, for ``assign_targets(..., backend="<name>")``; ``assigns_targets`` then
   becomes True by itself);
5. is **registered**:

   * anywhere (your own package, a notebook, a test):
     ``mixedopt.solvers.register(MyBackend)``; ``mixedopt.solvers.unregister("<name>")``
     removes it again;
   * shipped with mixedopt: one :class:`~mixedopt.solvers.registry.BackendSpec` with the
     same name, module, class and flags in the table of :mod:`mixedopt.solvers.registry`,
     so that :func:`~mixedopt.solvers.available` never imports the module (a test checks
     that the entry's flags match the class).

Engine methods (``train_exact(method=...)``, e.g. ``table``, ``dichotomy``) are registered
the same way with ``kind="method"``: a module with a :class:`Backend` subclass, a solve
function (``BackendSpec.function``) and optionally ``applicable(problem) -> bool``; their
flags (``needs_backend``, ``auto_backends``, ``auto_rank``, set-up costs) are documented on
:class:`~mixedopt.solvers.registry.BackendSpec`.

This module is a working example, deliberately **not** registered: ``TemplateBackend``
draws random nets of the problem's shape from its discrete weight domain and keeps the
best one (no proof: its results are ``FEASIBLE``, or ``OPTIMAL`` only for a zero-error net
of the ``errors`` objective, which the engine proves itself).

Examples
--------
>>> import mixedopt as mo
>>> from mixedopt.solvers.TEMPLATE import TemplateBackend
>>> "template" in mo.solvers.available()
False
>>> mo.solvers.register(TemplateBackend)
>>> X, y = mo.datasets.load("xor")
>>> res = mo.train_exact(X, y, hidden=[2], weights="ternary", backend="template",
...                      method="monolithic", time_limit=5, seed=0)
>>> res.backend, res.n_errors == res.net.n_errors(X, y)   # verified like any backend's
('template', True)
>>> mo.solvers.unregister("template").name
'template'
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from mixedopt.problems.layer import RawAssignment, TargetProblem
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Status
from mixedopt.solvers.base import LIMIT, Backend, RawResult, SolveContext, check_option_names

__all__ = ["TemplateBackend"]

#: native options (``train_exact(..., tries=100)``) and their defaults
DEFAULTS: dict[str, Any] = {"tries": 2000}


class TemplateBackend(Backend):
    """Random search over discrete nets (an example backend; see the module docstring)."""

    # ---- identity: the registry name, one line for listings, the name in messages
    name = "template"
    description = "random search over discrete nets (example)"
    label = "random search"
    # ---- availability: import names checked by find_spec, and the pip extra installing them
    packages = ()
    extra = None
    # ---- capabilities checked before a solve (the base class refuses other problems)
    domains = frozenset({"binary", "ternary", "integer"})
    objectives = frozenset({"errors", "weights", "margin"})
    multiclass = True
    max_hidden_layers = None
    needs_integral = False  # True: integer inputs only (estimators quantise for it)
    scaled_inputs = False  # True: handles rational inputs kept as integers q * x
    # ---- what the engine may claim and run
    proves_optimality = False  # a heuristic never proves a bound
    heuristic = False  # True: a local search that runs no exact model (like greedy)
    auto_heuristic = True  # method="auto" runs the local search first and hints this model
    # ---- native status name -> Status (LIMIT: FEASIBLE with a net, UNKNOWN without)
    STATUS_MAP: ClassVar[dict[str, Status | str]] = {"done": LIMIT}

    def check_native(self, native: Mapping[str, Any]) -> None:
        """Reject unknown native options early (the message names them)."""
        check_option_names(native, DEFAULTS, backend=self.name)

    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        opts = {**DEFAULTS, **ctx.options.native}
        rng = np.random.default_rng(ctx.seed)
        sizes = problem.sizes
        for _ in range(int(opts["tries"])):
            if ctx.stop_requested:  # deadline, Ctrl-C, first_solution, callback error
                break
            Ws, bs = [], []
            for layer in range(len(sizes) - 1):
                wv, bv = problem.domain_values(layer)
                Ws.append(rng.choice(wv, size=(sizes[layer + 1], sizes[layer])))
                bs.append(rng.choice(bv, size=sizes[layer + 1]))
            ctx.incumbent(problem.make_net(Ws, bs, metadata={"backend": self.name}))
        return RawResult("done", info={"tries": int(opts["tries"])})

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
        """One layer's targets: the best of random layers (``assign_targets`` recounts)."""
        check_option_names(native, DEFAULTS, backend=self.name)
        deadline = None if time_limit is None else time.perf_counter() + time_limit
        rng = np.random.default_rng(seed)
        K = int(problem.weight_bound or 1)
        values = np.array([-1, 1]) if problem.weights == "binary" else np.arange(-K, K + 1)
        best: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None
        for _ in range(int(native.get("tries", DEFAULTS["tries"]))):
            if deadline is not None and time.perf_counter() > deadline:
                break
            W = rng.choice(values, size=(problem.n_units, problem.n_inputs))
            b = rng.choice(np.arange(-K, K + 1), size=problem.n_units)
            T = problem.realised(W, b)
            v = problem.violations(T)
            if best is None or v < best[0]:
                best = (v, T, W, b)
        if best is None:  # out of time before the first try
            return RawAssignment("limit", None, None, None)
        # native status "optimal" / "infeasible" / "limit"; a proven ``bound=`` may be given
        return RawAssignment("limit", best[1], best[2], best[3])
