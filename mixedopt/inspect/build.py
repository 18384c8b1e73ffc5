"""Build a :class:`~mixedopt.inspect.report.TargetReport`: :func:`inspect_targets`.

Resolves the network, targets and history of the inspected object, computes the targets
when none are given (one FTPROP target step) and assembles the per-layer statistics of
:mod:`mixedopt.inspect.layer_stats`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.ftprop.targets import propagate_targets
from mixedopt.inspect.history import history_curves, history_dict
from mixedopt.inspect.layer_stats import (
    code_stats,
    find_conflicts,
    layer_report,
    output_targets,
)
from mixedopt.inspect.layers import LayerReport
from mixedopt.inspect.report import TargetReport
from mixedopt.network import ThresholdNet
from mixedopt.result import SolveResult
from mixedopt.validation import check_labels

__all__ = ["inspect_targets"]


def _resolve(obj: Any) -> tuple[ThresholdNet, list[np.ndarray] | None, Any]:
    """Network, solver targets and history of a net / result / estimator."""
    if isinstance(obj, ThresholdNet):
        return obj, None, obj.metadata.get("history")
    if isinstance(obj, SolveResult):
        if obj.net is None:
            raise ValidationError("the result holds no network (the solve found none).")
        hist = obj.info.get("history") or obj.net.metadata.get("history")
        return obj.net, list(obj.targets) if obj.targets else None, hist
    net = getattr(obj, "net_", None)
    if isinstance(net, ThresholdNet):
        res = getattr(obj, "result_", None)
        targets = list(res.targets) if res is not None and getattr(res, "targets", None) else None
        return net, targets, getattr(obj, "history_", None)
    raise ValidationError(
        f"inspect_targets needs a ThresholdNet, a SolveResult or a fitted mixedopt estimator, "
        f"got {type(obj).__name__}."
    )


def inspect_targets(
    obj: Any,
    X: Any,
    y: Any,
    *,
    targets: list[Any] | None = None,
    history: Any = None,
    target_step: str = "greedy",
    loss: str = "hinge",
    conflicts: bool = True,
    max_conflict_units: int = 16,
    conflict_time_limit: float = 2.0,
    top_codes: int = 5,
) -> TargetReport:
    """Report the target assignment of a network on ``(X, y)`` (see :mod:`mixedopt.inspect`).

    Parameters
    ----------
    obj : ThresholdNet, SolveResult or fitted estimator
        The network to inspect.
    X : array-like, shape (n_samples, n_features)
    y : array-like, shape (n_samples,)
        Labels (the network's classes).
    targets : list of array-like, optional
        Hidden-layer targets, one ``(n_samples, n_units)`` array per hidden layer.
    history : dict or History, optional
        Training history (FTPROP ``History`` or its dict, or a torch target-capture history);
        taken from ``obj`` when omitted.
    target_step : {"greedy", "gradient", "exact"}
        Target step used when the targets must be computed.
    loss : str
        Output loss of that target step.
    conflicts : bool
        Look for conflict sets of units that miss targets (one LP per unit).
    max_conflict_units : int
        Most units checked per layer (those with the most violated targets first).
    conflict_time_limit : float
        Seconds per unit check.
    top_codes : int
        Codes listed per class.

    Returns
    -------
    TargetReport

    Examples
    --------
    An AND net (hidden units copy the inputs) inspected against given hidden targets that
    ask both units for the AND itself: each unit misses one target, yet each target column
    is linearly separable on the inputs (no conflict set).

    >>> import numpy as np
    >>> import mixedopt as mo
    >>> net = mo.ThresholdNet([np.array([[1, 0], [0, 1]]), np.array([[1, 1]])],
    ...                       [np.array([0, 0]), np.array([-1])])
    >>> X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]]); y = np.array([-1, -1, -1, 1])
    >>> T = [np.array([[-1, -1], [-1, -1], [-1, -1], [1, 1]])]
    >>> rep = mo.inspect_targets(net, X, y, targets=T)
    >>> h = rep.layers[0]
    >>> rep.target_source, h.agreement, h.unit_violations.tolist(), h.separable
    ('given', 0.75, [1, 1], [True, True])
    """
    net, solver_targets, hist = _resolve(obj)
    if getattr(obj, "quantizer_", None) is not None and hasattr(obj, "quantize_inputs"):
        X = obj.quantize_inputs(X)  # the estimator's net reads quantised inputs
    Xa = net._check_X(X)
    ya = check_labels(y, n_samples=Xa.shape[0])
    classes = np.asarray(net.classes)
    known = np.isin(ya, classes)
    if not known.all():
        raise ValidationError(
            f"y holds labels {np.unique(ya[~known])[:5].tolist()} that the network does not "
            f"predict; its classes are {classes.tolist()}."
        )
    codes = np.array([int(np.flatnonzero(classes == v)[0]) for v in ya], dtype=np.int64)
    pre, post = net.forward(Xa)
    notes: list[str] = []
    n_hidden = len(net.hidden_sizes)
    source = ""
    T: list[np.ndarray] | None = None
    if targets is not None:
        T = [np.asarray(t, dtype=np.float64) for t in targets]
        source = "given"
    elif solver_targets is not None and _targets_fit(solver_targets, net, Xa.shape[0]):
        T = [np.asarray(t, dtype=np.float64) for t in solver_targets]
        source = "solver"
    if T is not None:
        if len(T) != n_hidden or any(
            t.shape != (Xa.shape[0], n) for t, n in zip(T, net.hidden_sizes, strict=True)
        ):
            raise ValidationError(
                f"targets must hold {n_hidden} array(s) of shapes "
                f"{[(Xa.shape[0], n) for n in net.hidden_sizes]}."
            )
    elif n_hidden:
        pt = propagate_targets(net, Xa, ya, target_step=target_step, loss=loss)
        T = pt.targets
        source = f"ftprop-{target_step}"
    else:
        T = []
        source = "labels"
    if history is None:
        history = hist
    hdict = history_dict(history)

    layers: list[LayerReport] = []
    inputs = [Xa.astype(np.float64)] + [np.asarray(p, dtype=np.float64) for p in post]
    for i in range(net.n_layers):
        W = np.asarray(net.weights[i], dtype=np.float64)
        Z = np.asarray(pre[i], dtype=np.float64)
        if i < n_hidden:
            kind, act = "hidden", net.activation_names[i]
            tgt = T[i]
            real = np.asarray(post[i], dtype=np.float64)
        else:
            kind, act = "output", f"output:{net.output}"
            tgt, real = output_targets(net, Z, codes)
        layer = layer_report(i, kind, act, W, Z, tgt, real)
        if conflicts:
            find_conflicts(layer, inputs[i], max_conflict_units, conflict_time_limit, notes)
        if kind == "hidden":
            layer.codes = code_stats(real, codes, classes, top_codes)
        layer.flip_rate, layer.violated_curve = history_curves(hdict, i, kind, n_hidden)
        layers.append(layer)
    acc = float(np.mean(net.predict_codes(Xa) == codes))
    return TargetReport(
        layers=layers,
        labels=ya,
        classes=classes,
        accuracy=acc,
        target_source=source,
        net_sizes=net.sizes,
        history=hdict,
        notes=notes,
    )


def _targets_fit(targets: list[Any], net: ThresholdNet, n: int) -> bool:
    return len(targets) == len(net.hidden_sizes) and all(
        np.shape(t) == (n, k) for t, k in zip(targets, net.hidden_sizes, strict=True)
    )
