"""The latent space of any trained generator (GAN or VAE): interpolation, inversion, vector arithmetic.

    import gankit, gankit.latent as latent
    run = gankit.load("runs/digits-dcgan-...")
    frames = latent.interpolate(run, 0, 1, steps=10)              # seeds, codes (d,) or images (C, H, W)
    inv = latent.invert(run, images)                              # inv.z, inv.reconstructions, inv.mse
    v = latent.vector_from_attribute(run, "ink", per_class=True)  # stroke thickness
    thicker = latent.decode(run, inv.z + v)

The same on the command line: `gankit interpolate`, `gankit invert`, `gankit arithmetic` (gankit.latent.command).
"""
from __future__ import annotations

from pathlib import Path

import torch

from gankit.errors import GankitError
from gankit.latent.arithmetic import (ATTRIBUTES, attribute_shift, concept_vector, ink, vector_from_attribute)
from gankit.latent.codes import decode, read_images
from gankit.latent.interpolation import lerp, path, save_gif, slerp
from gankit.latent.inversion import Inversion, encode, invert, project_to_sphere
from gankit.runs import Run, load

__all__ = ["interpolate", "code", "invert", "Inversion", "encode", "decode", "read_images", "lerp", "slerp", "path",
           "save_gif", "project_to_sphere", "concept_vector", "vector_from_attribute", "attribute_shift", "ink",
           "ATTRIBUTES", "as_run"]


def as_run(run: Run | str | Path) -> Run:
    return run if isinstance(run, Run) else load(run)


def code(run: Run, end: int | torch.Tensor, label: int | None = None, **inversion) -> torch.Tensor:
    """A latent code (d,) from a seed (z ~ N(0, I) drawn with it), a code, or an image (C, H, W) to encode."""
    if isinstance(end, int):
        return torch.randn(run.recipe.z_dim, generator=torch.Generator().manual_seed(end))
    end = torch.as_tensor(end).float()
    if end.shape == (run.recipe.z_dim,):
        return end
    if tuple(end.shape) == tuple(run.data_shape):
        return encode(run, end[None], label, **inversion)[0]
    raise GankitError(f"an end of an interpolation is a seed, a code of {run.recipe.z_dim} numbers or an image of "
                      f"shape {tuple(run.data_shape)}; got shape {tuple(end.shape)}")


def interpolate(run: Run | str | Path, start: int | torch.Tensor, end: int | torch.Tensor, steps: int = 10,
                method: str = "slerp", label: int | None = None, **inversion) -> torch.Tensor:
    """Images (steps, C, H, W) in [-1, 1] along the path between the codes of `start` and `end`."""
    run = as_run(run)
    z0, z1 = code(run, start, label, **inversion), code(run, end, label, **inversion)
    return decode(run, path(z0, z1, steps, method), label)
