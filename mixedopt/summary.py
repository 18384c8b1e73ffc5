"""Bit-aware summaries of threshold networks: weight domains, parameters, memory.

:func:`infer_domain` names the smallest weight domain (binary, ternary, integer, real) that
holds a layer's values; :class:`NetSummary` (one :class:`LayerSummary` per layer) counts
parameters and the memory they take at 1, 2 and 32 bits each and at the width of their
domain. :meth:`mixedopt.ThresholdNet.summary` builds one.

Examples
--------
>>> import numpy as np
>>> s = summarize([np.array([[1, -1], [1, 1]])], [np.array([0, 1])], [], None, output="sign")
>>> s.layers[0].domain, s.n_params, s.memory_bytes()
('ternary', 6, 1.5)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixedopt.validation import is_integral

__all__ = ["DOMAINS", "STORED_NOTE", "LayerSummary", "NetSummary", "infer_domain", "summarize"]

#: weight domains, from the narrowest to the widest
DOMAINS = ("binary", "ternary", "integer", "real")

#: the footnote of the printed summary: what its byte columns mean
STORED_NOTE = (
    "1-bit / 2-bit / 32-bit: bytes at that many bits per parameter, each layer rounded up\n"
    "to whole bytes; stored: bytes at each layer's own weight width (binary 1 bit, ternary 2,\n"
    "integer the bits its range needs, real 32)."
)


def infer_domain(*arrays: np.ndarray) -> str:
    """Smallest weight domain containing every value: binary, ternary, integer or real.

    >>> infer_domain(np.array([1, -1]), np.array([0]))
    'ternary'
    """
    vals = np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.zeros(0)
    if vals.size == 0:
        return "binary"
    if not is_integral(vals):
        return "real"
    u = set(np.unique(vals).tolist())
    if u <= {-1, 1}:
        return "binary"
    if u <= {-1, 0, 1}:
        return "ternary"
    return "integer"


def _domain_bits(domain: str, bound: float) -> int:
    if domain == "binary":
        return 1
    if domain == "ternary":
        return 2
    if domain == "integer":
        return max(1, int(np.ceil(np.log2(2 * max(bound, 1) + 1))))
    return 32


@dataclass(frozen=True)
class LayerSummary:
    """One row of :meth:`ThresholdNet.summary`."""

    index: int
    n_in: int
    n_out: int
    activation: str
    domain: str
    weight_bound: float
    n_params: int
    n_nonzero: int
    bits: int

    def memory_bytes(self, bits: int) -> float:
        """Bytes to store this layer's parameters at ``bits`` bits each."""
        return self.n_params * bits / 8


@dataclass(frozen=True)
class NetSummary:
    """Bit-aware summary of a :class:`ThresholdNet` (print it, or call :meth:`to_dict`)."""

    layers: tuple[LayerSummary, ...]
    #: real sizes in bytes of the model files: ``"npz"`` (:meth:`ThresholdNet.save`) and
    #: ``"packed"`` (``net.compile().save``: binary weights at 1 bit, ternary at 2)
    file_bytes: dict[str, int] | None = None

    @property
    def n_params(self) -> int:
        return sum(r.n_params for r in self.layers)

    def memory_bytes(self, bits: int | None = None) -> float:
        """Total bytes at ``bits`` bits per parameter, or at each layer's domain width."""
        return sum(r.memory_bytes(r.bits if bits is None else bits) for r in self.layers)

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for r in self.layers:
            rows.append(
                {
                    "layer": r.index,
                    "shape": [r.n_out, r.n_in],
                    "activation": r.activation,
                    "domain": r.domain,
                    "weight_bound": r.weight_bound,
                    "params": r.n_params,
                    "nonzero": r.n_nonzero,
                    "bits": r.bits,
                    "memory_bytes": {
                        "1bit": r.memory_bytes(1),
                        "2bit": r.memory_bytes(2),
                        "32bit": r.memory_bytes(32),
                        "domain": r.memory_bytes(r.bits),
                    },
                }
            )
        return {
            "layers": rows,
            "total_params": self.n_params,
            "total_memory_bytes": {
                "1bit": self.memory_bytes(1),
                "2bit": self.memory_bytes(2),
                "32bit": self.memory_bytes(32),
                "domain": self.memory_bytes(None),
            },
            "compression_vs_32bit": (
                self.memory_bytes(32) / self.memory_bytes(None) if self.n_params else 1.0
            ),
            "file_bytes": dict(self.file_bytes) if self.file_bytes is not None else None,
        }

    def __str__(self) -> str:
        head = [
            "layer",
            "shape",
            "activation",
            "weights",
            "params",
            "nonzero",
            "1-bit",
            "2-bit",
            "32-bit",
            "stored",
        ]
        body = []
        for r in self.layers:
            dom = (
                r.domain
                if r.domain in ("binary", "ternary", "real")
                else (f"int[-{r.weight_bound:g},{r.weight_bound:g}]")
            )
            body.append(
                [
                    str(r.index),
                    f"{r.n_out}x{r.n_in}",
                    r.activation,
                    dom,
                    str(r.n_params),
                    str(r.n_nonzero),
                    _bytes(r.memory_bytes(1)),
                    _bytes(r.memory_bytes(2)),
                    _bytes(r.memory_bytes(32)),
                    _bytes(r.memory_bytes(r.bits)),
                ]
            )
        body.append(
            [
                "total",
                "",
                "",
                "",
                str(self.n_params),
                str(sum(r.n_nonzero for r in self.layers)),
                *(
                    _bytes(sum(math.ceil(r.memory_bytes(b or r.bits)) for r in self.layers))
                    for b in (1, 2, 32, None)
                ),
            ]
        )
        widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(head)]
        line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()
        out = [line, "-" * len(line)]
        out += [
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in body
        ]
        if self.file_bytes:
            fb = self.file_bytes
            line = f"on disk: {_bytes(fb['npz'])} as .npz (save)"
            if "packed" in fb:
                ratio = fb["npz"] / fb["packed"] if fb["packed"] else float("inf")
                line += f", {_bytes(fb['packed'])} packed (compile().save, {ratio:.1f}x smaller)"
            out.append(line)
        out.append(STORED_NOTE)
        return "\n".join(out)


def _bytes(n: float) -> str:
    if n < 1024:
        return f"{math.ceil(n)} B"
    if n < 1024**2:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024**2:.1f} MiB"


def summarize(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[str],
    weight_domain: str | None,
    *,
    output: str,
    file_bytes: dict[str, int] | None = None,
) -> NetSummary:
    """Summary of a network's layers (see :meth:`mixedopt.ThresholdNet.summary`).

    ``activations`` names the hidden layers' activations; the output layer is listed as
    ``"output:<output>"``. A declared ``weight_domain`` wider than a layer's inferred one
    wins. ``file_bytes`` are the real sizes of the model files, when known.
    """
    rows = []
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        dom = infer_domain(w, b)
        if weight_domain is not None and DOMAINS.index(weight_domain) > DOMAINS.index(dom):
            dom = weight_domain
        bound = float(max(np.max(np.abs(w)), np.max(np.abs(b)))) if w.size else 0.0
        act = activations[i] if i < len(activations) else f"output:{output}"
        rows.append(
            LayerSummary(
                index=i,
                n_in=w.shape[1],
                n_out=w.shape[0],
                activation=act,
                domain=dom,
                weight_bound=bound,
                n_params=int(w.size + b.size),
                n_nonzero=int(np.count_nonzero(w) + np.count_nonzero(b)),
                bits=_domain_bits(dom, bound),
            )
        )
    return NetSummary(tuple(rows), file_bytes=file_bytes)
