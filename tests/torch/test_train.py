"""The trainer: learning, determinism, checkpoints and resume, capture, settings."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from mixedopt.errors import ModelFileError, ValidationError
from mixedopt.torch import TrainConfig, capture_history_to_dict, fit, load_data
from mixedopt.torch.capture import load_history, save_history
from mixedopt.torch.train import load_checkpoint, resolve_settings


@pytest.fixture(scope="module")
def digits():
    return load_data("digits")


def _small(**kw):
    base = dict(
        model="mlp",
        activation="sign",
        rule="soft-hinge",
        epochs=2,
        seed=0,
        model_options={"hidden": [64]},
        batch_size=64,
        device="cpu",
    )
    base.update(kw)
    return TrainConfig(**base)


def _same(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_a_sign_network_learns_digits(digits):
    res = fit(_small(epochs=3, schedule="constant"), data=digits)
    assert res.final["test_acc"] > 0.75  # chance is 0.1
    assert [h["epoch"] for h in res.history] == [1, 2, 3]
    assert res.final["best_test_acc"] >= res.final["test_acc"]
    json.dumps(res.to_dict())


def test_same_seed_same_weights_other_seed_other_weights(digits):
    a = fit(_small(epochs=1), data=digits).model
    b = fit(_small(epochs=1), data=digits).model
    c = fit(_small(epochs=1, seed=1), data=digits).model
    assert _same(a, b) and not _same(a, c)


def test_checkpoint_resume_equals_an_uninterrupted_run(digits, tmp_path):
    ck = tmp_path / "run.pt"
    metrics = tmp_path / "m.jsonl"
    full = fit(_small(epochs=3), data=digits)
    fit(_small(epochs=2, checkpoint=str(ck), metrics=str(metrics)), data=digits)
    assert load_checkpoint(ck)["epoch"] == 2
    resumed = fit(
        _small(epochs=3, checkpoint=str(ck), resume=str(ck), metrics=str(metrics)), data=digits
    )
    assert _same(full.model, resumed.model)
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3]
    lines = [json.loads(s) for s in metrics.read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [1, 2, 3]
    assert lines[-1]["test_acc"] == pytest.approx(full.final["test_acc"])
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave no temporaries


def test_ctrl_c_returns_the_model_and_saves_a_checkpoint(digits, tmp_path):
    ck = tmp_path / "c.pt"

    def stop(event):
        if event["event"] == "step" and event["step"] == 30:
            raise KeyboardInterrupt

    res = fit(_small(epochs=3, checkpoint=str(ck)), data=digits, callback=stop)
    assert res.interrupted and len(res.history) == 1
    assert load_checkpoint(ck)["epoch"] == 1
    res2 = fit(_small(epochs=2, resume=str(ck)), data=digits)
    assert len(res2.history) == 2 and not res2.interrupted


def test_bad_checkpoints(tmp_path):
    p = tmp_path / "x.pt"
    p.write_bytes(b"garbage")
    with pytest.raises(ModelFileError):
        load_checkpoint(p)
    torch.save({"format": "other"}, p)
    with pytest.raises(ModelFileError, match="not a mixedopt"):
        load_checkpoint(p)
    with pytest.raises(ModelFileError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")


def test_target_capture_history(digits, tmp_path):
    res = fit(
        _small(epochs=2, capture_targets=True, probe_size=32, model_options={"hidden": [32, 16]}),
        data=digits,
    )
    h = capture_history_to_dict(res.capture)
    assert h["layers"] == ["act0", "act1"] and h["kinds"] == ["sign", "sign"]
    p = h["probe"]
    assert p["steps"].tolist() == [0, 23, 46] and p["epochs"].tolist() == [0, 1, 2]
    assert p["targets"][0].shape == (3, 32, 32) and p["targets"][1].shape == (3, 32, 16)
    assert set(np.unique(p["targets"][0])) <= {-1, 0, 1}
    assert set(np.unique(p["activations"][1])) <= {-1.0, 1.0}
    assert np.isnan(p["flip_rate"][0]).all()
    assert ((p["flip_rate"][1:] >= 0) & (p["flip_rate"][1:] <= 1)).all()
    assert 0 < p["flip_rate"][1:].max()  # training changes some targets
    assert ((p["disagreement"] >= 0) & (p["disagreement"] <= 1)).all()
    # disagreement recomputed from the stored arrays (all units kept here)
    t, a = p["targets"][1][-1], p["activations"][1][-1]
    assert p["disagreement"][-1, 1] == pytest.approx(((t != 0) & (a != t)).sum() / (t != 0).sum())
    tr = h["train"]
    assert tr["disagreement"].shape == (46, 2) and tr["steps"].tolist() == list(range(1, 47))
    assert res.history[-1]["target_disagreement"] == pytest.approx(p["disagreement"][-1], abs=1e-6)
    path = save_history(res.capture, tmp_path / "h.npz")
    back = load_history(path)
    assert back["layers"] == h["layers"]
    np.testing.assert_array_equal(back["probe"]["targets"][1], p["targets"][1])
    np.testing.assert_array_equal(back["train"]["disagreement"], tr["disagreement"])


def test_settings_follow_the_paper_presets():
    s = resolve_settings(TrainConfig(model="convnet4", epochs=300))
    assert (s["optimizer"], s["lr"], s["weight_decay"], s["batch_size"]) == (
        "adam",
        2.5e-4,
        5e-4,
        64,
    )
    assert s["milestones_0based"] == [199, 249]
    s = resolve_settings(TrainConfig(model="resnet18", activation="sign", epochs=90))
    assert (s["optimizer"], s["lr"], s["weight_decay"]) == ("sgd", 0.1, 5e-7)
    assert s["milestones_0based"] == [29, 59]
    assert (
        resolve_settings(TrainConfig(model="resnet18", activation="staircase5"))["weight_decay"]
        == 1e-5
    )
    assert (
        resolve_settings(TrainConfig(model="alexnet", activation="staircase3"))["weight_decay"]
        == 5e-5
    )
    s = resolve_settings(TrainConfig(model="convnet4", epochs=30, lr=0.01, milestones=[5, 40]))
    assert s["lr"] == 0.01 and s["milestones_0based"] == [4]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"epochs": 0}, "epochs"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"lr": -1.0}, "lr"),
        ({"schedule": "warm"}, "schedule"),
        ({"rule": "nope"}, "rule"),
        ({"activation": "tanh"}, "kind"),
        ({"device": "tpu"}, "device"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_settings(kw, match, digits):
    with pytest.raises(ValidationError, match=match):
        fit(_small(**kw), data=digits)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU message")
def test_cuda_without_a_gpu_is_a_clear_error(digits):
    with pytest.raises(ValidationError, match="no CUDA device"):
        fit(_small(device="cuda"), data=digits)


def test_table_data_and_sgd_cosine(tmp_path):
    res = fit(
        model="mlp",
        data="iris",
        activation="staircase3",
        rule="sste",
        epochs=2,
        optimizer="sgd",
        lr=0.05,
        schedule="cosine",
        batch_size=16,
        model_options={"hidden": [16]},
    )
    assert res.settings["optimizer"] == "sgd" and math.isfinite(res.final["test_loss"])


def test_step_level_snapshots(digits):
    res = fit(_small(epochs=2, capture_targets=True, capture_steps=10, probe_size=8), data=digits)
    p = capture_history_to_dict(res.capture)["probe"]
    # start, every 10 steps, and the ends of the epochs (23 steps each), without duplicates
    assert p["steps"].tolist() == [0, 10, 20, 23, 30, 40, 46]
    assert p["epochs"].tolist() == [0, 0, 0, 1, 1, 1, 2]
    assert p["targets"][0].shape == (7, 8, 64)
