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

Engine methods (``train_exact(method=...)``: ``table``, ``dichotomy``, ``heuristic``) are
registered too, with their capabilities. The registry (:mod:`mixedopt.solvers.registry`)
never imports a backend module (nor its solver package) to answer :func:`available`:
packages are looked up with :func:`importlib.util.find_spec`. To add a backend, read
:mod:`mixedopt.solvers.TEMPLATE`.

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

from mixedopt.solvers.base import Backend
from mixedopt.solvers.registry import (
    DEFAULT_BACKEND,
    DEFAULT_TARGET_BACKEND,
    BackendSpec,
    available,
    get,
    names,
    register,
    spec,
    unregister,
)

__all__ = [
    "DEFAULT_BACKEND",
    "DEFAULT_TARGET_BACKEND",
    "Backend",
    "BackendSpec",
    "available",
    "get",
    "names",
    "register",
    "spec",
    "unregister",
]
