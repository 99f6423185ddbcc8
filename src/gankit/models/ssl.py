"""The K-class discriminator of semi-supervised GANs (Salimans et al. 2016, Section 5): DCGAN's D with its real/fake
head replaced by K class logits. The (K+1)-th class, "generated", has its logit fixed at 0 (Section 5: this
over-parameterisation costs nothing), so D(x) = Z(x) / (Z(x) + 1) with Z(x) = sum_k exp(logit_k).

Dropout after each block regularises the few-label classifier, as the paper's D does (dropout 0.2 on the input and
0.5 after each layer for CIFAR-10; Gaussian noise in the MNIST model).
"""
from __future__ import annotations

import torch
from torch import nn

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
