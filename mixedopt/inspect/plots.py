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

__all__ = ["figure_png", "plot_targets", "plot_training", "unit_order"]

#: the two colours of a ±1 heatmap (-1, +1) and of the missed-target panel (met, missed)
SIGN_COLOURS = ("#3b6fb6", "#d7301f")
MISS_COLOURS = ("#f4f4f4", "#111111")


def unit_order(targets: np.ndarray, codes: np.ndarray | None) -> np.ndarray:
    """Units ordered so that a heatmap shows structure: grouped by the class whose samples
    turn them on most (mean target per class, highest first), and within a group by how much
    more that class turns them on than the others.

    >>> T = np.array([[1, -1, 1], [1, -1, -1], [-1, 1, 1], [-1, 1, -1]])
    >>> unit_order(T, np.array([0, 0, 1, 1])).tolist()  # unit 0 follows class 0, unit 1 class 1
    [0, 2, 1]
    """
    n_units = targets.shape[1]
    if codes is None or n_units == 0 or targets.shape[0] == 0:
        return np.arange(n_units)
    T = np.asarray(targets, dtype=np.float64)
    present = np.unique(codes)
    means = np.stack([T[codes == c].mean(axis=0) for c in present])  # classes x units
    best = np.argmax(means, axis=0)
    rest = (means.sum(axis=0) - means.max(axis=0)) / max(len(present) - 1, 1)
    strength = means.max(axis=0) - rest
    return np.lexsort((np.arange(n_units), -strength, best))


def _integer_ticks(axis: Any, n: int, labels: np.ndarray | None = None) -> None:
    """Integer ticks on ``axis``: every position (with ``labels``) up to 40, else a few."""
    if n <= 40:
        axis.set_ticks(np.arange(n), [str(v) for v in (labels if labels is not None else range(n))])
    else:
        from matplotlib.ticker import MaxNLocator

        axis.set_major_locator(MaxNLocator(integer=True))


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
    """Targets of layer ``ly`` as a heatmap (samples sorted by class, class bands marked; units
    ordered by class, :func:`unit_order`; ±1 targets in two colours with a legend), with
    the samples where target and activation disagree shown on a second panel.

    ``labels`` are the samples' labels, ``classes`` the network's classes and
    ``target_source`` names the origin of the targets (shown in the title).
    """
    codes = np.searchsorted(classes, labels) if classes.size else None
    order = np.argsort(codes, kind="stable") if codes is not None else np.arange(labels.shape[0])
    units = unit_order(ly.targets, codes)
    T = ly.targets[order][:, units]
    miss = (ly.targets != ly.activations)[order][:, units]
    if ax is None:
        n_units = T.shape[1]
        width = min(14.0, max(9.0, 4.0 + 0.24 * n_units))
        fig = _figure(figsize=(width, 5.0), layout="tight")
        axes = fig.subplots(1, 2, sharey=True)
    else:
        fig = ax.figure
        axes = [ax]
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    levels = np.unique(T)
    if set(levels.tolist()) <= {-1, 1}:
        # ±1 targets: two discrete colours and a legend, not a continuous colour bar
        cmap = ListedColormap(list(SIGN_COLOURS))
        axes[0].imshow(
            T, aspect="auto", cmap=cmap, norm=BoundaryNorm([-2, 0, 2], 2), interpolation="nearest"
        )
        axes[0].legend(
            handles=[
                Patch(color=c, label=t) for c, t in zip(SIGN_COLOURS, ("-1", "+1"), strict=True)
            ],
            title="target",
            loc="upper right",
            fontsize=8,
            framealpha=0.9,
        )
    else:
        im = axes[0].imshow(T, aspect="auto", cmap="coolwarm", interpolation="nearest")
        cbar = fig.colorbar(im, ax=axes[0], shrink=0.8, label="target")
        if levels.size <= 8:
            cbar.set_ticks(levels.tolist())
    axes[0].set_title(f"{ly.name}: targets ({target_source})")
    unit_label = "unit (ordered by class)" if codes is not None else "unit"
    axes[0].set_xlabel(unit_label)
    axes[0].set_ylabel("sample (sorted by class)" if codes is not None else "sample")
    for a in axes:
        _integer_ticks(a.xaxis, T.shape[1], units)
    if len(axes) > 1:
        axes[1].imshow(
            miss,
            aspect="auto",
            cmap=ListedColormap(list(MISS_COLOURS)),
            vmin=0,
            vmax=1,
            interpolation="nearest",
        )
        axes[1].set_title(f"missed targets (agreement {ly.agreement:.3f})")
        axes[1].set_xlabel(unit_label)
        axes[1].legend(
            handles=[
                Patch(facecolor=MISS_COLOURS[0], edgecolor="grey", label="met"),
                Patch(color=MISS_COLOURS[1], label="missed"),
            ],
            loc="upper right",
            fontsize=8,
            framealpha=0.9,
        )
    if codes is not None:
        counts = np.bincount(codes, minlength=classes.size)
        edges = np.cumsum(counts)[:-1] - 0.5
        for a in axes:
            for e in edges:
                a.axhline(e, color="black", linewidth=0.8)
        mids = np.cumsum(counts) - counts / 2.0 - 0.5
        axes[0].set_yticks(mids, [str(c) for c in classes.tolist()])
    else:
        _integer_ticks(axes[0].yaxis, T.shape[0])
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
    from matplotlib.ticker import MaxNLocator

    a0.set_ylabel("loss")
    a1.set_ylabel("accuracy")
    a2.set_ylabel("fraction")
    a3.set_ylabel("fraction")
    for a in (a0, a1, a2, a3):
        a.set_xlabel("epoch")
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def _plot_capture(history: dict[str, Any]) -> Any:
    probe = history.get("probe", {})
    epochs = np.asarray(probe.get("epochs", []))
    if epochs.size == 0:
        return None
    from matplotlib.ticker import MaxNLocator

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
        ax.set_ylabel("fraction")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def figure_png(fig: Any, dpi: int = 100) -> bytes:
    """PNG bytes of a figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
