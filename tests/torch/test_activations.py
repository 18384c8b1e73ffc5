"""Threshold activations: forward values, conventions, module API."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mixedopt import activations as np_act
from mixedopt.errors import ValidationError
from mixedopt.torch import KINDS, Staircase, Step, ThresholdActivation, staircase, step

NUMPY_NAME = {
    "sign": "sign",
    "step01": "step",
    "staircase3": "staircase3",
    "staircase5": "staircase5",
    "staircase4": "staircase4",
}
floats = st.floats(-3, 3, allow_nan=False, width=32)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float32, st.integers(1, 50), elements=floats), st.sampled_from(sorted(NUMPY_NAME)))
def test_forward_matches_the_numpy_activations(x, kind):
    t = torch.from_numpy(x)
    want = np_act.get(NUMPY_NAME[kind])(x.astype(np.float64))
    got = ThresholdActivation(kind)(t).numpy()
    np.testing.assert_array_equal(got, want.astype(np.float32))
    # the autograd path computes the same values
    got_grad = ThresholdActivation(kind)(t.clone().requires_grad_(True)).detach().numpy()
    np.testing.assert_array_equal(got_grad, got)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.float64])
def test_staircase_levels_are_exact_next_to_a_threshold(dtype):
    # found by hypothesis: float32(1/3) = 0.33333334 > 1/3, so staircase4 (thresholds
    # 0, 1/3, 2/3, 1) gives level 2 -> 0.5; float32 x * 3 rounds to 1.0 and gave 0.25
    x = torch.tensor([0.33333334, 2 / 3, 1.0, 1.0000001, -0.1, 0.0], dtype=dtype)
    want = np_act.get("staircase4")(x.double().numpy())
    got = ThresholdActivation("staircase4")(x)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.double().numpy(), want.astype(np.float64))


def test_sign_of_zero_is_plus_one_and_step_of_zero_is_one():
    z = torch.tensor([0.0, -0.0, -1e-30, 1e-30])
    assert Step()(z).tolist() == [1.0, 1.0, -1.0, 1.0]
    assert Step(zero_one=True)(z).tolist() == [1.0, 1.0, 0.0, 1.0]
    assert step(z.clone().requires_grad_(True)).tolist() == [1.0, 1.0, -1.0, 1.0]


def test_staircase_levels_and_thresholds():
    x = torch.tensor([-1.0, 0.0, 0.01, 0.5, 0.51, 1.0, 1.01, 5.0])
    assert (Staircase(4)(x) * 3).round().tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert Staircase(4).kind == "staircase3" and Staircase(6).kind == "staircase5"
    assert Staircase(6).bits == 3 and Staircase(4).bits == 2 and Step().bits == 1
    torch.testing.assert_close(staircase(x, levels=4), Staircase(4)(x))


def test_kinds_and_aliases():
    assert set(KINDS) == {"sign", "step01", "staircase3", "staircase5", "relu"}
    assert ThresholdActivation("step11").kind == "sign"
    assert ThresholdActivation("step").kind == "step01"  # as in mixedopt.activations
    assert ThresholdActivation("qrelu2").kind == "staircase3"
    relu = ThresholdActivation("relu", rule="sste")
    assert relu.rule is None and not relu.is_threshold and relu.bits == 32
    x = torch.tensor([-1.0, 2.0])
    assert relu(x).tolist() == [0.0, 2.0]
    with pytest.raises(ValidationError, match="staircase"):
        ThresholdActivation("tanh")
    with pytest.raises(ValidationError):
        Staircase(2)
    with pytest.raises(ValidationError):
        ThresholdActivation("sign", rule="bogus")


def test_no_grad_path_has_no_rule_and_grad_path_does():
    act = ThresholdActivation("sign", "ste")
    x = torch.randn(5, requires_grad=True)
    act(x).sum().backward()
    assert torch.equal(x.grad, torch.ones(5))
    with torch.no_grad():
        y = act(x)
    assert y.grad_fn is None
    assert "rule='ste'" in repr(act)
