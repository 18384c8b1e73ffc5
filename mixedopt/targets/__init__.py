"""Per-layer target assignment: the discrete core of target propagation.

For one hidden layer with everything else fixed, choose that layer's ±1 **targets**
``T`` (shape ``(B, n_units)``) for a batch such that

1. every unit's column ``T[:, j]`` is **realisable** from the layer's inputs ``A`` (some
   ``(w_j, b_j)`` in the weight domain produces exactly that column), and
2. the fixed layers **above** reproduce their own targets from ``T`` as often as possible:
   minimise the (weighted) number of violated downstream targets.

The layers above are either a :class:`~mixedopt.network.ThresholdNet` mapping the layer's
outputs to the final output (``y_down`` = class labels; one violation per misclassified
example), or one sign layer ``(W, b)`` (``y_down`` = that layer's ±1 targets, shape
``(B, n_next)``; one violation per mismatched entry).

Realisability semantics (the same as :class:`~mixedopt.problem.TrainingProblem`; sign(0) =
+1): with integer inputs and discrete weights a unit is active iff ``z >= 0`` and inactive iff
``z <= -1``; otherwise (real weights or real inputs) active needs ``z >= 1e-4 * margin`` and
inactive ``z <= -margin``. Real weights default to **no bound** (``weight_bound=None``):
realisable then means strictly linearly separable.

Solvers (``backend=``): ``"greedy"`` (anytime local search: propose the nearest downstream-
correct codes for violated examples, refit each unit — hinge LP for real weights, integer
coordinate descent for discrete ones — and keep a unit's realised column when the total
violation count drops; status FEASIBLE unless it reaches 0), ``"cpsat"`` (exact CP model,
integral problems), ``"scip"`` (exact MIP, any domain; indicator constraints when the
weights are unbounded) and ``"brute"`` (exhaustive oracle for tiny batches). There is no
``"maxsat"`` target backend: the layer problem couples each unit's weights to its targets
through linear inequalities over real or integer inputs, which a MaxSAT encoding only
reaches through large pseudo-Boolean sums; CP-SAT handles the same integral problems
natively (use ``train_exact(backend="maxsat")`` for whole ±1-input networks). Every answer is
verified: the returned ``weights``/``biases`` realise the returned targets by the true forward
pass and ``n_violated`` is recounted.

Examples
--------
>>> import numpy as np
>>> import mixedopt as mo
>>> X, y = mo.datasets.load("xor")
>>> above = mo.ThresholdNet([np.array([[1, 1]])], [np.array([1])])   # OR of two units
>>> ta = mo.assign_targets(X, above, y, backend="cpsat", weights="integer", weight_bound=1,
...                        time_limit=10)
>>> ta.status.value, ta.n_violated
('optimal', 0)
>>> bool((np.where(X @ ta.weights.T + ta.biases >= 0, 1, -1) == ta.targets).all())
True
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixedopt._validation import check_array, is_integral
from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.result import Status, relative_gap

__all__ = ["BACKENDS", "TargetAssignment", "TargetProblem", "assign_targets"]

logger = logging.getLogger(__name__)

BACKENDS = ("greedy", "cpsat", "scip", "brute")
MAX_CODE_TABLE_UNITS = 12
DOMAINS = ("binary", "ternary", "integer", "real")


# --------------------------------------------------------------------------- data model
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
        if weights not in DOMAINS:
            raise ValidationError(f"weights must be one of {', '.join(DOMAINS)}, got {weights!r}.")
        W_next = b_next = None
        net = None
        if isinstance(above, ThresholdNet):
            net = above
            n_in_above = net.n_inputs
            yy = np.asarray(y_down)
            if yy.ndim != 1 or yy.shape[0] != B:
                raise ValidationError(
                    f"y_down must hold one label per example ({B}), got shape {yy.shape}."
                )
            codes = np.full(B, -1, dtype=np.int64)
            for c, lab in enumerate(net.classes.tolist()):
                codes[yy == lab] = c
            if np.any(codes < 0):
                bad = sorted(set(yy[codes < 0].tolist()))[:5]
                raise ValidationError(
                    f"y_down has labels {bad} that the net above cannot output (its classes "
                    f"are {net.classes.tolist()})."
                )
            y = codes
        elif isinstance(above, (tuple, list)) and len(above) == 2:
            W_next = check_array(above[0], name="above[0] (weights)")
            b_next = np.asarray(above[1], dtype=np.float64).reshape(-1)
            if b_next.shape[0] != W_next.shape[0]:
                raise ValidationError("above=(W, b): b needs one entry per row of W.")
            if is_integral(W_next) and is_integral(b_next):
                W_next, b_next = W_next.astype(np.int64), b_next.astype(np.int64)
            n_in_above = W_next.shape[1]
            yy = np.asarray(y_down)
            if yy.shape != (B, W_next.shape[0]) or not set(np.unique(yy).tolist()) <= {-1, 1}:
                raise ValidationError(
                    f"with above=(W, b), y_down must be ±1 targets of shape "
                    f"({B}, {W_next.shape[0]})."
                )
            y = yy.astype(np.int64)
        else:
            raise ValidationError(
                "above must be a ThresholdNet (the fixed layers above, y_down = labels) or a "
                "pair (W, b) of one sign layer (y_down = its ±1 targets)."
            )
        if n_units is not None and int(n_units) != n_in_above:
            raise ValidationError(
                f"n_units={n_units} but the layer above takes {n_in_above} inputs."
            )
        n = int(n_in_above)
        if weights == "real":
            K = None if weight_bound is None else float(weight_bound)
        elif weights in ("binary", "ternary"):
            K = 1.0
        else:
            K = 3.0 if weight_bound is None else float(weight_bound)
            if K != int(K) or K < 1:
                raise ValidationError(f"weight_bound must be a positive integer, got {K!r}.")
        if K is not None and (not np.isfinite(K) or K <= 0):
            raise ValidationError(f"weight_bound must be > 0, got {weight_bound!r}.")
        if not np.isfinite(margin) or margin <= 0:
            raise ValidationError(f"margin must be > 0, got {margin!r}.")
        cur = None
        if current is not None:
            cur = np.asarray(current)
            if cur.shape != (B, n) or not set(np.unique(cur).tolist()) <= {-1, 1}:
                raise ValidationError(
                    f"current must hold ±1 targets of shape ({B}, {n}), got {cur.shape}."
                )
            cur = cur.astype(np.int8)
        if max_flips is not None:
            if isinstance(max_flips, bool) or int(max_flips) != max_flips or max_flips < 0:
                raise ValidationError(f"max_flips must be an integer >= 0, got {max_flips!r}.")
            if cur is None:
                raise ValidationError("max_flips needs current targets to count flips from.")
            max_flips = int(max_flips)
        if sample_weight is None:
            sw = np.ones(B, dtype=np.int64)
        else:
            sw = np.asarray(sample_weight)
            if sw.shape != (B,) or not is_integral(sw.astype(np.float64)) or np.any(sw < 1):
                raise ValidationError(
                    f"sample_weight must hold {B} positive integers (an example's multiplicity)."
                )
            sw = sw.astype(np.int64)
        Ac = Aa.astype(np.int64) if is_integral(Aa) and weights != "real" else Aa.astype(float)
        return cls(Ac, n, net, W_next, b_next, y, weights, K, float(margin), cur, max_flips, sw)

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
        z = self.A @ np.asarray(W).T + np.asarray(b)
        return np.where(z >= 0, 1, -1).astype(np.int8)

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
        t = np.asarray(t) > 0
        if self.weights == "real":
            from mixedopt.solvers._lp import unit_lp

            v = unit_lp(self.A, t, K=self.weight_bound, eps=self.eps, tol=self.tol)
            return v is not None, v
        from mixedopt.solvers.cpsat import fit_unit_exact

        v = fit_unit_exact(self, t, time_limit=10.0)
        return v is not None, v


# --------------------------------------------------------------------------- result
@dataclass
class TargetAssignment:
    """Answer of :func:`assign_targets`.

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


