"""Improved precision and recall (Kynkaanniemi et al. 2019, sec. 2, k = 3).

Each feature set approximates its manifold by the union of balls around its points, each ball's radius the distance
to the point's k-th nearest neighbour in the same set. Precision is the share of generated samples inside the real
manifold (how realistic), recall the share of real samples inside the generated manifold (how much is covered).
"""
from __future__ import annotations

import torch

from gankit.errors import GankitError

_ROWS = 1024  # rows of the distance matrix held at once


def _radii(features: torch.Tensor, k: int) -> torch.Tensor:
    # the (k+1)-th smallest distance of each point: the first is the point itself, at 0
    return torch.cat([torch.cdist(chunk, features).kthvalue(k + 1, dim=1).values for chunk in features.split(_ROWS)])


def _inside(queries: torch.Tensor, points: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """Per query: does it lie within radius of some point (|q - p| <= r_p)?"""
    return torch.cat([(torch.cdist(chunk, points) <= radii).any(dim=1) for chunk in queries.split(_ROWS)])


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> tuple[float, float]:
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise GankitError(f"precision/recall needs two feature sets (N, D) of the same D, "
                          f"got {tuple(real.shape)} and {tuple(fake.shape)}")
    if min(len(real), len(fake)) <= k:
        raise GankitError(f"precision/recall with k={k} needs more than {k} samples on each side")
    real, fake = real.float(), fake.float()  # float32 distances: ranks and radii need no more
    precision = _inside(fake, real, _radii(real, k)).double().mean()
    recall = _inside(real, fake, _radii(fake, k)).double().mean()
    return float(precision), float(recall)
