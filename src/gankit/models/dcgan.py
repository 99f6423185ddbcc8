"""DCGAN, as Radford et al. (2016) describe it, for 28, 32 and 64 px and 1 or 3 channels.

The paper's rules (Section 3): no pooling (strided convolutions in D, fractional-strided ones in G); BatchNorm in
both nets except the G output layer and the D input layer; ReLU in G with a tanh output; LeakyReLU(0.2) in D; no hidden
fully-connected layers; weights drawn from N(0, 0.02).

`width` is the channel count of the layer next to the image; each step toward 4x4 doubles it. At 64 px with
width=128 the generator is exactly the paper's Figure 1: z(100) -> 1024x4x4 -> 512x8x8 -> 256x16x16 -> 128x32x32 -> 3x64x64.

Conditional variants (Mirza & Osindero 2014) feed a learned label embedding to G beside z. D conditions by the
projection of Miyato & Koyama (2018): logit += <embed(y), features>. With `acgan=True` D also has an auxiliary
classifier head (Odena et al. 2017).

D's hidden layers are normalised by `norm`: batch (the paper), layer (WGAN-GP's critic), none, or spectral (Miyato et
al. 2018), which divides every layer's weight by its largest singular value instead of normalising activations.
"""
from __future__ import annotations

import torch
from torch import nn

from gankit.errors import GankitError

# Spatial sizes from the 4x4 seed up to the image. 28 px goes 4 -> 7 with a 3x3 kernel (the only odd step).
SIZES = {28: [4, 7, 14, 28], 32: [4, 8, 16, 32], 64: [4, 8, 16, 32, 64]}


def _up(size_in: int, size_out: int, c_in: int, c_out: int) -> nn.ConvTranspose2d:
    kernel = 3 if (size_in, size_out) == (4, 7) else 4
    return nn.ConvTranspose2d(c_in, c_out, kernel, stride=2, padding=1, bias=False)


def _down(size_in: int, size_out: int, c_in: int, c_out: int, bias: bool) -> nn.Conv2d:
    kernel = 3 if (size_in, size_out) == (7, 4) else 4
    return nn.Conv2d(c_in, c_out, kernel, stride=2, padding=1, bias=bias)


def _norm(kind: str, channels: int) -> nn.Module:
    """The normalisation after a hidden conv of D. "spectral" adds none here: it rescales the weights instead."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":  # WGAN-GP's critic: the penalty is per sample, so no batch statistics (Gulrajani et al. 4)
        return nn.GroupNorm(1, channels)
    return nn.Identity()


def init_dcgan_weights(module: nn.Module) -> None:
    """N(0, 0.02) for conv weights; BatchNorm scale N(1, 0.02), shift 0 (the pytorch/examples reading of the paper)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def add_spectral_norm(module: nn.Module) -> None:
    """Spectral normalisation (Miyato et al. 2018) of every conv, linear and embedding layer: W / sigma(W), sigma
    the largest singular value, estimated by one power iteration per training forward pass (their Algorithm 1), so
    that each layer, and D as a whole, is at most 1-Lipschitz. The power iteration's vectors u and v are buffers:
    checkpoints hold them and a resumed run continues the same estimate."""
    for m in list(module.modules()):
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding)):
            nn.utils.parametrizations.spectral_norm(m)


def check_image_size(image_size: int) -> list[int]:
    if image_size not in SIZES:
        raise GankitError(f"DCGAN supports image sizes {sorted(SIZES)}, not {image_size}")
    return SIZES[image_size]


class DCGANGenerator(nn.Module):
    def __init__(self, z_dim: int = 100, image_size: int = 64, channels: int = 3, width: int = 64,
                 num_classes: int = 0):
        super().__init__()
        sizes = check_image_size(image_size)
        self.z_dim, self.num_classes = z_dim, num_classes
        self.image_shape = (channels, image_size, image_size)
        n_up = len(sizes) - 1
        c = width * 2 ** (n_up - 1)
        self.embed = nn.Embedding(num_classes, num_classes) if num_classes else None
        # z is a 1x1 "image": the first fractional-strided conv projects it to c x 4 x 4 (no hidden linear layer).
        layers: list[nn.Module] = [nn.ConvTranspose2d(z_dim + num_classes, c, 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(c), nn.ReLU(True)]
        for i in range(n_up - 1):
            layers += [_up(sizes[i], sizes[i + 1], c, c // 2), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
            c //= 2
        layers += [_up(sizes[-2], sizes[-1], c, channels), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            if y is None:
                raise ValueError("a conditional generator needs labels y")
            z = torch.cat([z, self.embed(y)], dim=1)
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """Returns logits (N,); with acgan=True, (logits, class_logits)."""

    def __init__(self, image_size: int = 64, channels: int = 3, width: int = 64, num_classes: int = 0,
                 acgan: bool = False, norm: str = "batch"):
        super().__init__()
        sizes = check_image_size(image_size)[::-1]
        self.num_classes, self.acgan = num_classes, acgan
        c = width
        # No normalisation on the input layer (Radford et al. 3).
        layers: list[nn.Module] = [_down(sizes[0], sizes[1], channels, c, bias=True), nn.LeakyReLU(0.2, True)]
        for i in range(1, len(sizes) - 1):
            layers += [_down(sizes[i], sizes[i + 1], c, c * 2, bias=norm in ("none", "spectral")), _norm(norm, c * 2),
                       nn.LeakyReLU(0.2, True)]
            c *= 2
        self.features = nn.Sequential(*layers)
        self.feature_dim = c * 16
        self.head = nn.Conv2d(c, 1, 4, 1, 0)  # 4x4 -> 1 logit, a convolution rather than a hidden linear layer
        self.embed = nn.Embedding(num_classes, self.feature_dim) if num_classes and not acgan else None
        self.classifier = nn.Linear(self.feature_dim, num_classes) if acgan else None
        if acgan and not num_classes:
            raise GankitError("an ACGAN discriminator needs a labelled data set (num_classes > 0)")
        init_dcgan_weights(self)
        if norm == "spectral":
            add_spectral_norm(self)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        h = self.features(x)
        logits = self.head(h).flatten()
        if self.embed is not None:
            if y is None:
                raise ValueError("a conditional discriminator needs labels y")
            logits = logits + (self.embed(y) * h.flatten(1)).sum(1)
        if self.classifier is not None:
            return logits, self.classifier(h.flatten(1))
        return logits
