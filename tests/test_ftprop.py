"""FTPROP-MB training: learning, the STE special case, history, settings and limits."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import mixedopt as mo
from mixedopt.errors import ValidationError
from mixedopt.ftprop.config import FTPropConfig, History
from mixedopt.ftprop.trainer import FTPropTrainer, propagate_targets, train_ftprop
from mixedopt.ftprop.unit_steps import levels_of, unit_loss_grad


def _blobs(n=200, d=4, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=d)
    X = rng.normal(size=(n, d))
    y = np.where(X @ w >= 0, "pos", "neg")
    return X, y


def test_training_reduces_loss_on_separable_data():
    X, y = _blobs()
    res = train_ftprop(X, y, hidden=[8], max_iter=15, batch_size=32, random_state=0)
    h = res.info["history"]
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    assert res.n_errors <= 0.05 * len(y)
    assert res.status is mo.Status.FEASIBLE
    assert res.net.n_errors(X, y) == res.n_errors == res.objective
    assert set(res.net.classes.tolist()) == {"neg", "pos"}


@pytest.mark.parametrize("step", ["gradient", "greedy", "exact"])
def test_xor_reaches_full_training_accuracy(step):
    X, y = mo.datasets.load("xor")
    res = train_ftprop(
        X,
        y,
        hidden=[4],
        target_step=step,
        batch_size=None,
        learning_rate=0.05,
        max_iter=300,
        random_state=1,
    )
    assert res.net.score(X, y) == 1.0
    assert res.net.activation_names == ["sign"]


def test_parity3_reaches_full_training_accuracy():
    X, y = mo.datasets.load("parity3")
    res = train_ftprop(X, y, hidden=[8], batch_size=None, max_iter=300, random_state=0)
    assert res.net.score(X, y) == 1.0


def test_two_hidden_layers_and_multiclass():
    X, y = mo.datasets.load("iris")
    # greedy targets learn more slowly than gradient targets on multi-class data (see the
    # benchmark); both must clearly beat chance (1/3)
    for step, least in (("gradient", 0.9), ("greedy", 0.75)):
        res = train_ftprop(X, y, hidden=[16, 8], target_step=step, max_iter=30, random_state=0)
        assert res.net.sizes == [4, 16, 8, 3] and res.net.output == "argmax"
        assert res.net.score(X, y) > least, step
        assert len(res.targets) == 2 and res.targets[0].shape == (150, 16)


@pytest.mark.parametrize("loss", ["hinge", "cross-entropy"])
def test_staircase_network_trains(loss):
    X, y = _blobs(seed=1)
    res = train_ftprop(
        X, y, hidden=[8], activation="staircase3", loss=loss, max_iter=20, random_state=0
    )
    assert res.net.activation_names == ["staircase3"]
    assert res.net.score(X, y) > 0.9
    h = res.net.activations(X)[0]
    assert set(np.unique(h).tolist()) <= {0.0, 1 / 3, 2 / 3, 1.0}


@pytest.mark.parametrize(("temperature", "scaled"), [(1.0, True), (2.5, True), (0.5, False)])
def test_gradient_soft_hinge_is_backprop_with_tanh_surrogate(temperature, scaled):
    """notes §3.1: FTP-SH on sign units = backprop with tanh' as the sign's derivative; with
    temperature τ the surrogate is tanh'(z / τ); without target weighting every target gets
    the weight 1 / B (the paper's --no-tp-grad-scale)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 3))
    y = rng.integers(0, 2, size=16)
    tr = FTPropTrainer(
        hidden=[5],
        max_iter=1,
        learning_rate=1e-3,
        optimizer="sgd",
        standardize=False,
        temperature=temperature,
        scale_by_grad_out=scaled,
    )
    tr.initialize(X, np.array([0, 1]))
    W1, b1, W2, b2 = (p.copy() for p in (tr.weights[0], tr.biases[0], tr.weights[1], tr.biases[1]))
    # reference backprop with the surrogate derivative
    z1 = X @ W1.T + b1
    h1 = np.where(z1 >= 0, 1.0, -1.0)
    z2 = h1 @ W2.T + b2
    s = 2.0 * y - 1.0
    dz2 = (-s / (1.0 + np.exp(s * z2[:, 0])))[:, None] / 16
    D = dz2 @ W2
    if not scaled:
        D = np.sign(D) / 16
    dz1 = D * (1.0 - np.tanh(z1 / temperature) ** 2)
    gW1 = dz1.T @ X
    acc = {
        "loss": 0.0,
        "correct": 0,
        "violated": np.zeros(2),
        "flipped": np.zeros(1),
        "objective": np.zeros(1),
        "greedy": np.zeros(1),
        "improved": np.zeros(1, dtype=int),
        "batches": 0,
        "status": {},
    }
    tr._batch(X, y, lr=1.0, acc=acc)  # SGD, momentum buffer empty: W -= lr * grad
    assert np.allclose(W1 - tr.weights[0], gW1, atol=1e-12)


def test_history_records_per_layer_fractions():
    X, y = mo.datasets.load("iris")
    tr = FTPropTrainer(hidden=[6, 4], target_step="exact", max_iter=3, random_state=0)
    tr.fit(X, y)
    h = tr.history
    assert len(h) == 3 and h.epoch == [1, 2, 3]
    for v, f in zip(h.violated, h.flipped, strict=True):
        assert len(v) == 3 and len(f) == 2
        assert all(0.0 <= x <= 1.0 for x in v + f)
    assert sum(h.exact_status[0].values()) == 2 * h.n_batches[0]
    assert all(
        e <= g + 1e-9 for e, g in zip(h.target_objective[0], h.greedy_objective[0], strict=True)
    )
    assert History.from_dict(h.to_dict()).to_dict() == h.to_dict()


def test_random_state_makes_runs_reproducible():
    X, y = _blobs()
    a = train_ftprop(X, y, hidden=[6], max_iter=3, random_state=7, target_step="greedy").net
    b = train_ftprop(X, y, hidden=[6], max_iter=3, random_state=7, target_step="greedy").net
    c = train_ftprop(X, y, hidden=[6], max_iter=3, random_state=8, target_step="greedy").net
    assert a == b
    assert a != c


def test_early_stopping_keeps_the_best_weights():
    X, y = _blobs(n=300)
    tr = FTPropTrainer(
        hidden=[8], early_stopping=True, n_iter_no_change=3, max_iter=200, random_state=0
    )
    tr.fit(X, y)
    h = tr.history
    assert tr.converged and len(h) < 200
    assert h.stop_reason == "validation score stopped improving"
    best = max(h.val_accuracy)
    assert h.val_accuracy.index(best) == len(h) - 4  # stopped 3 epochs after the best


def test_validation_data_drives_early_stopping():
    X, y = _blobs(n=300)
    Xv, yv = _blobs(n=120, seed=0)  # same teacher, other samples
    Xv, yv = Xv[::-1] + 0.3, yv[::-1]
    tr = FTPropTrainer(
        hidden=[8],
        early_stopping=True,
        n_iter_no_change=4,
        tol=0.0,
        max_iter=200,
        learning_rate=0.03,
        random_state=0,
    )
    tr.fit(X, y, validation_data=(Xv, yv))
    h = tr.history
    best = max(h.val_accuracy)
    assert tr.converged and h.val_accuracy.index(best) == len(h) - 5
    assert tr.net().score(Xv, yv) == pytest.approx(best)  # the best epoch's weights are kept
    with pytest.raises(ValidationError, match="features"):
        tr.fit(X, y, validation_data=(Xv[:, :2], yv))


def test_max_norm_bounds_hidden_units_only():
    X, y = _blobs()
    tr = FTPropTrainer(hidden=[6, 4], max_iter=5, learning_rate=0.1, max_norm=0.5, random_state=0)
    tr.fit(X, y)
    for w, b in zip(tr.weights[:2], tr.biases[:2], strict=True):
        assert np.sqrt((w**2).sum(axis=1) + b**2).max() <= 0.5 + 1e-12
    free = FTPropTrainer(hidden=[6, 4], max_iter=5, learning_rate=0.1, random_state=0).fit(X, y)
    assert np.sqrt((free.weights[0] ** 2).sum(axis=1)).max() > 0.5


@pytest.mark.parametrize("schedule", ["cosine", "step"])
def test_learning_rate_schedules(schedule):
    X, y = _blobs()
    tr = FTPropTrainer(hidden=[4], max_iter=8, lr_schedule=schedule, n_iter_no_change=100)
    tr.fit(X, y)
    lrs = tr.history.learning_rate
    assert lrs[0] == 0.01 and lrs[-1] < lrs[0]
    assert all(a >= b for a, b in itertools.pairwise(lrs))


def test_time_limit_and_interrupt_keep_what_was_trained():
    X, y = _blobs()
    tr = FTPropTrainer(hidden=[4], max_iter=10_000, n_iter_no_change=10_000)
    tr.fit(X, y, time_limit=0.3)
    assert tr.history.stop_reason == "time_limit" and 0 < len(tr.history) < 10_000

    def stop(rec):
        if rec["epoch"] == 2:
            raise KeyboardInterrupt

    res = train_ftprop(X, y, hidden=[4], max_iter=50, callback=stop, random_state=0)
    assert res.interrupted and len(res.info["history"]["epoch"]) == 2
    assert res.net is not None and res.status is mo.Status.FEASIBLE


def test_partial_fit_needs_classes_first():
    X, y = _blobs()
    tr = FTPropTrainer(hidden=[4])
    with pytest.raises(ValidationError, match="classes"):
        tr.partial_fit(X, y)
    tr.partial_fit(X[:50], y[:50], classes=["neg", "pos"])
    tr.partial_fit(X[50:], y[50:])
    assert tr.epochs_done == 2
    with pytest.raises(ValidationError, match="not among"):
        tr.partial_fit(X[:5], np.array(["what"] * 5))


@pytest.mark.parametrize(
    ("param", "value", "match"),
    [
        ("target_step", "random", "target_step"),
        ("hidden", [0], "hidden"),
        ("learning_rate", -1.0, "learning_rate"),
        ("unit_loss", "squared", "unit_loss"),
        ("loss", "mse", "loss"),
        ("batch_size", 0, "batch_size"),
        ("validation_fraction", 1.5, "validation_fraction"),
        ("activation", "tanh", "activation"),
        ("exact_backend", "gurobi", "exact_backend"),
        ("max_flips", -1, "max_flips"),
        ("temperature", 0.0, "temperature"),
        ("max_norm", -1.0, "max_norm"),
        ("scale_by_grad_out", "yes", "scale_by_grad_out"),
    ],
)
def test_bad_settings_name_the_problem(param, value, match):
    with pytest.raises(ValidationError, match=match):
        FTPropTrainer(**{param: value})


def test_linear_unit_loss_rejects_staircases():
    with pytest.raises(ValidationError, match="linear"):
        FTPropConfig(activation="staircase3", unit_loss="linear").validated()


def test_unknown_setting_is_rejected():
    with pytest.raises(ValidationError, match="unknown FTPROP setting"):
        FTPropTrainer(epochs=3)


def test_standardisation_is_folded_into_the_network():
    X, y = _blobs()
    X = X * 100 + 50
    tr = FTPropTrainer(hidden=[4], max_iter=3, random_state=0).fit(X, y)
    net = tr.net()
    Z_internal = tr._forward(tr._scale(X))[-1][:, 0]
    assert np.allclose(net.decision_function(X), Z_internal)


def test_propagate_targets_gradient_step_matches_minus_sign_of_gradient():
    X, y = mo.datasets.load("xor")
    net = mo.ThresholdNet.random([2, 3, 1], seed=2)
    pt = propagate_targets(net, X, y, target_step="gradient", loss="hinge")
    z = net.decision_function(X)
    s = np.where(y == net.classes[1], 1.0, -1.0)
    G = np.where(s * z < 1, -s, 0.0)[:, None] / 4
    D = G @ np.asarray(net.weights[1], dtype=float)
    expect = np.where(D < 0, 1.0, np.where(D > 0, -1.0, pt.activations[0]))
    assert np.array_equal(pt.targets[0], expect)


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("mixedopt.perceptron") is None,
    reason="mixedopt.perceptron (fit_unit) is not in this tree yet",
)
@pytest.mark.parametrize("step", ["gradient", "greedy", "exact"])
def test_exact_unit_step_fits_separable_data(step):
    # full-batch FTPROP with LP unit fits: each layer is refitted on the targets of the layer
    # below; on linearly separable data it reaches zero training errors
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4))
    y = np.where(X @ rng.normal(size=4) >= 0, 1, 0)
    res = train_ftprop(
        X, y, hidden=[3], unit_step="lp", target_step=step, batch_size=None, max_iter=10
    )
    assert res.n_errors == 0


