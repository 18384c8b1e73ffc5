"""Exact search over unit dichotomies (being split into modules; see :mod:`.search`)."""

from mixedopt.solvers.dichotomy.search import (  # noqa: F401 (re-exports)
    _HAS_POPCOUNT,
    DEFAULTS,
    MAJORITY,
    CanonicalFunction,
    DichotomyBackend,
    UnitClass,
    _bits_dot,
    _canonical,
    _is_majority,
    _layer_values,
    _n_units,
    _pack,
    _permute,
    _Search,
    _swap_bits,
    _unit_params,
    _unpack,
    _unsupported,
    applicable,
    canonical_functions,
    logger,
    solve_dichotomy,
    unit_class,
)

__all__ = [
    "CanonicalFunction",
    "DichotomyBackend",
    "UnitClass",
    "applicable",
    "canonical_functions",
    "solve_dichotomy",
    "unit_class",
]
