"""What target assignment returns: :class:`TargetAssignment` (verified answer of
:func:`~mixedopt.targets.assign_targets`) and :class:`RawAssignment` (a backend's answer
before verification).

Examples
--------
>>> import numpy as np
>>> from mixedopt.result import Status
>>> from mixedopt.targets import TargetAssignment
>>> ta = TargetAssignment(np.ones((2, 1), np.int8), 1, Status.FEASIBLE, 0.0, 0.1,
...                       np.zeros((1, 3)), np.zeros(1))
>>> ta.gap
1.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixedopt.result import Status, relative_gap

__all__ = ["RawAssignment", "TargetAssignment"]


@dataclass
class TargetAssignment:
    """Answer of :func:`~mixedopt.targets.assign_targets`.

    Attributes
    ----------
    targets : ndarray of int8, shape (B, n_units)
        The chosen ±1 targets, realised exactly by ``weights``/``biases``.
    n_violated : int
        Weighted number of violated downstream targets under ``targets`` (recounted).
    status : Status
        OPTIMAL (proven, or 0 violations), FEASIBLE (limit hit / heuristic), or UNKNOWN.
    bound : float or None
        Proven lower bound on the optimal number of violations.
    wall_time : float
        Seconds spent.
    weights, biases : ndarray
        A layer realising ``targets``: ``sign(A @ weights.T + biases) == targets``.
    backend : str
    interrupted : bool
    info : dict
    """

    targets: np.ndarray
    n_violated: int
    status: Status
    bound: float | None
    wall_time: float
    weights: np.ndarray
    biases: np.ndarray
    backend: str = ""
    interrupted: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        if self.status is Status.OPTIMAL:
            return 0.0
        return relative_gap(self.n_violated, self.bound)


@dataclass
class RawAssignment:
    """What a target-assignment solver returns before verification."""

    native_status: str  # "optimal", "limit", "infeasible"
    targets: np.ndarray | None
    weights: np.ndarray | None
    biases: np.ndarray | None
    bound: float | None = None
    interrupted: bool = False
    info: dict[str, Any] = field(default_factory=dict)
