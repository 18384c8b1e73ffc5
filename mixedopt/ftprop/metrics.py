"""Per-epoch metrics bookkeeping of FTPROP-MB (:mod:`mixedopt.ftprop.trainer`).

An epoch sums its mini-batches' statistics into one accumulator (:func:`new_epoch_stats`;
the trainer adds the loss, the correct predictions and each layer's missed targets, and
:func:`add_target_stats` each target step's flips, objective and exact-search outcome), and
:func:`epoch_record` turns the sums into the epoch's record, one entry of
:class:`~mixedopt.ftprop.config.History`.

Examples
--------
>>> acc = new_epoch_stats(n_hidden=1)
>>> acc["loss"], acc["correct"], acc["batches"] = 3.0, 5, 1
>>> rec = epoch_record(acc, n=10, epoch=1, learning_rate=0.01, seconds=0.5)
>>> rec["loss"], rec["train_accuracy"], rec["violated"], rec["flipped"]
(0.3, 0.5, [0.0, 0.0], [0.0])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mixedopt.ftprop.target_steps import TargetStepResult

__all__ = ["add_target_stats", "epoch_record", "new_epoch_stats"]


def new_epoch_stats(n_hidden: int) -> dict[str, Any]:
    """Zeroed sums for an epoch of a network with ``n_hidden`` hidden layers."""
    return {
        "loss": 0.0,
        "correct": 0,
        "violated": np.zeros(n_hidden + 1),
        "flipped": np.zeros(n_hidden),
        "objective": np.zeros(n_hidden),
        "greedy": np.zeros(n_hidden),
        "improved": np.zeros(n_hidden, dtype=np.int64),
        "batches": 0,
        "status": {},
    }


def add_target_stats(
    acc: dict[str, Any],
    layer: int,
    res: TargetStepResult,
    K_cur: np.ndarray,
    target_step: str,
) -> None:
    """Add one target step's outcome for hidden layer ``layer`` (its current level indices
    ``K_cur``): the fraction of targets flipped and, for the combinatorial steps, the target
    objective (and, for ``exact``, its status and whether it beat the greedy start)."""
    K = res.K
    acc["flipped"][layer] += float(np.count_nonzero(K != K_cur)) / K.shape[1]
    if target_step != "gradient":
        acc["objective"][layer] += res.objective
    if target_step == "exact":
        acc["status"][res.status] = acc["status"].get(res.status, 0) + 1
        g = res.info["greedy_objective"]
        acc["greedy"][layer] += g
        acc["improved"][layer] += int(res.objective < g - 1e-12 * (1.0 + abs(g)))


def epoch_record(
    acc: dict[str, Any], *, n: int, epoch: int, learning_rate: float, seconds: float
) -> dict[str, Any]:
    """The record of an epoch over ``n`` examples from its sums ``acc``; ``seconds`` is the
    cumulative training time. ``val_loss`` / ``val_accuracy`` are left ``None``."""
    return {
        "epoch": epoch,
        "loss": acc["loss"] / n,
        "train_accuracy": acc["correct"] / n,
        "val_loss": None,
        "val_accuracy": None,
        "learning_rate": learning_rate,
        "time": seconds,
        "violated": (acc["violated"] / n).tolist(),
        "flipped": (acc["flipped"] / n).tolist(),
        "target_objective": acc["objective"].tolist(),
        "greedy_objective": acc["greedy"].tolist(),
        "exact_improved": acc["improved"].tolist(),
        "n_batches": acc["batches"],
        "exact_status": dict(acc["status"]),
    }
