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

Modules: :mod:`~mixedopt.targets.problem` (:class:`TargetProblem`, the validated problem and its
semantics), :mod:`~mixedopt.targets.validation` (argument checks), :mod:`~mixedopt.targets.result`
(:class:`TargetAssignment`, :class:`RawAssignment`) and :mod:`~mixedopt.targets.assign`
(:func:`assign_targets`: backend dispatch and verification).

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

from mixedopt.targets.assign import BACKENDS, assign_targets
from mixedopt.targets.problem import (  # noqa: F401 (re-exported)
    MAX_CODE_TABLE_UNITS,
    TargetProblem,
)
from mixedopt.targets.result import RawAssignment, TargetAssignment  # noqa: F401 (re-exported)
from mixedopt.targets.validation import DOMAINS  # noqa: F401 (re-exported)

__all__ = ["BACKENDS", "TargetAssignment", "TargetProblem", "assign_targets"]
