"""The statistics of one layer in a target-assignment report.

A :class:`LayerReport` holds a layer's targets, realised activations, agreement, per-unit
margins, violated targets, separability and conflict sets; a hidden layer's
class-conditional codes are a :class:`CodeStats`. :mod:`mixedopt.inspect.layer_stats`
computes them; :class:`~mixedopt.inspect.report.TargetReport` holds one per layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mixedopt.inspect.scalars import num

__all__ = ["CodeStats", "LayerReport"]

_JSON_MATRIX_LIMIT = 200_000  # target matrices larger than this stay out of the JSON


@dataclass
class CodeStats:
    """Class-conditional activation codes of a hidden layer.

    ``per_class[c]`` lists ``(code, count)`` for the most frequent codes of class ``c``;
    ``purity`` is ``sum_code max_class count / n`` (1.0: the codes determine the class).
    """

    n_codes: int
    purity: float
    per_class: dict[str, list[tuple[str, int]]]
    code_purity: list[tuple[str, int, float]]


@dataclass
class LayerReport:
    """Statistics of one layer (see :func:`inspect_targets`)."""

    index: int
    kind: str
    activation: str
    targets: np.ndarray
    activations: np.ndarray
    agreement: float
    unit_agreement: np.ndarray
    unit_margin: np.ndarray
    unit_violations: np.ndarray
    separable: list[bool | None]
    conflicts: dict[int, list[int]]
    codes: CodeStats | None = None
    flip_rate: list[float] | None = None
    violated_curve: list[float] | None = None

    @property
    def n_units(self) -> int:
        return int(self.targets.shape[1])

    @property
    def name(self) -> str:
        return f"hidden {self.index + 1}" if self.kind == "hidden" else "output"

    def to_dict(self, include_matrices: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "index": self.index,
            "name": self.name,
            "kind": self.kind,
            "activation": self.activation,
            "n_units": self.n_units,
            "agreement": self.agreement,
            "unit_agreement": self.unit_agreement.tolist(),
            "unit_margin": [num(v) for v in self.unit_margin.tolist()],
            "unit_violations": self.unit_violations.tolist(),
            "separable": self.separable,
            "conflicts": {str(k): v for k, v in self.conflicts.items()},
            "flip_rate": self.flip_rate,
            "violated_curve": self.violated_curve,
        }
        if self.codes is not None:
            d["codes"] = {
                "n_codes": self.codes.n_codes,
                "purity": self.codes.purity,
                "per_class": {k: [list(p) for p in v] for k, v in self.codes.per_class.items()},
                "code_purity": [list(p) for p in self.codes.code_purity],
            }
        if include_matrices and self.targets.size <= _JSON_MATRIX_LIMIT:
            d["targets"] = self.targets.tolist()
            d["activations"] = self.activations.tolist()
        return d
