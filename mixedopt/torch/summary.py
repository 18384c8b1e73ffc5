"""Bit-aware model summary: parameters, activation bits, memory and MACs per layer.

In the spirit of ``larq.models.summary``: one row per leaf layer with its output shape,
parameter count and memory, the bits of the values it reads (for convs and linear layers)
or produces (for activations), and its multiply-accumulates for one example. MACs are
totalled by input precision, so the share of 1- and 2-bit MACs (the cheap ones on
hardware with binary or low-bit kernels) is visible.

Precision tracking: network inputs are 32-bit; a threshold activation sets the precision
to its bits (1 for sign and 0/1 steps, 2 for ``staircase3``, 3 for ``staircase5``); max-pool,
batch norm, flatten and dropout keep it (an affine map or a max of k-level values has k
levels per channel, and folds into the next layer); convs, linear layers and average pools
produce 32-bit values. Weights are full precision (32-bit floats) in every model here.

Examples
--------
>>> from mixedopt.torch import build_model, summary
>>> s = summary(build_model("mlp", activation="sign", num_classes=10, in_channels=1,
...                         input_size=8, hidden=[32]))
>>> [(r.name, r.input_bits, r.macs) for r in s.layers if r.macs]
[('fc0', 32, 2048), ('fc1', 1, 320)]
>>> s.to_dict()["totals"]["macs_by_input_bits"]
{'1': 320, '32': 2048}
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from mixedopt.torch.activations import ThresholdActivation

__all__ = ["LayerRow", "ModelSummary", "summary"]

_KEEP = (
    nn.MaxPool1d,
    nn.MaxPool2d,
    nn.MaxPool3d,
    nn.AdaptiveMaxPool2d,
    nn.BatchNorm1d,
    nn.BatchNorm2d,
    nn.BatchNorm3d,
    nn.Flatten,
    nn.Dropout,
    nn.Dropout2d,
    nn.Identity,
)


@dataclass
class LayerRow:
    """One layer of a :class:`ModelSummary`."""

    name: str
    type: str
    output_shape: list[int]
    params: int
    param_bits: int
    memory_bytes: float
    input_bits: int | None = None
    output_bits: int | None = None
    macs: int = 0


@dataclass
class ModelSummary:
    """Per-layer table and totals; ``str()`` prints it, :meth:`to_dict` gives plain data."""

    layers: list[LayerRow]
    input_shape: list[int]
    totals: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain (JSON-serialisable) dict with ``layers``, ``input_shape`` and ``totals``."""
        return {
            "input_shape": list(self.input_shape),
            "layers": [asdict(r) for r in self.layers],
            "totals": dict(self.totals),
        }

    def __str__(self) -> str:
        head = ("layer", "type", "output", "params", "memory", "in bits", "out bits", "MACs")
        rows = [
            (
                r.name,
                r.type,
                "x".join(map(str, r.output_shape)),
                f"{r.params:,}",
                _bytes(r.memory_bytes) if r.params else "",
                "" if r.input_bits is None else str(r.input_bits),
                "" if r.output_bits is None else str(r.output_bits),
                f"{r.macs:,}" if r.macs else "",
            )
            for r in self.layers
        ]
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
        line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
        out = [line, "-" * len(line)]
        out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
        t = self.totals
        by_bits = ", ".join(
            f"{b}-bit {m / max(t['macs'], 1):.1%}" for b, m in t["macs_by_input_bits"].items()
        )
        out += [
            "-" * len(line),
            f"input {'x'.join(map(str, self.input_shape))}; parameters {t['params']:,} "
            f"({_bytes(t['param_memory_bytes'])}); MACs {t['macs']:,} ({by_bits})",
            f"activations per example: {_bytes(t['activation_memory_bytes'])} at their bit "
            f"widths vs {_bytes(t['activation_memory_fp32_bytes'])} as float32 "
            f"({t['activation_compression']:.1f}x smaller)",
        ]
        return "\n".join(out)


def _bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GiB"  # pragma: no cover


def summary(model: nn.Module, input_shape: tuple[int, ...] | None = None) -> ModelSummary:
    """Bit-aware summary of ``model`` for one example.

    Parameters
    ----------
    model : torch.nn.Module
        A model from :func:`mixedopt.torch.build_model` (or any module, given
        ``input_shape``); a ``DistributedDataParallel`` wrapper is unwrapped.
    input_shape : tuple of int, optional
        Shape of one example without the batch axis; defaults to ``model.input_shape``.

    Returns
    -------
    ModelSummary
    """
    model = getattr(model, "module", model)
    shape = tuple(input_shape or getattr(model, "input_shape", ()) or ())
    if not shape:
        from mixedopt.errors import ValidationError

        raise ValidationError(
            "summary needs the shape of one example: pass input_shape=(C, H, W) (models from "
            "build_model carry it as model.input_shape)."
        )
    rows: list[LayerRow] = []
    state = {"bits": 32}
    hooks = []

    def hook(name: str, mod: nn.Module) -> Any:
        def fn(_m: nn.Module, _inp: Any, out: torch.Tensor) -> None:
            params = sum(p.numel() for p in mod.parameters(recurse=False))
            pbits = max((p.element_size() * 8 for p in mod.parameters(recurse=False)), default=0)
            row = LayerRow(
                name=name,
                type=type(mod).__name__,
                output_shape=list(out.shape[1:]),
                params=params,
                param_bits=pbits,
                memory_bytes=params * pbits / 8,
            )
            if isinstance(mod, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
                row.input_bits = state["bits"]
                per_out = mod.in_channels // mod.groups * math.prod(mod.kernel_size)
                row.macs = int(out[0].numel() * per_out)
                state["bits"] = 32
            elif isinstance(mod, nn.Linear):
                row.input_bits = state["bits"]
                row.macs = int(out[0].numel() * mod.in_features)
                state["bits"] = 32
            elif isinstance(mod, ThresholdActivation):
                state["bits"] = mod.bits
                row.output_bits = mod.bits
                row.type = f"{type(mod).__name__}({mod.kind})"
            elif not isinstance(mod, _KEEP):
                state["bits"] = 32
            rows.append(row)

        return fn

    for name, mod in model.named_modules():
        if name and not list(mod.children()):
            hooks.append(mod.register_forward_hook(hook(name, mod)))
    was_training = model.training
    try:
        p = next(model.parameters(), None)
        device = p.device if p is not None else torch.device("cpu")
        dtype = p.dtype if p is not None and p.is_floating_point() else torch.float32
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1, *shape), device=device, dtype=dtype))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)

    macs = sum(r.macs for r in rows)
    by_bits: dict[str, int] = {}
    for r in rows:
        if r.macs:
            by_bits[str(r.input_bits)] = by_bits.get(str(r.input_bits), 0) + r.macs
    by_bits = dict(sorted(by_bits.items(), key=lambda kv: int(kv[0])))
    acts = [r for r in rows if r.output_bits is not None]
    act_mem = sum(math.prod(r.output_shape) * r.output_bits / 8 for r in acts)
    act_fp = sum(math.prod(r.output_shape) * 4 for r in acts)
    totals = {
        "params": sum(p.numel() for p in model.parameters()),
        "param_memory_bytes": float(sum(p.numel() * p.element_size() for p in model.parameters())),
        "macs": macs,
        "macs_by_input_bits": by_bits,
        "activation_memory_bytes": float(act_mem),
        "activation_memory_fp32_bytes": float(act_fp),
        "activation_compression": float(act_fp / act_mem) if act_mem else 1.0,
    }
    return ModelSummary(layers=rows, input_shape=list(shape), totals=totals)
