"""ResNet-18 with hard-threshold activations (torchvision layout, FTPROP placement).

Every ReLU of torchvision's ResNet-18 is replaced by the activation, so in a basic block the
threshold comes **after** the residual addition and the residual stream itself is quantized:
``conv3x3 > BN > act > conv3x3 > BN > (+ shortcut) > act``. The shortcut is a 1x1 conv + BN
where the shape changes. Stems: ``"imagenet"`` (7x7/2 conv, BN, act, 3x3/2 max-pool) or
``"cifar"`` (3x3 conv, BN, act). Convs are initialised N(0, sqrt(2/n)) with
``n = k*k*out_channels``; BN weights 1 and biases 0.

Examples
--------
>>> import torch
>>> from mixedopt.torch import build_model
>>> m = build_model("resnet18", activation="staircase5", num_classes=1000, in_channels=3,
...                 input_size=224, stem="imagenet")
>>> sum(p.numel() for p in m.parameters())
11689512
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from mixedopt.errors import ValidationError

__all__ = ["BasicBlock", "ResNet", "resnet18"]


class BasicBlock(nn.Module):
    """Two 3x3 convs with BN; the activation follows the residual addition."""

    def __init__(self, cin: int, cout: int, stride: int, act: Callable[[], nn.Module]) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.act1 = act()
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample: nn.Module | None = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout)
            )
        self.act2 = act()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.act2(out + shortcut)


class ResNet(nn.Module):
    """ResNet with :class:`BasicBlock` stages (ResNet-18: two blocks per stage)."""

    def __init__(
        self,
        act: Callable[[], nn.Module],
        num_classes: int,
        in_channels: int,
        *,
        stem: str,
        blocks: tuple[int, ...] = (2, 2, 2, 2),
    ) -> None:
        super().__init__()
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
            self.maxpool: nn.Module = nn.MaxPool2d(3, stride=2, padding=1)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(64)
        self.act1 = act()
        cin = 64
        stages = []
        for i, (width, n) in enumerate(zip((64, 128, 256, 512), blocks, strict=True)):
            layer = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                layer.append(BasicBlock(cin, width, stride, act))
                cin = width
            stages.append(nn.Sequential(*layer))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(512, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                n_fan = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / n_fan))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.flatten(self.avgpool(x)))


def resnet18(
    act: Callable[[], nn.Module],
    num_classes: int,
    in_channels: int,
    input_size: tuple[int, ...],
    *,
    stem: str = "auto",
) -> ResNet:
    """ResNet-18; ``stem="auto"`` uses the CIFAR stem for inputs smaller than 64 pixels."""
    if stem not in ("auto", "cifar", "imagenet"):
        raise ValidationError(f"stem must be 'auto', 'cifar' or 'imagenet', got {stem!r}.")
    if stem == "auto":
        stem = "cifar" if min(input_size) < 64 else "imagenet"
    if min(input_size) < (32 if stem == "imagenet" else 8):
        raise ValidationError(
            f"resnet18 with the {stem} stem needs input_size >= "
            f"{32 if stem == 'imagenet' else 8}, got {input_size!r}."
        )
    return ResNet(act, num_classes, in_channels, stem=stem)
