"""Walking the latent space between two codes: linear and spherical interpolation, as a grid and an animated GIF.

z ~ N(0, I_d) concentrates near the sphere of radius sqrt(d), and a straight line between two such codes passes
well inside it (its midpoint has norm about sqrt(d/2)), where the generator saw few codes during training. The
spherical path of White (2016, "Sampling Generative Networks") follows the great circle instead: the direction moves
at constant angular speed and the norm goes linearly from |z0| to |z1|, so two typical codes stay typical throughout.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gankit import images
from gankit.errors import GankitError
from gankit.files import atomic_path

METHODS = ("slerp", "lerp")


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    return (1 - t) * z0 + t * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Great-circle interpolation of the directions (Shoemake 1985), norms interpolated linearly. Works on the last
    dimension; t broadcasts against z0[..., :1]."""
    n0, n1 = z0.norm(dim=-1, keepdim=True), z1.norm(dim=-1, keepdim=True)
    u0, u1 = z0 / n0, z1 / n1
    omega = torch.arccos((u0 * u1).sum(-1, keepdim=True).clamp(-1, 1))
    t = torch.as_tensor(t, dtype=z0.dtype)
    sin_omega = torch.sin(omega)
    on_circle = (torch.sin((1 - t) * omega) * u0 + torch.sin(t * omega) * u1) / sin_omega.clamp_min(1e-7)
    # Nearly parallel codes: the circle's arc is a straight segment; normalise the chord instead of dividing by ~0.
    chord = lerp(u0, u1, t)
    direction = torch.where(sin_omega > 1e-4, on_circle, chord / chord.norm(dim=-1, keepdim=True).clamp_min(1e-12))
    return lerp(n0, n1, t) * direction


def path(z0: torch.Tensor, z1: torch.Tensor, steps: int, method: str = "slerp") -> torch.Tensor:
    """(steps, d): `steps` codes from z0 to z1, both ends included."""
    if method not in METHODS:
        raise GankitError(f"interpolation method must be {' or '.join(METHODS)}, got {method!r}")
    if steps < 2:
        raise GankitError(f"an interpolation needs at least 2 steps, got {steps}")
    t = torch.linspace(0, 1, steps, dtype=z0.dtype)[:, None]
    return (slerp if method == "slerp" else lerp)(z0[None], z1[None], t)


def save_gif(frames: torch.Tensor, path: str | Path, scale: int = 4, duration_ms: int = 80,
             bounce: bool = True) -> None:
    """Frames (N, C, H, W) in [-1, 1] as a looping GIF; `bounce` plays them forward then back."""
    arrays = images.to_uint8(frames).transpose(0, 2, 3, 1)  # N, H, W, C
    if scale > 1:
        arrays = arrays.repeat(scale, 1).repeat(scale, 2)
    order = list(range(len(arrays))) + (list(range(len(arrays) - 2, 0, -1)) if bounce else [])
    pictures = [Image.fromarray(a[..., 0] if a.shape[-1] == 1 else a) for a in (arrays[i] for i in order)]
    with atomic_path(path) as tmp:
        pictures[0].save(tmp, format="GIF", save_all=True, append_images=pictures[1:], duration=duration_ms, loop=0)


def grid_rows(rows: list[torch.Tensor]) -> np.ndarray:
    """Rows of equally many images (each (K, C, H, W)) as one picture, a row per entry."""
    return images.grid(torch.cat(rows), nrow=rows[0].shape[0])
