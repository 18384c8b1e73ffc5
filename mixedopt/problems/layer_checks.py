"""Input checks of the per-layer target-assignment problem.

Each function validates one argument of :func:`~mixedopt.targets.assign_targets` (or of
:meth:`~mixedopt.targets.TargetProblem.build`) and returns it in the form the solvers use,
raising a :class:`~mixedopt.errors.ValidationError` that names the problem and the fix.

Examples
--------
>>> import numpy as np
>>> from mixedopt.problems.layer_checks import check_weight_domain
>>> check_weight_domain("integer", None)
3.0
>>> check_weight_domain("real", None) is None
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.validation import check_array, check_weight_bound, is_integral

__all__ = [
    "DOMAINS",
    "check_above",
    "check_current",
    "check_domain",
    "check_layer",
    "check_margin",
    "check_max_flips",
    "check_sample_weight",
    "check_weight_domain",
]

DOMAINS = ("binary", "ternary", "integer", "real")

AboveSpec = tuple[ThresholdNet | None, np.ndarray | None, np.ndarray | None, np.ndarray, int]


def check_above(above: Any, y_down: Any, n_samples: int) -> AboveSpec:
    """Validate the fixed layers above and what they must produce.

    Parameters
    ----------
    above : ThresholdNet or (W, b)
        A net read as the final output, or one sign layer.
    y_down : array-like
        Labels ``(B,)`` from ``above.classes`` (net), or ±1 targets ``(B, n_next)`` (layer).
    n_samples : int
        Batch size ``B``.

    Returns
    -------
    net, W_next, b_next, y, n_in
        ``net`` (or None) and ``W_next``/``b_next`` (or None; int64 when integral), the
        downstream targets ``y`` (class codes or ±1, int64) and the width the layers above
        take as input.

    Examples
    --------
    >>> import numpy as np
    >>> from mixedopt.problems.layer_checks import check_above
    >>> net, W, b, y, n = check_above((np.ones((1, 2)), [0.0]), [[1], [-1]], 2)
    >>> net is None, W.dtype.kind, y.ravel().tolist(), n
    (True, 'i', [1, -1], 2)
    """
    B = n_samples
    if isinstance(above, ThresholdNet):
        net = above
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
        return net, None, None, codes, int(net.n_inputs)
    if isinstance(above, (tuple, list)) and len(above) == 2:
        W_next = check_array(above[0], name="above[0] (weights)")
        b_next = np.asarray(above[1], dtype=np.float64).reshape(-1)
        if b_next.shape[0] != W_next.shape[0]:
            raise ValidationError("above=(W, b): b needs one entry per row of W.")
        if is_integral(W_next) and is_integral(b_next):
            W_next, b_next = W_next.astype(np.int64), b_next.astype(np.int64)
        yy = np.asarray(y_down)
        if yy.shape != (B, W_next.shape[0]):
            raise ValidationError(
                f"with above=(W, b), y_down must be ±1 targets of shape ({B}, "
                f"{W_next.shape[0]}), got shape {yy.shape}."
            )
        if not set(np.unique(yy).tolist()) <= {-1, 1}:
            bad = sorted(set(np.unique(yy).tolist()) - {-1, 1})[:5]
            raise ValidationError(
                f"with above=(W, b), y_down must hold only ±1 targets, got values {bad}."
            )
        return None, W_next, b_next, yy.astype(np.int64), int(W_next.shape[1])
    raise ValidationError(
        "above must be a ThresholdNet (the fixed layers above, y_down = labels) or a "
        "pair (W, b) of one sign layer (y_down = its ±1 targets)."
    )


def check_domain(weights: str) -> str:
    """``weights`` if it names a weight domain (one of :data:`DOMAINS`).

    Examples
    --------
    >>> from mixedopt.problems.layer_checks import check_domain
    >>> check_domain("ternary")
    'ternary'
    """
    if weights not in DOMAINS:
        raise ValidationError(f"weights must be one of {', '.join(DOMAINS)}, got {weights!r}.")
    return weights


def check_weight_domain(weights: str, weight_bound: float | None) -> float | None:
    """The box ``K`` of weights and biases in domain ``weights`` (None: unbounded).

    Real weights default to no bound, binary and ternary weights to 1, integer weights to 3
    (an integer bound ``>= 1`` is required).

    Examples
    --------
    >>> from mixedopt.problems.layer_checks import check_weight_domain
    >>> check_weight_domain("ternary", 5), check_weight_domain("real", 2)
    (1.0, 2.0)
    """
    check_domain(weights)
    if weights == "integer":
        check_weight_bound(weight_bound, "integer")  # before float(): nan, inf, 10**20
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
    return K


def check_margin(margin: float) -> float:
    """``margin`` as a float ``> 0``.

    Examples
    --------
    >>> from mixedopt.problems.layer_checks import check_margin
    >>> check_margin(2)
    2.0
    """
    if not np.isfinite(margin) or margin <= 0:
        raise ValidationError(f"margin must be > 0, got {margin!r}.")
    return float(margin)


def check_current(current: Any, n_samples: int, n_units: int) -> np.ndarray | None:
    """Current targets as int8 ±1 of shape ``(n_samples, n_units)``, or None.

    Examples
    --------
    >>> from mixedopt.problems.layer_checks import check_current
    >>> check_current([[1, -1]], 1, 2).dtype.name
    'int8'
    """
    if current is None:
        return None
    cur = np.asarray(current)
    if cur.shape != (n_samples, n_units):
        raise ValidationError(
            f"current must hold ±1 targets of shape ({n_samples}, {n_units}), got shape "
            f"{cur.shape}."
        )
    if not set(np.unique(cur).tolist()) <= {-1, 1}:
        bad = sorted(set(np.unique(cur).tolist()) - {-1, 1})[:5]
        raise ValidationError(f"current must hold only ±1 targets, got values {bad}.")
    return cur.astype(np.int8)


def check_max_flips(max_flips: int | None, current: np.ndarray | None) -> int | None:
    """``max_flips`` as an int ``>= 0`` (needs ``current``), or None.

    Examples
    --------
    >>> import numpy as np
    >>> from mixedopt.problems.layer_checks import check_max_flips
    >>> check_max_flips(2, np.ones((3, 2)))
    2
    """
    if max_flips is None:
        return None
    if isinstance(max_flips, bool) or int(max_flips) != max_flips or max_flips < 0:
        raise ValidationError(f"max_flips must be an integer >= 0, got {max_flips!r}.")
    if current is None:
        raise ValidationError("max_flips needs current targets to count flips from.")
    return int(max_flips)


def check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray:
    """Positive integer example weights (int64, default all ones).

    Examples
    --------
    >>> from mixedopt.problems.layer_checks import check_sample_weight
    >>> check_sample_weight(None, 3).tolist(), check_sample_weight([2, 1], 2).tolist()
    ([1, 1, 1], [2, 1])
    """
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.int64)
    sw = np.asarray(sample_weight)
    if sw.shape != (n_samples,) or not is_integral(sw.astype(np.float64)) or np.any(sw < 1):
        raise ValidationError(
            f"sample_weight must hold {n_samples} positive integers (an example's multiplicity)."
        )
    return sw.astype(np.int64)


def check_layer(layer: Any, n_units: int, n_inputs: int) -> tuple[np.ndarray, np.ndarray]:
    """A layer ``(W, b)`` of shape ``(n_units, n_inputs)`` / ``(n_units,)`` as floats.

    Examples
    --------
    >>> from mixedopt.problems.layer_checks import check_layer
    >>> W, b = check_layer(([[1, 0]], [0]), 1, 2)
    >>> W.dtype.name, b.shape
    ('float64', (1,))
    """
    W0 = check_array(layer[0], name="layer[0] (weights)")
    b0 = np.asarray(layer[1], dtype=np.float64).reshape(-1)
    if W0.shape != (n_units, n_inputs) or b0.shape != (n_units,):
        raise ValidationError(
            f"layer=(W, b) needs W of shape ({n_units}, {n_inputs}) and b of shape ({n_units},)."
        )
    return W0.astype(np.float64), b0
