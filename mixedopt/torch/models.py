"""Reference architectures with hard-threshold activations: :func:`build_model`.

Only activations are quantized; weights, batch norm, pooling, the input and the output
logits stay full precision (as in the FTPROP experiments). ``activation="relu"`` gives the
full-precision baseline of the same architecture.

=============== ========================================================================
name            architecture (``shared/notes/ftprop.md`` §5)
=============== ========================================================================
``convnet4``    conv5x5(32, pad 3) > pool > act > conv5x5(64, pad 2) > pool > act > [BN] >
                fc 1024 > act > [BN] > fc; 4,259,274 parameters on CIFAR-10; BN off by default
``convnet8``    DoReFa's SVHN net, BN on (eps 1e-4), Dropout2d(0.5) before the last conv;
                about 1.49 M parameters on CIFAR-10; input_size >= 20
``alexnet``     AlexNet-DoReFa (12x12/4 first conv, BN, no biases but the last fc); 62.4 M
                parameters at 224x224
``resnet18``    torchvision layout, every ReLU replaced (the threshold comes after the residual
                addition); ``stem="cifar"`` (3x3 conv, no max-pool) or ``"imagenet"`` (7x7/2
                conv + max-pool); ``"auto"`` picks cifar below 64 pixels
``mlp``         flatten > (fc > [BN] > act) x len(hidden) > fc; ``hidden=(256, 256)``, BN on
``conv1d``      for MNIST-1D: 3 x (conv1d stride 2 > [BN] > act) > fc; ``channels=(32, 64, 64)``
=============== ========================================================================

Input shapes: ``in_channels`` x ``input_size``, where ``input_size`` is an int (square images,
or the length of a 1-D signal for ``conv1d``) or a tuple of spatial sizes (``(H, W)`` or
``(L,)``). The ``mlp`` flattens whatever it gets: for tables use ``in_channels=1,
input_size=(n_features,)``.

Every model carries ``model.spec`` (the arguments that rebuild it, used by
:func:`mixedopt.torch.save_model`) and ``model.input_shape`` (without the batch axis).

Examples
--------
>>> import torch
>>> from mixedopt.torch import build_model
>>> m = build_model("convnet4", activation="sign", rule="soft-hinge", num_classes=10,
...                 in_channels=3, input_size=32)
>>> sum(p.numel() for p in m.parameters())
4259274
>>> m(torch.zeros(2, 3, 32, 32)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from torch import nn

from mixedopt.errors import ValidationError
from mixedopt.torch.activations import ThresholdActivation, normalize_kind
from mixedopt.torch.rules import Rule, get_rule

__all__ = ["MODELS", "build_model"]

ActFactory = Callable[[], nn.Module]
BN_EPS = 1e-4  # DoReFa / FTPROP nets


def _spatial(input_size: int | Sequence[int], ndim: int, name: str) -> tuple[int, ...]:
    if isinstance(input_size, bool):
        raise ValidationError(f"input_size must be an int or a tuple of ints, got {input_size!r}.")
    if isinstance(input_size, int):
        dims = (input_size,) * ndim
    else:
        try:
            dims = tuple(int(s) for s in input_size)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"input_size must be an int or a tuple of ints, got {input_size!r}."
            ) from exc
    if len(dims) != ndim or any(s < 1 for s in dims):
        raise ValidationError(
            f"model {name!r} needs {ndim}-D inputs: input_size must be an int or {ndim} "
            f"positive sizes, got {input_size!r}."
        )
    return dims


def _conv_out(size: int, k: int, s: int = 1, p: int = 0) -> int:
    return (size + 2 * p - k) // s + 1


def _too_small(name: str, input_size: Any, minimum: int) -> ValidationError:
    return ValidationError(
        f"model {name!r} needs input_size >= {minimum}, got {input_size!r}; use 'convnet4', "
        "'mlp' or 'resnet18' (cifar stem) for small images."
    )


# ----------------------------------------------------------------------------- convnet4
def convnet4(
    act: ActFactory,
    num_classes: int,
    in_channels: int,
    input_size: Any,
    *,
    batch_norm: bool = False,
) -> nn.Sequential:
    h, w = _spatial(input_size, 2, "convnet4")
    fh, fw = (_conv_out(h, 5, 1, 3) // 2) // 2, (_conv_out(w, 5, 1, 3) // 2) // 2
    if fh < 1 or fw < 1:
        raise _too_small("convnet4", input_size, 2)
    layers: list[tuple[str, nn.Module]] = [
        ("conv0", nn.Conv2d(in_channels, 32, 5, padding=3)),
        ("pool0", nn.MaxPool2d(2)),
        ("act0", act()),
        ("conv1", nn.Conv2d(32, 64, 5, padding=2)),
        ("pool1", nn.MaxPool2d(2)),
        ("act1", act()),
    ]
    if batch_norm:
        layers.append(("bn1", nn.BatchNorm2d(64)))
    layers += [("flatten", nn.Flatten()), ("fc0", nn.Linear(64 * fh * fw, 1024)), ("act2", act())]
    if batch_norm:
        layers.append(("bn2", nn.BatchNorm1d(1024)))
    layers.append(("fc1", nn.Linear(1024, num_classes)))
    return nn.Sequential(OrderedDict(layers))


# ----------------------------------------------------------------------------- convnet8
def convnet8(
    act: ActFactory,
    num_classes: int,
    in_channels: int,
    input_size: Any,
    *,
    batch_norm: bool = True,
    dropout: float = 0.5,
) -> nn.Sequential:
    h, w = _spatial(input_size, 2, "convnet8")
    pad0 = 0 if (h, w) == (40, 40) else 2
    sizes = []
    for s in (h, w):
        s = _conv_out(s, 5, 1, pad0) // 2 // 2 - 4  # pools after conv0, conv2; 2 pad-0 convs
        sizes.append(s)
    if min(sizes) < 1:
        raise _too_small("convnet8", input_size, 20)
    bias = not batch_norm

    def block(name: str, cin: int, cout: int, k: int, p: int, pool: bool) -> list:
        out: list[tuple[str, nn.Module]] = [
            (f"conv{name}", nn.Conv2d(cin, cout, k, padding=p, bias=bias))
        ]
        if batch_norm:
            out.append((f"bn{name}", nn.BatchNorm2d(cout, eps=BN_EPS)))
        if pool:
            out.append((f"pool{name}", nn.MaxPool2d(2)))
        out.append((f"act{name}", act()))
        return out

    layers: list[tuple[str, nn.Module]] = [
        ("conv0", nn.Conv2d(in_channels, 48, 5, padding=pad0)),
        ("pool0", nn.MaxPool2d(2)),
        ("act0", act()),
        *block("1", 48, 64, 3, 1, False),
        *block("2", 64, 64, 3, 1, True),
        *block("3", 64, 128, 3, 0, False),
        *block("4", 128, 128, 3, 1, False),
        *block("5", 128, 128, 3, 0, False),
    ]
    if dropout:
        layers.append(("dropout", nn.Dropout2d(dropout)))
    layers += [
        ("conv6", nn.Conv2d(128, 512, (sizes[0], sizes[1]), bias=bias)),
        *([("bn6", nn.BatchNorm2d(512, eps=BN_EPS))] if batch_norm else []),
        ("act6", act()),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(512, num_classes)),
    ]
    return nn.Sequential(OrderedDict(layers))


# ------------------------------------------------------------------------------ alexnet
def alexnet(
    act: ActFactory,
    num_classes: int,
    in_channels: int,
    input_size: Any,
    *,
    batch_norm: bool = True,
) -> nn.Sequential:
    h, w = _spatial(input_size, 2, "alexnet")
    sizes = []
    for s in (h, w):
        s = _conv_out(s, 12, 4)
        s = _conv_out(s, 3, 2, 1)
        s = _conv_out(s, 3, 2)
        s = _conv_out(s, 3, 2)
        sizes.append(s)
    if min(sizes) < 1:
        raise _too_small("alexnet", input_size, 63)

    def bn2(c: int) -> list[tuple[str, nn.Module]]:
        return [("bn", nn.BatchNorm2d(c, eps=BN_EPS))] if batch_norm else []

    def named(i: int, mods: list[tuple[str, nn.Module]]) -> list[tuple[str, nn.Module]]:
        return [(f"{n}{i}", m) for n, m in mods]

    layers: list[tuple[str, nn.Module]] = [
        ("conv0", nn.Conv2d(in_channels, 96, 12, stride=4, bias=False)),
        ("act0", act()),
        *named(
            1,
            [
                ("conv", nn.Conv2d(96, 256, 5, padding=2, bias=False)),
                *bn2(256),
                ("pool", nn.MaxPool2d(3, 2, padding=1)),
                ("act", act()),
            ],
        ),
        *named(
            2,
            [
                ("conv", nn.Conv2d(256, 384, 3, padding=1, bias=False)),
                *bn2(384),
                ("pool", nn.MaxPool2d(3, 2)),
                ("act", act()),
            ],
        ),
        *named(3, [("conv", nn.Conv2d(384, 384, 3, padding=1, bias=False)), *bn2(384)]),
        ("act3", act()),
        *named(
            4,
            [
                ("conv", nn.Conv2d(384, 256, 3, padding=1, bias=False)),
                *bn2(256),
                ("pool", nn.MaxPool2d(3, 2)),
                ("act", act()),
            ],
        ),
        ("flatten", nn.Flatten()),
        ("fc0", nn.Linear(256 * sizes[0] * sizes[1], 4096, bias=False)),
        *([("bnfc0", nn.BatchNorm1d(4096, eps=BN_EPS))] if batch_norm else []),
        ("actfc0", act()),
        ("fc1", nn.Linear(4096, 4096, bias=False)),
        *([("bnfc1", nn.BatchNorm1d(4096, eps=BN_EPS))] if batch_norm else []),
        ("actfc1", act()),
        ("fc2", nn.Linear(4096, num_classes)),
    ]
    return nn.Sequential(OrderedDict(layers))


# ---------------------------------------------------------------------------------- mlp
def mlp(
    act: ActFactory,
    num_classes: int,
    in_channels: int,
    input_size: Any,
    *,
    hidden: Sequence[int] = (256, 256),
    batch_norm: bool = True,
) -> nn.Sequential:
    if isinstance(input_size, int) and not isinstance(input_size, bool):
        dims: tuple[int, ...] = (input_size, input_size)
    else:
        dims = _spatial(input_size, len(tuple(input_size)), "mlp")
    try:
        widths = [int(h) for h in hidden]
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"hidden must be a list of layer widths, got {hidden!r}.") from exc
    if any(h < 1 for h in widths):
        raise ValidationError(f"hidden layer widths must be positive, got {hidden!r}.")
    d = in_channels * math.prod(dims)
    layers: list[tuple[str, nn.Module]] = [("flatten", nn.Flatten())]
    for i, h in enumerate(widths):
        layers.append((f"fc{i}", nn.Linear(d, h)))
        if batch_norm:
            layers.append((f"bn{i}", nn.BatchNorm1d(h)))
        layers.append((f"act{i}", act()))
        d = h
    layers.append((f"fc{len(widths)}", nn.Linear(d, num_classes)))
    return nn.Sequential(OrderedDict(layers))


# ------------------------------------------------------------------------------- conv1d
def conv1d(
    act: ActFactory,
    num_classes: int,
    in_channels: int,
    input_size: Any,
    *,
    channels: Sequence[int] = (32, 64, 64),
    batch_norm: bool = True,
) -> nn.Sequential:
    (length,) = _spatial(input_size, 1, "conv1d")
    layers: list[tuple[str, nn.Module]] = []
    cin = in_channels
    for i, c in enumerate(int(c) for c in channels):
        k, p = (5, 2) if i == 0 else (3, 1)
        layers.append((f"conv{i}", nn.Conv1d(cin, c, k, stride=2, padding=p, bias=not batch_norm)))
        if batch_norm:
            layers.append((f"bn{i}", nn.BatchNorm1d(c)))
        layers.append((f"act{i}", act()))
        length = _conv_out(length, k, 2, p)
        cin = c
    if length < 1:
        raise _too_small("conv1d", input_size, 2 ** len(channels))
    layers += [("flatten", nn.Flatten()), ("fc", nn.Linear(cin * length, num_classes))]
    return nn.Sequential(OrderedDict(layers))


def _resnet18(act: ActFactory, num_classes: int, in_channels: int, input_size: Any, **kw: Any):
    from mixedopt.torch.resnet import resnet18

    return resnet18(act, num_classes, in_channels, _spatial(input_size, 2, "resnet18"), **kw)


MODELS: dict[str, Callable[..., nn.Module]] = {
    "convnet4": convnet4,
    "convnet8": convnet8,
    "alexnet": alexnet,
    "resnet18": _resnet18,
    "mlp": mlp,
    "conv1d": conv1d,
}
_MODEL_ALIASES = {"alexnet-dorefa": "alexnet", "alexnet_drf": "alexnet", "mnist1d": "conv1d"}


def build_model(
    name: str,
    activation: str = "sign",
    rule: str | Rule = "soft-hinge",
    num_classes: int = 10,
    in_channels: int = 3,
    input_size: int | Sequence[int] = 32,
    **options: Any,
) -> nn.Module:
    """Build a reference architecture with hard-threshold activations.

    Parameters
    ----------
    name : str
        ``"convnet4"``, ``"convnet8"``, ``"alexnet"``, ``"resnet18"``, ``"mlp"`` or
        ``"conv1d"``.
    activation : str, default "sign"
        Activation kind for every hidden nonlinearity: ``"sign"``, ``"step01"``,
        ``"staircase3"``, ``"staircase5"`` or ``"relu"`` (full-precision baseline).
    rule : str or Rule, default "soft-hinge"
        Target-propagation rule of the threshold units (ignored for ``"relu"``).
    num_classes, in_channels : int
    input_size : int or tuple of int
        Spatial size of the inputs (see the module docstring).
    **options
        Architecture options: ``batch_norm`` (all), ``dropout`` (convnet8), ``hidden``
        (mlp), ``channels`` (conv1d), ``stem`` (resnet18: ``"auto"|"cifar"|"imagenet"``).

    Returns
    -------
    torch.nn.Module
        With attributes ``spec`` (dict of these arguments) and ``input_shape``.

    Raises
    ------
    ValidationError
        For an unknown name, activation, rule or option, or an input too small for the net.

    Examples
    --------
    >>> from mixedopt.torch import build_model
    >>> m = build_model("mlp", activation="staircase3", num_classes=2, in_channels=1,
    ...                 input_size=(8,), hidden=[16])
    >>> [type(c).__name__ for c in m.children()]
    ['Flatten', 'Linear', 'BatchNorm1d', 'ThresholdActivation', 'Linear']
    """
    if not isinstance(name, str):
        raise ValidationError(f"model name must be a string, got {name!r}.")
    key = _MODEL_ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in MODELS:
        raise ValidationError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}.")
    kind = normalize_kind(activation)
    rule_obj = None if kind == "relu" else get_rule(rule)
    for label, v in (("num_classes", num_classes), ("in_channels", in_channels)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValidationError(f"{label} must be a positive integer, got {v!r}.")

    def act() -> nn.Module:
        return ThresholdActivation(kind, rule_obj if rule_obj is not None else "soft-hinge")

    try:
        model = MODELS[key](act, num_classes, in_channels, input_size, **options)
    except TypeError as exc:
        if "unexpected keyword" not in str(exc):
            raise
        raise ValidationError(f"model {key!r}: {exc}; see build_model's options.") from None
    spatial = tuple(input_size) if not isinstance(input_size, int) else None
    if spatial is None:
        spatial = (input_size,) if key == "conv1d" else (input_size, input_size)
    model.input_shape = (in_channels, *spatial)
    model.spec = {
        "name": key,
        "activation": kind,
        "rule": rule_obj.name if rule_obj is not None else None,
        "num_classes": num_classes,
        "in_channels": in_channels,
        "input_size": list(spatial),
        "options": {k: list(v) if isinstance(v, (tuple, list)) else v for k, v in options.items()},
    }
    return model
