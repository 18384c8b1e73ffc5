"""Ray Train: fit_ray on 2 CPU workers (gloo) follows the single-process trajectory, writes
and resumes the same checkpoints; errors are clear before any worker starts.

One Ray Train run (a local 2-CPU cluster; ~30-45 s on a loaded 2-core machine, most of it
Ray starting its controller and workers), skipped with the reason where Ray is missing or
cannot start here. Everything else runs without Ray.
"""

from __future__ import annotations

import json
import sys

import pytest
import torch
from typer.testing import CliRunner

from mixedopt.errors import SolverUnavailableError, ValidationError
from mixedopt.torch import fit, fit_ray
from mixedopt.torch.train import load_checkpoint

# Ray's own modules warn about their deprecated settings on import
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")

# ReLU without batch norm: nothing amplifies the different float summation order of the
# 2-process gradient average, so the weights match the single process closely (as in
# test_ddp.py); 192 % 32 == 0, 6 steps per epoch. A constant learning rate: a resumed run
# keeps the schedule of the run that wrote the checkpoint, and the preset's step schedule
# depends on the number of epochs asked for.
KW = {
    "model": "mlp",
    "data": "synthetic:n=192,test=64,channels=1,size=4,classes=3",
    "activation": "relu",
    "seed": 3,
    "batch_size": 32,
    "schedule": "constant",
    "device": "cpu",
    "model_options": {"hidden": [16], "batch_norm": False},
}


@pytest.fixture(scope="module")
def ray_up():
    """A local 2-CPU Ray cluster for the module (fit_ray reuses the connection)."""
    pytest.importorskip(
        "ray.train", reason="Ray Train is not installed (mixedopt[ray])", exc_type=ImportError
    )
    from mixedopt.executors.ray_train import connect, require_ray_train

    require_ray_train()
    try:
        cluster = connect(address=None, num_cpus=2)
    except Exception as exc:  # pragma: no cover - sandboxes without shared memory / ports
        pytest.skip(f"a local Ray cluster cannot start here: {exc}")
    yield cluster
    cluster.close()


def _assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        torch.testing.assert_close(sa[k], sb[k], atol=1e-5, rtol=1e-4)


def test_ray_workers_resume_a_checkpoint_and_match_one_process(ray_up, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative paths: the workers run in their own folders
    full = fit(**KW, epochs=3)
    fit(**KW, epochs=1, checkpoint="one.pt")  # a single-process checkpoint after epoch 1
    events = []
    res = fit_ray(
        **KW,
        epochs=3,
        resume="one.pt",
        checkpoint="ray.pt",
        metrics="metrics.jsonl",
        num_workers=2,
        callback=events.append,
    )
    # epochs 2 and 3 on two workers continue the run as one process would have
    assert res.world_size == 2
    assert [h["epoch"] for h in res.history] == [1, 2, 3]
    _assert_same_weights(full.model, res.model)
    assert res.final["test_acc"] == pytest.approx(full.final["test_acc"], abs=1 / 64)
    assert res.final["test_loss"] == pytest.approx(full.final["test_loss"], rel=1e-3)
    # rank 0 wrote the checkpoint and the metrics where they were asked for
    ck = load_checkpoint(tmp_path / "ray.pt")
    assert ck["epoch"] == 3 and ck["step"] == 18
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["epoch"] for x in lines] == [2, 3]
    # rank 0's events reached the callback here, in order, every step included
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert kinds.count("epoch") == 2 and kinds.count("step") == 12
    assert events[0]["world_size"] == 2
    # the Ray-written checkpoint resumes in one process like any other
    more = fit(**KW, epochs=4, resume=str(tmp_path / "ray.pt"))
    _assert_same_weights(fit(**KW, epochs=4).model, more.model)


def test_settings_are_checked_before_ray_starts(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # Ray is never reached
    with pytest.raises(ValidationError, match="divisible by num_workers=3"):
        fit_ray(**KW, epochs=1, num_workers=3)
    with pytest.raises(ValidationError, match="use_gpu=True"):
        fit_ray(**{**KW, "device": "cuda"}, epochs=1)
    with pytest.raises(ValidationError, match="num_workers"):
        fit_ray(**KW, epochs=1, num_workers=0)


def test_missing_ray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(SolverUnavailableError, match=r"mixedopt\[ray\]"):
        fit_ray(**KW, epochs=1, num_workers=2)


def test_cli_ray_workers_calls_fit_ray(monkeypatch, tmp_path):
    import mixedopt.torch.ray_train as ray_train
    from mixedopt.cli import app

    seen = {}

    def fake_fit_ray(config, **kw):
        seen.update(kw)
        return fit(config, callback=kw["callback"])  # same result type, in this process

    monkeypatch.setattr(ray_train, "fit_ray", fake_fit_ray)
    args = ["torch-train", "-m", "mlp", "-a", "relu", "-d", KW["data"], "-e", "1", "-b", "32"]
    out = CliRunner().invoke(app, [*args, "--ray-workers", "2", "--ray-address", "auto", "-q"])
    assert out.exit_code == 0, out.output
    assert seen["num_workers"] == 2 and seen["address"] == "auto" and seen["use_gpu"] is False
    bad = CliRunner().invoke(app, [*args, "--ray-address", "auto"])
    assert bad.exit_code != 0 and "--ray-workers" in bad.output
