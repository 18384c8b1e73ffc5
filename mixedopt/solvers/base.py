"""The backend interface shared by every exact or heuristic solver.

A *backend* turns a :class:`~mixedopt.problems.training.TrainingProblem` into a
:class:`~mixedopt.result.SolveResult`. Subclasses of :class:`Backend` declare what they
support with class attributes and implement one method, :meth:`Backend._solve`; the base
class does everything that must be identical across solvers:

* argument checks (time limit, seed, threads, warm start, native options);
* availability: ``is_available()`` looks packages up with :func:`importlib.util.find_spec`
  and never imports them; ``require()`` raises :class:`~mixedopt.errors.SolverUnavailableError`
  naming the extra to install (``pip install 'mixedopt[scip]'``);
* capability checks (weight domain, objective, multi-class, depth);
* anytime bookkeeping in a :class:`SolveContext`: every incumbent a backend finds goes through
  :meth:`SolveContext.incumbent`, which re-evaluates the network with the true forward pass,
  keeps the best one, records a :class:`~mixedopt.result.Progress` event and calls the user's
  ``incumbent_callback``. If that callback raises :class:`KeyboardInterrupt` (or the user
  presses Ctrl-C during the solve) the backend stops and the best net so far comes back with
  ``interrupted=True``;
* the final verdict (:func:`finalize`): the returned net is re-evaluated with the true forward
  pass and its true objective is reported; a model whose belief differs from the truth gets a
  warning and is never believed; ``OPTIMAL`` is only claimed when the proven bound meets the
  true objective of the returned net;
* a per-backend ``STATUS_MAP`` from native status names onto :class:`~mixedopt.result.Status`
  (an unknown native status raises :class:`~mixedopt.errors.SolverError`).

The bookkeeping classes (:class:`SolveContext`, :class:`RawResult`, :func:`finalize`,
:class:`LexScalarizer`, :class:`SolveOptions`) live in :mod:`mixedopt.solvers.context` and
are re-exported here.

Writing a backend
-----------------
:mod:`mixedopt.solvers.TEMPLATE` is a complete, documented backend to copy: subclass
:class:`Backend`, declare the capabilities below as class attributes, implement
:meth:`Backend._solve` (and optionally :meth:`Backend.assign`), and register the class
with :func:`mixedopt.solvers.register` (or lazily, without importing the module, with a
:class:`~mixedopt.solvers.registry.BackendSpec` carrying the same flags). Nothing outside
:mod:`mixedopt.solvers` names a backend: the engine, :func:`~mixedopt.targets.assign_targets`,
the estimators and the CLI read these flags.

Objectives and their sense
--------------------------
``errors`` (minimise), ``weights`` (minimise the number of nonzero weights and biases,
zero errors required), ``margin`` (maximise, zero errors required; see
:meth:`mixedopt.problems.training.TrainingProblem.margin_value`). A lexicographic objective
is a tuple; the reported ``objective`` and ``bound`` are those of the primary criterion and every
criterion's value sits in ``result.info["objectives"]``. :class:`LexScalarizer` folds an
integral lexicographic objective into one integer objective exactly (for solvers with a
single objective).

Examples
--------
>>> import mixedopt as mo
>>> "brute" in mo.solvers.available()
True
>>> X, y = mo.datasets.load("xor")
>>> res = mo.solvers.get("brute").solve_data(X, y, hidden=[2], weights="ternary", time_limit=10)
>>> res.status, res.objective
(<Status.OPTIMAL: 'optimal'>, 0)
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from mixedopt.errors import SolverError, SolverUnavailableError, ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problems.layer import RawAssignment, TargetProblem
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import ProgressCallback, SolveResult, Status
from mixedopt.solvers.context import (
    LIMIT,
    BuildInterrupted,
    LogCallback,
    NativeLog,
    SolveContext,
    SolveOptions,
    check_options,
    key_better,
    package_available,
)
from mixedopt.solvers.finalize import RawResult, finalize
from mixedopt.solvers.lex import LexScalarizer
from mixedopt.validation import check_weight_bound

__all__ = [
    "LIMIT",
    "Backend",
    "BuildInterrupted",
    "LexScalarizer",
    "LogCallback",
    "NativeLog",
    "RawResult",
    "SolveContext",
    "SolveOptions",
    "check_option_names",
    "check_options",
    "finalize",
    "key_better",
    "map_status",
    "package_available",
    "pass_native",
]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- backend ABC
class Backend(ABC):
    """Base class of solver backends (see the module docstring for how to write one).

    Class attributes
    ----------------
    name : str
        Registry name.
    packages : tuple of str
        Top-level import names the backend needs (checked with ``find_spec``).
    extra : str or None
        The pip extra that installs them (``pip install 'mixedopt[<extra>]'``).
    domains : frozenset of str
        Weight domains handled (``binary``, ``ternary``, ``integer``, ``real``).
    objectives : frozenset of str
        Criteria handled (``errors``, ``weights``, ``margin``), alone or lexicographic.
    proves_optimality : bool
        False for heuristics: their results are at best ``FEASIBLE``.
    needs_integral : bool
        Needs integer inputs (every pre-activation an integer) unless ``weights='real'``.
    scaled_inputs : bool
        Handles rational inputs kept as integers ``q * x``: writes the first layer's bias as
        ``problem.bias_scale(0) * b`` (see :attr:`TrainingProblem.input_scale`). A backend
        that leaves it False is never handed such a problem.
    multiclass : bool
        Handles one output unit per class.
    max_hidden_layers : int or None
        Deepest network handled (None: any).
    label : str
        The solver's name in messages (``"CP-SAT"``); default: ``name``.
    heuristic : bool
        A local search: runs no exact model and proves nothing beyond zero errors (a
        zero-error net of the ``errors`` objective). ``train_exact`` runs it as its
        heuristic phase and accepts only ``method="auto"``, ``"heuristic"`` or
        ``"monolithic"`` with it.
    auto_heuristic : bool
        ``train_exact(method="auto")`` runs the local search before this backend's exact
        model and hints the model with its net (False for an exhaustive search, which a
        hint does not help).
    assigns_targets : bool
        Implements :meth:`assign` (per-layer target assignment); set automatically: True
        when the class overrides :meth:`assign`.
    STATUS_MAP : dict
        Native status name -> :class:`Status`, or :data:`LIMIT` (FEASIBLE with a net,
        UNKNOWN without).
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    packages: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str | None] = None
    domains: ClassVar[frozenset[str]] = frozenset({"binary", "ternary", "integer", "real"})
    objectives: ClassVar[frozenset[str]] = frozenset({"errors", "weights", "margin"})
    proves_optimality: ClassVar[bool] = True
    needs_integral: ClassVar[bool] = False
    scaled_inputs: ClassVar[bool] = False
    multiclass: ClassVar[bool] = True
    max_hidden_layers: ClassVar[int | None] = None
    label: ClassVar[str] = ""
    heuristic: ClassVar[bool] = False
    auto_heuristic: ClassVar[bool] = True
    assigns_targets: ClassVar[bool] = False
    STATUS_MAP: ClassVar[dict[str, Status | str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "assigns_targets" not in cls.__dict__:
            cls.assigns_targets = cls.assign is not Backend.assign
        if not cls.label:
            cls.label = cls.name

    # ------------------------------------------------------------- availability
    @classmethod
    def is_available(cls) -> bool:
        """True when every package the backend needs is importable (nothing is imported)."""
        return all(package_available(p) for p in cls.packages)

    @classmethod
    def require(cls) -> None:
        """Raise :class:`SolverUnavailableError` naming the extra if a package is missing."""
        missing = [p for p in cls.packages if not package_available(p)]
        if missing:
            hint = (
                f"pip install 'mixedopt[{cls.extra}]'"
                if cls.extra
                else "install " + ", ".join(missing)
            )
            raise SolverUnavailableError(
                f"backend {cls.name!r} needs the package(s) {', '.join(missing)}, which are not "
                f"installed; run: {hint}"
            )

    def unsupported_reason(self, problem: TrainingProblem) -> str | None:
        """Why this backend cannot solve ``problem`` (None when it can)."""
        if problem.weights not in self.domains:
            return (
                f"backend {self.name!r} does not handle {problem.weights} weights "
                f"(it handles {', '.join(sorted(self.domains))})"
            )
        bad = [c for c in problem.objective if c not in self.objectives]
        if bad:
            return (
                f"backend {self.name!r} does not handle the objective {'/'.join(bad)} "
                f"(it handles {', '.join(sorted(self.objectives))})"
            )
        if self.needs_integral and problem.weights != "real" and not problem.integral:
            return (
                f"backend {self.name!r} needs integer inputs (exact integer pre-activations); "
                "quantise X (e.g. np.round(X * 100)) or use weights='real' with backend='scip'"
            )
        if problem.input_scale != 1 and not self.scaled_inputs:
            return (
                f"backend {self.name!r} needs integer inputs; these are rationals with common "
                f"denominator {problem.input_scale} (handled exactly by backends "
                "'brute', 'cpsat', 'scip' and the engine's 'auto')"
            )
        if not self.multiclass and not problem.is_binary:
            return f"backend {self.name!r} handles binary problems only"
        if self.max_hidden_layers is not None and len(problem.hidden) > self.max_hidden_layers:
            return (
                f"backend {self.name!r} handles at most {self.max_hidden_layers} hidden "
                f"layer(s), the problem has {len(problem.hidden)}"
            )
        return None

    def supports(self, problem: TrainingProblem) -> bool:
        return self.unsupported_reason(problem) is None

    # ------------------------------------------------------------- native options
    def check_native(self, native: Mapping[str, Any]) -> None:  # noqa: B027
        """Validate native options early (backends override; default: accept all)."""

    # ------------------------------------------------------------- solve
    def solve(
        self,
        problem: TrainingProblem,
        *,
        time_limit: float | None = None,
        seed: int = 0,
        threads: int = 1,
        warm_start: ThresholdNet | None = None,
        log_callback: LogCallback | None = None,
        incumbent_callback: ProgressCallback | None = None,
        first_solution: bool = False,
        method: str = "",
        **native: Any,
    ) -> SolveResult:
        """Solve ``problem`` and return a verified result.

        Parameters
        ----------
        problem : TrainingProblem
            The validated problem (objective, domain, architecture).
        time_limit : float, optional
            Wall-clock seconds (None: no limit). The result is the best net found so far,
            with its bound, when the limit is hit.
        seed : int, default 0
            Random seed of the solver.
        threads : int, default 1
            Solver threads/workers.
        warm_start : ThresholdNet, optional
            A net of the problem's shape used as a hint / first incumbent.
        log_callback : callable(str), optional
            Receives log lines: the native solver's log (CP-SAT, SCIP) and, for every
            backend, one ``[mixedopt] ...`` line per new incumbent or bound.
        incumbent_callback : callable(Progress), optional
            Called for each improving solution and bound (anytime progress). Raising
            KeyboardInterrupt from it stops the solve and returns the best net so far.
        first_solution : bool, default False
            Stop at the first feasible solution.
        method : str, optional
            Label recorded in ``result.method`` (default: the backend's name).
        **native
            Solver-specific parameters, passed through (unknown keys raise
            :class:`ValidationError` naming them).
        """
        self.require()
        reason = self.unsupported_reason(problem)
        if reason is not None:
            raise ValidationError(reason + ".")
        time_limit, seed, threads = check_options(
            time_limit=time_limit,
            seed=seed,
            threads=threads,
            log_callback=log_callback,
            incumbent_callback=incumbent_callback,
        )
        if warm_start is not None:
            if not isinstance(warm_start, ThresholdNet):
                raise ValidationError(
                    f"warm_start must be a ThresholdNet, got {type(warm_start).__name__}."
                )
            problem.check_net(warm_start)
        self.check_native(native)
        options = SolveOptions(
            time_limit=time_limit,
            seed=seed,
            threads=threads,
            warm_start=warm_start,
            log_callback=log_callback,
            incumbent_callback=incumbent_callback,
            native=dict(native),
            first_solution=first_solution,
        )
        ctx = SolveContext(problem, options, source=self.name)
        if warm_start is not None:
            ctx.incumbent(warm_start, source="warm_start", message="warm start")
        try:
            raw = self._solve(problem, ctx)
        except KeyboardInterrupt:
            logger.info("%s interrupted: returning the best net so far", self.name)
            ctx.interrupted = True
            raw = RawResult(native_status="__interrupted__")
        except BuildInterrupted:
            logger.info("%s: stopped while building the model", self.name)
            raw = RawResult(native_status="__interrupted__", info={"stopped_in_build": True})
        if ctx.callback_error is not None:
            raise ctx.callback_error
        status_map = {**self.STATUS_MAP, "__interrupted__": LIMIT}
        result = finalize(
            problem,
            raw,
            ctx,
            status_map=status_map,
            backend=self.name,
            method=method or self.name,
            proves_optimality=self.proves_optimality,
        )
        return result

    def solve_data(self, X: Any, y: Any, *, hidden: Any = (), **kwargs: Any) -> SolveResult:
        """Convenience: build a :class:`TrainingProblem` from data and :meth:`solve` it.

        Keyword arguments of :meth:`TrainingProblem.from_data` (``weights``,
        ``weight_bound``, ``objective``, ``sample_weight``, ``margin``) are split off; the
        rest go to :meth:`solve`.
        """
        pkeys = ("weights", "weight_bound", "objective", "sample_weight", "margin")
        pkw = {k: kwargs.pop(k) for k in pkeys if k in kwargs}
        check_weight_bound(pkw.get("weight_bound"), pkw.get("weights", "integer"))
        problem = TrainingProblem.from_data(X, y, hidden=hidden, **pkw)
        return self.solve(problem, **kwargs)

    @abstractmethod
    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        """Build and run the model; report incumbents through ``ctx``; return the raw result."""

    # ------------------------------------------------------------- target assignment
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
        """Choose one layer's targets (:func:`mixedopt.targets.assign_targets`).

        Parameters
        ----------
        problem : TargetProblem
            The validated layer problem (inputs, layers above, weight domain, max_flips).
        time_limit : float or None
            Seconds (already checked).
        seed, threads : int
            Already checked.
        initial_layer : (W, b), optional
            The layer's current weights and biases, unchecked (a start for backends that
            use one; :func:`~mixedopt.problems.layer_checks.check_layer` checks it).
        **native
            Backend options.

        Returns
        -------
        RawAssignment
            Unverified: :func:`~mixedopt.targets.assign_targets` recomputes the targets
            from the returned layer and recounts the violations.

        Raises
        ------
        ValidationError
            The backend does not assign targets (this default).
        """
        raise ValidationError(f"backend {self.name!r} does not assign targets.")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def map_status(status_map: Mapping[str, Status | str], native: str, has_solution: bool) -> Status:
    """Map a native status through ``status_map`` (LIMIT -> FEASIBLE/UNKNOWN).

    Raises
    ------
    SolverError
        For a native status the map does not know.
    """
    if native not in status_map:
        raise SolverError(f"unknown native solver status {native!r}; please report this.")
    s = status_map[native]
    if s == LIMIT:
        return Status.FEASIBLE if has_solution else Status.UNKNOWN
    return Status(s)


def check_option_names(native: Mapping[str, Any], known: Iterable[str], *, backend: str) -> None:
    """Reject native options outside ``known`` with one message naming them all.

    >>> check_option_names({"max_work": 1}, ["max_work", "max_combos"], backend="brute")
    >>> check_option_names({"depth": 1}, ["max_work"], backend="brute")
    Traceback (most recent call last):
    ...
    mixedopt.errors.ValidationError: unknown brute option(s) 'depth'; known: max_work.
    """
    known = list(known)
    bad = sorted(set(native) - set(known))
    if bad:
        raise ValidationError(
            f"unknown {backend} option(s) {', '.join(map(repr, bad))}; known: {', '.join(known)}."
        )


def pass_native(target: Any, native: Mapping[str, Any], *, backend: str) -> None:
    """Set native parameters as attributes of ``target`` (e.g. CP-SAT's parameters proto).

    Unknown names or bad values raise :class:`ValidationError` naming the key.
    """
    for key, value in native.items():
        if not hasattr(target, key):
            raise ValidationError(
                f"unknown {backend} option {key!r} (passed through **native); check the "
                f"{backend} parameter name."
            )
        try:
            setattr(target, key, value)
        except (AttributeError, TypeError, ValueError) as exc:
            raise ValidationError(
                f"bad value {value!r} for {backend} option {key!r}: {exc}"
            ) from exc
