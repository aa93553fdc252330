"""Backbones for 1x48x48 grayscale faces, each ending in an embedding head.

Every network maps ``float32 [N, 1, H, W]`` (normalised pixels) to ``float32 [N, D]``
embeddings. ``build_network(**model_args)`` is the only constructor the checkpoint uses, so a
network can be rebuilt from the plain dict stored next to its weights.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from albumsum.core.resnet import BasicBlock, ResNet


def _resnet18_body(stem: str) -> ResNet:
    """ResNet18 (torchvision's layout, see :mod:`albumsum.core.resnet`) with a 1-channel stem.

    ``stem="stock"`` keeps the 7x7/2 convolution and the 3x3/2 max-pool (48 -> 12 before layer1).
    ``stem="deep"`` replaces it with 3x3 convolutions (one at full resolution, one strided) and
    the max-pool: the same 12x12 grid for the residual stages, finer first features.
    ``stem="fine"`` is the deep stem without the max-pool: the residual stages run on a 24x24 grid
    (4x the compute of the stock stem, for GPU training), the last stage on 3x3 instead of 2x2.
    """
    net = ResNet([2, 2, 2, 2])
    if stem == "stock":
        net.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    elif stem in ("deep", "fine"):
        net.conv1 = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, kernel_size=3, stride=2, padding=1, bias=False),
        )
        if stem == "fine":
            net.maxpool = nn.Identity()
    else:
        raise ValueError(f"unknown ResNet stem {stem!r}; expected 'stock', 'deep' or 'fine'")
    net.fc = nn.Identity()
    return net


class EmbeddingNet(nn.Module):
    """A feature extractor followed by a linear embedding head.

    ``forward`` returns ``[N, embedding_dim]``; ``features`` exposes the pooled backbone output
    ``[N, feature_dim]`` for heads that need it.
    """

    def __init__(self, body: nn.Module, feature_dim: int, embedding_dim: int) -> None:
        super().__init__()
        self.body = body
        self.head = nn.Linear(feature_dim, embedding_dim)
        self.embedding_dim = embedding_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def _conv_bn(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def _small_cnn() -> tuple[nn.Module, int]:
    """Four conv stages, 48 -> 3: a few ms per batch on a CPU, for quick runs and tests."""
    layers: list[nn.Module] = []
    for cin, cout in [(1, 32), (32, 64), (64, 128), (128, 256)]:
        layers += [*_conv_bn(cin, cout), nn.MaxPool2d(2)]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers), 256


def _cvgg13() -> tuple[nn.Module, int]:
    """The FER+ reference VGG13 variant (Barsoum et al. 2016) at 48x48, with batch norm."""
    layers: list[nn.Module] = []
    for cin, cout, convs in [(1, 64, 2), (64, 128, 2), (128, 256, 3), (256, 256, 3)]:
        for i in range(convs):
            layers += _conv_bn(cin if i == 0 else cout, cout)
        layers += [nn.MaxPool2d(2), nn.Dropout(0.25)]
    layers += [nn.Flatten(), nn.Linear(256 * 3 * 3, 1024), nn.ReLU(inplace=True), nn.Dropout(0.5)]
    return nn.Sequential(*layers), 1024


class _PreActBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False) if stride != 1 or cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(x))
        skip = self.shortcut(out) if self.shortcut is not None else x
        out = self.conv1(out)
        out = self.conv2(torch.relu(self.bn2(out)))
        return out + skip


def _preact_resnet18() -> tuple[nn.Module, int]:
    """PreActResNet18 (He et al. 2016) with the same early down-sampling as the ResNet18 stem."""
    layers: list[nn.Module] = [nn.Conv2d(1, 64, 7, 2, 3, bias=False), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [_PreActBlock(cin, cout, stride), _PreActBlock(cout, cout, 1)]
        cin = cout
    layers += [nn.BatchNorm2d(512), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers), 512


class _NarrowResNet(nn.Module):
    """ResNet18's block layout for 48x48 faces: two 3x3 stem convolutions (the second strided),
    then four stages of two basic blocks at 24, 12, 6 and 3 px, widths ``width * (1, 2, 4, 8)``.

    The stock stem reaches 12x12 before the first residual stage; here the first stage sees 24x24,
    at a quarter of ResNet18's width (``width=32``: 2.8 M parameters, 1.6x faster to train on a
    2-core CPU than the stock ResNet18, docs/BENCHMARKS.md).
    """

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            *_conv_bn(1, width),
            nn.Conv2d(width, width, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        stages: list[nn.Module] = []
        cin = width
        for i in range(4):
            cout, stride = width * 2**i, 1 if i == 0 else 2
            down = None
            if stride != 1 or cin != cout:
                down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            stages += [nn.Sequential(BasicBlock(cin, cout, stride, down), BasicBlock(cout, cout))]
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.feature_dim = cin
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for stage in self.stages:  # zero-init the last BN of each block: every block starts as identity
            for block in stage:
                nn.init.zeros_(block.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.stages(self.stem(x)))


def _narrow_resnet(width: int = 32) -> tuple[nn.Module, int]:
    body = _NarrowResNet(int(width))
    return body, body.feature_dim


_BODIES: dict[str, Callable[..., tuple[nn.Module, int]]] = {
    "resnet18": lambda stem="stock": (_resnet18_body(stem), 512),
    "small": _small_cnn,
    "cvgg13": _cvgg13,
    "preact_resnet18": _preact_resnet18,
    "narrow_resnet": _narrow_resnet,
}

ARCHITECTURES = tuple(_BODIES)


def build_network(arch: str, embedding_dim: int = 64, **arch_args: object) -> EmbeddingNet:
    """Build a network from its ``model_args`` (``arch``, ``embedding_dim`` and arch options)."""
    if arch not in _BODIES:
        raise ValueError(f"unknown architecture {arch!r}; expected one of {', '.join(ARCHITECTURES)}")
    body, feature_dim = _BODIES[arch](**arch_args)
    return EmbeddingNet(body, feature_dim, embedding_dim)
