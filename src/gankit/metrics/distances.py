"""FID and KID: distances between the feature distributions of real and generated images, via torchmetrics.

FID (Heusel et al. 2017): fit a Gaussian to each feature set, d^2 = |mu_r - mu_g|^2 + Tr(S_r + S_g - 2 (S_r S_g)^1/2).
KID (Binkowski et al. 2018): the unbiased estimate of the squared MMD with the cubic polynomial kernel
k(x, y) = (x.y / d + 1)^3, averaged over random subsets (mean and std over subsets).
Both take features already extracted (gankit.metrics.features), so one extraction serves every metric.
torchmetrics is imported where it is used, so the CLI does not pay for it on every command.
"""
from __future__ import annotations

import warnings

import torch
from torch import nn

from gankit.errors import GankitError


class GivenFeatures(nn.Module):
    """A torchmetrics `feature=` module for features computed beforehand: it passes them through."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def _check(real: torch.Tensor, fake: torch.Tensor, metric: str) -> None:
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise GankitError(f"{metric} needs two feature sets (N, D) of the same D, "
                          f"got {tuple(real.shape)} and {tuple(fake.shape)}")


def frechet_distance(real: torch.Tensor, fake: torch.Tensor) -> float:
    """FID between feature sets (N, D) and (M, D). Each set needs more samples than features, or its covariance is
    singular and the distance means little."""
    _check(real, fake, "FID")
    dim = real.shape[1]
    for name, features in (("real", real), ("generated", fake)):
        if len(features) <= dim:
            raise GankitError(f"FID needs more {name} samples than features: {len(features)} samples of "
                              f"{dim}-d features; use --n above {dim}")
    from torchmetrics.image.fid import FrechetInceptionDistance

    fid = FrechetInceptionDistance(feature=GivenFeatures(dim))
    fid.update(real.double(), real=True)
    fid.update(fake.double(), real=False)
    return float(fid.compute())


def kernel_distance(real: torch.Tensor, fake: torch.Tensor, subsets: int = 100, subset_size: int = 1000,
                    seed: int = 0) -> tuple[float, float]:
    """(mean, std) of KID over `subsets` random subsets of min(subset_size, N, M) samples from each side."""
    _check(real, fake, "KID")
    size = min(subset_size, len(real), len(fake))
    if size < 2:
        raise GankitError(f"KID needs at least 2 samples on each side, got {len(real)} and {len(fake)}")
    from torchmetrics.image.kid import KernelInceptionDistance

    with warnings.catch_warnings():  # its note that it keeps every feature: that is what KID needs
        warnings.simplefilter("ignore", UserWarning)
        kid = KernelInceptionDistance(feature=GivenFeatures(real.shape[1]), subsets=subsets, subset_size=size,
                                      degree=3, gamma=None, coef=1.0)
    kid.update(real.double(), real=True)
    kid.update(fake.double(), real=False)
    with torch.random.fork_rng(devices=[]):  # torchmetrics draws the subsets from the global RNG
        torch.manual_seed(seed)
        mean, std = kid.compute()
    return float(mean), float(std)
