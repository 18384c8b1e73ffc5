"""Solver backends behind one interface, and their registry.

Backends (see :mod:`mixedopt.solvers.base` for the interface):

========  ===============================  ====================================  ===========
name      solver                           formulation                           extra
========  ===============================  ====================================  ===========
cpsat     OR-Tools CP-SAT                  monolithic CP model (products)        (core)
scip      PySCIPOpt / SCIP                 monolithic MIP (indicators or big-M)  ``scip``
maxsat    PySAT RC2                        MaxSAT over cardinality/PB encodings  ``maxsat``
brute     numpy (+ HiGHS LP for real)      exhaustive enumeration (tiny nets)    (core)
greedy    numpy                            local search (no proof)               (core)
========  ===============================  ====================================  ===========

The registry never imports a backend module (nor its solver package) to answer
:func:`available`: packages are looked up with :func:`importlib.util.find_spec`.

Examples
--------
>>> import mixedopt as mo
>>> sorted(set(mo.solvers.available()) & {"brute", "cpsat"})
['brute', 'cpsat']
>>> backend = mo.solvers.get("cpsat")
>>> backend.name, backend.proves_optimality
('cpsat', True)
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from mixedopt.errors import ValidationError
from mixedopt.solvers.base import Backend, package_available

__all__ = ["Backend", "BackendSpec", "available", "get", "names", "register", "spec"]


@dataclass(frozen=True)
class BackendSpec:
    """How to find a backend without importing it.

    Attributes
    ----------
    name : str
        Registry name (``get(name)``).
    module, attr : str
        Where the :class:`Backend` subclass lives (imported on :func:`get`).
    packages : tuple of str
        Top-level packages it needs (checked with ``find_spec``).
    extra : str or None
        pip extra that installs them.
    description : str
        One line for listings.
    """

    name: str
    module: str
    attr: str
    packages: tuple[str, ...] = ()
    extra: str | None = None
    description: str = ""

    def is_available(self) -> bool:
        """True when the backend module and its packages can be imported."""
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


def register(entry: BackendSpec | type[Backend], *, replace: bool = False) -> None:
    """Register a backend: a :class:`BackendSpec` (lazy) or a :class:`Backend` subclass.

    Raises
    ------
    ValidationError
        If the name is taken and ``replace`` is false.
    """
    if isinstance(entry, type) and issubclass(entry, Backend):
        cls = entry
        entry = BackendSpec(
            cls.name, cls.__module__, cls.__qualname__, cls.packages, cls.extra, cls.description
        )
    if not isinstance(entry, BackendSpec) or not entry.name:
        raise ValidationError("register() needs a BackendSpec or a Backend subclass with a name.")
    if entry.name in _REGISTRY and not replace and _REGISTRY[entry.name] != entry:
        raise ValidationError(f"a backend named {entry.name!r} is already registered.")
    _REGISTRY[entry.name] = entry


for _spec in (
    BackendSpec(
        "cpsat",
        "mixedopt.solvers.cpsat",
        "CPSATBackend",
        ("ortools",),
        None,
        "OR-Tools CP-SAT, monolithic CP model",
    ),
    BackendSpec(
        "scip",
        "mixedopt.solvers.scip",
        "SCIPBackend",
        ("pyscipopt",),
        "scip",
        "SCIP MIP (indicator or big-M links)",
    ),
    BackendSpec(
        "maxsat",
        "mixedopt.solvers.maxsat",
        "MaxSATBackend",
        ("pysat",),
        "maxsat",
        "PySAT RC2 MaxSAT over cardinality / PB encodings",
    ),
    BackendSpec(
        "brute",
        "mixedopt.solvers.brute",
        "BruteBackend",
        (),
        None,
        "exhaustive oracle for tiny nets",
    ),
    BackendSpec(
        "greedy",
        "mixedopt.solvers.greedy",
        "GreedyBackend",
        (),
        None,
        "local search over discrete weights (no proof)",
    ),
):
    register(_spec)


def names() -> list[str]:
    """Every registered backend name (installed or not)."""
    return sorted(_REGISTRY)


def available() -> list[str]:
    """Names of the backends whose packages are installed (nothing is imported)."""
    return [n for n in names() if _REGISTRY[n].is_available()]


def spec(name: str) -> BackendSpec:
    """The :class:`BackendSpec` of ``name`` (aliases like ``"ortools"`` accepted)."""
    if not isinstance(name, str):
        raise ValidationError(f"backend must be a name (str), got {type(name).__name__}.")
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _REGISTRY:
        raise ValidationError(
            f"unknown backend {name!r}; registered: {', '.join(names())} "
            f"(installed: {', '.join(available()) or 'none'})."
        )
    return _REGISTRY[key]


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
        from mixedopt.errors import SolverUnavailableError

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
