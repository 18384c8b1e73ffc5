"""Target-propagation rules: what a hard-threshold unit passes back to its input.

Notation: ``x`` is a unit's pre-activation (the input of the threshold), ``g = dL/dh`` the
gradient arriving at its output, ``t = -sign(g)`` its target and ``|g|`` its weight. A rule
maps ``(x, g)`` to the gradient passed to ``x``. In feasible target propagation (FTP) a rule
is the gradient of a weighted per-unit loss, ``|g| * dL(x, t)/dx``; for any loss of the
margin ``t*x`` whose derivative is even this is a plain surrogate derivative ``g * s(x)``
(Friesen & Domingos 2018; ``shared/notes/ftprop.md`` §3).

Backward formulas for a **sign** unit (threshold at 0, outputs ±1):

================== ====================================== =====================================
rule               backward                                per-unit loss (FTP view)
================== ====================================== =====================================
``ste``            ``g``                                   linear ``-t*x``
``sste``           ``g * 1{|x| <= 1}``                     saturated hinge (up to ``|x| = 1``)
``soft-hinge``     ``g * (1 - tanh(x)**2)``                ``tanh(-t*x) + 1`` (FTP-SH, default)
``truncated-hinge`` ``g * 1{-1 < -sign(g)*x <= 1}``        ``min(2, max(0, 1 - t*x))``
``sigmoid``        ``g * 2 sig(2x) (1 - sig(2x))``         ``sig(-2*t*x)``
``relu-ste``       ``g * 1{x >= 0}``                       (ReLU straight-through)
``leaky-relu-ste`` ``g`` if ``x >= 0`` else ``0.01 g``     (leaky-ReLU straight-through)
``clipped-relu-ste`` ``g * 1{0 <= x <= 1}``                (clipped-ReLU straight-through)
================== ====================================== =====================================

Other kinds, as in the FTPROP code:

* **0/1 steps** use the sign formulas, except ``sste``, whose window is ``[0, 1]`` (the code's
  choice, not a window centred on the threshold). ``truncated-hinge`` and ``sigmoid`` are not
  defined for 0/1 steps in the code; here they use the sign formulas.
* **staircases** (thresholds in ``[0, 1]``) apply the sign formula to ``u = 2x - 1``:
  soft-hinge gives ``g * (1 - tanh(2x - 1)**2)``, sste ``g * 1{0 <= x <= 1}``. The
  ``truncated-hinge`` staircase is the sum of its ``n`` step units, each with its own
  saturated hinge (margin 1, cap 2, in units of ``x``):
  ``g/n * #{k : -1 < -sign(g) * (x - k/(n-1)) <= 1}``.
* the ``*-relu-ste`` rules are the baselines of the convex-threshold-network paper and always
  act on the raw ``x``, whatever the kind.

Examples
--------
>>> import torch
>>> from mixedopt.torch import get_rule
>>> rule = get_rule("soft-hinge")
>>> x = torch.tensor([0.0, 1.0]); g = torch.tensor([1.0, 1.0])
>>> rule.backward(x, g, "sign")
tensor([1.0000, 0.4200])
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from mixedopt.errors import ValidationError

__all__ = [
    "RULES",
    "FTPRule",
    "Rule",
    "available_rules",
    "get_rule",
    "linear_loss",
    "saturated_hinge_loss",
    "sigmoid_loss",
    "soft_hinge_loss",
]

Tensor = torch.Tensor
Backward = Callable[[Tensor, Tensor], Tensor]
FAMILIES = ("sign", "step01", "staircase")

_tanh_backward = torch.ops.aten.tanh_backward

_sigmoid_backward = torch.ops.aten.sigmoid_backward


def rule_family(kind: str) -> tuple[str, int]:
    """``"sign"`` -> ("sign", 1); ``"staircase3"`` -> ("staircase", 3)."""
    if kind in ("sign", "step01"):
        return kind, 1
    if kind.startswith("staircase") and kind[9:].isdigit() and int(kind[9:]) >= 2:
        return "staircase", int(kind[9:])
    raise ValidationError(
        f"unknown threshold kind {kind!r}; use 'sign', 'step01' or 'staircase<n>' (n >= 2)."
    )


def _unit(x: Tensor) -> Tensor:
    """``2x - 1``: maps a staircase's range [0, 1] onto a sign unit's [-1, 1]."""
    return torch.mul(x, 2.0).sub_(1.0)


class Rule:
    """A target-propagation rule: the backward of a hard-threshold unit.

    Subclasses implement :meth:`sign_backward` (a threshold at 0 with outputs ±1) and may
    override :meth:`step01_backward` and :meth:`staircase_backward`.

    Attributes
    ----------
    name : str
        Registry name (``get_rule(name)`` returns this rule).
    description : str
        The backward formula, in words.
    """

    name: str = "rule"
    description: str = ""

    def sign_backward(self, x: Tensor, g: Tensor) -> Tensor:
        """Gradient passed to ``x`` by a ±1 unit with threshold 0, given ``g = dL/dh``."""
        raise NotImplementedError

    def step01_backward(self, x: Tensor, g: Tensor) -> Tensor:
        """Same for a 0/1 step with threshold 0 (defaults to :meth:`sign_backward`)."""
        return self.sign_backward(x, g)

    def staircase_backward(self, x: Tensor, g: Tensor, n: int) -> Tensor:
        """Same for a staircase with ``n`` thresholds in ``[0, 1]`` (sign rule on ``2x-1``)."""
        return self.sign_backward(_unit(x), g)

    def bind(self, kind: str) -> Backward:
        """The backward ``(x, g) -> dL/dx`` of this rule for one activation kind."""
        family, n = rule_family(kind)
        if family == "sign":
            return self.sign_backward
        if family == "step01":
            return self.step01_backward

        def stair(x: Tensor, g: Tensor) -> Tensor:
            return self.staircase_backward(x, g, n)

        return stair

    def backward(self, x: Tensor, g: Tensor, kind: str = "sign") -> Tensor:
        """Gradient passed to the pre-activation ``x`` of a unit of ``kind``."""
        return self.bind(kind)(x, g)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class STE(Rule):
    name = "ste"
    description = "straight-through estimator: g (identity)"

    def sign_backward(self, x: Tensor, g: Tensor) -> Tensor:
        return g

    def staircase_backward(self, x: Tensor, g: Tensor, n: int) -> Tensor:
        return g


class SSTE(Rule):
    name = "sste"
    description = "saturated STE: g * 1{|x| <= 1} (0/1 steps and staircases: g * 1{0 <= x <= 1})"

    def sign_backward(self, x: Tensor, g: Tensor) -> Tensor:
        return g * (x.abs() <= 1.0)

    def step01_backward(self, x: Tensor, g: Tensor) -> Tensor:
        return g * ((x >= 0.0) & (x <= 1.0))

    def staircase_backward(self, x: Tensor, g: Tensor, n: int) -> Tensor:
        return self.step01_backward(x, g)  # |2x - 1| <= 1  <=>  0 <= x <= 1


class SoftHinge(Rule):
    name = "soft-hinge"
    description = "FTP-SH: g * (1 - tanh(x)^2) (staircases: g * (1 - tanh(2x - 1)^2))"

    def sign_backward(self, x: Tensor, g: Tensor) -> Tensor:
        if x.is_cuda:  # fewer kernel launches: tanh, then the fused g * (1 - t^2)
            return _tanh_backward(g, torch.tanh(x))
        # 1 - tanh(x)^2 = 1 / cosh(x)^2: one transcendental, accurate in the tails, and
        # about twice as fast on CPU as tanh + tanh_backward (cosh overflows to inf -> 0).
        return g / torch.cosh(x).square_()


class TruncatedHinge(Rule):
    name = "truncated-hinge"
    description = (
        "FTP with the saturated hinge min(2, max(0, 1 - t*x)), t = -sign(g): "
        "g * 1{-1 < -sign(g)*x <= 1}; staircases: sum over their step units"
    )

    def sign_backward(self, x: Tensor, g: Tensor) -> Tensor:
        m = torch.sign(g).neg_().mul_(x)  # t * x
        return g * ((m > -1.0) & (m <= 1.0))

    def staircase_backward(self, x: Tensor, g: Tensor, n: int) -> Tensor:
        s = torch.sign(g).neg_()  # t
        count = torch.zeros_like(x)
        for k in range(n):
            m = s * (x - k / (n - 1))
            count += (m > -1.0) & (m <= 1.0)
        return g * count / n


class Sigmoid(Rule):
    name = "sigmoid"
    description = "FTP with sigmoid(-2*t*x): g * 2 sig(2x)(1 - sig(2x)) (half the soft hinge)"

    def sign_backward(self, x: Tensor, g: Tensor) -> Tensor:
        return _sigmoid_backward(g, torch.sigmoid(x * 2.0)).mul_(2.0)


class ReluSTE(Rule):
    name = "relu-ste"
    description = "ReLU straight-through (Yin et al. 2019): g * 1{x >= 0}, on the raw input"

    def sign_backward(self, x: Tensor, g: Tensor) -> Tensor:
        return g * (x >= 0.0)

    def staircase_backward(self, x: Tensor, g: Tensor, n: int) -> Tensor:
        return self.sign_backward(x, g)


class LeakyReluSTE(Rule):
    name = "leaky-relu-ste"
    description = "leaky-ReLU straight-through: g if x >= 0 else 0.01 g, on the raw input"

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = float(negative_slope)

    def sign_backward(self, x: Tensor, g: Tensor) -> Tensor:
        return torch.where(x >= 0.0, g, g * self.negative_slope)

    def staircase_backward(self, x: Tensor, g: Tensor, n: int) -> Tensor:
        return self.sign_backward(x, g)


class ClippedReluSTE(Rule):
    name = "clipped-relu-ste"
    description = "clipped-ReLU straight-through (Cai et al. 2017): g * 1{0 <= x <= 1}, raw input"

    def sign_backward(self, x: Tensor, g: Tensor) -> Tensor:
        return g * ((x >= 0.0) & (x <= 1.0))

    def staircase_backward(self, x: Tensor, g: Tensor, n: int) -> Tensor:
        return self.sign_backward(x, g)


# ------------------------------------------------------------------ per-unit losses
def linear_loss(z: Tensor, t: Tensor) -> Tensor:
    """``-t*z``: FTP with this loss is the plain STE."""
    return -t * z


def saturated_hinge_loss(z: Tensor, t: Tensor) -> Tensor:
    """``min(2, max(0, 1 - t*z))``: FTP with this loss is the saturated STE (up to |z| = 1)."""
    return torch.clamp(1.0 - t * z, 0.0, 2.0)


def soft_hinge_loss(z: Tensor, t: Tensor) -> Tensor:
    """``tanh(-t*z) + 1``, the soft hinge of FTP-SH."""
    return torch.tanh(-t * z) + 1.0


def sigmoid_loss(z: Tensor, t: Tensor) -> Tensor:
    """``sigmoid(-2*t*z)``."""
    return torch.sigmoid(-2.0 * t * z)


class FTPRule(Rule):
    """Feasible target propagation with any per-unit loss, differentiated by autograd.

    The unit's target is ``t = -sign(g)`` and its weight ``|g|``; the backward is
    ``|g| * dL(x, t)/dx`` (``t = 0``, i.e. ``g = 0``, ignores the unit). Staircases use
    ``L(2x - 1, t)`` differentiated with respect to ``u = 2x - 1``, as the FTPROP code does.
    Slower than the built-in rules (one extra autograd call); meant for new losses and as a
    reference in tests.

    Parameters
    ----------
    loss : callable ``(z, t) -> Tensor``
        Elementwise per-unit loss of the pre-activation ``z`` and target ``t`` in {-1, 0, +1}.
    name : str, default "ftp"

    Examples
    --------
    >>> import torch
    >>> from mixedopt.torch.rules import FTPRule, soft_hinge_loss, get_rule
    >>> x, g = torch.randn(5), torch.randn(5)
    >>> torch.allclose(FTPRule(soft_hinge_loss).backward(x, g),
    ...                get_rule("soft-hinge").backward(x, g))
    True
    """

    def __init__(self, loss: Callable[[Tensor, Tensor], Tensor], name: str = "ftp") -> None:
        if not callable(loss):
            raise ValidationError(f"FTPRule needs a callable loss(z, t), got {loss!r}.")
        self.loss = loss
        self.name = name
        self.description = f"FTP with per-unit loss {getattr(loss, '__name__', loss)}"

    def sign_backward(self, x: Tensor, g: Tensor) -> Tensor:
        t = torch.sign(g).neg_()
        with torch.enable_grad():
            z = x.detach().requires_grad_(True)
            (dz,) = torch.autograd.grad(self.loss(z, t).sum(), z)
        return g.abs() * dz


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        SoftHinge(),
        SSTE(),
        STE(),
        TruncatedHinge(),
        Sigmoid(),
        ReluSTE(),
        LeakyReluSTE(),
        ClippedReluSTE(),
    )
}

_ALIASES = {
    "ftp-sh": "soft-hinge",
    "softhinge": "soft-hinge",
    "sh": "soft-hinge",
    "saturated-ste": "sste",
    "trunc-hinge": "truncated-hinge",
    "truncwthinge": "truncated-hinge",
    "saturated-hinge": "truncated-hinge",
    "lrelu-ste": "leaky-relu-ste",
    "crelu-ste": "clipped-relu-ste",
}


def available_rules() -> list[str]:
    """Names accepted by :func:`get_rule`.

    Examples
    --------
    >>> from mixedopt.torch import available_rules
    >>> available_rules()[:3]
    ['soft-hinge', 'sste', 'ste']
    """
    return list(RULES)


def get_rule(rule: str | Rule) -> Rule:
    """Return the rule called ``rule`` (or ``rule`` itself if it is a :class:`Rule`).

    Names are case-insensitive and ``_`` counts as ``-``; aliases: ``ftp-sh`` (soft-hinge),
    ``saturated-ste`` (sste), ``saturated-hinge`` (truncated-hinge), ``lrelu-ste``,
    ``crelu-ste``.

    Raises
    ------
    ValidationError
        For an unknown name, listing the known ones.

    Examples
    --------
    >>> from mixedopt.torch import get_rule
    >>> get_rule("FTP_SH").name
    'soft-hinge'
    """
    if isinstance(rule, Rule):
        return rule
    if not isinstance(rule, str):
        raise ValidationError(f"a rule must be a name like 'soft-hinge', got {rule!r}.")
    key = rule.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    if key not in RULES:
        raise ValidationError(
            f"unknown target-propagation rule {rule!r}; choose one of {', '.join(RULES)}."
        )
    return RULES[key]
