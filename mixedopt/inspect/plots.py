"""Matplotlib figures of a target-assignment report (drawn for
:class:`mixedopt.inspect.report.TargetReport`, which calls these with its parts).

Figures are built with :class:`matplotlib.figure.Figure` directly (no ``pyplot``), so they
work headless and never touch a global backend or open windows. matplotlib (extra ``viz``)
is imported when the first figure is drawn.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from mixedopt.inspect.layers import LayerReport

__all__ = ["figure_png", "plot_targets", "plot_training"]


def _figure(**kw: Any) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - matplotlib is a dev/viz dependency
        raise ImportError(
            "figures need matplotlib; install it with `pip install mixedopt[viz]`."
        ) from exc
    return Figure(**kw)


def plot_targets(
    ly: LayerReport,
    labels: np.ndarray,
    classes: np.ndarray,
    target_source: str,
    ax: Any = None,
) -> Any:
    """Targets of layer ``ly`` as a heatmap (samples sorted by class, class bands marked), with
    the samples where target and activation disagree shown on a second panel.

    ``labels`` are the samples' labels, ``classes`` the network's classes and
    ``target_source`` names the origin of the targets (shown in the title).
    """
    codes = np.searchsorted(classes, labels) if classes.size else None
    order = np.argsort(codes, kind="stable") if codes is not None else np.arange(labels.shape[0])
    T = ly.targets[order]
    miss = (ly.targets != ly.activations)[order]
    if ax is None:
        n_units = T.shape[1]
        width = min(14.0, max(9.0, 4.0 + 0.24 * n_units))
        fig = _figure(figsize=(width, 5.0), layout="tight")
        axes = fig.subplots(1, 2, sharey=True)
    else:
        fig = ax.figure
        axes = [ax]
    im = axes[0].imshow(T, aspect="auto", cmap="coolwarm", interpolation="nearest")
    axes[0].set_title(f"{ly.name}: targets ({target_source})")
    axes[0].set_xlabel("unit")
    axes[0].set_ylabel("sample (sorted by class)")
    levels = np.unique(T)
    cbar = fig.colorbar(im, ax=axes[0], shrink=0.8, label="target")
    if levels.size <= 8:
        cbar.set_ticks(levels.tolist())
    if len(axes) > 1:
        axes[1].imshow(miss, aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        axes[1].set_title(f"missed targets (agreement {ly.agreement:.3f})")
        axes[1].set_xlabel("unit")
    if codes is not None:
        counts = np.bincount(codes, minlength=classes.size)
        edges = np.cumsum(counts)[:-1] - 0.5
        for a in axes:
            for e in edges:
                a.axhline(e, color="black", linewidth=0.8)
        mids = np.cumsum(counts) - counts / 2.0 - 0.5
        axes[0].set_yticks(mids, [str(c) for c in classes.tolist()])
    return fig


def plot_training(history: dict[str, Any] | None) -> Any:
    """Training curves: loss and accuracy, then per-layer violated and flipped fractions
    (FTPROP history), or disagreement and flip rate per snapshot (torch capture)."""
    if not history:
        return None
    if history.get("format") == "mixedopt.torch.target_history" or "probe" in history:
        return _plot_capture(history)
    epochs = history.get("epoch") or []
    if not epochs:
        return None
    fig = _figure(figsize=(12.0, 3.4), layout="tight")
    a0, a1, a2, a3 = fig.subplots(1, 4)
    a0.plot(epochs, history.get("loss", []), label="train loss")
    vl = [np.nan if v is None else v for v in history.get("val_loss", [])]
    if vl and np.isfinite(vl).any():
        a0.plot(epochs, vl, label="validation loss")
    a0.set_title("loss")
    a0.legend(fontsize=8)
    a1.plot(epochs, history.get("train_accuracy", []), label="train (batches)")
    va = [np.nan if v is None else v for v in history.get("val_accuracy", [])]
    if va and np.isfinite(va).any():
        a1.plot(epochs, va, label="validation")
    a1.set_title("accuracy")
    a1.legend(fontsize=8)
    viol = np.asarray(history.get("violated") or [], dtype=np.float64)
    if viol.ndim == 2:
        for j in range(viol.shape[1]):
            lab = "output" if j == viol.shape[1] - 1 else f"hidden {j + 1}"
            a2.plot(epochs, viol[:, j], label=lab)
        a2.legend(fontsize=8)
    a2.set_title("fraction of targets violated")
    flip = np.asarray(history.get("flipped") or [], dtype=np.float64)
    if flip.ndim == 2:
        for j in range(flip.shape[1]):
            a3.plot(epochs, flip[:, j], label=f"hidden {j + 1}")
        a3.legend(fontsize=8)
    a3.set_title("fraction of targets flipped")
    for a in (a0, a1, a2, a3):
        a.set_xlabel("epoch")
    return fig


def _plot_capture(history: dict[str, Any]) -> Any:
    probe = history.get("probe", {})
    epochs = np.asarray(probe.get("epochs", []))
    if epochs.size == 0:
        return None
    names = history.get("layers") or []
    fig = _figure(figsize=(9.0, 3.4), layout="tight")
    a0, a1 = fig.subplots(1, 2)
    for key, ax, title in (
        ("disagreement", a0, "targets missed (probe batch)"),
        ("flip_rate", a1, "target flip rate between snapshots"),
    ):
        v = np.asarray(probe.get(key, []), dtype=np.float64)
        if v.ndim == 2:
            for j in range(v.shape[1]):
                ax.plot(epochs, v[:, j], marker="o", label=names[j] if j < len(names) else str(j))
            ax.legend(fontsize=8)
        ax.set_title(title)
        ax.set_xlabel("epoch")
    return fig


def figure_png(fig: Any, dpi: int = 100) -> bytes:
    """PNG bytes of a figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
