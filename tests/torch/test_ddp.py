"""Two-process data-parallel training on CPU (gloo), started by torchrun."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest
import torch

from mixedopt.torch import build_model, fit

WORKER = textwrap.dedent(
    """
    import os, sys, torch
    torch.set_num_threads(1)
    from mixedopt.torch import fit
    res = fit(model="mlp", data="synthetic:n=192,test=64,channels=1,size=4,classes=3",
              activation="sign", rule="soft-hinge", epochs=2, seed=3, batch_size=32,
              device="cpu", model_options={"hidden": [16]}, checkpoint=sys.argv[2])
    relu = fit(model="mlp", data="synthetic:n=100,test=20,channels=1,size=4,classes=3",
               activation="relu", epochs=1, seed=3, batch_size=32, device="cpu",
               model_options={"hidden": [16], "batch_norm": False}).model
    rank = int(os.environ["RANK"])
    state = {k: v.clone() for k, v in res.model.state_dict().items()}
    torch.save({"state": state, "world": res.world_size, "final": res.final,
                "relu": relu.state_dict()}, os.path.join(sys.argv[1], f"rank{rank}.pt"))
    """
)


def _can_listen_on_loopback() -> bool:
    """torchrun's rendezvous needs a TCP port on 127.0.0.1 (some sandboxes forbid it)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _can_listen_on_loopback(), reason="no TCP port on 127.0.0.1")
def test_two_processes_end_with_identical_weights(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = dict(os.environ, OMP_NUM_THREADS="1", GLOO_SOCKET_IFNAME="lo")
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(script),
        str(tmp_path),
        str(tmp_path / "ck.pt"),
    ]
    # own process group: on a timeout the launcher *and* its workers are killed, so no
    # worker outlives the test (subprocess.run would only kill the launcher)
    with subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise AssertionError("torchrun did not finish in 180 s:\n" + err[-3000:]) from None
    assert proc.returncode == 0, out[-2000:] + err[-3000:]
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert r0["world"] == r1["world"] == 2
    assert r0["state"].keys() == r1["state"].keys()
    for k in r0["state"]:
        assert torch.equal(r0["state"][k], r1["state"][k]), k
    # training moved the weights away from their (seeded) initial values
    torch.manual_seed(3)
    init = build_model(
        "mlp", activation="sign", num_classes=3, in_channels=1, input_size=(4, 4), hidden=[16]
    ).state_dict()
    assert not torch.equal(init["fc0.weight"], r0["state"]["fc0.weight"])
    assert torch.load(tmp_path / "ck.pt", weights_only=True)["epoch"] == 2  # rank 0 writes it
    assert r0["final"]["test_acc"] == r1["final"]["test_acc"]  # evaluation is all-reduced
    # the same total batch on one process follows the same trajectory (ReLU, no BN: nothing
    # amplifies the different float summation order); 100 % 32 = 4 checks the partial batch
    one = fit(
        model="mlp",
        data="synthetic:n=100,test=20,channels=1,size=4,classes=3",
        activation="relu",
        epochs=1,
        seed=3,
        batch_size=32,
        device="cpu",
        model_options={"hidden": [16], "batch_norm": False},
    ).model.state_dict()
    for k in one:
        torch.testing.assert_close(one[k], r0["relu"][k], atol=1e-5, rtol=1e-4)
