"""The variational autoencoder of Kingma & Welling (2014): an encoder q(z|x) and a decoder p(x|z).

The encoder gives the mean and log-variance of a diagonal Gaussian q(z|x) = N(mu, diag(sigma^2)). The decoder gives
the parameters of p(x|z), one per pixel: Bernoulli logits, or the mean of a Gaussian whose one scale sigma_x is
learned beside the weights (the "calibrated decoder" of Rybkin et al. 2021, which sets the balance of
reconstruction and KL by maximum likelihood instead of by hand). Losses live in the VAE recipe; these are plain nets.

Two shapes, chosen by model.arch:
  vae-mlp    the paper's MNIST nets (Appendix C.2): fully connected, `depth` hidden layers of `width` units
  vae-conv   DCGAN's layer shapes (Radford et al. 2016): strided convolutions down in the encoder, fractional-strided
             ones up in the decoder, so a VAE and a GAN of the same `width` have decoders/generators of one shape.
             No BatchNorm: q(z|x) of an image must not depend on the rest of its batch.

`decoder(z)` is what sampling and the progress grids use: the mean image E[x|z] in [-1, 1] (data in gankit are in
[-1, 1]; a Bernoulli pixel's mean sigmoid(logit) in [0, 1] is mapped by 2p - 1).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models.dcgan import _down, _up, check_image_size

LIKELIHOODS = ("bernoulli", "gaussian")


class MLPEncoder(nn.Module):
    def __init__(self, image_shape: tuple[int, ...], z_dim: int, width: int = 400, depth: int = 1):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        d_in = math.prod(image_shape)
        for _ in range(depth):
            layers += [nn.Linear(d_in, width), nn.ReLU(True)]
            d_in = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(d_in, 2 * z_dim)  # mu and log sigma^2, side by side

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.head(self.body(x)).chunk(2, dim=1)
        return mu, logvar


class ConvEncoder(nn.Module):
    def __init__(self, image_shape: tuple[int, ...], z_dim: int, width: int = 32):
        super().__init__()
        channels, size, _ = image_shape
        sizes = check_image_size(size)[::-1]
        c = width
        layers: list[nn.Module] = [_down(sizes[0], sizes[1], channels, c, bias=True), nn.LeakyReLU(0.2, True)]
        for i in range(1, len(sizes) - 1):
            layers += [_down(sizes[i], sizes[i + 1], c, c * 2, bias=True), nn.LeakyReLU(0.2, True)]
            c *= 2
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(c * 16, 2 * z_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.head(self.body(x)).chunk(2, dim=1)
        return mu, logvar


class Decoder(nn.Module):
    """z -> the parameters of p(x|z). `forward(z)` is the mean image in [-1, 1]; `logits(z)` the raw output."""

    def __init__(self, net: nn.Module, z_dim: int, image_shape: tuple[int, ...], likelihood: str):
        super().__init__()
        self.net, self.z_dim, self.num_classes = net, z_dim, 0
        self.image_shape, self.likelihood = tuple(image_shape), likelihood
        # log sigma_x of the Gaussian p(x|z) = N(mean, sigma_x^2 I); Bernoulli has no such parameter.
        self.log_sigma = nn.Parameter(torch.zeros(())) if likelihood == "gaussian" else None

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, *self.image_shape)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        out = self.logits(z)
        return 2 * torch.sigmoid(out) - 1 if self.likelihood == "bernoulli" else torch.tanh(out)


def mlp_decoder_net(z_dim: int, image_shape: tuple[int, ...], width: int = 400, depth: int = 1) -> nn.Module:
    layers: list[nn.Module] = []
    d_in = z_dim
    for _ in range(depth):
        layers += [nn.Linear(d_in, width), nn.ReLU(True)]
        d_in = width
    return nn.Sequential(*layers, nn.Linear(d_in, math.prod(image_shape)))


def conv_decoder_net(z_dim: int, image_shape: tuple[int, ...], width: int = 32) -> nn.Module:
    channels, size, _ = image_shape
    sizes = check_image_size(size)
    n_up = len(sizes) - 1
    c = width * 2 ** (n_up - 1)
    # As DCGAN's G: z is a 1x1 image that a fractional-strided convolution projects to c x 4 x 4.
    layers: list[nn.Module] = [nn.Unflatten(1, (z_dim, 1, 1)), nn.ConvTranspose2d(z_dim, c, 4, 1, 0), nn.ReLU(True)]
    for i in range(n_up - 1):
        layers += [_up(sizes[i], sizes[i + 1], c, c // 2), nn.ReLU(True)]
        c //= 2
    layers.append(_up(sizes[-2], sizes[-1], c, channels))
    return nn.Sequential(*layers)


def build_vae(arch: str, image_shape: tuple[int, ...], z_dim: int, width: int, depth: int,
              likelihood: str) -> tuple[nn.Module, Decoder]:
    """(encoder, decoder) for images of `image_shape` (C, H, W)."""
    if arch == "vae-mlp":
        encoder = MLPEncoder(image_shape, z_dim, width, depth)
        net = mlp_decoder_net(z_dim, image_shape, width, depth)
    elif arch == "vae-conv":
        if image_shape[1] != image_shape[2]:
            raise GankitError(f"vae-conv needs square images, got {image_shape[1]}x{image_shape[2]}")
        encoder = ConvEncoder(image_shape, z_dim, width)
        net = conv_decoder_net(z_dim, image_shape, width)
    else:
        raise GankitError(f"the VAE recipe builds model.arch vae-mlp or vae-conv, not {arch!r}")
    return encoder, Decoder(net, z_dim, image_shape, likelihood)
