"""Issue 12, item 3: target heatmaps that show structure (unit order, ±1 colours, labels)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import mixedopt as mo
from mixedopt.inspect import inspect_targets
from mixedopt.inspect.plots import SIGN_COLOURS, unit_order

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None, reason="figures need matplotlib"
)


def test_unit_order_groups_units_by_class():
    rng = np.random.default_rng(0)
    codes = np.repeat([0, 1, 2], 20)
    # unit j follows class j % 3 (with 10 % noise); the order must group them by class
    T = np.where(codes[:, None] == np.arange(6)[None, :] % 3, 1, -1)
    T = np.where(rng.random(T.shape) < 0.1, -T, T)
    order = unit_order(T, codes)
    assert sorted(order.tolist()) == list(range(6))
    assert [int(u) % 3 for u in order] == [0, 0, 1, 1, 2, 2]
    assert unit_order(T, None).tolist() == list(range(6))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_target_heatmap_is_discrete_labelled_and_integer_ticked():
    X, y = mo.datasets.load("iris")
    clf = mo.FTPropClassifier(hidden=(6,), max_iter=5, random_state=0).fit(X, y)
    rep = inspect_targets(clf.net_, X, y)
    fig = rep.plot_targets(0)
    left, right = fig.axes[:2]
    img = left.get_images()[0]
    assert img.cmap.N == 2  # ±1: two colours, no continuous colour bar
    assert [c.lower() for c in img.cmap.colors] == [c.lower() for c in SIGN_COLOURS]
    assert len(fig.axes) == 2
    for ax in (left, right):
        assert ax.get_xlabel().startswith("unit") and ax.get_legend() is not None
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert sorted(int(t) for t in ticks) == list(range(6))
    assert left.get_ylabel() == "sample (sorted by class)"
    train = rep.plot_training()
    if train is not None:
        for ax in train.axes:
            assert ax.get_xlabel() == "epoch" and ax.get_ylabel()
            assert all(float(v).is_integer() for v in ax.get_xticks())
