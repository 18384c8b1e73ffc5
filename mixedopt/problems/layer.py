"""The per-layer target-assignment problem and its answers.

:class:`TargetProblem` holds one layer's inputs ``A``, the fixed layers above and their
downstream targets, the weight domain and the optional current targets; it counts downstream
violations, tabulates codes for the exact models and checks realisability (see
:mod:`mixedopt.targets` for the semantics). :class:`TargetAssignment` is a verified answer of
:func:`~mixedopt.targets.assign_targets`, :class:`RawAssignment` a backend's answer before
verification. The argument checks live in :mod:`mixedopt.problems.layer_checks`.

Examples
--------
>>> import numpy as np
>>> from mixedopt.problems.layer import TargetProblem
>>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
>>> tp = TargetProblem.build(X, (np.array([[1, 1]]), [1]), [[-1], [1], [1], [1]],
...                          weights="integer")
>>> tp.integral, tp.weight_bound, tp.violations(np.array([[-1, -1]] * 4))
(True, 3.0, 3)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixedopt.arithmetic import exact_nonnegative
from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problems.layer_checks import (
    check_above,
    check_current,
    check_domain,
    check_margin,
    check_max_flips,
    check_sample_weight,
    check_weight_domain,
)
from mixedopt.result import Status, relative_gap
from mixedopt.validation import check_array, is_integral

__all__ = ["MAX_CODE_TABLE_UNITS", "RawAssignment", "TargetAssignment", "TargetProblem"]

MAX_CODE_TABLE_UNITS = 12


@dataclass(frozen=True, eq=False)
class TargetProblem:
    """A validated per-layer target-assignment problem (built by :meth:`build`).

    Attributes
    ----------
    A : ndarray, shape (B, n_in)
        Inputs of the layer (int64 when integral).
    n_units : int
        Width of the layer whose targets are chosen.
    above : ThresholdNet or None
        Fixed layers above, read as the final output (``y`` holds class codes).
    W_next, b_next : ndarray or None
        Alternatively one fixed sign layer above (``y`` holds its ±1 targets).
    y : ndarray
        Downstream targets: class codes ``(B,)`` or ±1 ``(B, n_next)``.
    weights : str
        Weight domain of the layer.
    weight_bound : float or None
        Box of weights and biases (None: unbounded, real weights only).
    margin : float
        Inactive gap for non-integral problems.
    current : ndarray or None
        Current targets ``(B, n_units)`` (start point / hint, and centre of ``max_flips``).
    max_flips : int or None
        Most targets of one example that may differ from ``current``.
    sample_weight : ndarray of int64
        Weight of each example's violations.
    """

    A: np.ndarray
    n_units: int
    above: ThresholdNet | None
    W_next: np.ndarray | None
    b_next: np.ndarray | None
    y: np.ndarray
    weights: str
    weight_bound: float | None
    margin: float
    current: np.ndarray | None
    max_flips: int | None
    sample_weight: np.ndarray
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------ construction
    @classmethod
    def build(
        cls,
        A: Any,
        above: Any,
        y_down: Any,
        *,
        n_units: int | None = None,
        current: Any = None,
        weights: str = "real",
        weight_bound: float | None = None,
        margin: float = 1.0,
        max_flips: int | None = None,
        sample_weight: Any = None,
    ) -> TargetProblem:
        """Validate the inputs (clear :class:`ValidationError` on bad input)."""
        Aa = check_array(A, name="A")
        B = Aa.shape[0]
        check_domain(weights)
        net, W_next, b_next, y, n_in_above = check_above(above, y_down, B)
        if n_units is not None and int(n_units) != n_in_above:
            raise ValidationError(
                f"n_units={n_units} but the layer above takes {n_in_above} inputs."
            )
        n = int(n_in_above)
        K = check_weight_domain(weights, weight_bound)
        mg = check_margin(margin)
        cur = check_current(current, B, n)
        flips = check_max_flips(max_flips, cur)
        sw = check_sample_weight(sample_weight, B)
        Ac = Aa.astype(np.int64) if is_integral(Aa) and weights != "real" else Aa.astype(float)
        if weights != "real" and Ac.size:
            zmax = float(np.max(np.sum(np.abs(Ac.astype(np.float64)), axis=1))) * float(K or 1)
            if zmax + float(K or 1) * (Ac.shape[1] + 1) >= 2.0**53:
                raise ValidationError(
                    f"A too large for exact target assignment: |w . a + b| can reach {zmax:.3g} "
                    "with these weights, beyond the exact-integer limit 2**53 (about 9.0e15); "
                    "rescale A (e.g. divide by a power of 2) or lower weight_bound."
                )
        return cls(Ac, n, net, W_next, b_next, y, weights, K, mg, cur, flips, sw)

    # ------------------------------------------------------------ semantics
    @property
    def n_samples(self) -> int:
        return int(self.A.shape[0])

    @property
    def n_inputs(self) -> int:
        return int(self.A.shape[1])

    @property
    def integral(self) -> bool:
        return self.weights != "real" and self.A.dtype.kind == "i"

    @property
    def eps(self) -> float:
        return 1.0 if self.integral else self.margin

    @property
    def tol(self) -> float:
        return 0.0 if self.integral else 1e-4 * self.margin

    def bias_bounds(self) -> tuple[float, float] | None:
        if self.weight_bound is None:
            return None
        if self.weights == "binary":
            return (-float(self.n_inputs), float(self.n_inputs))
        return (-self.weight_bound, self.weight_bound)

    # ------------------------------------------------------------ downstream
    def violations_per_example(self, T: np.ndarray) -> np.ndarray:
        """Unweighted violations of each example's downstream targets given ``T``."""
        T = np.asarray(T)
        if self.above is not None:
            return (self.above.predict_codes(T) != self.y).astype(np.int64)
        assert self.W_next is not None and self.b_next is not None
        z = T @ self.W_next.T + self.b_next
        return np.sum(np.where(z >= 0, 1, -1) != self.y, axis=1).astype(np.int64)

    def violations(self, T: np.ndarray) -> int:
        """Weighted number of violated downstream targets (the objective)."""
        return int(np.sum(self.sample_weight * self.violations_per_example(T)))

    def all_codes(self) -> np.ndarray:
        """Every ±1 code of the layer, shape ``(2^n, n)`` (only for n <= 12)."""
        if self.n_units > MAX_CODE_TABLE_UNITS:
            raise ValidationError(
                f"{self.n_units} units: code tables are limited to {MAX_CODE_TABLE_UNITS}."
            )
        if "codes" not in self._cache:
            n = self.n_units
            idx = np.arange(2**n)[:, None]
            self._cache["codes"] = np.where((idx >> np.arange(n)[::-1]) & 1, 1, -1).astype(np.int8)
        return self._cache["codes"]

    def code_violations(self) -> np.ndarray:
        """Violations of every example under every code, shape ``(B, 2^n)``."""
        if "code_viol" not in self._cache:
            codes = self.all_codes().astype(np.int64)
            if self.above is not None:
                pred = self.above.predict_codes(codes)  # (2^n,)
                out = (pred[None, :] != self.y[:, None]).astype(np.int64)
            else:
                z = codes @ self.W_next.T + self.b_next  # (2^n, n_next)
                s = np.where(z >= 0, 1, -1)
                out = np.stack([np.sum(s != yk[None, :], axis=1) for yk in self.y]).astype(np.int64)
            self._cache["code_viol"] = out
        return self._cache["code_viol"]

    def linear_above(self) -> tuple[np.ndarray, np.ndarray, str] | None:
        """``(W, b, kind)`` when the layers above are one affine layer (kind: ``"sign"``,
        ``"argmax"`` or ``"layer"``), else None."""
        if self.above is None:
            return self.W_next, self.b_next, "layer"
        if self.above.n_layers == 1:
            return self.above.weights[0], self.above.biases[0], self.above.output
        return None

    # ------------------------------------------------------------ realisability
    def realised(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Targets produced by a layer ``(W, b)`` on ``A`` (true forward pass, ±1)."""
        act = exact_nonnegative(self.A, np.asarray(W), np.asarray(b))
        return np.where(act, 1, -1).astype(np.int8)

    def in_dead_band(self, W: np.ndarray, b: np.ndarray) -> bool:
        """True when some example falls in the models' dead band ``(-eps, tol)`` (never for
        integral problems): such a layer does not realise its column in the exact sense."""
        if self.integral:
            return False
        z = self.A @ np.asarray(W, dtype=np.float64).T + np.asarray(b, dtype=np.float64)
        return bool(np.any((z > -self.eps) & (z < self.tol)))

    def downstream_mode(self) -> str:
        """How exact models encode the layers above: ``"linear"`` (one affine layer with
        integer weights), ``"table"`` (a code table, n_units <= 12) or ``"linear-real"``."""
        lin = self.linear_above()
        if (
            lin is not None
            and is_integral(np.asarray(lin[0], float))
            and is_integral(np.asarray(lin[1], float))
        ):
            return "linear"
        if self.n_units <= MAX_CODE_TABLE_UNITS:
            return "table"
        if lin is not None:
            return "linear-real"
        raise ValidationError(
            f"exact target assignment under a {self.above.n_layers}-layer net above needs a "
            f"code table, limited to {MAX_CODE_TABLE_UNITS} units (got {self.n_units}); use "
            "backend='greedy'."
        )

    def column_realisable(self, t: np.ndarray) -> tuple[bool, np.ndarray | None]:
        """Exact check that column ``t`` is realisable; returns ``(ok, params or None)``.

        Real weights: one LP. Discrete weights: a small CP-SAT model (exact).
        """
        # the unit fits load scipy / OR-Tools: imported on first use, not with the problem
        from mixedopt.perceptron.box_lp import unit_lp
        from mixedopt.perceptron.integer import unit_cp

        t = np.asarray(t) > 0
        if self.weights == "real":
            v = unit_lp(self.A, t, K=self.weight_bound, eps=self.eps, tol=self.tol)
            return v is not None, v
        bounds = self.bias_bounds()
        assert bounds is not None and self.weight_bound is not None  # discrete: bounded
        v = unit_cp(
            self.A,
            t,
            weights=self.weights,
            K=int(self.weight_bound),
            bias_bounds=bounds,
            time_limit=10.0,
        )
        return v is not None, v


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
