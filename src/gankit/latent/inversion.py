"""Inversion: the latent code z whose image G(z) is closest to a given image x.

A VAE answers at once: its encoder gives the mean of q(z|x). A GAN has no encoder, so z is found by optimisation,
minimising || G(z) - x ||^2 over z (Zhu et al. 2016, "Generative Visual Manipulation on the Natural Image Manifold",
Section 3.1; Creswell & Bharath 2018). Two details make it work:
  - restarts: the objective is not convex in z; each image is fitted from several random starts and the best kept;
  - the prior's typical set: z ~ N(0, I_d) lies near the sphere of radius sqrt(d), and an unconstrained z can drift
    far from it, where G was never trained and its images are no longer samples of the model. After each Adam step z
    is projected back onto that sphere (projected gradient descent).
The error is reported per image as the mean squared error of pixel intensities in [0, 1] and as PSNR in dB.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from tqdm import tqdm

from gankit.errors import GankitError
from gankit.latent.codes import decode, labels_for
from gankit.recipes import forward
from gankit.recipes.base import Encoder, evaluating, frozen, update


@dataclass
class Inversion:
    z: torch.Tensor                 # (N, d) the codes found
    reconstructions: torch.Tensor   # (N, C, H, W) G(z) in [-1, 1]
    mse: torch.Tensor               # (N,) mean squared error per pixel, intensities in [0, 1]
    method: str                     # "encoder" or "optimisation"

    @property
    def psnr(self) -> torch.Tensor:
        """Peak signal-to-noise ratio in dB (peak 1 on the [0, 1] scale)."""
        return 10 * torch.log10(1 / self.mse.clamp_min(1e-12))


def project_to_sphere(z: torch.Tensor) -> torch.Tensor:
    """Each code scaled onto the sphere of radius sqrt(d), where N(0, I_d) puts nearly all its mass."""
    return z * (math.sqrt(z.shape[-1]) / z.norm(dim=-1, keepdim=True).clamp_min(1e-12))


def pixel_mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per image, on intensities in [0, 1] (a and b are in [-1, 1], hence the factor 1/4)."""
    return (a - b).pow(2).flatten(1).mean(dim=1) / 4


def descend(objective, z: torch.Tensor, iters: int, lr: float, record=None, progress: bool = False,
            desc: str = "") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Adam on the codes z alone, kept on the sphere: `iters` steps on objective(z) -> (loss per code, images).
    record(loss, images) sees every step's values and the final ones. Returns the codes, their loss and images."""
    z = z.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    for _ in tqdm(range(iters), desc=desc, unit="step", disable=None if progress else True, leave=False):
        loss, g = objective(z)
        if record is not None:
            record(loss, g)
        update(opt, loss.sum())
        with torch.no_grad():
            z.copy_(project_to_sphere(z))
    with torch.no_grad():
        loss, g = objective(z)
    if record is not None:
        record(loss, g)
    return z.detach(), loss, g


def invert(run, x: torch.Tensor, steps: int = 300, restarts: int = 4, lr: float = 0.05, label: int | None = None,
           seed: int = 0, use_encoder: bool = True) -> Inversion:
    """Codes for images x (N, C, H, W) in [-1, 1] of the run's shape. A VAE uses its encoder unless
    `use_encoder=False`; otherwise `restarts` random starts are optimised for `steps` Adam steps each."""
    run.require_image_generator("invert")
    if tuple(x.shape[1:]) != tuple(run.data_shape):
        raise GankitError(f"images of shape {tuple(x.shape[1:])} do not fit run {run.path}, which makes "
                          f"{tuple(run.data_shape)}")
    if steps < 1 or restarts < 1:
        raise GankitError(f"inversion needs at least 1 step and 1 restart, got {steps} and {restarts}")
    x = x.float().cpu()
    if use_encoder and isinstance(run.recipe, Encoder):
        z = run.recipe.encode(x.to(run.device)).float().cpu()
        reconstructions = decode(run, z, label)
        return Inversion(z, reconstructions, pixel_mse(reconstructions, x), "encoder")

    n, d = len(x), run.recipe.z_dim
    target = x.to(run.device).repeat(restarts, 1, 1, 1)  # restart r of image i sits at r * n + i
    y = labels_for(run, restarts * n, label)
    gen = torch.Generator().manual_seed(seed)
    starts = project_to_sphere(torch.randn(restarts * n, d, generator=gen)).to(run.device)

    def objective(z):
        g = forward(run.G, z, y).float()
        return (g - target).pow(2).flatten(1).mean(dim=1), g

    with evaluating(run.G, grad=True), frozen(run.G):  # only z is optimised: no weight gradients at all
        z, errors, _ = descend(objective, starts, steps, lr, progress=True, desc="inverting")
    best = errors.view(restarts, n).argmin(dim=0)
    z = z.view(restarts, n, d)[best, torch.arange(n, device=z.device)].cpu()
    reconstructions = decode(run, z, label)
    return Inversion(z, reconstructions, pixel_mse(reconstructions, x), "optimisation")


def encode(run, x: torch.Tensor, label: int | None = None, **inversion) -> torch.Tensor:
    """Latent codes of images x: the encoder's when the family has one, else found by inversion."""
    if isinstance(run.recipe, Encoder):
        return run.recipe.encode(x.to(run.device)).float().cpu()
    return invert(run, x, label=label, **inversion).z
