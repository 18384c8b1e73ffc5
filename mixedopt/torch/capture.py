"""Target capture: what targets the threshold layers receive while a net trains.

For every hard-threshold layer (a :class:`~mixedopt.torch.ThresholdActivation` that is not
``relu``) the target of a unit is ``t = -sign(dL/dh)`` (``0`` where the gradient is exactly
zero: the unit is ignored), where ``h`` is the unit's output and ``dL/dh`` is what the rule
of the layer above passed down. :class:`TargetCapture` records two things:

* **train statistics** at every training step (cheap; from a gradient hook): the fraction of
  units with a target whose activation *disagrees* with it, and the fraction ignored;
* **probe snapshots** on a fixed batch (:meth:`TargetCapture.record`, called by
  :func:`mixedopt.torch.fit` at the start, after every ``capture_every`` epochs and, with
  ``capture_steps``, every that many steps; ``epochs`` counts completed epochs): the
  targets and activations themselves, so that flips between snapshots are well defined
  (same examples, same units). The forward/backward on the probe uses ``torch.autograd.grad``
  with respect to the activations only: no parameter gradient or BN statistic changes.

Disagreement: for ±1 units ``h != t``; for 0/1 units ``h != (t + 1)/2``; for a staircase the
unit can still move towards its target (``t > 0`` and ``h < 1``, or ``t < 0`` and
``h > 0``). Flip rate: the fraction of (example, unit) targets that changed since the
previous snapshot (NaN for the first); ``activation_flip_rate`` the same for activations.

The history (:func:`capture_history_to_dict`) is plain data, numpy arrays and lists::

    {"format": "mixedopt.torch.target_history", "version": 1,
     "layers": [name, ...],               # module names, in forward order
     "kinds": ["sign", ...], "rules": ["soft-hinge", ...],
     "unit_shapes": [[C, H, W], ...],     # per-example output shape of each layer
     "unit_index": [int64 (U_l,), ...],   # which flattened units the snapshots keep
     "probe": {"labels": int64 (P,), "steps": int64 (R,), "epochs": int64 (R,),
               "targets": [int8 (R, P, U_l), ...],        # -1 / 0 / +1, one per layer
               "activations": [float32 (R, P, U_l), ...],
               "disagreement": float64 (R, L), "ignored": float64 (R, L),
               "flip_rate": float64 (R, L), "activation_flip_rate": float64 (R, L)},
     "train": {"steps": int64 (S,), "epochs": int64 (S,),
               "disagreement": float64 (S, L), "ignored": float64 (S, L)}}

``L`` layers, ``R`` snapshots, ``P`` probe examples, ``U_l`` kept units of layer ``l`` (all,
or a fixed random subset of ``max_units``), ``S`` training steps. :func:`save_history` /
:func:`load_history` store it as ``.npz`` + JSON (no pickle).

Examples
--------
>>> import torch
>>> from mixedopt.torch import TargetCapture, build_model, capture_history_to_dict
>>> model = build_model("mlp", activation="sign", num_classes=3, in_channels=1,
...                     input_size=(5,), hidden=[8, 4])
>>> X, y = torch.randn(16, 1, 5), torch.randint(0, 3, (16,))
>>> cap = TargetCapture(model, X, y)
>>> cap.record(step=0, epoch=0)
>>> h = capture_history_to_dict(cap)
>>> h["layers"], h["probe"]["targets"][0].shape
(['act0', 'act1'], (1, 16, 8))
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mixedopt.errors import ModelFileError, ValidationError
from mixedopt.torch.activations import ThresholdActivation

__all__ = ["TargetCapture", "capture_history_to_dict", "load_history", "save_history"]

FORMAT = "mixedopt.torch.target_history"


def _disagree(kind: str, h: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    if kind == "sign":
        return (t != 0) & (h != t)
    if kind == "step01":
        return (t != 0) & (h != (t + 1) / 2)
    return ((t > 0) & (h < 1)) | ((t < 0) & (h > 0))


class TargetCapture:
    """Record targets, disagreement and flip rates of the threshold layers of ``model``.

    Parameters
    ----------
    model : torch.nn.Module
        The network (a ``DistributedDataParallel`` wrapper is unwrapped).
    probe_x, probe_y : Tensor, optional
        A fixed batch for the snapshots (needed by :meth:`record`).
    max_units : int, optional
        Keep at most this many units per layer in the snapshots (a fixed random subset).
    track_steps : bool, default True
        Record train statistics at every step (hooks; call :meth:`attach`).
    seed : int, default 0
        Seed of the unit subset.
    """

    def __init__(
        self,
        model: nn.Module,
        probe_x: torch.Tensor | None = None,
        probe_y: torch.Tensor | None = None,
        *,
        max_units: int | None = 4096,
        track_steps: bool = True,
        seed: int = 0,
    ) -> None:
        self.model = getattr(model, "module", model)
        self.layers = [
            (name, m)
            for name, m in self.model.named_modules()
            if isinstance(m, ThresholdActivation) and m.is_threshold
        ]
        if not self.layers:
            raise ValidationError(
                "target capture needs a model with threshold activations (not 'relu')."
            )
        self.probe_x, self.probe_y = probe_x, probe_y
        self.max_units = max_units
        self.track_steps = track_steps
        self._seed = seed
        self._hooks: list[Any] = []
        self._step_stats: list[torch.Tensor] = []  # (L, 2) per step, on the device
        self._step_meta: list[tuple[int, int]] = []
        self._pending: dict[int, torch.Tensor] = {}
        self._step = 0
        self._epoch = 0
        self.unit_shapes: list[list[int]] = []
        self.unit_index: list[np.ndarray] = []
        self.snapshots: list[dict[str, Any]] = []

    # -------------------------------------------------------------- per-step statistics
    def attach(self) -> TargetCapture:
        """Register the per-step hooks (idempotent)."""
        if self._hooks or not self.track_steps:
            return self
        for i, (_, mod) in enumerate(self.layers):
            self._hooks.append(mod.register_forward_hook(self._forward_hook(i, mod.kind)))
        return self

    def detach(self) -> None:
        """Remove the hooks."""
        for h in self._hooks:
            h.remove()
        self._hooks.clear()

    def _forward_hook(self, i: int, kind: str) -> Any:
        def fn(mod: nn.Module, _inp: Any, out: torch.Tensor) -> None:
            if not (mod.training and out.requires_grad and torch.is_grad_enabled()):
                return
            h = out.detach()

            def grad_hook(g: torch.Tensor) -> None:
                t = torch.sign(g).neg_()
                has = t != 0
                n_has = has.sum()
                dis = _disagree(kind, h, t).sum() / n_has.clamp(min=1)
                ign = 1.0 - n_has / t.numel()
                self._pending[i] = torch.stack([dis.float(), ign.float()])

            out.register_hook(grad_hook)

        return fn

    def end_step(self, step: int, epoch: int) -> None:
        """Close one training step (called by the trainer after ``backward``)."""
        if not self._pending:
            return
        dev = next(iter(self._pending.values())).device
        nan = torch.full((2,), math.nan, device=dev)
        rows = [self._pending.get(i, nan) for i in range(len(self.layers))]
        self._step_stats.append(torch.stack(rows))
        self._step_meta.append((step, epoch))
        self._pending.clear()

    # --------------------------------------------------------------------- snapshots
    def record(self, step: int, epoch: int) -> None:
        """Snapshot targets and activations on the probe batch."""
        if self.probe_x is None or self.probe_y is None:
            raise ValidationError("TargetCapture.record needs probe_x and probe_y.")
        model = self.model
        p = next(model.parameters())
        x = self.probe_x.to(p.device)
        y = self.probe_y.to(p.device)
        outs: list[torch.Tensor] = []

        def keep(_m: nn.Module, _i: Any, out: torch.Tensor) -> None:
            outs.append(out)

        handles = [m.register_forward_hook(keep) for _, m in self.layers]
        was_training = model.training
        model.eval()
        try:
            with torch.enable_grad():
                x = x.detach().requires_grad_(True)  # makes every threshold use its rule
                loss = nn.functional.cross_entropy(model(x), y)
                grads = torch.autograd.grad(loss, outs, allow_unused=True)
        finally:
            for h in handles:
                h.remove()
            model.train(was_training)
        if not self.unit_index:
            rng = np.random.default_rng(self._seed)
            for o in outs:
                self.unit_shapes.append(list(o.shape[1:]))
                n = int(np.prod(o.shape[1:]))
                if self.max_units is not None and n > self.max_units:
                    idx = np.sort(rng.choice(n, size=self.max_units, replace=False))
                else:
                    idx = np.arange(n)
                self.unit_index.append(idx.astype(np.int64))
        snap: dict[str, Any] = {"step": int(step), "epoch": int(epoch), "t": [], "h": []}
        dis, ign = [], []
        for (_, mod), o, g, idx in zip(self.layers, outs, grads, self.unit_index, strict=True):
            g = torch.zeros_like(o) if g is None else g
            t = torch.sign(g).neg_()
            d = _disagree(mod.kind, o.detach(), t)
            has = (t != 0).sum().item()
            dis.append(d.sum().item() / max(has, 1))
            ign.append(1.0 - has / t.numel())
            ii = torch.as_tensor(idx, device=o.device)
            snap["t"].append(t.flatten(1)[:, ii].to(torch.int8).cpu().numpy())
            snap["h"].append(o.detach().flatten(1)[:, ii].float().cpu().numpy())
        snap["disagreement"], snap["ignored"] = dis, ign
        self.snapshots.append(snap)

    # ------------------------------------------------------------------------ output
    def history(self) -> dict[str, Any]:
        """The history as plain data (see the module docstring)."""
        n_layers = len(self.layers)
        R = len(self.snapshots)
        probe: dict[str, Any] = {
            "labels": (
                np.zeros(0, np.int64)
                if self.probe_y is None
                else self.probe_y.detach().cpu().numpy().astype(np.int64)
            ),
            "steps": np.array([s["step"] for s in self.snapshots], dtype=np.int64),
            "epochs": np.array([s["epoch"] for s in self.snapshots], dtype=np.int64),
            "targets": [
                np.stack([s["t"][i] for s in self.snapshots]) if R else np.zeros((0, 0, 0))
                for i in range(n_layers)
            ],
            "activations": [
                np.stack([s["h"][i] for s in self.snapshots]) if R else np.zeros((0, 0, 0))
                for i in range(n_layers)
            ],
            "disagreement": np.array([s["disagreement"] for s in self.snapshots]).reshape(
                R, n_layers
            ),
            "ignored": np.array([s["ignored"] for s in self.snapshots]).reshape(R, n_layers),
        }
        flips = np.full((R, n_layers), np.nan)
        aflips = np.full((R, n_layers), np.nan)
        for r in range(1, R):
            for i in range(n_layers):
                flips[r, i] = np.mean(probe["targets"][i][r] != probe["targets"][i][r - 1])
                aflips[r, i] = np.mean(probe["activations"][i][r] != probe["activations"][i][r - 1])
        probe["flip_rate"], probe["activation_flip_rate"] = flips, aflips
        stats = (
            torch.stack(self._step_stats).cpu().double().numpy()
            if self._step_stats
            else np.zeros((0, n_layers, 2))
        )
        train = {
            "steps": np.array([m[0] for m in self._step_meta], dtype=np.int64),
            "epochs": np.array([m[1] for m in self._step_meta], dtype=np.int64),
            "disagreement": stats[:, :, 0],
            "ignored": stats[:, :, 1],
        }
        return {
            "format": FORMAT,
            "version": 1,
            "layers": [n for n, _ in self.layers],
            "kinds": [m.kind for _, m in self.layers],
            "rules": [m.rule.name if m.rule is not None else None for _, m in self.layers],
            "unit_shapes": [list(s) for s in self.unit_shapes],
            "unit_index": list(self.unit_index),
            "probe": probe,
            "train": train,
        }

    #: alias of :meth:`history` (``mixedopt.inspect`` calls ``to_dict()``)
    to_dict = history


def capture_history_to_dict(capture: TargetCapture | dict[str, Any]) -> dict[str, Any]:
    """Plain-data history of a :class:`TargetCapture` (a dict passes through unchanged)."""
    if isinstance(capture, dict):
        if capture.get("format") != FORMAT:
            raise ValidationError("not a target history (missing format marker).")
        return capture
    return capture.history()


# --------------------------------------------------------------------- npz + JSON files
_LISTS = ("unit_index", "probe.targets", "probe.activations")


def save_history(history: dict[str, Any] | TargetCapture, path: str | os.PathLike[str]) -> Path:
    """Write a history as one ``.npz`` (arrays + a JSON header entry), atomically."""
    from mixedopt.torch.export import atomic_write_bytes

    h = capture_history_to_dict(history)
    arrays: dict[str, np.ndarray] = {}
    meta = {k: h[k] for k in ("format", "version", "layers", "kinds", "rules", "unit_shapes")}
    for i, a in enumerate(h["unit_index"]):
        arrays[f"unit_index/{i}"] = np.asarray(a)
    for part in ("probe", "train"):
        for key, v in h[part].items():
            if isinstance(v, list):
                for i, a in enumerate(v):
                    arrays[f"{part}.{key}/{i}"] = np.asarray(a)
            else:
                arrays[f"{part}.{key}"] = np.asarray(v)
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    p = Path(path)
    atomic_write_bytes(p, buf.getvalue())
    return p


def load_history(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a history written by :func:`save_history` (``allow_pickle=False``)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: not a target-history .npz file ({exc}).") from exc
    if "__meta__" not in data:
        raise ModelFileError(f"{path}: not a target-history file (no header).")
    meta = json.loads(bytes(data.pop("__meta__")).decode())
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a target-history file.")
    h: dict[str, Any] = dict(meta)
    h["probe"], h["train"] = {}, {}
    lists: dict[str, dict[int, np.ndarray]] = {}
    for key, a in data.items():
        name, _, idx = key.partition("/")
        if idx:
            lists.setdefault(name, {})[int(idx)] = a
        else:
            part, _, field_ = name.partition(".")
            h[part][field_] = a
    for name, items in lists.items():
        seq = [items[i] for i in sorted(items)]
        if name == "unit_index":
            h["unit_index"] = seq
        else:
            part, _, field_ = name.partition(".")
            h[part][field_] = seq
    for name in _LISTS:
        part, _, field_ = name.partition(".")
        if field_:
            h[part].setdefault(field_, [])
        else:
            h.setdefault(part, [])
    return h
