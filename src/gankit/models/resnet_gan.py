"""A residual G and D in the style of SNGAN (Miyato et al. 2018, Appendix B.4, Table 4) for 28 and 32 px.

The blocks are those of Gulrajani et al. (2017) that SNGAN and BigGAN build on:
  G block:  BN -> ReLU -> upsample x2 -> conv3x3 -> BN -> ReLU -> conv3x3,   shortcut: upsample x2 -> conv1x1
  D block:  ReLU -> conv3x3 -> ReLU -> conv3x3 -> avg-pool x2,               shortcut: conv1x1 -> avg-pool x2
D's first block has no ReLU before its first conv (it sees the image), and its shortcut pools before the conv; D ends
in ReLU, a sum over positions and a linear layer to one logit. With model.d_norm=spectral every layer of D is
spectrally normalised, as in SNGAN; D has no BatchNorm in any case.

G starts from z -> linear -> width x 7 x 7 (28 px) or width x 4 x 4 (32 px, one more block), `width` channels all
the way, as in SNGAN's CIFAR nets (there 256 in G, 128 in D).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gankit.errors import GankitError
from gankit.models.dcgan import add_spectral_norm

START = {28: 7, 32: 4}  # G's first spatial size; each block doubles it


class GBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(channels), nn.BatchNorm2d(channels)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.shortcut = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x)), scale_factor=2)
        h = self.conv2(F.relu(self.bn2(self.conv1(h))))
        return h + self.shortcut(F.interpolate(x, scale_factor=2))


class DBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, down: bool, first: bool = False):
        super().__init__()
        self.down, self.first = down, first
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1) if down or c_in != c_out else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(F.relu(self.conv1(x if self.first else F.relu(x))))
        if self.down:
            h = F.avg_pool2d(h, 2)
        s = x
        if self.shortcut is not None:
            # The first block pools the image before its 1x1 conv (SNGAN's "optimized" block); the others after.
            s = self.shortcut(F.avg_pool2d(s, 2) if self.first and self.down else s)
            s = F.avg_pool2d(s, 2) if self.down and not self.first else s
        return h + s


def _check(image_size: int) -> int:
    if image_size not in START:
        raise GankitError(f"the sngan-resnet nets support image sizes {sorted(START)}, not {image_size}")
    return START[image_size]


class ResNetGenerator(nn.Module):
    def __init__(self, z_dim: int = 128, image_size: int = 32, channels: int = 3, width: int = 64):
        super().__init__()
        start = _check(image_size)
        self.z_dim, self.num_classes, self.start, self.width = z_dim, 0, start, width
        self.image_shape = (channels, image_size, image_size)
        self.linear = nn.Linear(z_dim, width * start * start)
        blocks = image_size.bit_length() - start.bit_length()  # doublings from start to image_size: 2 or 3
        self.blocks = nn.Sequential(*[GBlock(width) for _ in range(blocks)])
        self.out = nn.Sequential(nn.BatchNorm2d(width), nn.ReLU(), nn.Conv2d(width, channels, 3, padding=1), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.linear(z).view(-1, self.width, self.start, self.start)
        return self.out(self.blocks(h))


class ResNetDiscriminator(nn.Module):
    """Returns logits (N,)."""

    def __init__(self, image_size: int = 32, channels: int = 3, width: int = 64, norm: str = "spectral"):
        super().__init__()
        _check(image_size)
        self.num_classes = 0
        # 28 -> 14 -> 7 (or 32 -> 16 -> 8), then two blocks at that size (SNGAN's CIFAR D).
        self.blocks = nn.Sequential(DBlock(channels, width, down=True, first=True), DBlock(width, width, down=True),
                                    DBlock(width, width, down=False), DBlock(width, width, down=False))
        self.linear = nn.Linear(width, 1)
        if norm == "spectral":
            add_spectral_norm(self)
        elif norm != "none":
            raise GankitError(f"the sngan-resnet D has no normalisation layers; model.d_norm must be spectral or "
                              f"none, got {norm}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.blocks(x)).sum(dim=(2, 3))  # a sum, not a mean, over positions (SNGAN's global pooling)
        return self.linear(h).flatten()