# ------------------------------------------------------------- exact unit steps (lp / hinge)
@pytest.mark.parametrize("method", ["lp", "hinge"])
@pytest.mark.parametrize("step", ["greedy", "exact"])
@pytest.mark.parametrize(("data", "width"), [("xor", 8), ("parity3", 8)])
def test_exact_unit_step_learns_xor_and_parity(method, step, data, width):
    # the layers are refitted bottom-up on the activations the refitted layers below realise
    # (fitting the output layer to the hidden *targets* left it facing inputs it was not
    # fitted on, and XOR stayed at 2 errors)
    X, y = mo.datasets.load(data)
    res = train_ftprop(
        X,
        y,
        hidden=[width],
        unit_step=method,
        target_step=step,
        batch_size=None,
        max_iter=150,
        random_state=0,
    )
    assert res.n_errors == 0
    assert res.net.n_errors(X, y) == 0


@pytest.mark.parametrize("method", ["lp", "hinge"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_unit_step_never_loses_training_accuracy_on_full_batches(method, seed):
    # an update that raises the batch's errors is undone, so with one batch per epoch the
    # training accuracy (measured before each epoch's update) never falls
    X, y = mo.datasets.load("xor")
    tr = FTPropTrainer(
        hidden=[4],
        unit_step=method,
        target_step="greedy",
        batch_size=None,
        max_iter=40,
        n_iter_no_change=1000,
        random_state=seed,
    )
    tr.fit(X, y)
    acc = tr.history.train_accuracy
    assert all(a <= b for a, b in itertools.pairwise(acc))
    assert tr.net().score(X, y) >= acc[-1]


# --------------------------------------------------------------------------- warm start
def _quiet_fit(clf, X, y):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


@pytest.mark.parametrize(
    ("change", "match"),
    [({"hidden": (6,)}, "hidden"), ({"activation": "staircase3"}, "activation")],
)
def test_warm_start_with_a_new_architecture_reinitialises(change, match):
    X, y = mo.datasets.load("breast_cancer")
    clf = mo.FTPropClassifier(hidden=(4,), max_iter=2, warm_start=True, random_state=0)
    _quiet_fit(clf, X, y)
    clf.set_params(**change)
    with pytest.warns(UserWarning, match=f"warm start ignored: {match}"):
        _quiet_fit(clf, X, y)
    hidden = change.get("hidden", (4,))
    act = change.get("activation", "sign")
    assert clf.net_.sizes == [30, *hidden, 1]
    assert clf.net_.activation_names == [act]
    assert [lv.name for lv in clf._trainer.levels] == [act]  # trained with those levels
    assert clf.n_iter_ == 2  # a fresh network
    levels = set(np.unique(clf.net_.activations(X)[0]).tolist())
    assert levels <= ({-1.0, 1.0} if act == "sign" else {0.0, 1 / 3, 2 / 3, 1.0})


def test_warm_start_with_other_features_reinitialises():
    X, y = mo.datasets.load("breast_cancer")
    clf = mo.FTPropClassifier(hidden=(4,), max_iter=2, warm_start=True, random_state=0)
    _quiet_fit(clf, X, y)
    with pytest.warns(UserWarning, match="number of features"):
        _quiet_fit(clf, X[:, :5], y)
    assert clf.net_.sizes == [5, 4, 1] and clf.n_features_in_ == 5
    assert clf.predict(X[:, :5]).shape == y.shape


def test_warm_start_applies_new_training_settings():
    import warnings

    X, y = mo.datasets.load("breast_cancer")
    clf = mo.FTPropClassifier(hidden=(4,), max_iter=2, warm_start=True, random_state=0)
    _quiet_fit(clf, X, y)
    assert type(clf._trainer._opt).__name__ == "Adam"
    w = clf.net_.weights[0].copy()
    clf.set_params(optimizer="sgd", learning_rate=0.002, weight_decay=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no re-initialisation
        _quiet_fit(clf, X, y)
    opt = clf._trainer._opt
    assert type(opt).__name__ == "Sgd" and opt.weight_decay == 1e-3
    assert clf.n_iter_ == 4 and clf.history_.learning_rate[-2:] == [0.002, 0.002]
    assert not np.array_equal(w, clf.net_.weights[0])


def test_warm_start_standardize_change_keeps_the_function():
    from dataclasses import replace

    X, y = _blobs()
    X = X * 10 + 3
    tr = FTPropTrainer(hidden=[4], max_iter=3, random_state=0).fit(X, y)
    before = tr.net().decision_function(X)
    tr.config = replace(tr.config, standardize=False)
    tr._sync_settings(X)
    assert np.allclose(tr.mean, 0.0) and np.allclose(tr.std, 1.0)
    assert np.allclose(tr.net().decision_function(X), before)
    tr.fit(X, y, warm_start=True)
    assert tr.epochs_done == 6


def test_partial_fit_rejects_a_changed_network():
    X, y = mo.datasets.load("breast_cancer")
    clf = mo.FTPropClassifier(hidden=(4,), random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))
    with pytest.raises(ValidationError, match=r"5 features.*expecting 30"):
        clf.partial_fit(X[:, :5], y)
    clf.set_params(hidden=(6,))
    with pytest.raises(ValidationError, match=r"hidden \(\(4,\) -> \(6,\)\)"):
        clf.partial_fit(X, y)
    clf.set_params(hidden=(4,), learning_rate=0.5)
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 2 and clf.history_.learning_rate[-1] == 0.5
    tr = FTPropTrainer(hidden=[4])
    tr.partial_fit(X, y, classes=np.unique(y))
    with pytest.raises(ValidationError, match="number of features"):
        tr.partial_fit(X[:, :5], y)


# ---------------------------------------------------------------- propagate_targets options
def test_propagate_targets_uses_the_soft_hinge_temperature():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1, -1)
    net = mo.ThresholdNet.random([3, 5, 4, 1], seed=1)
    tau = 3.0
    pt = propagate_targets(net, X, y, target_step="gradient", temperature=tau)
    # oracle: the layer-0 targets / weights from layer 1's weighted soft-hinge gradient at τ
    pre = net.forward(X)[0]
    lv = levels_of("sign")
    G1 = pt.weights[1] * unit_loss_grad(np.asarray(pre[1]), pt.levels[1], lv, "soft-hinge", tau)
    D0 = G1 @ np.asarray(net.weights[1], dtype=float)
    assert np.allclose(pt.weights[0], np.abs(D0))
    plain = propagate_targets(net, X, y, target_step="gradient")
    assert not np.allclose(plain.weights[0], pt.weights[0])
    # a network trained with a temperature records it and is inspected with it
    net.metadata["temperature"] = tau
    again = propagate_targets(net, X, y, target_step="gradient")
    assert np.allclose(again.weights[0], pt.weights[0])
    for got, want in zip(
        propagate_targets(net, X, y, target_step="greedy").weights,
        propagate_targets(net, X, y, target_step="greedy", temperature=tau).weights,
        strict=True,
    ):
        assert np.allclose(got, want)


def test_trained_network_records_its_unit_loss_settings():
    X, y = _blobs()
    res = train_ftprop(X, y, hidden=[4], max_iter=2, temperature=2.0, random_state=0)
    assert res.net.metadata["temperature"] == 2.0
    assert res.net.metadata["unit_loss"] == "soft-hinge"
    pt = propagate_targets(res.net, X, y, target_step="gradient", loss="cross-entropy")
    assert all(np.array_equal(a, b) for a, b in zip(pt.targets, res.targets, strict=True))


def test_every_lazy_name_of_mixedopt_resolves():
    import mixedopt

    for name in mixedopt.__all__:
        assert getattr(mixedopt, name) is not None, name
