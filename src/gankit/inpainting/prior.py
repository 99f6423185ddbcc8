"""A learned prior for inpainting: a network E(masked image, mask) -> z that predicts, in one forward pass, the code
whose image G(z) agrees with the known pixels (after Lahiri et al. 2019, "Faster Unsupervised Semantic Inpainting",
arXiv 1908.04968, and Lahiri, Jain & Biswas 2019, "The Angel is in the Priors", arXiv 1908.05861).

E is trained self-supervised on a run's own, frozen G: draw z ~ N(0, I), render x = G(z), hide part of it with a
random mask M of the kinds gankit knows (center, random, half, pattern, or two of them at once), and fit

    ẑ = P(E(M ⊙ x, M))                       P: projection onto the sphere of radius sqrt(d) (the prior's support)
    L(E) = L_c + α L_x + β L_z
    L_c = Σ W ⊙ |G(ẑ) - x| / Σ W             Yeh et al.'s contextual loss (W of their eq. 2), per unit of weight
    L_x = mean |G(ẑ) - x|                    the whole image, hole included: self-supervision knows it
    L_z = || ẑ - z ||² / d                   z-reconstruction

α = 1, β = 0.1. The inpainting search (method "prior") starts from ẑ and continues Yeh's objective.

Saved in RUN/prior/ as a checkpoint folder of gankit.checkpoint (E.safetensors, state.pt with Adam's and the RNG's
state, meta.json), written to a temp folder and renamed: a kill at any moment leaves the previous prior or the new one.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from gankit.checkpoint import latest_checkpoint, load_training_state, load_weights, save_checkpoint
from gankit.errors import GankitError
from gankit.inpainting import masks as masklib
from gankit.latent.inversion import project_to_sphere
from gankit.recipes import forward
from gankit.recipes.base import Sampler, evaluating, frozen, update

PRIOR_DIR = "prior"
ARCH = "prior-conv"
STEPS, BATCH, LR, WIDTH = 2000, 64, 1e-3, 32
ALPHA, BETA = 1.0, 0.1    # weights of the whole-image L1 and the z-reconstruction, beside L_c
SAVE_EVERY = 250


class PriorNet(nn.Module):
    """E: (masked image, mask) -> z. Two stride-2 convolutions and two linear layers, no BatchNorm, so a prediction
    never depends on the other images of the batch."""

    def __init__(self, channels: int, size: int, z_dim: int, width: int = WIDTH):
        super().__init__()
        self.z_dim = z_dim
        side = math.ceil(math.ceil(size / 2) / 2)
        self.net = nn.Sequential(
            nn.Conv2d(channels + 1, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * width * side * side, 8 * width), nn.LeakyReLU(0.2),
            nn.Linear(8 * width, z_dim))

    def forward(self, masked: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
        """Codes on the sphere, (N, d), for images (N, C, H, W) whose hole (M = 0) is already zeroed."""
        return project_to_sphere(self.net(torch.cat([masked, M], dim=1)))


@dataclass
class Prior:
    E: PriorNet
    step: int
    meta: dict

    @torch.no_grad()
    def predict(self, images: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
        """ẑ (N, d) for images (N, C, H, W) and masks (N, 1, H, W), 1 = known; the hole's pixels are never read."""
        device = next(self.E.parameters()).device
        with evaluating(self.E):
            M = M.to(device)
            return self.E(images.to(device) * M, M).float()


def prior_folder(run_path: str | Path) -> Path:
    return Path(run_path) / PRIOR_DIR


def random_masks(n: int, size: int) -> torch.Tensor:
    """(n, 1, size, size) masks, 1 = known, of gankit's kinds with their parameters varied (center side 0.3-0.65,
    80 ± 15 % random pixels, any of the four halves, 2-5 blocks), and a fifth of them two kinds at once. Drawn from
    torch's global generator, which a checkpoint saves."""
    out = []
    while len(out) < n:
        kinds = torch.randint(0, 5, (1,)).item()
        parts = [torch.randint(0, 4, (1,)).item() for _ in range(2 if kinds == 4 else 1)]
        m = torch.ones(size, size)
        for kind in parts:
            m = m * _one_mask(kind, size)
        if 0 < m.sum() < m.numel():
            out.append(m)
    return torch.stack(out)[:, None]


