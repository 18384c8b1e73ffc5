"""The registry of backends and engine methods: names, capabilities, where they live.

Two kinds of entries share one namespace:

* **backends** (``kind="backend"``): whole-net solvers, ``train_exact(backend=...)``
  (``cpsat``, ``scip``, ``maxsat``, ``brute``, ``greedy``); :func:`names`,
  :func:`available`, :func:`spec` and :func:`get` see only these;
* **engine methods** (``kind="method"``): the ``method=`` of ``train_exact`` that the engine
  does not build itself (``table``, ``dichotomy``, ``heuristic``; ``auto`` and
  ``monolithic`` are the engine's own): :func:`methods`, :func:`method_spec`.

An entry is a :class:`BackendSpec`: where the :class:`~mixedopt.solvers.base.Backend`
subclass lives and the capabilities the rest of the library asks about *without importing
it* (``assigns_targets``, ``heuristic``, ``needs_integral``; for engine methods the backend
they need and whether ``method="auto"`` may run them). :func:`register` accepts a spec
(lazy) or a :class:`Backend` subclass (its class attributes give the spec). The registry
never imports a backend module (nor its solver package) to answer :func:`available`:
packages are looked up with :func:`importlib.util.find_spec`.

Examples
--------
>>> from mixedopt.solvers import registry
>>> registry.spec("ortools").name, registry.spec("cpsat").needs_integral
('cpsat', True)
>>> registry.spec("maxsat").assigns_targets, registry.spec("greedy").heuristic
(False, True)
>>> registry.target_backends()[:4]
['greedy', 'cpsat', 'scip', 'brute']
>>> [(m.name, m.needs_backend) for m in registry.methods()]
[('table', 'cpsat'), ('dichotomy', None), ('heuristic', None)]
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import Any

from mixedopt.errors import SolverUnavailableError, ValidationError
from mixedopt.solvers.base import Backend, package_available

__all__ = [
    "BACKEND",
    "DEFAULT_BACKEND",
    "DEFAULT_TARGET_BACKEND",
    "EXACT_REAL_TARGET_BACKEND",
    "METHOD",
    "BackendSpec",
    "available",
    "entries",
    "find",
    "get",
    "load",
    "method_function",
    "method_spec",
    "methods",
    "names",
    "register",
    "spec",
    "spec_of_class",
    "target_backends",
    "unregister",
]

#: kinds of registry entries
BACKEND, METHOD = "backend", "method"
#: the backend of ``train_exact``, the estimators and the CLI when none is named
DEFAULT_BACKEND = "cpsat"
#: the backend of ``assign_targets`` when none is named
DEFAULT_TARGET_BACKEND = "greedy"
#: the exact target-assignment backend for real (unbounded) weights (indicator constraints)
EXACT_REAL_TARGET_BACKEND = "scip"


@dataclass(frozen=True)
class BackendSpec:
    """How to find a backend or an engine method, and what it can do, without importing it.

    Attributes
    ----------
    name : str
        Registry name (``get(name)``, ``train_exact(backend=name)`` or ``method=name``).
    module, attr : str
        Where the :class:`Backend` subclass lives (imported on :func:`get`).
    packages : tuple of str
        Top-level packages it needs (checked with ``find_spec``).
    extra : str or None
        pip extra that installs them.
    description : str
        One line for listings.
    kind : {"backend", "method"}
        A whole-net solver or an engine method (keyword-only, like every field below).
    label : str
        The solver's name in messages (``"CP-SAT"``); default: ``name``.
    assigns_targets : bool
        Implements :meth:`Backend.assign` (``assign_targets(backend=name)``).
    heuristic : bool
        A local search: runs no exact model, proves nothing beyond zero errors; the engine
        runs it as its heuristic phase instead of an exact one.
    needs_integral : bool
        Needs integer inputs (``ExactThresholdClassifier(quantize="auto")`` quantises
        other inputs for it).
    function : str
        Engine methods: the solve function in ``module``, of the shape ``f(problem, *,
        time_limit, seed, threads, hint, log_callback, incumbent_callback, **native) ->
        SolveResult`` (``local_search`` takes ``warm_start`` instead of ``hint``).
    needs_backend : str or None
        Engine methods: the backend whose solver runs the method's model. ``method=name``
        then requires that backend, the method takes its native options, and ``auto``
        treats it like that backend's monolithic model (skipped above the engine's
        ``MODEL_MAX_CELLS``). None: no solver model (a search of its own).
    auto_backends : tuple of str
        Engine methods: ``method="auto"`` may run it when the run's backend is one of these
        (the other backends were asked for by name: their own model runs).
    auto_rank : int or None
        Engine methods: ``auto`` tries its methods in increasing rank (strongest first);
        None: ``auto`` never runs it as its exact phase.
    setup_s_per_cell, setup_s_per_permutation : float
        Engine methods: rough seconds of set-up before the method first checks the clock,
        per output-layer unit x ``2**h`` cells, and per output-layer unit x ``h!`` (counted
        for ``h >= 4``); ``auto`` skips the method when that does not fit in the time left.
    """

    name: str
    module: str
    attr: str
    packages: tuple[str, ...] = ()
    extra: str | None = None
    description: str = ""
    _: KW_ONLY
    kind: str = BACKEND
    label: str = ""
    assigns_targets: bool = False
    heuristic: bool = False
    needs_integral: bool = False
    function: str = ""
    needs_backend: str | None = None
    auto_backends: tuple[str, ...] = ()
    auto_rank: int | None = None
    setup_s_per_cell: float = 0.0
    setup_s_per_permutation: float = 0.0

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.name)

    def is_available(self) -> bool:
        """True when the module and its packages can be imported (nothing is imported)."""
        if not _module_exists(self.module):
            return False
        return all(package_available(p) for p in self.packages)


def _module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


_REGISTRY: dict[str, BackendSpec] = {}
_ALIASES = {"cp-sat": "cpsat", "ortools": "cpsat", "pyscipopt": "scip", "rc2": "maxsat"}


def spec_of_class(cls: type[Backend]) -> BackendSpec:
    """The :class:`BackendSpec` of a backend class: its class attributes."""
    return BackendSpec(
        cls.name,
        cls.__module__,
        cls.__qualname__,
        cls.packages,
        cls.extra,
        cls.description,
        label=cls.label,
        assigns_targets=cls.assigns_targets,
        heuristic=cls.heuristic,
        needs_integral=cls.needs_integral,
    )


def register(entry: BackendSpec | type[Backend], *, replace: bool = False) -> None:
    """Register a backend or an engine method: a :class:`BackendSpec` (lazy) or a
    :class:`Backend` subclass (a backend; its class attributes give the spec).

    Raises
    ------
    ValidationError
        If the name is taken and ``replace`` is false.
    """
    if isinstance(entry, type) and issubclass(entry, Backend):
        entry = spec_of_class(entry)
    if not isinstance(entry, BackendSpec) or not entry.name:
        raise ValidationError("register() needs a BackendSpec or a Backend subclass with a name.")
    if entry.kind not in (BACKEND, METHOD):
        raise ValidationError(f"kind must be {BACKEND!r} or {METHOD!r}, got {entry.kind!r}.")
    if entry.name in _REGISTRY and not replace and _REGISTRY[entry.name] != entry:
        raise ValidationError(f"a backend named {entry.name!r} is already registered.")
    _REGISTRY[entry.name] = entry


def unregister(name: str) -> BackendSpec | None:
    """Remove entry ``name`` (backend or engine method); returns it (None if absent)."""
    return _REGISTRY.pop(name, None)


for _spec in (
    BackendSpec(
        "cpsat",
        "mixedopt.solvers.cpsat",
        "CPSATBackend",
        ("ortools",),
        None,
        "OR-Tools CP-SAT, monolithic CP model",
        label="CP-SAT",
        assigns_targets=True,
        needs_integral=True,
    ),
    BackendSpec(
        "scip",
        "mixedopt.solvers.scip",
        "SCIPBackend",
        ("pyscipopt",),
        "scip",
        "SCIP MIP (unit-selection model where it applies, else indicator or big-M links)",
        label="SCIP",
        assigns_targets=True,
    ),
    BackendSpec(
        "maxsat",
        "mixedopt.solvers.maxsat",
        "MaxSATBackend",
        ("pysat",),
        "maxsat",
        "PySAT RC2 MaxSAT over cardinality / PB encodings",
        label="MaxSAT",
        needs_integral=True,
    ),
    BackendSpec(
        "brute",
        "mixedopt.solvers.brute",
        "BruteBackend",
        (),
        None,
        "exhaustive oracle for tiny nets",
        assigns_targets=True,
    ),
    BackendSpec(
        "greedy",
        "mixedopt.solvers.greedy",
        "GreedyBackend",
        (),
        None,
        "local search over discrete weights (no proof)",
        label="local search",
        assigns_targets=True,
        heuristic=True,
    ),
    # engine methods, in the order ``train_exact`` lists them
    BackendSpec(
        "table",
        "mixedopt.solvers.table",
        "TableBackend",
        ("ortools",),
        None,
        "CP-SAT table model with symmetry breaking (1 hidden layer, binary)",
        kind=METHOD,
        label="table model",
        needs_integral=True,
        function="solve_table",
        needs_backend="cpsat",
        auto_backends=("cpsat",),
        auto_rank=1,
        # the CP-SAT solve overran a 1.5 s limit by 9 s on an h = 5, K = 3 table (3.8 M
        # cells, 28k rows): 3 µs per output-layer unit x 2**h cell
        setup_s_per_cell=3e-6,
    ),
    BackendSpec(
        "dichotomy",
        "mixedopt.solvers.dichotomy",
        "DichotomyBackend",
        (),
        None,
        "exact search over unit dichotomies (1 hidden layer, binary, small d)",
        kind=METHOD,
        label="dichotomy search",
        needs_integral=True,
        function="solve_dichotomy",
        auto_backends=("cpsat",),
        auto_rank=0,
        # the output-function table: 0.4-1 µs per cell on one core (h = 5, K = 3, 3.8 M
        # cells, 1.7 s; h = 2, K = 150, 109 M cells, 105 s); canonicalising every output
        # function: about 10 µs x units x h! for h >= 4 (K = 3: h = 4 2 s, h = 5 200 s;
        # K = 1: h = 6 17 s)
        setup_s_per_cell=0.5e-6,
        setup_s_per_permutation=1e-5,
    ),
    BackendSpec(
        "heuristic",
        "mixedopt.solvers.greedy",
        "GreedyBackend",
        (),
        None,
        "the local search alone (no proof beyond zero errors)",
        kind=METHOD,
        label="local search",
        heuristic=True,
        function="local_search",
    ),
):
    register(_spec)


def entries(kind: str = BACKEND) -> list[BackendSpec]:
    """The registered entries of ``kind``, in registration order."""
    return [s for s in _REGISTRY.values() if s.kind == kind]


def names() -> list[str]:
    """Every registered backend name (installed or not)."""
    return sorted(s.name for s in entries(BACKEND))


def available() -> list[str]:
    """Names of the backends whose packages are installed (nothing is imported)."""
    return [n for n in names() if _REGISTRY[n].is_available()]


def target_backends() -> list[str]:
    """Names of the backends that assign targets (:meth:`Backend.assign`): the default
    first, then in registration order (installed or not)."""
    out = [s.name for s in entries(BACKEND) if s.assigns_targets]
    if DEFAULT_TARGET_BACKEND in out:
        out.remove(DEFAULT_TARGET_BACKEND)
        out.insert(0, DEFAULT_TARGET_BACKEND)
    return out


def find(name: Any) -> BackendSpec | None:
    """The backend spec of ``name`` (aliases like ``"ortools"`` accepted), or None when
    ``name`` is no registered backend (or not a str)."""
    if not isinstance(name, str):
        return None
    entry = _REGISTRY.get(_ALIASES.get(name.lower(), name.lower()))
    return entry if entry is not None and entry.kind == BACKEND else None


def spec(name: str) -> BackendSpec:
    """The :class:`BackendSpec` of backend ``name`` (aliases like ``"ortools"`` accepted)."""
    if not isinstance(name, str):
        raise ValidationError(f"backend must be a name (str), got {type(name).__name__}.")
    entry = find(name)
    if entry is None:
        raise ValidationError(
            f"unknown backend {name!r}; registered: {', '.join(names())} "
            f"(installed: {', '.join(available()) or 'none'})."
        )
    return entry


def methods() -> list[BackendSpec]:
    """The registered engine methods, in registration order."""
    return entries(METHOD)


def method_spec(name: Any) -> BackendSpec | None:
    """The spec of engine method ``name``, or None when there is none of that name."""
    entry = _REGISTRY.get(name) if isinstance(name, str) else None
    return entry if entry is not None and entry.kind == METHOD else None


def load(entry: BackendSpec, attr: str = "") -> Any:
    """``attr`` (default: the entry's class) of the entry's module, or None when the module
    cannot be imported (not shipped, or a package missing) or lacks it."""
    try:
        module = importlib.import_module(entry.module)
    except ImportError:
        return None
    return getattr(module, attr or entry.attr, None)


def method_function(name: str) -> Callable[..., Any] | None:
    """The solve function of engine method ``name`` (:attr:`BackendSpec.function`), None
    when the method is unknown or its module is not shipped."""
    entry = method_spec(name)
    return None if entry is None else load(entry, entry.function)


def get(name: str) -> Backend:
    """A fresh instance of backend ``name``.

    Raises
    ------
    ValidationError
        Unknown name (the message lists the registered and installed backends).
    SolverUnavailableError
        The backend's package is missing (the message names the extra to install).
    """
    entry = spec(name)
    if not _module_exists(entry.module):
        raise ValidationError(f"backend {entry.name!r} is registered but not shipped yet.")
    missing = [p for p in entry.packages if not package_available(p)]
    if missing:
        hint = (
            f"pip install 'mixedopt[{entry.extra}]'"
            if entry.extra
            else "pip install " + " ".join(missing)
        )
        raise SolverUnavailableError(
            f"backend {entry.name!r} needs {', '.join(missing)}, which is not installed; "
            f"run: {hint}"
        )
    cls = getattr(importlib.import_module(entry.module), entry.attr)
    return cls()
