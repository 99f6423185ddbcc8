"""Differentiable augmentation of D's inputs, for GANs on small data sets: DiffAugment and ADA.

DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"): the same family of
random transformations T is applied to real and to generated images before D, in D's step and in G's step alike,

    L_D = f(D(T(x))) + h(D(T(G(z))))        L_G = g(D(T(G(z))))       (their eq. 3-4)

and T is differentiable, so G's gradient flows back through it. Augmenting the reals alone teaches G to draw augmented
images (their Section 3.1); augmenting in D's step alone unbalances the two players (Section 3.2).

ADA (Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data"): each transformation is applied
to each image with probability p, and p follows D's overfitting (Section 3):

    r_t = E[sign(D(x_real))]        every few steps: p <- clip(p + sign(r_t - target) * images / (kimg * 1000), 0, 1)

r_t is 0 when D cannot tell its training reals from fakes, and 1 when it is sure of every one of them (it has
overfitted them). With p below about 0.8 the transformations used here do not leak into G's output (their 2.3).
ADA's own pipeline has 18 transformations (flips, rotations, scaling, colour, filters, noise); this one gates the
DiffAugment operations below, which suit digits and garments (no flips or rotations, which change what a 6 is).

The operations are those of DiffAugment's reference code (mit-han-lab/data-efficient-gans, DiffAugment_pytorch.py),
for images in [-1, 1]:
  color        brightness + U(-0.5, 0.5); saturation x U(0, 2) around each pixel's channel mean;
               contrast x U(0.5, 1.5) around the image's mean
  translation  a whole-pixel shift of up to 1/8 of the size in each direction, zeros shifted in
  cutout       a square of half the size at a random place, set to 0
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gankit.errors import GankitError


def brightness(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device) - 0.5)


def saturation(x: torch.Tensor) -> torch.Tensor:
    mean = x.mean(dim=1, keepdim=True)  # gray images have none: x - mean is 0 and the operation leaves them alone
    return (x - mean) * (torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device) * 2) + mean


def contrast(x: torch.Tensor) -> torch.Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device) + 0.5) + mean


def translation(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    n, _, h, w = x.shape
    shift_h, shift_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-shift_h, shift_h + 1, (n, 1, 1), device=x.device)
    dx = torch.randint(-shift_w, shift_w + 1, (n, 1, 1), device=x.device)
    # Read pixel (i + dy, j + dx) of the image padded by one zero pixel; reads outside it clamp onto the padding.
    rows = (torch.arange(h, device=x.device)[None, :, None] + dy + 1).clamp(0, h + 1)
    cols = (torch.arange(w, device=x.device)[None, None, :] + dx + 1).clamp(0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1]).permute(0, 2, 3, 1)  # (N, H+2, W+2, C): index the pixels, keep the channels
    batch = torch.arange(n, device=x.device)[:, None, None]
    return padded[batch, rows, cols].permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    n, _, h, w = x.shape
    size_h, size_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    # The square's centre; the reference code lets it reach the border, so part of the square may fall outside.
    top = torch.randint(0, h + (1 - size_h % 2), (n, 1, 1), device=x.device) - size_h // 2
    left = torch.randint(0, w + (1 - size_w % 2), (n, 1, 1), device=x.device) - size_w // 2
    i = torch.arange(h, device=x.device)[None, :, None]
    j = torch.arange(w, device=x.device)[None, None, :]
    inside = (i >= top) & (i < top + size_h) & (j >= left) & (j < left + size_w)
    return x * (~inside).unsqueeze(1).to(x.dtype)


# A policy names groups; each group is a sequence of operations, applied in this order (the reference code's).
OPERATIONS = {"color": (brightness, saturation, contrast), "translation": (translation,), "cutout": (cutout,)}


def parse_policy(policy: str) -> tuple[str, ...]:
    """'color,translation,cutout' -> its groups, in OPERATIONS order; an unknown name is a one-line error."""
    names = tuple(name.strip() for name in policy.split(",") if name.strip())
    unknown = [name for name in names if name not in OPERATIONS]
    if unknown or not names:
        raise GankitError(f"gan.augment_policy names {', '.join(unknown) or 'no operation'}; choose a "
                          f"comma-separated list of {', '.join(OPERATIONS)}")
    return tuple(name for name in OPERATIONS if name in names)


def diff_augment(x: torch.Tensor, policy: str = "color,translation,cutout",
                 p: float | torch.Tensor = 1.0) -> torch.Tensor:
    """T(x) for images x (N, C, H, W) in [-1, 1]: every operation of the policy, each applied to each image with
    probability p (DiffAugment: p = 1, every image every time). Differentiable with respect to x."""
    for name in parse_policy(policy):
        for operation in OPERATIONS[name]:
            if not torch.is_tensor(p) and p >= 1:
                x = operation(x)
            else:  # ADA: an independent draw per image and per operation (Karras et al. 2020, Section 2.3)
                applied = torch.rand(x.shape[0], 1, 1, 1, device=x.device) < p
                x = torch.where(applied, operation(x), x)
    return x


class DiffAugment(nn.Module):
    """T of Zhao et al. (2020), applied to every image D sees. It holds no state."""

    def __init__(self, policy: str = "color,translation,cutout"):
        super().__init__()
        self.policy = ",".join(parse_policy(policy))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return diff_augment(x, self.policy)


class AdaptiveAugment(nn.Module):
    """ADA (Karras et al. 2020): the operations of `policy`, each with probability p, where p rises while D is too sure
    of its training reals (r_t > target) and falls otherwise.

    p and the signs gathered since its last adjustment are buffers, so a checkpoint holds them and a resumed run
    goes on with exactly the p an uninterrupted one has. `observe(real_logits)` after each D step; p is adjusted
    every `interval` observations (4, as in StyleGAN2-ADA), by images / (kimg * 1000): kimg thousand images take p
    from 0 to 1 (StyleGAN2-ADA: 500; runs of a few thousand steps need it faster)."""

    def __init__(self, policy: str = "color,translation,cutout", target: float = 0.6, kimg: float = 100.0,
                 interval: int = 4):
        super().__init__()
        self.policy = ",".join(parse_policy(policy))
        self.target, self.kimg, self.interval = target, kimg, interval
        self.register_buffer("p", torch.zeros(()))
        self.register_buffer("rt", torch.zeros(()))            # the last r_t, for the log
        self.register_buffer("sign_sum", torch.zeros(()))      # sum of sign(D(x_real)) since the last adjustment
        self.register_buffer("observed", torch.zeros(()))      # how many logits that sum holds
        self.register_buffer("steps", torch.zeros((), dtype=torch.int64))  # observations since the last adjustment

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.p.item() == 0:  # the first steps of every run: nothing to draw, nothing to compute
            return x
        return diff_augment(x, self.policy, self.p)

    @torch.no_grad()
    def observe(self, real_logits: torch.Tensor) -> None:
        """Gather sign(D(x_real)) of one D step; every `interval` steps, adjust p."""
        self.sign_sum += torch.sign(real_logits.float()).sum()
        self.observed += real_logits.numel()
        self.steps += 1
        if int(self.steps) < self.interval:
            return
        counts = torch.stack([self.sign_sum, self.observed])
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(counts)  # one p for all processes, from the global batch's signs
        self.rt.copy_(counts[0] / counts[1])
        adjust = torch.sign(self.rt - self.target) * counts[1] / (self.kimg * 1000)
        self.p.copy_((self.p + adjust).clamp(0, 1))
        self.sign_sum.zero_()
        self.observed.zero_()
        self.steps.zero_()


def build_augment(kind: str, policy: str, ada_target: float = 0.6, ada_kimg: float = 100.0) -> nn.Module:
    """The augmentation that gan.augment names: none (nn.Identity), diffaugment, or ada."""
    if kind == "none":
        return nn.Identity()
    if kind == "diffaugment":
        return DiffAugment(policy)
    if kind == "ada":
        return AdaptiveAugment(policy, ada_target, ada_kimg)
    raise GankitError(f"gan.augment must be none, diffaugment or ada, got {kind!r}")
