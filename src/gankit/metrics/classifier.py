"""The small classifier whose layers measure 28x28 images, as Inception-v3 measures photographs.

FID, KID and precision/recall read its 128-d penultimate layer (after the ReLU, like Inception's pool3 features);
the Inception Score and class coverage read its class probabilities. An MNIST-sized stand-in for Inception is the
usual choice for small images (e.g. the LeNet used for MNIST scores in Odena et al. 2017 and Li et al. 2017).
Weights are trained by scripts/train_feature_classifier.py and shipped in gankit/weights/.
"""
from __future__ import annotations

import torch
from torch import nn

IMAGE_SHAPE = (1, 28, 28)
NUM_FEATURES = 128


class Classifier(nn.Module):
    """Two conv-pool blocks, a 128-unit feature layer, a linear class layer. Takes images in [-1, 1]."""

    def __init__(self, num_classes: int = 10, num_features: int = NUM_FEATURES, in_channels: int = 1):
        super().__init__()
        self.num_features, self.num_classes, self.in_channels = num_features, num_classes, in_channels
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 28 -> 14
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 14 -> 7
            nn.Flatten(), nn.Linear(32 * 7 * 7, num_features), nn.ReLU(),
        )
        self.dropout = nn.Dropout(0.5)
        self.head = nn.Linear(num_features, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def logits_from_features(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits_from_features(self.features(x))
