"""Solve status and results shared by every solver and training algorithm.

A time-limited solve never claims more than it proved: :attr:`Status.OPTIMAL` means the gap
between the objective of the returned network and the proven bound is closed; a limit hit
with a network in hand is :attr:`Status.FEASIBLE`, with its ``bound`` and ``gap``.

Examples
--------
>>> from mixedopt.result import Status, SolveResult
>>> res = SolveResult(status=Status.FEASIBLE, objective=5, bound=3)
>>> res.gap
0.4
>>> Status("optimal") is Status.OPTIMAL
True
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from mixedopt.network import ThresholdNet

__all__ = ["Progress", "ProgressCallback", "SolveResult", "Status", "relative_gap"]


class Status(str, enum.Enum):
    """Outcome of a solve, shared by every backend (string-valued).

    * ``OPTIMAL``: the returned solution is proven optimal (gap closed).
    * ``FEASIBLE``: a solution was found but optimality is not proven (limit hit, heuristic).
    * ``INFEASIBLE``: proven that no solution exists (e.g. no zero-error net of this shape).
    * ``UNKNOWN``: no solution and no proof (limit hit before anything was found).
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value

    @property
    def has_solution(self) -> bool:
        """True for OPTIMAL and FEASIBLE."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """Relative gap ``|objective - bound| / max(|objective|, 1e-9)``; 0 when they are equal.

    Returns None when either value is missing or not finite.
    """
    if objective is None or bound is None:
        return None
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return None
    if objective == bound:
        return 0.0
    return abs(objective - bound) / max(abs(objective), 1e-9)


@dataclass(frozen=True)
class Progress:
    """One progress event of a running solve (passed to incumbent / log callbacks)."""

    wall_time: float
    objective: float | None = None
    bound: float | None = None
    message: str = ""
    source: str = ""

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)


ProgressCallback = Callable[[Progress], None]


@dataclass
class SolveResult:
    """Result of a solve or a training run.

    Attributes
    ----------
    status : Status
        What was proven (see :class:`Status`).
    net : ThresholdNet or None
        The best network found, re-evaluated with the true forward pass.
    objective : float or None
        Objective value of ``net`` (for ``errors``: its true number of training errors).
    bound : float or None
        Best proven bound on the optimum (lower bound when minimising).
    wall_time : float
        Seconds spent.
    targets : list of ndarray
        Hidden-layer targets (per layer, shape ``(n_samples, n_units)``, values ±1).
    n_errors : int or None
        Training errors of ``net`` counted by the true forward pass.
    certificate : ndarray or None
        For an infeasible zero-error request: indices of examples that no net of this shape
        fits.
    backend, method : str
        Which solver and which engine method produced the result.
    log : list of Progress
        Anytime progress (incumbents, bounds) in time order.
    info : dict
        Backend-specific extras (model size, native status, ...).
    """

    status: Status
    net: ThresholdNet | None = None
    objective: float | None = None
    bound: float | None = None
    wall_time: float = 0.0
    targets: list[np.ndarray] = field(default_factory=list)
    n_errors: int | None = None
    certificate: np.ndarray | None = None
    backend: str = ""
    method: str = ""
    seed: int | None = None
    interrupted: bool = False
    log: list[Progress] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.status = Status(self.status)

    @property
    def gap(self) -> float | None:
        """Relative gap between ``objective`` and ``bound`` (0.0 when proven optimal)."""
        if self.status is Status.OPTIMAL:
            return 0.0
        return relative_gap(self.objective, self.bound)

    @property
    def is_optimal(self) -> bool:
        return self.status is Status.OPTIMAL

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (the network as :meth:`ThresholdNet.to_dict`)."""
        return {
            "status": self.status.value,
            "objective": _num(self.objective),
            "bound": _num(self.bound),
            "gap": _num(self.gap),
            "wall_time": float(self.wall_time),
            "n_errors": None if self.n_errors is None else int(self.n_errors),
            "backend": self.backend,
            "method": self.method,
            "seed": self.seed,
            "interrupted": self.interrupted,
            "certificate": None if self.certificate is None else self.certificate.tolist(),
            "net": None if self.net is None else self.net.to_dict(),
            "info": {k: v for k, v in self.info.items() if _jsonable(v)},
        }

    def __str__(self) -> str:
        gap = self.gap
        parts = [
            f"status={self.status.value}",
            f"objective={_fmt(self.objective)}",
            f"bound={_fmt(self.bound)}",
            f"gap={'-' if gap is None else f'{gap:.2%}'}",
            f"time={self.wall_time:.2f}s",
        ]
        if self.backend:
            parts.append(f"backend={self.backend}")
        if self.method:
            parts.append(f"method={self.method}")
        return "SolveResult(" + ", ".join(parts) + ")"

    def _summary_rows(self) -> list[tuple[str, str]]:
        gap = self.gap
        net = "-" if self.net is None else " → ".join(map(str, self.net.sizes))
        return [
            ("status", self.status.value + (" (interrupted)" if self.interrupted else "")),
            ("objective", _fmt(self.objective)),
            ("bound", _fmt(self.bound)),
            ("gap", "-" if gap is None else f"{gap:.2%}"),
            ("time", f"{self.wall_time:.2f} s"),
            ("net", net),
            ("backend / method", f"{self.backend or '-'} / {self.method or '-'}"),
        ]

    def __repr__(self) -> str:
        """A few lines (status, objective, bound, gap, time, net shape), not the arrays."""
        rows = self._summary_rows()
        return "SolveResult\n" + "\n".join(f"  {k:<17}{v}" for k, v in rows)

    def _repr_html_(self) -> str:
        from html import escape

        body = "".join(
            f"<tr><th style='text-align:left'>{escape(k)}</th><td>{escape(v)}</td></tr>"
            for k, v in self._summary_rows()
        )
        return f"<table><caption>SolveResult</caption>{body}</table>"


def _num(x: Any) -> Any:
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return int(x) if x.is_integer() else x


def _fmt(x: Any) -> str:
    v = _num(x)
    return "-" if v is None else str(v)


def _jsonable(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool, type(None), list, dict))
