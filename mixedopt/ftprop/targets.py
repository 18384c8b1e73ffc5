"""Target steps of FTPROP-MB, and the targets FTPROP sets for a trained network.

:func:`make_target_step` dispatches one layer's target step (``gradient``, ``greedy`` or
``exact``, :mod:`mixedopt.ftprop.target_steps`) as the trainer (:mod:`mixedopt.ftprop.trainer`)
configures it; :func:`propagate_targets` runs one full-batch top-down pass of those steps
over a network's hidden layers, with its own weights and no update (for inspection and for
:func:`mixedopt.ftprop.trainer.train_ftprop`'s ``targets``).

Examples
--------
>>> import mixedopt as mo
>>> X, y = mo.datasets.load("xor")
>>> net = mo.ThresholdNet.random([2, 2, 1], seed=0)
>>> [t.shape for t in propagate_targets(net, X, y).targets]
[(4, 2)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.ftprop.config import FTPropConfig
from mixedopt.ftprop.target_objective import UpperLayer
from mixedopt.ftprop.target_steps import (
    TargetStepResult,
    complete_targets,
    exact_targets,
    gradient_targets,
    greedy_targets,
)
from mixedopt.ftprop.unit_steps import Levels, levels_of, output_loss, unit_loss_grad
from mixedopt.network import ThresholdNet
from mixedopt.validation import check_X_y

__all__ = ["PropagatedTargets", "propagate_targets"]


def make_target_step(
    cfg: FTPropConfig,
    step: str,
    G: np.ndarray,
    W: np.ndarray,
    K_cur: np.ndarray,
    lv: Levels,
    upper: UpperLayer,
    inputs: np.ndarray | None = None,
    deadline: float | None = None,
) -> TargetStepResult:
    """One layer's target step; past ``deadline`` (a :func:`time.perf_counter` value,
    optional) greedy starts no new round and the exact step does not search."""
    if step == "gradient":
        return gradient_targets(G @ W, K_cur, lv)
    if step == "greedy":
        res = greedy_targets(K_cur, lv, upper, max_rounds=cfg.max_flips, deadline=deadline)
        if cfg.complete_targets:
            res.K, res.weights = complete_targets(res.K, lv, upper)
        return res
    res = exact_targets(
        K_cur,
        lv,
        upper,
        time_limit=cfg.exact_time_limit,
        deadline=deadline,
        enum_limit=cfg.exact_enum_limit,
        backend=cfg.exact_backend,
        max_rounds=cfg.max_flips,
        inputs=inputs,
        seed=cfg.random_state if isinstance(cfg.random_state, int) else 0,
    )
    if cfg.complete_targets:
        res.K, res.weights = complete_targets(res.K, lv, upper)
    return res


@dataclass
class PropagatedTargets:
    """Targets that one top-down target step sets for every hidden layer of a network.

    ``targets[l]`` holds activation *values* (``±1`` for sign units), ``levels[l]`` the
    level indices, ``weights[l]`` the per-target weights, ``activations[l]`` the realised
    activations; each of shape ``(n_samples, n_units)``.
    """

    targets: list[np.ndarray]
    levels: list[np.ndarray]
    weights: list[np.ndarray]
    activations: list[np.ndarray]
    target_step: str


def trained_settings(net: ThresholdNet) -> dict[str, Any]:
    """``unit_loss`` / ``temperature`` recorded in an FTPROP-trained network's metadata."""
    meta = net.metadata if isinstance(net.metadata, dict) else {}
    found = dict(meta.get("config") or {}) if isinstance(meta.get("config"), dict) else {}
    found.update({k: meta[k] for k in ("unit_loss", "temperature") if k in meta})
    return {k: found[k] for k in ("unit_loss", "temperature") if found.get(k) is not None}


def propagate_targets(
    net: ThresholdNet,
    X: Any,
    y: Any,
    *,
    target_step: str = "greedy",
    loss: str = "hinge",
    unit_loss: str | None = None,
    temperature: float | None = None,
    exact_time_limit: float | None = 1.0,
) -> PropagatedTargets:
    """The targets FTPROP would set for ``net``'s hidden layers on ``(X, y)`` (one full-batch
    top-down pass with the network's own weights, no update).

    ``unit_loss`` and the soft hinge's ``temperature`` (they shape the targets' weights,
    and through them the targets of deeper layers) default to the settings the network was
    trained with by FTPROP (its ``metadata``), else ``"soft-hinge"`` and 1.

    Examples
    --------
    >>> import mixedopt as mo
    >>> X, y = mo.datasets.load("xor")
    >>> net = mo.ThresholdNet.random([2, 2, 1], seed=0)
    >>> pt = propagate_targets(net, X, y)
    >>> pt.targets[0].shape
    (4, 2)
    """
    trained = trained_settings(net)
    cfg = FTPropConfig(
        hidden=net.hidden_sizes or (1,),
        activation=net.activation_names or "sign",
        target_step=target_step,
        loss=loss,
        unit_loss=trained.get("unit_loss", "soft-hinge") if unit_loss is None else unit_loss,
        temperature=trained.get("temperature", 1.0) if temperature is None else temperature,
        exact_time_limit=exact_time_limit,
    ).validated()
    Xa, ya = check_X_y(net._check_X(X), y, min_classes=1)
    classes = np.asarray(net.classes)
    order = np.argsort(classes, kind="stable")
    pos = np.clip(np.searchsorted(classes[order], ya), 0, classes.size - 1)
    codes = order[pos]
    if np.any(classes[codes] != ya):
        raise ValidationError(
            f"y holds labels that the network does not know; its classes are {classes.tolist()}."
        )
    pre, post = net.forward(Xa)
    Ws = [np.asarray(w, dtype=np.float64) for w in net.weights]
    Bs = [np.asarray(b, dtype=np.float64) for b in net.biases]
    Zs = [np.asarray(z, dtype=np.float64) for z in pre]
    levels = [levels_of(a) for a in net.activation_names]
    Ks = [lv.index(a) for lv, a in zip(levels, post, strict=True)]
    n = Xa.shape[0]
    _, gz = output_loss(Zs[-1], codes, cfg.loss, grad=True)
    G = gz / n
    upper = UpperLayer(W=Ws[-1], b=Bs[-1], loss=cfg.loss, y=codes, scale=1.0 / n)
    out_k: list[np.ndarray] = [np.empty(0)] * len(levels)
    out_u: list[np.ndarray] = [np.empty(0)] * len(levels)
    for i in range(len(Ws) - 1, 0, -1):
        lv = levels[i - 1]
        inp = Xa.astype(np.float64) if i == 1 else np.asarray(post[i - 2], dtype=np.float64)
        res = make_target_step(cfg, cfg.target_step, G, Ws[i], Ks[i - 1], lv, upper, inp)
        out_k[i - 1], out_u[i - 1] = res.K, res.weights
        G = res.weights * unit_loss_grad(Zs[i - 1], res.K, lv, cfg.unit_loss, cfg.temperature)
        upper = UpperLayer(
            W=Ws[i - 1],
            b=Bs[i - 1],
            loss=cfg.unit_loss,
            targets=res.K,
            weights=res.weights,
            levels=lv,
            temperature=cfg.temperature,
        )
    return PropagatedTargets(
        targets=[lv.values[k] for lv, k in zip(levels, out_k, strict=True)],
        levels=out_k,
        weights=out_u,
        activations=[np.asarray(p) for p in post],
        target_step=cfg.target_step,
    )
