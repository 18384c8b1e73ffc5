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

Realisability semantics (the same as :class:`~mixedopt.problems.training.TrainingProblem`; sign(0) =
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

Modules: :mod:`~mixedopt.problems.layer` (:class:`TargetProblem`, the validated problem and its
semantics; :class:`TargetAssignment`, :class:`RawAssignment`),
:mod:`~mixedopt.problems.layer_checks` (argument checks) and :mod:`~mixedopt.targets`
(:func:`assign_targets`: a :class:`TargetProblem` handed to the registered backend's
:meth:`~mixedopt.solvers.base.Backend.assign`, and verification). Any backend whose class
implements ``assign`` is a target backend (:func:`mixedopt.solvers.registry.target_backends`).

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
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problems.layer import RawAssignment, TargetAssignment, TargetProblem
from mixedopt.result import Status
from mixedopt.solvers.base import check_options
from mixedopt.solvers.registry import DEFAULT_TARGET_BACKEND, get, target_backends

__all__ = ["assign_targets"]

logger = logging.getLogger(__name__)


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
    backend: str = DEFAULT_TARGET_BACKEND,
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
    (see :mod:`mixedopt.targets` for the exact semantics).

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
    start = time.perf_counter()
    time_limit, seed, threads = check_options(time_limit=time_limit, seed=seed, threads=threads)
    choices = target_backends()
    if backend not in choices:
        raise ValidationError(
            f"unknown target-assignment backend {backend!r}; choose from {', '.join(choices)}."
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
        raw = get(backend).assign(
            tp, time_limit=time_limit, seed=seed, threads=threads, initial_layer=layer, **native
        )
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
        exact_model = tp.integral or (tp.weights == "real" and tp.weight_bound is None)
        if status is Status.INFEASIBLE and not exact_model:
            info["margin_model_infeasible"] = True  # stricter than the problem: no proof
            status = Status.UNKNOWN
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
    exact_model = tp.integral or (tp.weights == "real" and tp.weight_bound is None)
    if bound is not None and not exact_model:
        # a margin (and a weight box) stand in for the strict sign inequalities: the bound
        # holds for that margin model, not for the stated problem (see docs/exact.md)
        info["margin_model_bound"] = bound
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
