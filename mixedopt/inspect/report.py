"""The report :func:`~mixedopt.inspect.build.inspect_targets` returns, and its outputs.

:class:`TargetReport` holds one :class:`~mixedopt.inspect.layers.LayerReport` per layer
(hidden layers, then the output layer). The report renders as a rich table
(:meth:`TargetReport.table`, :meth:`TargetReport.print`), JSON (:meth:`TargetReport.to_dict`,
:meth:`TargetReport.to_json`), matplotlib figures (:meth:`TargetReport.plot_targets`,
:meth:`TargetReport.plot_training`; drawn by :mod:`mixedopt.inspect.plots`, optional extra
``viz``) and a self-contained HTML page (:meth:`TargetReport.to_html`, written by
:mod:`mixedopt.inspect.html`); :meth:`TargetReport.save` writes all of them to a folder.

The renderers sit below this module: they take the report's parts (layers, labels, ...),
not the report, and never import it. matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table

from mixedopt.errors import ValidationError
from mixedopt.files import atomic_savez, atomic_write_bytes
from mixedopt.inspect.history import jsonable_history
from mixedopt.inspect.html import render_html
from mixedopt.inspect.layers import LayerReport
from mixedopt.inspect.plots import figure_png, plot_targets, plot_training
from mixedopt.inspect.scalars import fmt, item

__all__ = ["TargetReport"]


@dataclass
class TargetReport:
    """What :func:`inspect_targets` returns: one :class:`LayerReport` per layer."""

    layers: list[LayerReport]
    labels: np.ndarray
    classes: np.ndarray
    accuracy: float
    target_source: str
    net_sizes: list[int]
    history: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    #: one line: which targets are shown and how they were made
    target_description: str = ""
    #: one line: which samples the report shows
    samples: str = ""

    @property
    def n_samples(self) -> int:
        return int(self.labels.shape[0])

    # ------------------------------------------------------------------- export
    def to_dict(self, include_matrices: bool = True) -> dict[str, Any]:
        """JSON-serialisable report (target matrices only when not huge)."""
        return {
            "format": "mixedopt.target_report",
            "version": 1,
            "n_samples": self.n_samples,
            "net_sizes": self.net_sizes,
            "classes": [item(c) for c in self.classes.tolist()],
            "accuracy": self.accuracy,
            "target_source": self.target_source,
            "target_description": self.target_description,
            "samples": self.samples,
            "notes": self.notes,
            "layers": [ly.to_dict(include_matrices) for ly in self.layers],
            "history": jsonable_history(self.history),
        }

    def __repr__(self) -> str:
        rows = ", ".join(f"{ly.name} miss {ly.violated:.3f}" for ly in self.layers)
        return (
            f"TargetReport({self.target_source} targets on {self.samples}; accuracy "
            f"{self.accuracy:.3f}; {rows})"
        )

    def _repr_html_(self) -> str:
        """The report's page without figures (a notebook cell shows it)."""
        return self._html({})

    def to_json(self, path: str | os.PathLike[str] | None = None, **kw: Any) -> str:
        """The report as JSON text; also written (atomically) to ``path`` when given."""
        text = json.dumps(self.to_dict(**kw), indent=1)
        if path is not None:
            atomic_write_bytes(Path(path), text.encode("utf-8"))
        return text

    def table(self) -> Table:
        """A rich :class:`~rich.table.Table` with one row per layer."""
        t = Table(
            title=f"target assignment ({self.target_source}) on {self.samples or 'the data'}; "
            f"accuracy {self.accuracy:.3f}",
            box=box.SIMPLE_HEAD,
            padding=(0, 1),
            pad_edge=False,
            collapse_padding=True,
        )
        for col in (
            "layer",
            "units",
            "act",
            "miss",
            "agree",
            "viol",
            "bad",
            "margin",
            "non-sep",
            "codes",
            "purity",
            "flip",
        ):
            t.add_column(col, justify="left" if col in ("layer", "act") else "right", no_wrap=True)
        for ly in self.layers:
            n_conf = sum(1 for s in ly.separable if s is False)
            checked = sum(1 for s in ly.separable if s is not None)
            flip = ly.flip_rate[-1] if ly.flip_rate else None
            t.add_row(
                f"h{ly.index + 1}" if ly.kind == "hidden" else "out",
                str(ly.n_units),
                ly.activation.replace("output:", ""),
                f"{ly.violated:.3f}",
                f"{ly.agreement:.3f}",
                str(int(ly.unit_violations.sum())),
                str(int(np.count_nonzero(ly.unit_violations))),
                fmt(float(np.min(ly.unit_margin)) if ly.unit_margin.size else None),
                f"{n_conf}/{checked}" if checked else "-",
                "-" if ly.codes is None else str(ly.codes.n_codes),
                "-" if ly.codes is None else f"{ly.codes.purity:.3f}",
                fmt(flip),
            )
        return t

    def print(self, console: Console | None = None) -> None:
        """Print :meth:`table` (to ``console`` or a new rich console)."""
        console = console or Console()
        console.print(self.table())
        if self.target_description:
            console.print(f"targets: {self.target_description}", highlight=False)
        console.print(
            "miss: fraction of targets violated · agree: targets met · viol: targets missed · "
            "bad: units missing some · non-sep: "
            "non-separable units / units checked · purity: majority-vote accuracy of the hidden "
            "codes (1.0 when every sample has its own code) · "
            "flip: last flip rate in training",
            style="dim",
            highlight=False,
        )

    # ------------------------------------------------------------------ figures
    def plot_targets(self, layer: int = 0, ax: Any = None) -> Any:
        """Heatmap of a layer's targets, samples sorted by class (matplotlib Figure)."""
        if not 0 <= layer < len(self.layers):
            raise ValidationError(f"layer must be in [0, {len(self.layers) - 1}], got {layer}.")
        return plot_targets(
            self.layers[layer], self.labels, self.classes, self.target_source, ax=ax
        )

    def plot_training(self) -> Any:
        """Training curves from the history (matplotlib Figure), or None without one."""
        return plot_training(self.history)

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """A self-contained HTML page (figures embedded as base64 PNG)."""
        html = self._html(self._images())
        if path is not None:
            atomic_write_bytes(Path(path), html.encode("utf-8"))
        return html

    def save(self, folder: str | os.PathLike[str]) -> dict[str, Path]:
        """Write ``report.html``, ``report.json``, ``targets.npz``, one
        ``targets_layer<k>.png`` per layer and ``training.png`` to ``folder``."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        images = self._images()
        files: dict[str, Path] = {}
        files["json"] = out / "report.json"
        self.to_json(files["json"])
        files["html"] = out / "report.html"
        atomic_write_bytes(files["html"], self._html(images).encode("utf-8"))
        for key, png in images.items():
            files[key] = out / f"{key}.png"
            atomic_write_bytes(files[key], png)
        arrays: dict[str, np.ndarray] = {}
        for ly in self.layers:
            arrays[f"targets{ly.index}"] = ly.targets
            arrays[f"activations{ly.index}"] = ly.activations
        arrays["labels_codes"] = np.searchsorted(self.classes, self.labels)
        files["npz"] = out / "targets.npz"
        atomic_savez(files["npz"], arrays)
        return files

    def _images(self) -> dict[str, bytes]:
        """PNG bytes of every figure: ``training`` (when there is a history) and
        ``targets_layer<k>``."""
        images: dict[str, bytes] = {}
        fig = self.plot_training()
        if fig is not None:
            images["training"] = figure_png(fig)
        for ly in self.layers:
            images[f"targets_layer{ly.index}"] = figure_png(self.plot_targets(ly.index))
        return images

    def _html(self, images: dict[str, bytes]) -> str:
        return render_html(
            layers=self.layers,
            net_sizes=self.net_sizes,
            n_samples=self.n_samples,
            accuracy=self.accuracy,
            target_source=self.target_source,
            notes=self.notes,
            summary=self.to_dict(include_matrices=False),
            images=images,
            target_description=self.target_description,
            samples=self.samples,
        )
