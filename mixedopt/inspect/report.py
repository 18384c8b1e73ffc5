"""The reports :func:`~mixedopt.inspect.inspect_targets` returns and their outputs.

:class:`TargetReport` holds one :class:`LayerReport` per layer (hidden layers, then the
output layer); a hidden layer's class-conditional codes are a :class:`CodeStats`. The report
renders as a rich table (:meth:`TargetReport.table`, :meth:`TargetReport.print`), JSON
(:meth:`TargetReport.to_dict`, :meth:`TargetReport.to_json`), matplotlib figures
(:meth:`TargetReport.plot_targets`, :meth:`TargetReport.plot_training`; drawn by
:mod:`mixedopt.inspect.plots`, optional extra ``viz``) and a self-contained HTML page
(:meth:`TargetReport.to_html`, :mod:`mixedopt.inspect.html`); :meth:`TargetReport.save`
writes all of them to a folder. rich and matplotlib are imported only when used.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mixedopt.files import atomic_savez, atomic_write_bytes
from mixedopt.inspect.history import jsonable_history
from mixedopt.inspect.scalars import fmt, item, num

__all__ = ["CodeStats", "LayerReport", "TargetReport"]

_JSON_MATRIX_LIMIT = 200_000  # target matrices larger than this stay out of the JSON


@dataclass
class CodeStats:
    """Class-conditional activation codes of a hidden layer.

    ``per_class[c]`` lists ``(code, count)`` for the most frequent codes of class ``c``;
    ``purity`` is ``sum_code max_class count / n`` (1.0: the codes determine the class).
    """

    n_codes: int
    purity: float
    per_class: dict[str, list[tuple[str, int]]]
    code_purity: list[tuple[str, int, float]]


@dataclass
class LayerReport:
    """Statistics of one layer (see :func:`inspect_targets`)."""

    index: int
    kind: str
    activation: str
    targets: np.ndarray
    activations: np.ndarray
    agreement: float
    unit_agreement: np.ndarray
    unit_margin: np.ndarray
    unit_violations: np.ndarray
    separable: list[bool | None]
    conflicts: dict[int, list[int]]
    codes: CodeStats | None = None
    flip_rate: list[float] | None = None
    violated_curve: list[float] | None = None

    @property
    def n_units(self) -> int:
        return int(self.targets.shape[1])

    @property
    def name(self) -> str:
        return f"hidden {self.index + 1}" if self.kind == "hidden" else "output"

    def to_dict(self, include_matrices: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "index": self.index,
            "name": self.name,
            "kind": self.kind,
            "activation": self.activation,
            "n_units": self.n_units,
            "agreement": self.agreement,
            "unit_agreement": self.unit_agreement.tolist(),
            "unit_margin": [num(v) for v in self.unit_margin.tolist()],
            "unit_violations": self.unit_violations.tolist(),
            "separable": self.separable,
            "conflicts": {str(k): v for k, v in self.conflicts.items()},
            "flip_rate": self.flip_rate,
            "violated_curve": self.violated_curve,
        }
        if self.codes is not None:
            d["codes"] = {
                "n_codes": self.codes.n_codes,
                "purity": self.codes.purity,
                "per_class": {k: [list(p) for p in v] for k, v in self.codes.per_class.items()},
                "code_purity": [list(p) for p in self.codes.code_purity],
            }
        if include_matrices and self.targets.size <= _JSON_MATRIX_LIMIT:
            d["targets"] = self.targets.tolist()
            d["activations"] = self.activations.tolist()
        return d


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
            "notes": self.notes,
            "layers": [ly.to_dict(include_matrices) for ly in self.layers],
            "history": jsonable_history(self.history),
        }

    def to_json(self, path: str | os.PathLike[str] | None = None, **kw: Any) -> str:
        """The report as JSON text; also written (atomically) to ``path`` when given."""
        text = json.dumps(self.to_dict(**kw), indent=1)
        if path is not None:
            atomic_write_bytes(Path(path), text.encode("utf-8"))
        return text

    def table(self) -> Any:
        """A rich :class:`~rich.table.Table` with one row per layer."""
        from rich import box
        from rich.table import Table

        t = Table(
            title=f"target assignment ({self.target_source}); accuracy {self.accuracy:.3f}",
            box=box.SIMPLE_HEAD,
            padding=(0, 1),
            pad_edge=False,
            collapse_padding=True,
        )
        for col in (
            "layer",
            "units",
            "act",
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

    def print(self, console: Any = None) -> None:
        """Print :meth:`table` (to ``console`` or a new rich console)."""
        from rich.console import Console

        console = console or Console()
        console.print(self.table())
        console.print(
            "agree: targets met · viol: targets missed · bad: units missing some · non-sep: "
            "non-separable units / units checked · purity: of the class-conditional codes · "
            "flip: last flip rate in training",
            style="dim",
            highlight=False,
        )

    # ------------------------------------------------------------------ figures
    def plot_targets(self, layer: int = 0, ax: Any = None) -> Any:
        """Heatmap of a layer's targets, samples sorted by class (matplotlib Figure)."""
        from mixedopt.inspect.plots import plot_targets

        return plot_targets(self, layer, ax=ax)

    def plot_training(self) -> Any:
        """Training curves from the history (matplotlib Figure), or None without one."""
        from mixedopt.inspect.plots import plot_training

        return plot_training(self.history)

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """A self-contained HTML page (figures embedded as base64 PNG)."""
        from mixedopt.inspect.html import render_html

        html = render_html(self)
        if path is not None:
            atomic_write_bytes(Path(path), html.encode("utf-8"))
        return html

    def save(self, folder: str | os.PathLike[str]) -> dict[str, Path]:
        """Write ``report.html``, ``report.json``, ``targets.npz``, one
        ``targets_layer<k>.png`` per layer and ``training.png`` to ``folder``."""
        from mixedopt.inspect.html import render_html, report_images

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        images = report_images(self)
        files: dict[str, Path] = {}
        files["json"] = out / "report.json"
        self.to_json(files["json"])
        files["html"] = out / "report.html"
        atomic_write_bytes(files["html"], render_html(self, images).encode("utf-8"))
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
