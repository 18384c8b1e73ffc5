"""Hard-threshold activations for PyTorch with pluggable target-propagation rules.

Forward (the same values as :mod:`mixedopt.activations`, so a trained net converts exactly):

* ``"sign"``: ``+1`` if ``x >= 0`` else ``-1`` — **sign(0) = +1** (the FTPROP code uses -1);
* ``"step01"``: ``1`` if ``x >= 0`` else ``0``;
* ``"staircase<n>"``: quantized ReLU with ``n`` thresholds ``0, 1/(n-1), ..., 1`` and ``n + 1``
  levels, ``clamp(ceil(x (n-1)), 0, n) / n``: ``"staircase3"`` is the 2-bit qReLU (4 levels),
  ``"staircase5"`` has 6 levels (3 bits);
* ``"relu"``: the full-precision baseline (the rule is ignored).

The backward is the chosen rule (:mod:`mixedopt.torch.rules`); the default is the soft hinge
(FTP-SH). Outside autograd (``torch.no_grad()``, inputs that do not require grad, tracing for
export) the plain forward runs, so exported graphs hold only standard ops.

Examples
--------
>>> import torch
>>> from mixedopt.torch import Staircase, Step
>>> x = torch.tensor([-1.0, 0.0, 0.3, 0.7, 1.5], requires_grad=True)
>>> Step()(x)
tensor([-1.,  1.,  1.,  1.,  1.], grad_fn=<_ThresholdFunctionBackward>)
>>> Staircase(levels=4, rule="sste")(x).detach()
tensor([0.0000, 0.0000, 0.3333, 0.6667, 1.0000])
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from mixedopt.errors import ValidationError
from mixedopt.torch.rules import Backward, Rule, get_rule, rule_family

__all__ = ["KINDS", "Staircase", "Step", "ThresholdActivation", "staircase", "step", "threshold"]

Tensor = torch.Tensor

#: activation kinds of the public contract (any ``staircase<n>`` with n >= 2 also works)
KINDS = ("sign", "step01", "staircase3", "staircase5", "relu")
_KIND_ALIASES = {
    "step": "step01",  # as in mixedopt.activations ("step" is the 0/1 step there)
    "step11": "sign",
    "binary": "sign",
    "heaviside": "step01",
    "staircase": "staircase5",
    "qrelu2": "staircase3",
    "2bit": "staircase3",
    "qrelu3": "staircase5",
}


def normalize_kind(kind: str) -> str:
    """Canonical kind name (``"step11"`` -> ``"sign"``, ``"qrelu2"`` -> ``"staircase3"``)."""
    if not isinstance(kind, str):
        raise ValidationError(f"an activation kind must be a name like 'sign', got {kind!r}.")
    key = kind.strip().lower().replace("_", "")
    key = _KIND_ALIASES.get(key, key)
    if key == "relu":
        return key
    rule_family(key)  # raises a ValidationError naming the valid kinds
    return key


def _sign(x: Tensor) -> Tensor:
    if x.is_cuda:  # two kernels; on GPUs the launch count is what costs
        return torch.where(x >= 0, 1.0, -1.0).to(x.dtype)
    # sign(x) is -1/0/+1; adding 1/2 and taking the sign again sends 0 (and -0.0) to +1.
    # Three float kernels: on CPU cheaper than building a bool mask for torch.where.
    return torch.sign(x).add_(0.5).sign_()


def _step01(x: Tensor) -> Tensor:
    if x.is_cuda:
        return (x >= 0).to(x.dtype)
    return torch.sign(x).add_(1.0).clamp_(max=1.0)  # -1/0/+1 -> 0/1/2 -> 0/1/1


def _staircase(x: Tensor, n: int) -> Tensor:
    if x.dtype == torch.float64 or x.device.type == "mps":  # MPS has no float64
        return torch.ceil(x * (n - 1)).clamp_(0, n).div_(n)  # div, not * (1/n): as numpy
    # in float32, x * (n - 1) can round onto a threshold it lies just above (x = 0.33333334
    # and n = 4 gave level 1, not 2); in float64 the product of a float32 and a small
    # integer is exact, so the level is exact and equal to numpy's (which works in float64)
    return torch.ceil(x.double() * (n - 1)).clamp_(0, n).div_(n).to(x.dtype)


def threshold(x: Tensor, kind: str) -> Tensor:
    """The hard-threshold forward of ``kind`` (no autograd rule; zero gradient)."""
    family, n = rule_family(kind)
    if family == "sign":
        return _sign(x)
    if family == "step01":
        return _step01(x)
    return _staircase(x, n)


class _ThresholdFunction(torch.autograd.Function):
    """Forward: hard threshold; backward: the rule's gradient (one fused formula)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, kind: str, backward: Backward) -> Tensor:
        ctx.save_for_backward(x)
        ctx.rule_backward = backward
        return threshold(x, kind)

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple[Tensor | None, None, None]:
        (x,) = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None, None
        return ctx.rule_backward(x, g), None, None