# --------------------------------------------------------------------------- entry point
def assign_targets(
    A: Any,
    above: ThresholdNet | tuple[Any, Any],
    y_down: Any,
    *,
    n_units: int | None = None,
    current: Any = None,
    weights: str = "real",
    weight_bound: float | None = None,
    margin: float = 1.0,
    max_flips: int | None = None,
    backend: str = "greedy",
    time_limit: float | None = 10.0,
    seed: int = 0,
    threads: int = 1,
    sample_weight: Any = None,
    layer: tuple[Any, Any] | None = None,
    **native: Any,
) -> TargetAssignment:
    """Choose one hidden layer's ±1 targets for a batch, everything else fixed.

    Minimises the (weighted) number of downstream targets the fixed layers ``above`` miss,
    subject to every unit's target column being realisable from ``A`` in the weight domain
    (see the module docstring for the exact semantics).

    Parameters
    ----------
    A : array-like, shape (B, n_in)
        Inputs of the layer for the batch (data, or the ±1 activations of the layer below).
    above : ThresholdNet or (W, b)
        The fixed layers above: a ThresholdNet taking the layer's ``n_units`` outputs to the
        final output, or one sign layer ``(W, b)`` with ``W`` of shape ``(n_next, n_units)``.
    y_down : array-like
        What ``above`` must produce: labels ``(B,)`` (from ``above.classes``) for a net,
        ±1 targets ``(B, n_next)`` for a layer.
    n_units : int, optional
        Width of the layer (checked against ``above``).
    current : array-like of ±1, shape (B, n_units), optional
        Current targets (e.g. the forward pass): start point of ``greedy``, hint of the
        exact backends, and the centre of ``max_flips``.
    weights : {"real", "integer", "binary", "ternary"}, default "real"
        Weight domain of the layer.
    weight_bound : float, optional
        Box of weights and biases (default: unbounded for real weights, 3 for integer).
    margin : float, default 1.0
        Inactive gap ``z <= -margin`` for non-integral problems.
    max_flips : int, optional
        At most this many targets per example may differ from ``current`` (IProp's step).
    backend : {"greedy", "cpsat", "scip", "brute"}, default "greedy"
        ``greedy`` is anytime local search (FEASIBLE unless it reaches 0 violations); the
        others are exact with a time limit (``cpsat`` needs integer ``A`` and discrete
        weights; ``scip`` handles any domain; ``brute`` is an oracle for tiny batches).
    time_limit : float or None, default 10
        Seconds.
    seed, threads : int
    sample_weight : array-like of positive int, shape (B,), optional
        Weight of each example's violations.
    layer : (W, b), optional
        The layer's current weights ``(n_units, n_in)`` and biases: the exact start of
        ``greedy`` (otherwise each column of ``current`` is refitted first).
    **native
        Backend options (CP-SAT parameters; SCIP ``formulation`` / parameter paths).

    Returns
    -------
    TargetAssignment
        ``targets``, ``n_violated`` (recounted), ``status``, ``bound``, ``gap``,
        ``wall_time``, and ``weights``/``biases`` of a layer realising the targets.

    Examples
    --------
    >>> import numpy as np
    >>> import mixedopt as mo
    >>> X, y = mo.datasets.load("xor")
    >>> above = mo.ThresholdNet([np.array([[1, 1]])], [np.array([1])])
    >>> ta = mo.assign_targets(X, above, y, time_limit=5, seed=0)   # greedy, real weights
    >>> ta.n_violated, ta.targets.shape
    (0, (4, 2))
    """
    from mixedopt.solvers.base import check_options

    start = time.perf_counter()
    time_limit, seed, threads = check_options(time_limit=time_limit, seed=seed, threads=threads)
    if backend not in BACKENDS:
        raise ValidationError(
            f"unknown target-assignment backend {backend!r}; choose from {', '.join(BACKENDS)}."
        )
    tp = TargetProblem.build(
        A,
        above,
        y_down,
        n_units=n_units,
        current=current,
        weights=weights,
        weight_bound=weight_bound,
        margin=margin,
        max_flips=max_flips,
        sample_weight=sample_weight,
    )
    interrupted = False
    try:
        if backend == "greedy":
            if native:
                raise ValidationError(f"greedy takes no native options, got {sorted(native)}.")
            init = None
            if layer is not None:
                W0 = check_array(layer[0], name="layer[0] (weights)")
                b0 = np.asarray(layer[1], dtype=np.float64).reshape(-1)
                if W0.shape != (tp.n_units, tp.n_inputs) or b0.shape != (tp.n_units,):
                    raise ValidationError(
                        f"layer=(W, b) needs W of shape ({tp.n_units}, {tp.n_inputs}) and b "
                        f"of shape ({tp.n_units},)."
                    )
                init = (W0.astype(np.float64), b0)
            from mixedopt.solvers.targets_greedy import greedy_assign

            raw = greedy_assign(tp, time_limit=time_limit, seed=seed, initial=init)
        elif backend == "cpsat":
            from mixedopt.solvers import get
            from mixedopt.solvers.cpsat import assign_layer_targets

            get("cpsat")
            raw = assign_layer_targets(
                tp, time_limit=time_limit, seed=seed, threads=threads, **native
            )
        elif backend == "scip":
            from mixedopt.solvers import get
            from mixedopt.solvers.scip import assign_layer_targets as scip_assign

            get("scip")
            raw = scip_assign(tp, time_limit=time_limit, seed=seed, threads=threads, **native)
        else:
            from mixedopt.solvers.brute import assign_layer_targets as brute_assign

            raw = brute_assign(tp, time_limit=time_limit, **native)
    except KeyboardInterrupt:
        interrupted = True
        raw = RawAssignment("limit", None, None, None)
    return _verify(tp, raw, backend, time.perf_counter() - start, interrupted)


