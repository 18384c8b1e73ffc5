"""SCIP native interface: formulation names, the status map and SCIP parameters.

Native options of ``backend="scip"`` are SCIP parameters by path (``"limits/gap"``), a
``scip_params`` mapping of them, and ``formulation`` (one of :data:`FORMULATIONS`, default
``"auto"``); see :mod:`mixedopt.solvers.scip`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mixedopt.errors import ValidationError
from mixedopt.result import Status
from mixedopt.solvers.base import LIMIT

__all__ = ["FORMULATIONS", "STATUS_MAP"]

FORMULATIONS = ("auto", "bigm", "indicator", "hull", "selection")

STATUS_MAP: dict[str, Status | str] = {
    "optimal": Status.OPTIMAL,
    "infeasible": Status.INFEASIBLE,
    "inforunbd": Status.INFEASIBLE,  # every variable is bounded: cannot be unbounded
    "timelimit": LIMIT,
    "userinterrupt": LIMIT,
    "gaplimit": LIMIT,
    "nodelimit": LIMIT,
    "totalnodelimit": LIMIT,
    "stallnodelimit": LIMIT,
    "memlimit": LIMIT,
    "sollimit": LIMIT,
    "bestsollimit": LIMIT,
    "restartlimit": LIMIT,
    "primallimit": LIMIT,
    "duallimit": LIMIT,
    "unknown": LIMIT,
}


def split_native(native: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    native = dict(native)
    formulation = native.pop("formulation", "auto")
    if formulation not in FORMULATIONS:
        raise ValidationError(
            f"unknown SCIP formulation {formulation!r}; choose from {', '.join(FORMULATIONS)}."
        )
    params = dict(native.pop("scip_params", {}) or {})
    for k, v in native.items():
        if "/" not in k:
            raise ValidationError(
                f"unknown scip option {k!r}; pass SCIP parameters by their path (e.g. "
                "'limits/gap') or in scip_params={...}, or formulation="
                f"{'|'.join(repr(f) for f in FORMULATIONS)}."
            )
        params[k] = v
    return formulation, params


def set_params(model: Any, params: Mapping[str, Any]) -> None:
    for k, v in params.items():
        try:
            model.getParam(k)
        except Exception as exc:  # PySCIPOpt raises KeyError/LookupError variants
            raise ValidationError(f"unknown SCIP parameter {k!r}: {exc}") from exc
        try:
            model.setParam(k, v)
        except Exception as exc:
            raise ValidationError(f"bad value {v!r} for SCIP parameter {k!r}: {exc}") from exc