class ThresholdActivation(nn.Module):
    """A hard-threshold activation with a target-propagation rule (drop-in for ``nn.ReLU``).

    Parameters
    ----------
    kind : str, default "sign"
        ``"sign"`` (±1), ``"step01"`` (0/1), ``"staircase3"`` (4 levels, 2 bits),
        ``"staircase5"`` (6 levels), any ``"staircase<n>"``, or ``"relu"`` (full precision;
        the rule is ignored).
    rule : str or Rule, default "soft-hinge"
        Backward rule, see :func:`mixedopt.torch.get_rule`.

    Attributes
    ----------
    bits : int
        Bits per output value (32 for ``"relu"``).
    levels : list of float or None
        The output values (None for ``"relu"``).

    Examples
    --------
    >>> import torch
    >>> from mixedopt.torch import ThresholdActivation
    >>> act = ThresholdActivation("staircase3", rule="sste")
    >>> act.levels, act.bits
    ([0.0, 0.3333333333333333, 0.6666666666666666, 1.0], 2)
    >>> x = torch.tensor([0.5, 2.0], requires_grad=True)
    >>> act(x).sum().backward(); x.grad
    tensor([1., 0.])
    """

    def __init__(self, kind: str = "sign", rule: str | Rule = "soft-hinge") -> None:
        super().__init__()
        self.kind = normalize_kind(kind)
        self.rule: Rule | None = None if self.kind == "relu" else get_rule(rule)
        self._backward: Backward | None = None if self.rule is None else self.rule.bind(self.kind)

    @property
    def is_threshold(self) -> bool:
        """True for hard-threshold kinds, False for the ReLU baseline."""
        return self.kind != "relu"

    @property
    def levels(self) -> list[float] | None:
        if self.kind == "relu":
            return None
        family, n = rule_family(self.kind)
        if family == "sign":
            return [-1.0, 1.0]
        if family == "step01":
            return [0.0, 1.0]
        return [i / n for i in range(n + 1)]

    @property
    def bits(self) -> int:
        levels = self.levels
        return 32 if levels is None else max(1, math.ceil(math.log2(len(levels))))

    def forward(self, x: Tensor) -> Tensor:
        if self._backward is None:
            return torch.relu(x)
        if torch.is_grad_enabled() and x.requires_grad:
            return _ThresholdFunction.apply(x, self.kind, self._backward)
        return threshold(x, self.kind)

    def extra_repr(self) -> str:
        if self.rule is None:
            return f"kind={self.kind!r}"
        return f"kind={self.kind!r}, rule={self.rule.name!r}"


class Step(ThresholdActivation):
    """Sign (±1, sign(0) = +1) or, with ``zero_one=True``, a 0/1 step.

    Examples
    --------
    >>> import torch
    >>> from mixedopt.torch import Step
    >>> Step(zero_one=True)(torch.tensor([-0.1, 0.0]))
    tensor([0., 1.])
    """

    def __init__(self, rule: str | Rule = "soft-hinge", zero_one: bool = False) -> None:
        super().__init__("step01" if zero_one else "sign", rule)


class Staircase(ThresholdActivation):
    """Quantized ReLU with ``levels`` output values in [0, 1] (``levels - 1`` thresholds).

    ``Staircase(4)`` is ``"staircase3"`` (2-bit qReLU), ``Staircase(6)`` is ``"staircase5"``.

    Examples
    --------
    >>> from mixedopt.torch import Staircase
    >>> Staircase(levels=6).kind
    'staircase5'
    """

    def __init__(self, levels: int = 4, rule: str | Rule = "soft-hinge") -> None:
        if isinstance(levels, bool) or not isinstance(levels, int) or levels < 3:
            raise ValidationError(
                f"a staircase needs levels >= 3 output values (4 = 2-bit), got {levels!r}."
            )
        super().__init__(f"staircase{levels - 1}", rule)


def step(x: Tensor, rule: str | Rule = "soft-hinge", zero_one: bool = False) -> Tensor:
    """Functional :class:`Step`."""
    kind = "step01" if zero_one else "sign"
    if torch.is_grad_enabled() and x.requires_grad:
        return _ThresholdFunction.apply(x, kind, get_rule(rule).bind(kind))
    return threshold(x, kind)


def staircase(x: Tensor, levels: int = 4, rule: str | Rule = "soft-hinge") -> Tensor:
    """Functional :class:`Staircase`."""
    kind = f"staircase{int(levels) - 1}"
    if torch.is_grad_enabled() and x.requires_grad:
        return _ThresholdFunction.apply(x, kind, get_rule(rule).bind(kind))
    return threshold(x, kind)
