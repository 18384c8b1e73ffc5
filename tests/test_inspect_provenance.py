"""Issue 12: a model file keeps the targets its training produced, and ``inspect`` shows
those (with which samples) and measures that are recomputable from them."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mixedopt as mo

DATA = "planted:m=60,d=3,h=2,noise=0.05"


def _violations(net: mo.ThresholdNet, X: np.ndarray, targets: list[np.ndarray]):
    """Per hidden layer: fraction of targets the activations miss, and per unit."""
    post = net.forward(X)[1]
    out = []
    for t, a in zip(targets, post, strict=False):
        miss = np.asarray(t, dtype=np.float64) != np.asarray(a, dtype=np.float64)
        out.append((float(miss.mean()), miss.mean(axis=0)))
    return out


def _check(tmp_path, net, X, y, *, stored: bool):
    path = net.save(tmp_path / "model.npz")
    loaded = mo.ThresholdNet.load(path)
    assert (loaded.training_targets is not None) == stored
    rep = mo.inspect_targets(loaded, X, y, conflicts=False)
    if stored:
        assert rep.target_source == "stored"
        assert rep.target_description == loaded.metadata["training_targets"]["description"]
        targets = loaded.training_targets
    else:
        assert rep.target_source == "reassigned"
        targets = [ly.targets for ly in rep.layers[:-1]]
    assert rep.samples
    for ly, (frac, per_unit) in zip(rep.layers, _violations(loaded, X, targets), strict=False):
        assert ly.violated == pytest.approx(frac)
        np.testing.assert_allclose(ly.unit_violated, per_unit)
        assert sum(ly.misses_per_sample.values()) == X.shape[0]
    # a report on other samples does not show the stored targets
    other = mo.inspect_targets(loaded, X[:-5], y[:-5], conflicts=False)
    assert other.target_source == "reassigned"
    if stored:
        assert any("not these" in n for n in other.notes)
    return rep, loaded


def test_exact_proven_net_shows_solver_targets(tmp_path):
    X, y = mo.datasets.load(DATA)
    res = mo.train_exact(X, y, hidden=2, time_limit=60)
    assert res.status.value == "optimal"
    rep, loaded = _check(tmp_path, res.net, X, y, stored=True)
    assert loaded.metadata["training_targets"]["source"] == "exact"
    for ly in rep.layers[:-1]:
        assert ly.violated == 0.0 and set(ly.separability) == {"no misses"}
    np.testing.assert_array_equal(loaded.training_targets[0], res.targets[0])


def test_ftprop_keeps_last_targets(tmp_path):
    X, y = mo.datasets.load(DATA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = mo.FTPropClassifier(hidden=(6, 4), max_iter=4, random_state=0).fit(X, y)
    rep, loaded = _check(tmp_path, clf.net_, X, y, stored=True)
    assert loaded.metadata["training_targets"]["source"] == "ftprop"
    codes = rep.layers[0].codes
    assert codes is not None and codes.purity_chance is not None


def test_convex_keeps_patterns(tmp_path):
    X, y = mo.datasets.load(DATA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = mo.ConvexThresholdClassifier(n_patterns=20, random_state=0).fit(X, y)
    rep, loaded = _check(tmp_path, clf.net_, X, y, stored=True)
    assert loaded.metadata["training_targets"]["source"] == "convex"
    assert rep.layers[0].violated == 0.0  # each unit is its own pattern's hyperplane


def test_torch_mlp_targets_by_named_rule(tmp_path):
    torch = pytest.importorskip("torch")
    from mixedopt.torch import build_model, to_threshold_net

    X, y = mo.datasets.load(DATA)
    torch.manual_seed(0)
    model = build_model(
        "mlp", activation="sign", num_classes=2, in_channels=1, input_size=(3,), hidden=[5]
    ).double()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    xt = torch.from_numpy(np.asarray(X, dtype=np.float64))[:, None]
    yt = torch.from_numpy((np.asarray(y) > 0).astype(np.int64))
    for _ in range(5):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()
    net = to_threshold_net(model.eval())
    net = mo.ThresholdNet(net.weights, net.biases, net.activation_names, classes=np.unique(y))
    rep, _ = _check(tmp_path, net, X, y, stored=False)
    assert "assign_targets" in rep.target_description


def test_old_files_load_without_targets(tmp_path):
    net = mo.ThresholdNet.random([3, 2, 1], seed=0)
    path = net.save(tmp_path / "old.npz")
    with np.load(path) as z:
        assert not any(k.startswith("targets_") for k in z.files)
    assert mo.ThresholdNet.load(path).training_targets is None


def test_reprs_are_short():
    X, y = mo.datasets.load("xor")
    res = mo.train_exact(X, y, hidden=2, time_limit=30)
    text = repr(res)
    assert text.count("\n") < 10 and "status" in text and "2 → 2 → 1" in text
    assert "<table>" in res._repr_html_()
    rep = mo.inspect_targets(res, X, y)
    assert "miss" in repr(rep) and "<html" in rep._repr_html_()
