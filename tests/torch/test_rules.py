"""Each rule's backward against its formula (gradcheck) and against FTP with its loss."""

from __future__ import annotations

import pytest
import torch

from mixedopt.errors import ValidationError
from mixedopt.torch import ThresholdActivation, available_rules, get_rule
from mixedopt.torch.rules import (
    FTPRule,
    linear_loss,
    saturated_hinge_loss,
    sigmoid_loss,
    soft_hinge_loss,
)

F = torch.nn.functional


def _stair(f):
    """Relaxation of a staircase: the sign relaxation f applied to u = 2x - 1, halved."""
    return lambda x: f(2 * x - 1) / 2


# relaxation r(x) per (rule, family) such that the rule's backward is g * r'(x)
RELAX = {
    ("ste", "sign"): lambda x: x,
    ("ste", "step01"): lambda x: x,
    ("ste", "staircase3"): lambda x: x,
    ("sste", "sign"): lambda x: x.clamp(-1, 1),
    ("sste", "step01"): lambda x: x.clamp(0, 1),
    ("sste", "staircase3"): lambda x: x.clamp(0, 1),
    ("sste", "staircase5"): lambda x: x.clamp(0, 1),
    ("soft-hinge", "sign"): torch.tanh,
    ("soft-hinge", "step01"): torch.tanh,
    ("soft-hinge", "staircase3"): _stair(torch.tanh),
    ("soft-hinge", "staircase5"): _stair(torch.tanh),
    ("sigmoid", "sign"): lambda x: torch.sigmoid(2 * x),
    ("sigmoid", "staircase3"): _stair(lambda u: torch.sigmoid(2 * u)),
    ("relu-ste", "sign"): F.relu,
    ("relu-ste", "staircase3"): F.relu,
    ("leaky-relu-ste", "sign"): lambda x: F.leaky_relu(x, 0.01),
    ("leaky-relu-ste", "step01"): lambda x: F.leaky_relu(x, 0.01),
    ("clipped-relu-ste", "sign"): lambda x: x.clamp(0, 1),
    ("clipped-relu-ste", "staircase5"): lambda x: x.clamp(0, 1),
}
KINKS = (-1.0, 0.0, 0.5, 1.0)


class _Check(torch.autograd.Function):
    """Forward: the relaxation; backward: the rule. gradcheck compares the two."""

    @staticmethod
    def forward(ctx, x, relax, backward):
        ctx.save_for_backward(x)
        ctx.bw = backward
        return relax(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return ctx.bw(x, g), None, None


def _points(n: int = 40, seed: int = 0) -> torch.Tensor:
    x = torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    x = x * 5 - 2.5
    far = torch.stack([(x - k).abs() > 1e-3 for k in KINKS]).all(0)
    return x[far].clone().requires_grad_(True)


@pytest.mark.parametrize(("rule", "kind"), sorted(RELAX))
def test_backward_is_the_derivative_of_its_relaxation(rule, kind):
    relax, bw = RELAX[(rule, kind)], get_rule(rule).bind(kind)
    x = _points()
    assert torch.autograd.gradcheck(lambda v: _Check.apply(v, relax, bw), (x,), eps=1e-6)


FTP_CASES = [
    (rule, loss, kind)
    for rule, loss in [
        ("ste", linear_loss),
        ("soft-hinge", soft_hinge_loss),
        ("sigmoid", sigmoid_loss),
        ("truncated-hinge", saturated_hinge_loss),
    ]
    for kind in ("sign", "step01", "staircase3")
    # the staircase truncated hinge is a sum over its step units (tested below)
    if not (rule == "truncated-hinge" and kind == "staircase3")
]


@pytest.mark.parametrize(("rule", "loss", "kind"), FTP_CASES)
def test_rule_equals_ftp_with_its_per_unit_loss(rule, loss, kind):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(500, generator=gen, dtype=torch.float64) * 1.5
    g = torch.randn(500, generator=gen, dtype=torch.float64)
    g[::7] = 0.0  # t = 0: the unit is ignored
    got = get_rule(rule).backward(x, g, kind)
    want = FTPRule(loss).backward(x, g, kind)
    torch.testing.assert_close(got, want)


@pytest.mark.parametrize("kind", ["sign", "staircase3", "staircase5"])
def test_ftp_with_saturated_hinge_equals_sste(kind):
    gen = torch.Generator().manual_seed(2)
    x = torch.rand(2000, generator=gen, dtype=torch.float64) * 6 - 3
    if kind != "sign":
        x = x / 2 + 0.5  # the staircase window is [0, 1]
    u = x if kind == "sign" else 2 * x - 1
    x = x[(u.abs() - 1).abs() > 1e-9]  # the two differ only on |u| = 1
    g = torch.randn(x.numel(), generator=gen, dtype=torch.float64)
    ftp = FTPRule(saturated_hinge_loss).backward(x, g, kind)
    torch.testing.assert_close(ftp, get_rule("sste").backward(x, g, kind))
    # both are non-zero on a real fraction of the points, so the check has teeth
    assert 0.2 < (ftp != 0).double().mean() < 0.8


@pytest.mark.parametrize("n", [3, 5])
def test_staircase_truncated_hinge_is_the_sum_of_its_step_units(n):
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(1000, generator=gen, dtype=torch.float64) * 4 - 1.5
    g = torch.randn(1000, generator=gen, dtype=torch.float64)
    unit = FTPRule(saturated_hinge_loss)
    want = sum(unit.backward(x - k / (n - 1), g / n, "sign") for k in range(n))
    got = get_rule("truncated-hinge").backward(x, g, f"staircase{n}")
    torch.testing.assert_close(got, want)


def test_known_values():
    x = torch.tensor([0.0, 0.5, 1.5, -1.5, 2.0])
    g = torch.tensor([1.0, -2.0, 1.0, 1.0, -1.0])
    torch.testing.assert_close(get_rule("soft-hinge").backward(x, g)[0], torch.tensor(1.0))
    torch.testing.assert_close(get_rule("sste").backward(x, g), torch.tensor([1, -2, 0, 0, 0.0]))
    # truncated hinge: t = -sign(g); active where -1 < t*x <= 1
    torch.testing.assert_close(
        get_rule("truncated-hinge").backward(x, g), torch.tensor([1, -2, 0, 0, 0.0])
    )
    torch.testing.assert_close(
        get_rule("leaky-relu-ste").backward(x, g), torch.tensor([1, -2, 1, 0.01, -1.0])
    )


@pytest.mark.parametrize("rule", available_rules())
@pytest.mark.parametrize("kind", ["sign", "step01", "staircase3", "staircase5"])
def test_module_backward_uses_the_rule(rule, kind):
    gen = torch.Generator().manual_seed(4)
    x = (torch.randn(64, generator=gen) * 1.5).requires_grad_(True)
    g = torch.randn(64, generator=gen)
    ThresholdActivation(kind, rule)(x).backward(g)
    torch.testing.assert_close(x.grad, get_rule(rule).backward(x.detach(), g, kind))


def test_get_rule_names_and_errors():
    assert get_rule("FTP_SH").name == "soft-hinge"
    assert get_rule("saturated-ste").name == "sste"
    r = get_rule("ste")
    assert get_rule(r) is r
    with pytest.raises(ValidationError, match="soft-hinge"):
        get_rule("nope")
    with pytest.raises(ValidationError):
        get_rule(3)
    with pytest.raises(ValidationError):
        FTPRule("not callable")
