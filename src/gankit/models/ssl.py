"""The K-class discriminator of semi-supervised GANs (Salimans et al. 2016, Section 5): DCGAN's D with its real/fake
head replaced by K class logits. The (K+1)-th class, "generated", has its logit fixed at 0 (Section 5: this
over-parameterisation costs nothing), so D(x) = Z(x) / (Z(x) + 1) with Z(x) = sum_k exp(logit_k).

Dropout after each block regularises the few-label classifier, as the paper's D does (dropout 0.2 on the input and
0.5 after each layer for CIFAR-10; Gaussian noise in the MNIST model).

The paper's MNIST nets are here too (openai/improved-gan, mnist_svhn_cifar10/train_mnist_feature_matching.py):
ImprovedGANDiscriminator, a weight-normalised MLP 784-1000-500-250-250-250-10 with Gaussian noise on its input and
after each hidden layer, and ImprovedGANGenerator, z -> 500 -> 500 (softplus, batch norm) -> 784 (sigmoid).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from gankit.models.dcgan import DCGANDiscriminator, init_dcgan_weights


class SSLDiscriminator(nn.Module):
    """Images in [-1, 1] -> (class logits (N, K), features (N, F)). The features are the last hidden layer, the one
    the feature-matching generator loss compares on real and generated data (Salimans et al. 3.1).

    The trunk's layers and their order are DCGAN D's (`features`), so a trained GAN's D trunk loads into it (the
    dropout layers hold no weights)."""

    def __init__(self, image_size: int = 28, channels: int = 1, width: int = 32, num_classes: int = 10,
                 norm: str = "batch", dropout: float = 0.0):
        super().__init__()
        self.num_classes = num_classes
        dcgan = DCGANDiscriminator(image_size, channels, width, norm=norm)
        layers: list[nn.Module] = [nn.Dropout(dropout * 0.4)] if dropout else []  # 0.2 on the input for 0.5
        for layer in dcgan.features:
            layers.append(layer)
            if dropout and isinstance(layer, nn.LeakyReLU):
                layers.append(nn.Dropout(dropout))
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.feature_dim = dcgan.feature_dim
        self.classifier = nn.Linear(self.feature_dim, num_classes)
        init_dcgan_weights(self)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x)
        return self.classifier(h), h


class GaussianNoise(nn.Module):
    """x + N(0, std^2) in train mode, x itself in eval mode (the paper's GaussianNoiseLayer, deterministic at test)."""

    def __init__(self, std: float):
        super().__init__()
        self.std = std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.std * torch.randn_like(x) if self.training and self.std else x

    def extra_repr(self) -> str:
        return f"std={self.std}"


def weight_scale(layer: nn.Linear) -> torch.Tensor:
    """g of w = g v / ||v|| (Salimans & Kingma 2016), one per output unit: weight_norm's original0, shape (out, 1)."""
    return layer.parametrizations.weight.original0


class ImprovedGANDiscriminator(nn.Module):
    """Images in [-1, 1] -> (class logits (N, K), features (N, 250)), the MNIST D of Salimans et al. (2016).

    Each layer is weight-normalised, w = g v / ||v|| (Salimans & Kingma 2016, PyTorch's parametrization), ReLU between
    them; Gaussian noise of std 0.3 on the input (rescaled to [0, 1], their data's range) and 0.5 after each hidden
    layer, in train mode only. As in their code, a hidden layer's g is fixed after the data-dependent initialisation
    (`data_dependent_init`) and only the class layer's g is learnt. The features are the last hidden layer's ReLU
    output, before its noise: the layer their generator's feature matching reads."""

    hidden = (1000, 500, 250, 250, 250)

    def __init__(self, image_size: int = 28, channels: int = 1, num_classes: int = 10, input_noise: float = 0.3,
                 hidden_noise: float = 0.5):
        super().__init__()
        self.num_classes, self.feature_dim = num_classes, self.hidden[-1]
        sizes = (channels * image_size * image_size, *self.hidden, num_classes)
        self.layers = nn.ModuleList()
        for n_in, n_out in zip(sizes, sizes[1:]):
            linear = nn.Linear(n_in, n_out)
            nn.init.normal_(linear.weight, std=0.1)  # their theta ~ N(0, 0.1); only its direction survives the norm
            nn.init.zeros_(linear.bias)
            self.layers.append(weight_norm(linear))
        for layer in self.layers[:-1]:
            weight_scale(layer).requires_grad_(False)
        self.noise = nn.ModuleList([GaussianNoise(input_noise)] + [GaussianNoise(hidden_noise) for _ in self.hidden])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = (x.flatten(1) + 1) / 2
        for noise, layer in zip(self.noise, self.layers[:-1]):
            h = F.relu(layer(noise(h)))
        return self.layers[-1](self.noise[-1](h)), h

    @torch.no_grad()
    def data_dependent_init(self, x: torch.Tensor, noise: bool = False) -> None:
        """Salimans & Kingma (2016, Section 3): layer by layer, set g and b so that the pre-activations on the batch x
        have mean 0 and variance 1 per unit, g <- g / sigma, b <- (b - mu) / sigma. By default the noise is left out,
        so the statistics are those of the net in eval mode; noise=True draws it, as their code's init pass does
        (the hidden layers' g then come out smaller, and they stay fixed)."""
        h = (x.flatten(1) + 1) / 2
        for i, layer in enumerate(self.layers):
            if noise:
                h = h + self.noise[i].std * torch.randn_like(h)
            t = layer(h)
            mean, std = t.mean(0), t.std(0, unbiased=False).clamp_min(1e-8)
            weight_scale(layer).div_(std[:, None])
            layer.bias.sub_(mean).div_(std)
            h = F.relu(layer(h))


class ImprovedGANGenerator(nn.Module):
    """z (N, z_dim) ~ N(0, I) -> images (N, channels, size, size) in [-1, 1], the MNIST G of Salimans et al. (2016).

    Their z is uniform on [0, 1)^100: z here is gankit's usual normal noise, mapped to that uniform by the normal CDF,
    so every tool that samples N(0, I) drives this G. Two layers of 500 softplus units with batch normalisation
    (a learnt shift, no scale, as theirs), and a weight-normalised output layer, its g starting at 1, through a
    sigmoid, 2 sigmoid - 1 here to land in [-1, 1]."""

    def __init__(self, z_dim: int = 100, image_size: int = 28, channels: int = 1, hidden: int = 500):
        super().__init__()
        self.z_dim, self.shape = z_dim, (channels, image_size, image_size)
        blocks: list[nn.Module] = []
        for n_in in (z_dim, hidden):
            linear = nn.Linear(n_in, hidden, bias=False)  # batch norm's shift is the bias
            norm = nn.BatchNorm1d(hidden)
            norm.weight.requires_grad_(False)
            blocks += [linear, norm, nn.Softplus()]
        self.body = nn.Sequential(*blocks)
        out = nn.Linear(hidden, channels * image_size * image_size)
        nn.init.zeros_(out.bias)
        self.out = weight_norm(out)
        with torch.no_grad():
            weight_scale(self.out).fill_(1.0)
        for layer in (*self.body, out):
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.parametrizations.weight.original1 if layer is out else layer.weight)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        u = torch.special.ndtr(z)  # N(0, 1) -> U(0, 1)
        return (2 * torch.sigmoid(self.out(self.body(u))) - 1).view(-1, *self.shape)