def _one_mask(kind: int, size: int) -> torch.Tensor:
    u = torch.rand(1).item()
    seed = torch.randint(0, 2**31 - 1, (1,)).item()
    if kind == 0:
        return masklib.center(size, 0.3 + 0.35 * u)
    if kind == 1:
        return masklib.random_pixels(size, 0.65 + 0.3 * u, seed=seed)
    if kind == 2:
        return masklib.half(size, masklib.SIDES[seed % 4])
    return masklib.pattern(size, blocks=2 + seed % 4, seed=seed)


def prior_loss(run, E: PriorNet, z: torch.Tensor, M: torch.Tensor, y=None) -> torch.Tensor:
    """L(E) per image (module docstring) for codes z (N, d) and masks M (N, 1, H, W); run.G must be frozen."""
    with torch.no_grad():
        x = forward(run.G, z, y).float()
    z_hat = E(x * M, M)
    g = forward(run.G, z_hat, y).float()
    W = masklib.weights(M)
    contextual = (W * (g - x)).abs().flatten(1).sum(1) / W.flatten(1).sum(1).clamp_min(1e-8)
    whole = (g - x).abs().flatten(1).mean(1)
    codes = (z_hat - z).pow(2).mean(1)
    return contextual + ALPHA * whole + BETA * codes


def held_out_loss(run, E: PriorNet, n: int = 256, seed: int = 12345) -> float:
    """The mean loss on n draws (codes and masks) from a generator that training never uses."""
    state = torch.get_rng_state()
    torch.manual_seed(seed)
    try:
        z = torch.randn(n, run.recipe.z_dim)
        M = random_masks(n, run.data_shape[-1])
    finally:
        torch.set_rng_state(state)
    with evaluating(run.G, E), frozen(run.G):
        return prior_loss(run, E, z.to(run.device), M.to(run.device)).mean().item()


def check_run(run) -> None:
    """Refuse, in one line, a run that a prior cannot be trained on."""
    run.require_image_generator("learn an inpainting prior for")
    if run.num_classes:
        raise GankitError(f"run {run.path} is conditional; the learned prior needs an unconditional run")


def _model_meta(run, width: int) -> dict:
    return {"arch": ARCH, "z_dim": run.recipe.z_dim, "data_shape": list(run.data_shape), "width": width,
            "run_step": run.step}


def load_prior(run) -> Prior | None:
    """The run's trained prior (RUN/prior/), or None when it has none. A damaged or foreign one is a one-line error."""
    folder = prior_folder(run.path)
    if not folder.is_dir():
        return None
    ckpt = latest_checkpoint(folder)
    if ckpt is None:
        return None
    meta = json.loads((ckpt / "meta.json").read_text())
    model = meta.get("prior", {})
    if model.get("arch") != ARCH or model.get("z_dim") != run.recipe.z_dim \
            or model.get("data_shape") != list(run.data_shape):
        raise GankitError(f"the prior in {folder} was not made for run {run.path} (its z or image shape differ); "
                          f"make a new one with `gankit prior {run.path} --force`")
    E = PriorNet(run.data_shape[0], run.data_shape[-1], run.recipe.z_dim, model.get("width", WIDTH))
    load_weights(ckpt, {"E": E})
    return Prior(E.to(run.device).eval(), meta["step"], meta)


