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
    #: baselines: the purity of the same codes with the labels shuffled (mean of 5 draws: what
    #: a code unrelated to the class scores), of one code for all (the majority class share)
    #: and of an identity code (one code per sample: always 1.0)
    purity_chance: float | None = None
    purity_majority: float | None = None
    purity_identity: float = 1.0


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
    def violated(self) -> float:
        """Fraction of this layer's targets the activations miss (1 - agreement)."""
        return 1.0 - self.agreement

    @property
    def unit_violated(self) -> np.ndarray:
        """Per unit: fraction of its targets missed."""
        return 1.0 - np.asarray(self.unit_agreement, dtype=np.float64)

    @property
    def misses_per_sample(self) -> dict[int, int]:
        """How many samples miss how many of their targets: ``{k: n_samples}`` (k >= 0)."""
        k = np.sum(self.targets != self.activations, axis=1)
        vals, counts = np.unique(k, return_counts=True)
        return {int(v): int(c) for v, c in zip(vals, counts, strict=True)}

    @property
    def separability(self) -> list[str]:
        """Per unit: ``"no misses"`` (meets every target), ``"separable"`` (misses some, but a
        hyperplane on the layer's inputs fits them all), ``"not separable"`` (no hyperplane
        does: see :attr:`conflicts`) or ``"not checked"``."""
        out = []
        for v, s in zip(self.unit_violations.tolist(), self.separable, strict=True):
            if v == 0:
                out.append("no misses")
            elif s is None:
                out.append("not checked")
            else:
                out.append("separable" if s else "not separable")
        return out

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
            "violated": self.violated,
            "unit_agreement": self.unit_agreement.tolist(),
            "unit_violated": self.unit_violated.tolist(),
            "misses_per_sample": {str(k): v for k, v in self.misses_per_sample.items()},
            "separability": self.separability,
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
                "purity_chance": self.codes.purity_chance,
                "purity_majority": self.codes.purity_majority,
                "purity_identity": self.codes.purity_identity,
            }
        if include_matrices and self.targets.size <= _JSON_MATRIX_LIMIT:
            d["targets"] = self.targets.tolist()
            d["activations"] = self.activations.tolist()
        return d
