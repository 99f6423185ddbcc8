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

The video prior (RecurrentPriorNet, `gankit prior RUN --video`, RUN/prior-video/) predicts a sequence's codes, each
from its frame and the code before, trained on G along straight paths between random codes with center, moving and
fixed holes, on the frames' mean L(E) plus μ times the subsequence consistency (the L1 between consecutive fills in
the hole), μ = 0.1.

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

PRIOR_DIR, VIDEO_DIR = "prior", "prior-video"
ARCH, VIDEO_ARCH = "prior-conv", "prior-recurrent"
FRAMES, GROUP = 8, 4      # the video prior: frames per training sequence, frames per group of its recurrence
SUBSEQUENCE = 0.1         # μ, the weight of the subsequence consistency (video prior)
STEPS, BATCH, LR, WIDTH = 2000, 64, 1e-3, 32
VIDEO_LR = 3e-4           # the video prior fine-tunes a trained image prior's layers: a smaller step
ALPHA, BETA = 1.0, 0.1    # weights of the whole-image L1 and the z-reconstruction, beside L_c
SAVE_EVERY = 250


class PriorNet(nn.Module):
    """E: (masked image, mask) -> z. Two stride-2 convolutions and two linear layers, no BatchNorm, so a prediction
    never depends on the other images of the batch."""

    def __init__(self, channels: int, size: int, z_dim: int, width: int = WIDTH):
        super().__init__()
        self.z_dim = z_dim
        self.net = nn.Sequential(*_trunk(channels, size, width), nn.Linear(8 * width, z_dim))

    def forward(self, masked: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
        """Codes on the sphere, (N, d), for images (N, C, H, W) whose hole (M = 0) is already zeroed."""
        return project_to_sphere(self.net(torch.cat([masked, M], dim=1)))


def _trunk(channels: int, size: int, width: int) -> list[nn.Module]:
    """(masked image, mask) -> 8 * width features: two stride-2 convolutions and a linear layer."""
    side = math.ceil(math.ceil(size / 2) / 2)
    return [nn.Conv2d(channels + 1, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * width * side * side, 8 * width), nn.LeakyReLU(0.2)]


class RecurrentPriorNet(nn.Module):
    """The grouped recurrent prior of Lahiri, Jain & Biswas (2019, Section 4): frames are taken in groups of `group`;
    within a group a GRU runs over the frames, fed each frame's features and the code predicted for the frame before
    (the previous group's last code at a group's first frame, zeros at the sequence's first), and each code is

        z_t = P( E_head(f_t) + R_head(h_t) )       f_t: the frame's features (PriorNet's trunk), h_t: the GRU's state

    With R_head zero and the trunk and E_head copied from a trained image prior, it starts as that prior frame by
    frame. No BatchNorm: a sequence's codes never depend on the other sequences of a batch."""

    def __init__(self, channels: int, size: int, z_dim: int, width: int = WIDTH, group: int = 4):
        super().__init__()
        self.z_dim, self.group = z_dim, group
        self.trunk = nn.Sequential(*_trunk(channels, size, width))
        self.e_head = nn.Linear(8 * width, z_dim)
        self.gru = nn.GRUCell(8 * width + z_dim, 8 * width)
        self.r_head = nn.Linear(8 * width, z_dim)
        nn.init.zeros_(self.r_head.weight)
        nn.init.zeros_(self.r_head.bias)

    def start_from(self, E: PriorNet) -> None:
        """Copy a trained image prior's trunk and head."""
        self.trunk.load_state_dict(E.net[:-1].state_dict())
        self.e_head.load_state_dict(E.net[-1].state_dict())

    def forward(self, masked: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
        """Codes (B, T, d) on the sphere for sequences (B, T, C, H, W) whose holes (M = 0) are zeroed."""
        B, T = masked.shape[:2]
        features = self.trunk(torch.cat([masked, M], dim=2).flatten(0, 1)).view(B, T, -1)
        z_prev = features.new_zeros(B, self.z_dim)
        codes = []
        for t in range(T):
            if t % self.group == 0:
                h = features.new_zeros(B, self.gru.hidden_size)
            h = self.gru(torch.cat([features[:, t], z_prev / math.sqrt(self.z_dim)], dim=1), h)
            z_prev = project_to_sphere(self.e_head(features[:, t]) + self.r_head(h))
            codes.append(z_prev)
        return torch.stack(codes, dim=1)


@dataclass
class Prior:
    E: PriorNet | RecurrentPriorNet
    step: int
    meta: dict

    @torch.no_grad()
    def predict(self, images: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
        """ẑ (N, d) for images (N, C, H, W) and masks (N, 1, H, W), 1 = known; the hole's pixels are never read.
        A video prior takes the N images as the frames of one sequence, in order."""
        device = next(self.E.parameters()).device
        with evaluating(self.E):
            M, images = M.to(device), images.to(device)
            if isinstance(self.E, RecurrentPriorNet):
                return self.E((images * M)[None], M[None])[0].float()
            return self.E(images * M, M).float()


def prior_folder(run_path: str | Path, video: bool = False) -> Path:
    return Path(run_path) / (VIDEO_DIR if video else PRIOR_DIR)


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


def random_paths(n: int, frames: int, d: int) -> torch.Tensor:
    """(n, frames, d): codes along straight paths between two random codes, on the sphere, a stretch of 2-15 % of
    the path per frame (16 frames over a whole path is 6.7 %)."""
    a, b = project_to_sphere(torch.randn(2, n, 1, d))
    step = 0.02 + 0.13 * torch.rand(n, 1, 1)
    t = torch.rand(n, 1, 1) * (1 - step * (frames - 1)).clamp_min(0) + step * torch.arange(frames)[None, :, None]
    return project_to_sphere((1 - t) * a + t * b)


def random_sequence_masks(n: int, frames: int, size: int) -> torch.Tensor:
    """(n, frames, 1, size, size): a third each a center hole, a moving hole (gankit.data.sequences.holes) and one
    of random_masks' masks in every frame."""
    from gankit.data.sequences import holes

    out = []
    for _ in range(n):
        kind = torch.randint(0, 3, (1,)).item()
        if kind == 2:
            out.append(random_masks(1, size).expand(frames, -1, -1, -1))
        else:
            out.append(holes(("center", "moving")[kind], frames, size, seed=torch.randint(0, 2**31 - 1, (1,)).item()))
    return torch.stack(out)


def _terms(x: torch.Tensor, g: torch.Tensor, z: torch.Tensor, z_hat: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
    """L_c + α L_x + β L_z per image (module docstring)."""
    W = masklib.weights(M)
    contextual = (W * (g - x)).abs().flatten(1).sum(1) / W.flatten(1).sum(1).clamp_min(1e-8)
    whole = (g - x).abs().flatten(1).mean(1)
    codes = (z_hat - z).pow(2).mean(1)
    return contextual + ALPHA * whole + BETA * codes


def prior_loss(run, E: PriorNet, z: torch.Tensor, M: torch.Tensor, y=None) -> torch.Tensor:
    """L(E) per image (module docstring) for codes z (N, d) and masks M (N, 1, H, W); run.G must be frozen."""
    with torch.no_grad():
        x = forward(run.G, z, y).float()
    z_hat = E(x * M, M)
    return _terms(x, forward(run.G, z_hat, y).float(), z, z_hat, M)


def video_prior_loss(run, E: RecurrentPriorNet, z: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
    """Per sequence: the frames' mean L(E), plus μ times the subsequence consistency, the mean L1 between
    consecutive fills in the hole, for codes z (B, T, d) and masks M (B, T, 1, H, W)."""
    B, T = z.shape[:2]
    with torch.no_grad():
        x = forward(run.G, z.flatten(0, 1)).float()
    Mf = M.flatten(0, 1)
    z_hat = E((x * Mf).view(B, T, *x.shape[1:]), M).flatten(0, 1)
    g = forward(run.G, z_hat).float()
    frames = _terms(x, g, z.flatten(0, 1), z_hat, Mf).view(B, T).mean(1)
    g, hole = g.view(B, T, -1), (1 - M).expand(B, T, *x.shape[1:]).reshape(B, T, -1)
    consistency = (hole[:, 1:] * (g[:, 1:] - g[:, :-1]).abs()).sum(2) / hole[:, 1:].sum(2).clamp_min(1)
    return frames + SUBSEQUENCE * consistency.mean(1)


def _draw(run, batch: int, video: bool) -> tuple[torch.Tensor, torch.Tensor]:
    size, d = run.data_shape[-1], run.recipe.z_dim
    if video:
        return random_paths(batch, FRAMES, d), random_sequence_masks(batch, FRAMES, size)
    return torch.randn(batch, d), random_masks(batch, size)


def _loss(run, E, z, M) -> torch.Tensor:
    z, M = z.to(run.device), M.to(run.device)
    return video_prior_loss(run, E, z, M) if isinstance(E, RecurrentPriorNet) else prior_loss(run, E, z, M)


def held_out_loss(run, E: PriorNet | RecurrentPriorNet, n: int = 256, seed: int = 12345) -> float:
    """The mean loss on n draws (codes and masks; for a video prior n // FRAMES sequences) from a generator that
    training never uses."""
    video = isinstance(E, RecurrentPriorNet)
    state = torch.get_rng_state()
    torch.manual_seed(seed)
    try:
        z, M = _draw(run, n // FRAMES if video else n, video)
    finally:
        torch.set_rng_state(state)
    with evaluating(run.G, E), frozen(run.G):
        return _loss(run, E, z, M).mean().item()


def check_run(run) -> None:
    """Refuse, in one line, a run that a prior cannot be trained on."""
    run.require_image_generator("learn an inpainting prior for")
    if run.num_classes:
        raise GankitError(f"run {run.path} is conditional; the learned prior needs an unconditional run")


def _model_meta(run, width: int, video: bool) -> dict:
    return {"arch": VIDEO_ARCH if video else ARCH, "z_dim": run.recipe.z_dim, "data_shape": list(run.data_shape),
            "width": width, "run_step": run.step, **({"group": GROUP, "frames": FRAMES} if video else {})}


def _net(run, width: int, video: bool, group: int = 4):
    shape = (run.data_shape[0], run.data_shape[-1], run.recipe.z_dim, width)
    return RecurrentPriorNet(*shape, group=group) if video else PriorNet(*shape)


def load_prior(run, video: bool = False) -> Prior | None:
    """The run's trained prior (RUN/prior/, or RUN/prior-video/ with video), or None when it has none. A damaged or
    foreign one is a one-line error."""
    folder = prior_folder(run.path, video)
    ckpt = latest_checkpoint(folder) if folder.is_dir() else None
    if ckpt is None:
        return None
    meta = json.loads((ckpt / "meta.json").read_text())
    model = meta.get("prior", {})
    if model.get("arch") != (VIDEO_ARCH if video else ARCH) or model.get("z_dim") != run.recipe.z_dim \
            or model.get("data_shape") != list(run.data_shape):
        raise GankitError(f"the prior in {folder} was not made for run {run.path} (its z or image shape differ); "
                          f"make a new one with `gankit prior {run.path}{' --video' if video else ''} --force`")
    E = _net(run, model.get("width", WIDTH), video, model.get("group", GROUP))
    load_weights(ckpt, {"E": E})
    return Prior(E.to(run.device).eval(), meta["step"], meta)


def train_prior(run, steps: int = STEPS, batch: int = BATCH, lr: float | None = None, width: int = WIDTH, seed: int = 0,
                force: bool = False, progress: bool = True, save_every: int = SAVE_EVERY,
                video: bool = False) -> Prior:
    """Train (or resume) the run's prior for `steps` steps in all, saving RUN/prior/ every `save_every` steps, at the
    end and on Ctrl-C (then KeyboardInterrupt propagates). force: start over, replacing a prior that exists.
    video: the grouped recurrent prior instead, into RUN/prior-video/, `batch` codes per step as sequences of
    FRAMES frames; it starts from the run's image prior when there is one. lr: default LR (VIDEO_LR with video)."""
    check_run(run)
    lr = (VIDEO_LR if video else LR) if lr is None else lr
    if steps < 1 or batch < 1 or lr <= 0 or width < 1:
        raise GankitError(f"the prior needs steps >= 1, batch >= 1, lr > 0 and width >= 1, got {steps}, {batch}, "
                          f"{lr}, {width}")
    folder = prior_folder(run.path, video)
    torch.manual_seed(seed)  # E's initial weights, then the draws; a resume restores the draws' RNG state
    E = _net(run, width, video, GROUP).to(run.device)
    image_prior = load_prior(run) if video else None
    if image_prior is not None and image_prior.meta["prior"]["width"] == width:
        E.start_from(image_prior.E)
    opt = torch.optim.Adam(E.parameters(), lr=lr)
    start, seconds = 0, 0.0
    ckpt = None if force else (latest_checkpoint(folder) if folder.is_dir() else None)
    if ckpt is not None:
        saved = load_prior(run, video)
        if saved.meta["prior"]["width"] != width:
            raise GankitError(f"the prior in {folder} has width {saved.meta['prior']['width']}, not {width}: "
                              f"pass --force to start over")
        E.load_state_dict(saved.E.state_dict())
        start, seconds = load_training_state(ckpt, {"E": opt}), saved.meta.get("seconds", 0.0)
    meta = {"prior": _model_meta(run, width, video), "batch": batch, "lr": lr, "seed": seed, "steps": steps,
            "from_image_prior": image_prior is not None}

    def save(step: int, elapsed: float) -> None:
        save_checkpoint(folder, step, {"E": E}, {"E": opt},
                        {**meta, "seconds": elapsed, "held_out_loss": held_out_loss(run, E)}, keep=1)

    clock, step = time.perf_counter(), start
    bar = tqdm(range(start, steps), desc="video prior" if video else "prior", unit="step", initial=start,
               total=steps, disable=None if progress else True)
    try:
        with evaluating(run.G, grad=True), frozen(run.G):  # G is fixed: only E learns
            E.train()
            for step in bar:
                z, M = _draw(run, max(1, batch // FRAMES) if video else batch, video)
                loss = update(opt, _loss(run, E, z, M).mean())
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
    return load_prior(run, video)


def require_prior(run, video: bool = False) -> Prior:
    """The run's prior (its video prior), or a one-line error that names the command that makes one."""
    prior = getattr(run, "video_prior" if video else "prior", None)
    if prior is None:
        raise GankitError(f"run {run.path} has no learned {'video ' if video else ''}prior; train one with "
                          f"`gankit prior {run.path}{' --video' if video else ''}`")
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


__all__ = ["PriorNet", "RecurrentPriorNet", "Prior", "train_prior", "load_prior", "require_prior", "held_out_loss",
           "prior_loss", "video_prior_loss", "random_masks", "random_paths", "random_sequence_masks",
           "perturbed_starts", "prior_folder"]
