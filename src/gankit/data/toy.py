"""Toy distributions: low-dimensional test beds where mode collapse can be seen and counted.

Most are mixtures of equal-weight isotropic Gaussians; a point's label is the index of the mode it was drawn from.
The metrics read the same centres and std through `toy_modes` (a mode counts as captured when generated points land
within 3 std of it, as in VEEGAN and PacGAN).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from gankit.data.dataset import Dataset
from gankit.errors import GankitError


@dataclass(frozen=True)
class Mixture:
    centres: torch.Tensor  # (K, D) float32, one row per mode
    std: float


def _ring(modes: int, radius: float) -> torch.Tensor:
    angles = torch.arange(modes) * (2 * math.pi / modes)
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def _grid(values: list[float]) -> torch.Tensor:
    v = torch.tensor(values)
    return torch.cartesian_prod(v, v)


MIXTURES = {
    "gaussian1d": Mixture(torch.zeros(1, 1), 1.0),
    "gaussian-mixture1d": Mixture(torch.tensor([[-4.0], [0.0], [4.0]]), 0.5),
    # VEEGAN (Srivastava et al. 2017, sec. 5.1), reused by PacGAN (Lin et al. 2018): 8 modes on a circle of radius 2,
    # and a 5x5 grid of modes two apart; each std is small enough that 3 std never reaches a neighbour.
    "ring8": Mixture(_ring(8, 2.0), 0.02),
    "grid25": Mixture(_grid([-4.0, -2.0, 0.0, 2.0, 4.0]), 0.05),
}
TOY_DATASETS = [*MIXTURES, "spiral"]


def toy_modes(name: str) -> tuple[torch.Tensor, float]:
    """(centres (K, D), std) of a toy mixture."""
    if name not in MIXTURES:
        raise GankitError(f"'{name}' has no discrete modes; toy data sets with modes: {', '.join(MIXTURES)}")
    return MIXTURES[name].centres.clone(), MIXTURES[name].std


def sample_toy(name: str, n: int = 50_000, seed: int = 0) -> Dataset:
    """n points of toy distribution `name`, the same n points for the same seed."""
    if name not in TOY_DATASETS:
        raise GankitError(f"unknown toy data set '{name}'; choose one of {', '.join(TOY_DATASETS)}")
    if n < 1:
        raise GankitError(f"a toy data set needs n >= 1 points, not {n}")
    generator = torch.Generator().manual_seed(seed)
    if name == "spiral":
        return Dataset(spiral(n, generator), None, None, name)
    mixture = MIXTURES[name]
    y = torch.randint(len(mixture.centres), (n,), generator=generator)
    x = mixture.centres[y] + mixture.std * torch.randn(n, mixture.centres.shape[1], generator=generator)
    return Dataset(x, y, [_mode_name(centre) for centre in mixture.centres], name)


def spiral(n: int, generator: torch.Generator, noise: float = 0.25, scale: float = 7.5) -> torch.Tensor:
    """The 2-D Swiss roll of the WGAN-GP toy experiments (Gulrajani et al. 2017): the roll's angle t is uniform in
    [1.5 pi, 4.5 pi], its radius is t, Gaussian noise is added, and the whole is divided by `scale` to fit in [-2, 2]."""
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
    points = torch.stack([t * t.cos(), t * t.sin()], dim=1) + noise * torch.randn(n, 2, generator=generator)
    return points / scale


def _mode_name(centre: torch.Tensor) -> str:
    return "(" + ", ".join(f"{round(v, 2) + 0.0:g}" for v in centre.tolist()) + ")"  # + 0.0 turns -0.0 into 0
