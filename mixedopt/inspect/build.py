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
from mixedopt.ftprop.unit_steps import levels_of
from mixedopt.inspect.history import history_curves, history_dict
from mixedopt.inspect.layer_stats import (
    code_stats,
    find_conflicts,
    layer_report,
    output_targets,
)
from mixedopt.inspect.layers import LayerReport
from mixedopt.inspect.report import TargetReport
from mixedopt.io import samples_fingerprint
from mixedopt.network import ThresholdNet
from mixedopt.result import SolveResult
from mixedopt.targets import assign_targets
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
    target_step: str | None = None,
    loss: str = "hinge",
    reassign_time_limit: float = 5.0,
    samples: str | None = None,
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
    target_step : {"greedy", "gradient", "exact"}, optional
        Compute the targets by one FTPROP target step of this kind instead of the default
        rule (see below). Beware: the greedy step changes at most one unit per sample, so its
        agreement is near 1 by construction.
    loss : str
        Output loss of that target step.
    reassign_time_limit : float
        Seconds per hidden layer of the default rule's :func:`mixedopt.assign_targets`.
    samples : str, optional
        What ``X`` is, for the report's header (e.g. ``"pima, train split"``).

    Notes
    -----
    Which targets are shown (``rep.target_source``, described by ``rep.target_description``):
    ``"given"`` (the ``targets`` argument); ``"solver"`` (a :class:`SolveResult`'s targets);
    ``"stored"`` (the targets the net's training produced, kept in the net /
    model file, when ``X`` is the data they were produced on: same samples, same order);
    otherwise ``"reassigned"``: for each hidden layer, with every other layer fixed at the
    net's weights, :func:`mixedopt.assign_targets` (greedy, real weights) chooses the targets
    that let the layers above classify ``(X, y)`` best among targets some hyperplane on the
    layer's inputs realises, starting from the net's activations; its status is noted.
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
    source, description = "", ""
    T: list[np.ndarray] | None = None
    stored = _stored_targets(net, Xa, notes)
    if targets is not None:
        T = [np.asarray(t, dtype=np.float64) for t in targets]
        source, description = "given", "the targets passed to inspect_targets"
    elif solver_targets is not None and _targets_fit(solver_targets, net, Xa.shape[0]):
        T = [np.asarray(t, dtype=np.float64) for t in solver_targets]
        source, description = "solver", "the solver's hidden targets (SolveResult.targets)"
    elif stored is not None and target_step is None:
        T = stored
        source = "stored"
        description = str(net.metadata["training_targets"].get("description", "stored targets"))
    if T is not None:
        if len(T) != n_hidden or any(
            t.shape != (Xa.shape[0], n) for t, n in zip(T, net.hidden_sizes, strict=True)
        ):
            raise ValidationError(
                f"targets must hold {n_hidden} array(s) of shapes "
                f"{[(Xa.shape[0], n) for n in net.hidden_sizes]}."
            )
    elif n_hidden and target_step is not None:
        pt = propagate_targets(net, Xa, ya, target_step=target_step, loss=loss)
        T = pt.targets
        source = f"ftprop-{target_step}"
        description = (
            f"computed: one FTPROP {target_step} target step with the net's own weights"
            + (
                " (changes at most one unit per sample: agreement near 1 by construction)"
                if target_step == "greedy"
                else ""
            )
        )
    elif n_hidden:
        T, description = _reassign(net, Xa, ya, post, reassign_time_limit, notes)
        source = "reassigned"
    else:
        T = []
        source, description = "labels", "no hidden layer: the output layer's targets are the labels"
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
        target_description=description,
        samples=samples or f"the {Xa.shape[0]} samples given",
        net_sizes=net.sizes,
        history=hdict,
        notes=notes,
    )


def _stored_targets(net: ThresholdNet, Xa: np.ndarray, notes: list[str]) -> list[np.ndarray] | None:
    """The net's stored training targets as activation values, when ``Xa`` is the data
    they were produced on; a note says why not otherwise."""
    if net.training_targets is None:
        return None
    prov = net.metadata.get("training_targets") or {}
    if prov.get("fingerprint") != samples_fingerprint(Xa):
        where = ", ".join(f"{k} {prov[k]}" for k in ("data", "split") if prov.get(k) is not None)
        notes.append(
            f"the net keeps {prov.get('description', 'training targets')} for "
            f"{prov.get('n_samples', '?')} samples{f' ({where})' if where else ''}, not these "
            f"{Xa.shape[0]}; targets were computed instead (inspect the training samples to "
            "see them)."
        )
        return None
    if prov.get("encoding") == "level_index":
        return [
            np.asarray(levels_of(a).value(t.astype(np.int64)), dtype=np.float64)
            for a, t in zip(net.activation_names, net.training_targets, strict=False)
        ]
    return [t.astype(np.float64) for t in net.training_targets]


def _reassign(
    net: ThresholdNet,
    Xa: np.ndarray,
    ya: np.ndarray,
    post: list[np.ndarray],
    time_limit: float,
    notes: list[str],
) -> tuple[list[np.ndarray], str]:
    """Per hidden layer, the targets :func:`assign_targets` chooses with the rest fixed."""
    n_hidden = len(net.hidden_sizes)
    acts = net.activation_names
    inputs = [Xa] + [np.asarray(p) for p in post]
    T: list[np.ndarray] = []
    statuses = []
    for i in range(n_hidden):
        real = np.asarray(post[i], dtype=np.float64)
        if acts[i] != "sign":
            pt = propagate_targets(net, Xa, ya, target_step="gradient", loss="hinge")
            notes.append(
                f"hidden {i + 1}: {acts[i]} units; targets from one FTPROP gradient target step "
                "(the exact re-assignment takes sign units)."
            )
            T.append(np.asarray(pt.targets[i], dtype=np.float64))
            statuses.append("gradient step")
            continue
        above = ThresholdNet(
            net.weights[i + 1 :],
            net.biases[i + 1 :],
            acts[i + 1 : n_hidden] or "sign",
            output=net.output,
            classes=net.classes,
        )
        try:
            ta = assign_targets(
                inputs[i], above, ya, current=real, time_limit=time_limit, backend="greedy"
            )
            T.append(np.asarray(ta.targets, dtype=np.float64))
            statuses.append(f"h{i + 1} {ta.status.value}, {ta.n_violated} errors above")
        except Exception as exc:  # a failed re-assignment must not sink the report
            notes.append(
                f"hidden {i + 1}: target re-assignment failed ({exc}); showing "
                "the activations as targets."
            )
            T.append(real)
            statuses.append(f"h{i + 1} failed")
    return T, (
        "computed: per-layer re-assignment (mixedopt.assign_targets, greedy, real weights, "
        "other layers fixed; from the activations, the realisable targets that let the "
        "layers above classify best): " + "; ".join(statuses)
    )


def _targets_fit(targets: list[Any], net: ThresholdNet, n: int) -> bool:
    return len(targets) == len(net.hidden_sizes) and all(
        np.shape(t) == (n, k) for t, k in zip(targets, net.hidden_sizes, strict=True)
    )
