"""Fully-connected nets: the MNIST GAN of Goodfellow et al. (2014) and small MLPs for toy distributions.

Goodfellow et al.'s generator is z(100) -> ReLU 1200 -> ReLU 1200 -> sigmoid 784 and the discriminator two maxout
layers (240 units x 5 pieces) with dropout, then one output (their code: the pylearn2 `mnist.yaml`). The paper's data
live in [0, 1]; gankit keeps every image in [-1, 1], so the sigmoid output is mapped by 2s - 1.
"""
from __future__ import annotations

import math

import torch
from torch import nn


class Maxout(nn.Module):
    """max over `pieces` affine maps (Goodfellow et al. 2013)."""

    def __init__(self, d_in: int, units: int, pieces: int):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(d_in, units * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(-1, self.units, self.pieces).amax(-1)


class GoodfellowGenerator(nn.Module):
    def __init__(self, z_dim: int = 100, image_shape: tuple[int, ...] = (1, 28, 28), hidden: int = 1200):
        super().__init__()
        self.z_dim, self.num_classes, self.image_shape = z_dim, 0, tuple(image_shape)
        self.net = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(True), nn.Linear(hidden, hidden), nn.ReLU(True),
                                 nn.Linear(hidden, math.prod(image_shape)), nn.Sigmoid())

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return (2 * self.net(z) - 1).view(-1, *self.image_shape)


class GoodfellowDiscriminator(nn.Module):
    def __init__(self, image_shape: tuple[int, ...] = (1, 28, 28), units: int = 240, pieces: int = 5,
                 dropout: float = 0.5, input_dropout: float = 0.2):
        super().__init__()
        self.num_classes, self.acgan = 0, False
        self.net = nn.Sequential(nn.Flatten(), nn.Dropout(input_dropout), Maxout(math.prod(image_shape), units, pieces),
                                 nn.Dropout(dropout), Maxout(units, units, pieces), nn.Dropout(dropout),
                                 nn.Linear(units, 1))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).flatten()


def _mlp(d_in: int, d_out: int, hidden: int, depth: int, act: type[nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(d_in if i == 0 else hidden, hidden), act()]
    layers.append(nn.Linear(hidden if depth else d_in, d_out))
    return nn.Sequential(*layers)


class ToyGenerator(nn.Module):
    """z -> points, for 1-D and 2-D toy distributions (the mode-collapse experiments' 3-4 layer MLPs)."""

    def __init__(self, z_dim: int = 2, out_dim: int = 2, hidden: int = 128, depth: int = 3):
        super().__init__()
        self.z_dim, self.num_classes, self.out_dim = z_dim, 0, out_dim
        self.net = _mlp(z_dim, out_dim, hidden, depth, nn.ReLU)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z)


class ToyDiscriminator(nn.Module):
    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 3, pack: int = 1):
        super().__init__()
        # PacGAN (Lin et al. 2018): D judges `pack` samples at once, concatenated, which exposes missing modes.
        self.num_classes, self.acgan, self.pack = 0, False, pack
        self.net = _mlp(in_dim * pack, 1, hidden, depth, lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x.reshape(-1, x.shape[-1] * self.pack)).flatten()