def train_prior(run, steps: int = STEPS, batch: int = BATCH, lr: float = LR, width: int = WIDTH, seed: int = 0,
                force: bool = False, progress: bool = True, save_every: int = SAVE_EVERY) -> Prior:
    """Train (or resume) the run's prior for `steps` steps in all, saving RUN/prior/ every `save_every` steps, at the
    end and on Ctrl-C (then KeyboardInterrupt propagates). force: start over, replacing a prior that exists."""
    check_run(run)
    if steps < 1 or batch < 1 or lr <= 0 or width < 1:
        raise GankitError(f"the prior needs steps >= 1, batch >= 1, lr > 0 and width >= 1, got {steps}, {batch}, "
                          f"{lr}, {width}")
    folder = prior_folder(run.path)
    torch.manual_seed(seed)  # E's initial weights, then the draws; a resume restores the draws' RNG state
    E = PriorNet(run.data_shape[0], run.data_shape[-1], run.recipe.z_dim, width).to(run.device)
    opt = torch.optim.Adam(E.parameters(), lr=lr)
    start, seconds = 0, 0.0
    ckpt = None if force else (latest_checkpoint(folder) if folder.is_dir() else None)
    if ckpt is not None:
        saved = load_prior(run)
        if saved.meta["prior"]["width"] != width:
            raise GankitError(f"the prior in {folder} has width {saved.meta['prior']['width']}, not {width}: "
                              f"pass --force to start over")
        E.load_state_dict(saved.E.state_dict())
        start, seconds = load_training_state(ckpt, {"E": opt}), saved.meta.get("seconds", 0.0)
    meta = {"prior": _model_meta(run, width), "batch": batch, "lr": lr, "seed": seed, "steps": steps}

    def save(step: int, elapsed: float) -> None:
        save_checkpoint(folder, step, {"E": E}, {"E": opt},
                        {**meta, "seconds": elapsed, "held_out_loss": held_out_loss(run, E)}, keep=1)

    size, d = run.data_shape[-1], run.recipe.z_dim
    clock, step = time.perf_counter(), start
    bar = tqdm(range(start, steps), desc="prior", unit="step", initial=start, total=steps,
               disable=None if progress else True)
    try:
        with evaluating(run.G, grad=True), frozen(run.G):  # G is fixed: only E learns
            E.train()
            for step in bar:
                z = torch.randn(batch, d).to(run.device)
                M = random_masks(batch, size).to(run.device)
                loss = update(opt, prior_loss(run, E, z, M).mean())
                if (step + 1) % 20 == 0:
                    bar.set_postfix(loss=f"{loss.item():.4f}")
                if (step + 1) % save_every == 0 and step + 1 < steps:
                    save(step + 1, seconds + time.perf_counter() - clock)
            step = steps
    except KeyboardInterrupt:
        save(step, seconds + time.perf_counter() - clock)
        raise
    finally:
        bar.close()
        E.eval()
    if start < steps:
        save(steps, seconds + time.perf_counter() - clock)
    return load_prior(run)


def require_prior(run) -> Prior:
    """The run's prior, or a one-line error that names the command that makes one."""
    prior = getattr(run, "prior", None)
    if prior is None:
        raise GankitError(f"run {run.path} has no learned prior; train one with `gankit prior {run.path}`")
    return prior


def perturbed_starts(z_hat: torch.Tensor, restarts: int, seed: int, sigma: float) -> torch.Tensor:
    """(N, restarts, d): each image's prediction, then restarts - 1 copies moved by sigma * N(0, I) on the sphere;
    image i's noise comes from its own generator seeded seed + i (batch independence, as search._starts)."""
    n, d = z_hat.shape
    rows = []
    for i in range(n):
        gen = torch.Generator().manual_seed(seed + i)
        noise = torch.stack([torch.randn(d, generator=gen) for _ in range(restarts - 1)]) if restarts > 1 \
            else torch.zeros(0, d)
        rows.append(torch.cat([z_hat[i:i + 1], project_to_sphere(z_hat[i] + sigma * noise)]))
    return torch.stack(rows)


__all__ = ["PriorNet", "Prior", "train_prior", "load_prior", "require_prior", "held_out_loss", "prior_loss",
           "random_masks", "perturbed_starts", "prior_folder"]
