"""Exact scalarization of an integral lexicographic objective (one integer to minimise)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from mixedopt.errors import ValidationError
from mixedopt.problems.training import TrainingProblem

__all__ = ["LexScalarizer"]


class LexScalarizer:
    """Fold an integral lexicographic objective into one integer to minimise, exactly.

    Each criterion ``c`` has an integer value range ``[0, R_c]`` (errors: total sample
    weight; weights: number of parameters; margin: :meth:`TrainingProblem.margin_range`);
    ``margin`` enters negated. Coefficients are chosen from the last criterion to the first
    so that one unit of an earlier criterion outweighs the whole range of the later ones.

    >>> import mixedopt as mo
    >>> from mixedopt.problems.training import TrainingProblem
    >>> X, y = mo.datasets.load("xor")
    >>> p = TrainingProblem.from_data(X, y, hidden=[2], objective="errors,weights")
    >>> s = LexScalarizer(p)
    >>> s.coef
    {'errors': 10, 'weights': 1}
    >>> s.value({"errors": 1, "weights": 4})
    14
    >>> s.primary_bound(12)
    1.0
    """

    def __init__(self, problem: TrainingProblem) -> None:
        if not problem.integral:
            raise ValidationError(
                "a single integer objective needs an integral problem (integer inputs, "
                "discrete weights)."
            )
        self.problem = problem
        self.criteria = problem.objective
        ranges = {
            "errors": int(problem.sample_weight.sum()),
            "weights": problem.n_params,
            "margin": int(problem.margin_range()),
        }
        self.ranges = {c: ranges[c] for c in self.criteria}
        coef: dict[str, int] = {}
        mult = 1
        for c in reversed(self.criteria):
            coef[c] = mult
            mult *= self.ranges[c] + 1
        self.coef = {c: coef[c] for c in self.criteria}

    def sign(self, criterion: str) -> int:
        return -1 if criterion == "margin" else 1

    def value(self, values: Mapping[str, float]) -> int:
        """Scalar (minimised) value of the per-criterion values."""
        return int(sum(self.sign(c) * self.coef[c] * values[c] for c in self.criteria))

    def primary_bound(self, scalar_bound: float) -> float:
        """Proven bound on the primary criterion implied by a lower bound on the scalar."""
        c0 = self.criteria[0]
        rest_max = sum(self.coef[c] * self.ranges[c] for c in self.criteria[1:] if self.sign(c) > 0)
        if self.sign(c0) > 0:
            # coef*v + rest >= S, rest <= rest_max  ->  v >= (S - rest_max) / coef
            return float(max(0, math.ceil((scalar_bound - rest_max - 1e-9) / self.coef[c0])))
        # -coef*v + rest >= S, rest >= rest_min... upper bound on v: v <= (rest_max - S)/coef
        return float(math.floor((rest_max - scalar_bound + 1e-9) / self.coef[c0]))

    def __repr__(self) -> str:
        return f"LexScalarizer({self.coef})"
