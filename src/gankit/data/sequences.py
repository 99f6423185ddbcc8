"""Short video sequences made from one real image: the image moves along a smooth trajectory (translation, rotation,
scale) and a hole, fixed or moving, hides part of every frame. Used to test and benchmark video inpainting
(gankit.inpainting.video; docs/inpainting.md, "Video").

Each motion parameter follows a sinusoid over the sequence, p(t) = A sin(2π t / T + φ), with amplitude A and phase φ
drawn from a generator seeded `seed`, so the same seed gives the same frames bit for bit. The warp is one
`affine_grid` / `grid_sample` (bilinear) per frame on the image padded with background, then cropped back, so the
moving image never leaves the frame nor brings in pixels from the other side.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from gankit.errors import GankitError

HOLES = ("center", "moving")
SHIFT = 0.12    # largest translation, a fraction of the side (3.4 pixels on 28x28)
ANGLE = 20.0    # largest rotation, degrees
ZOOM = 0.12     # largest relative change of scale
PAD = 0.25      # background added on each side before warping, a fraction of the side


@dataclass
class Sequence:
    frames: torch.Tensor   # (T, C, H, W) in [-1, 1]
    masks: torch.Tensor    # (T, 1, H, W), 1 = known, 0 = hole
    motion: torch.Tensor   # (T, 4): dx, dy (fractions of the side), angle (degrees), scale


def trajectory(frames: int, seed: int) -> torch.Tensor:
    """(T, 4) smooth motion: dx, dy, angle, scale, each A sin(2π t / T + φ) with A and φ drawn from `seed`."""
    gen = torch.Generator().manual_seed(seed)
    amplitude = torch.rand(4, generator=gen) * 0.5 + 0.5   # at least half the largest motion
    amplitude = amplitude * torch.tensor([SHIFT, SHIFT, ANGLE, ZOOM]) * torch.sign(torch.rand(4, generator=gen) - 0.5)
    phase = torch.rand(4, generator=gen) * 2 * math.pi
    t = torch.arange(frames, dtype=torch.float32)[:, None]
    motion = amplitude * torch.sin(2 * math.pi * t / frames + phase)
    motion[:, 3] += 1
    return motion


def warp(image: torch.Tensor, motion: torch.Tensor) -> torch.Tensor:
    """image (C, H, W) in [-1, 1] moved by each row of motion (T, 4) -> (T, C, H, W)."""
    c, h, w = image.shape
    pad = round(PAD * h)
    padded = F.pad(image[None].float() + 1, (pad, pad, pad, pad))  # background (-1) becomes 0, the pad's value
    dx, dy, angle, scale = motion.unbind(1)
    theta = torch.deg2rad(angle)
    # affine_grid maps output to input coordinates: the inverse of "rotate by theta, scale, then shift".
    cos, sin = torch.cos(theta) / scale, torch.sin(theta) / scale
    size = h + 2 * pad
    tx, ty = -2 * dx * h / size, -2 * dy * h / size  # shifts in the padded image's [-1, 1] coordinates
    matrix = torch.stack([torch.stack([cos, sin, cos * tx + sin * ty], 1),
                          torch.stack([-sin, cos, -sin * tx + cos * ty], 1)], 1)
    grid = F.affine_grid(matrix, [len(motion), c, size, size], align_corners=False)
    moved = F.grid_sample(padded.expand(len(motion), -1, -1, -1), grid, mode="bilinear", padding_mode="zeros",
                          align_corners=False)
    return (moved[..., pad:pad + h, pad:pad + w] - 1).clamp(-1, 1)


def holes(kind: str, frames: int, size: int, seed: int = 0, fraction: float = 0.5) -> torch.Tensor:
    """(T, 1, H, W) masks: "center", a square hole of `fraction` of the side in the middle of every frame, or
    "moving", the same square sliding on a smooth path (a sinusoid through the image, drawn from `seed`)."""
    if kind not in HOLES:
        raise GankitError(f"unknown hole {kind!r} for a sequence; choose {' or '.join(HOLES)}")
    side = max(1, round(fraction * size))
    middle = (size - side) / 2
    if kind == "center":
        offsets = torch.full((frames, 2), middle)
    else:
        gen = torch.Generator().manual_seed(seed + 1)
        phase = torch.rand(2, generator=gen) * 2 * math.pi
        t = torch.arange(frames, dtype=torch.float32)[:, None]
        offsets = middle + middle * 0.8 * torch.sin(2 * math.pi * t / frames + phase)
    m = torch.ones(frames, 1, size, size)
    for i, (top, left) in enumerate(offsets.round().long().tolist()):
        m[i, :, top:top + side, left:left + side] = 0
    return m


def moving_image(image: torch.Tensor, frames: int = 16, seed: int = 0, hole: str = "center") -> Sequence:
    """A sequence of `frames` frames of one image (C, H, W) in [-1, 1] (background -1) in smooth motion, with a hole.
    Deterministic: the same image, frames, seed and hole give identical frames and masks."""
    if frames < 2:
        raise GankitError(f"a sequence needs at least 2 frames, got {frames}")
    image = torch.as_tensor(image).float()
    if image.dim() != 3 or image.shape[-1] != image.shape[-2]:
        raise GankitError(f"a sequence is made from one square image (C, H, W), got shape {tuple(image.shape)}")
    motion = trajectory(frames, seed)
    return Sequence(warp(image, motion), holes(hole, frames, image.shape[-1], seed), motion)