def _verify(
    tp: TargetProblem, raw: RawAssignment, backend: str, wall: float, interrupted: bool
) -> TargetAssignment:
    """Recompute targets from the returned layer and recount violations."""
    n, d = tp.n_units, tp.n_inputs
    info = dict(raw.info)
    info["native_status"] = raw.native_status
    if raw.weights is None or raw.biases is None:
        # nothing found: fall back to the current targets' refit or constant units
        W = np.zeros((n, d))
        b = np.zeros(n)
        if tp.weights == "binary":
            W[:] = 1
            b[:] = d
        T = tp.realised(W, b)
        status = Status.INFEASIBLE if raw.native_status == "infeasible" else Status.UNKNOWN
        if tp.weights != "real":
            W, b = W.astype(np.int64), b.astype(np.int64)
        return TargetAssignment(
            T, tp.violations(T), status, raw.bound, wall, W, b, backend, interrupted, info
        )
    W = np.asarray(raw.weights, dtype=np.float64)
    b = np.asarray(raw.biases, dtype=np.float64)
    if tp.weights != "real":
        W, b = np.round(W).astype(np.int64), np.round(b).astype(np.int64)
    T = tp.realised(W, b)
    if raw.targets is not None and not np.array_equal(T, np.asarray(raw.targets)):
        logger.warning(
            "%s: the returned layer realises %d target(s) differently from the model's "
            "targets; reporting the realised ones",
            backend,
            int(np.sum(T != np.asarray(raw.targets))),
        )
        info["model_targets_differ"] = True
    v = tp.violations(T)
    within = True
    if tp.max_flips is not None:
        assert tp.current is not None
        within = bool(np.all(np.sum(T != tp.current, axis=1) <= tp.max_flips))
        info["within_max_flips"] = within
    bound = None if raw.bound is None else float(raw.bound) + 0.0  # no -0.0
    if bound is not None and v < bound - 1e-9:
        logger.warning(
            "%s: %d violations beat the model's bound %s; dropping it", backend, v, bound
        )
        bound = None
    if not within:
        status = Status.UNKNOWN
    elif bound is not None and v <= bound + 1e-9:
        status = Status.OPTIMAL
    elif v == 0:
        status, bound = Status.OPTIMAL, 0.0
    else:
        status = Status.FEASIBLE
    return TargetAssignment(T, v, status, bound, wall, W, b, backend, interrupted, info)
