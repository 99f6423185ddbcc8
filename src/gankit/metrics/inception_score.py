"""Inception Score (Salimans et al. 2016): exp(E_x KL(p(y|x) || p(y))), over 10 splits, mean and std, via
torchmetrics. High when each image is confidently one class and all classes appear. Computed with whichever
classifier the features come from (the small gankit classifiers for 28x28 data, or Inception-v3)."""
from __future__ import annotations

import warnings

import torch

from gankit.errors import GankitError
from gankit.metrics.distances import GivenFeatures


def inception_score(logits: torch.Tensor, splits: int = 10, seed: int = 0) -> tuple[float, float]:
    """(mean, std) of the IS over `splits` splits of class logits (N, K)."""
    if len(logits) < splits:
        raise GankitError(f"the Inception Score needs at least {splits} samples (one per split), got {len(logits)}")
    from torchmetrics.image.inception import InceptionScore  # here, not at the top: the CLI loads faster

    # normalize=False: the "images" are logits already; torchmetrics applies the softmax.
    with warnings.catch_warnings():  # its note that it keeps every feature: that is what the IS needs
        warnings.simplefilter("ignore", UserWarning)
        score = InceptionScore(feature=GivenFeatures(logits.shape[1]), splits=splits, normalize=False)
    score.update(logits.double())
    with torch.random.fork_rng(devices=[]):  # torchmetrics shuffles before splitting, from the global RNG
        torch.manual_seed(seed)
        mean, std = score.compute()
    return float(mean), float(std)
