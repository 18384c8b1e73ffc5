"""The target objective of FTPROP's target steps: the layer above a hidden layer, and its loss
with the hidden layer's targets as input.

The **target objective** of a batch is the layer above's loss with the targets as its input,
``sum_i loss_above(W t_i + b)``; it is separable over the rows of the batch. Every target
step (:mod:`mixedopt.ftprop.target_steps`) and the exact batch assignment
(:mod:`mixedopt.ftprop.exact_targets`) minimise it.

:class:`UpperLayer` is the layer above as a target step sees it: either the output layer
(class codes and the output loss) or a hidden layer (its own targets, per-target weights and
unit loss). Its :meth:`~UpperLayer.row_loss` scores candidate tensors of shape
``(r, ..., m)``; callers evaluate at most :data:`CHUNK` elements at once.

Examples
--------
>>> import numpy as np
>>> from mixedopt.ftprop.unit_steps import levels_of
>>> lv = levels_of("sign")
>>> up = UpperLayer(W=np.array([[1.0, 1.0]]), b=np.array([0.0]), y=np.array([1]),
...                 loss="hinge", scale=1.0)
>>> target_objective(np.array([[0, 0]], dtype=np.int8), lv, up)  # activations (-1, -1)
3.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mixedopt.ftprop.unit_steps import Levels, output_loss, unit_loss, unit_loss_grad

__all__ = ["CHUNK", "UpperLayer", "target_objective"]

#: elements of a candidate tensor evaluated at once (memory cap, ~32 MiB of float64)
CHUNK = 1 << 22


@dataclass
class UpperLayer:
    """The layer above a hidden layer, as seen by a target step.

    Either an output layer (``y`` given: class codes, ``loss`` an output loss, rows scaled
    by ``scale``, usually ``1 / batch size``) or a hidden layer (``targets`` level indices
    and ``weights`` of shape ``(B, m)``, ``levels`` and a unit ``loss``).
    """

    W: np.ndarray
    b: np.ndarray
    loss: str
    y: np.ndarray | None = None
    scale: float = 1.0
    targets: np.ndarray | None = None
    weights: np.ndarray | None = None
    levels: Levels | None = None
    temperature: float = 1.0

    @property
    def is_output(self) -> bool:
        return self.y is not None

    @property
    def n_rows(self) -> int:
        return int(self.y.shape[0] if self.y is not None else self.targets.shape[0])  # type: ignore[union-attr]

    @property
    def convex(self) -> bool:
        """True when the loss is convex in the pre-activations (first-order screening of
        moves is then exact)."""
        return self.y is not None or self.loss in ("hinge", "linear")

    def row_grad(self, Z: np.ndarray, rows: np.ndarray | slice | None = None) -> np.ndarray:
        """Derivative of :meth:`row_loss` with respect to ``Z`` (shape ``(r, m)``)."""
        sel = slice(None) if rows is None else rows
        if self.y is not None:
            _, g = output_loss(Z, self.y[sel], self.loss, grad=True)
            assert g is not None
            return g * self.scale
        assert self.targets is not None and self.weights is not None and self.levels is not None
        return self.weights[sel] * unit_loss_grad(
            Z, self.targets[sel], self.levels, self.loss, self.temperature
        )

    def row_loss(self, Z: np.ndarray, rows: np.ndarray | slice | None = None) -> np.ndarray:
        """Objective of each row: ``Z`` has shape ``(r, ..., m)`` for the batch rows ``rows``
        (default: all); returns shape ``(r, ...)``."""
        sel = slice(None) if rows is None else rows
        extra = (1,) * (Z.ndim - 2)
        if self.y is not None:
            y = self.y[sel]
            y = np.broadcast_to(y.reshape(y.shape + extra), Z.shape[:-1])
            out, _ = output_loss(Z, y, self.loss)
            return out * self.scale
        assert self.targets is not None and self.weights is not None and self.levels is not None
        K = self.targets[sel]
        U = self.weights[sel]
        K = K.reshape(K.shape[:1] + extra + K.shape[1:])
        U = U.reshape(U.shape[:1] + extra + U.shape[1:])
        return (U * unit_loss(Z, K, self.levels, self.loss, self.temperature)).sum(axis=-1)


def target_objective(K: np.ndarray, lv: Levels, upper: UpperLayer) -> float:
    """Target objective of level targets ``K`` (the layer above's loss with ``K`` as input)."""
    Z = lv.values[K] @ upper.W.T + upper.b
    return float(upper.row_loss(Z).sum())
