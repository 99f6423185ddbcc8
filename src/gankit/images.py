"""Pictures: image grids (einops + Pillow), scatter plots of points, training curves (matplotlib)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from einops import rearrange
from PIL import Image

from gankit.errors import GankitError
from gankit.files import atomic_path


def check_images(images, channels: int | None, what: str, min_size: int = 1) -> torch.Tensor:
    """images as float (N, C, H, W) with `channels` channels (any, if None) and sides of at least min_size, or a
    one-line error naming `what`."""
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise GankitError(f"{what} must be images (N, C, H, W), got {got}")
    if channels is not None and images.shape[1] != channels:
        raise GankitError(f"{what} must have {channels} channel(s) ({'gray' if channels == 1 else 'RGB'}), got "
                          f"{images.shape[1]}")
    if min(images.shape[-2:]) < min_size:
        raise GankitError(f"{what} are {images.shape[-1]}x{images.shape[-2]}; the nets need at least "
                          f"{min_size}x{min_size} pixels")
    return images.float()


LUMA = (0.299, 0.587, 0.114)  # ITU-R 601-2, Pillow's convert("L"), which gankit.data uses for RGB -> gray


def luma(x: torch.Tensor) -> torch.Tensor:
    """RGB images (N, 3, H, W) as gray (N, 1, H, W), weighted as Pillow's RGB -> L conversion."""
    return (x * x.new_tensor(LUMA).view(1, 3, 1, 1)).sum(1, keepdim=True)


def to_unit_interval(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> [0, 1], the intensities PSNR, SSIM and pixel averages are stated on."""
    return (x + 1) / 2


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """[-1, 1] floats -> uint8 in [0, 255]."""
    return x.detach().float().cpu().add(1).mul(127.5).round().clamp(0, 255).to(torch.uint8).numpy()


def grid(images: torch.Tensor, nrow: int | None = None, pad: int = 2) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> one (H', W', C) uint8 picture, rows of `nrow`, a dark border between cells."""
    n = images.shape[0]
    nrow = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / nrow)
    images = torch.cat([images.detach().float().cpu(),
                        torch.full((rows * nrow - n, *images.shape[1:]), -1.0)])
    images = torch.nn.functional.pad(images, (pad, 0, pad, 0), value=-1.0)
    tiled = rearrange(images, "(r c) ch h w -> (r h) (c w) ch", r=rows, c=nrow)
    tiled = torch.nn.functional.pad(tiled, (0, 0, 0, pad, 0, pad), value=-1.0)
    return to_uint8(tiled)


def enlarge(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Each pixel of images (..., H, W) repeated scale x scale times."""
    return x.repeat_interleave(scale, dim=-1).repeat_interleave(scale, dim=-2) if scale > 1 else x


def save_png(array: np.ndarray, path: str | Path) -> None:
    img = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG")


def save_grid(images: torch.Tensor, path: str | Path, nrow: int | None = None, scale: int = 1) -> None:
    array = grid(images, nrow)
    if scale > 1:
        array = array.repeat(scale, 0).repeat(scale, 1)
    save_png(array, path)


def _savefig(fig, path: str | Path) -> None:
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)


def save_points(points: torch.Tensor, path: str | Path, real: torch.Tensor | None = None, title: str = "") -> None:
    """Scatter of 2-D samples (over real data in grey), or histograms of 1-D samples."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = points.detach().float().cpu().numpy()
    fig, ax = plt.subplots(figsize=(5, 5))
    if points.shape[1] == 1:
        bins = 100
        if real is not None:
            ax.hist(real.cpu().numpy()[:, 0], bins=bins, density=True, alpha=0.4, color="grey", label="data")
        ax.hist(points[:, 0], bins=bins, density=True, alpha=0.6, color="tab:blue", label="G")
        ax.legend()
    else:
        if real is not None:
            r = real[: len(points)].cpu().numpy()
            ax.scatter(r[:, 0], r[:, 1], s=2, c="grey", alpha=0.3, label="data")
        ax.scatter(points[:, 0], points[:, 1], s=2, c="tab:blue", alpha=0.6, label="G")
        ax.set_aspect("equal")
        ax.legend(loc="upper right", markerscale=4)
    ax.set_title(title)
    _savefig(fig, path)


def _smooth(values: list[float], window: int) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if window <= 1 or len(v) < window:
        return v
    kernel = np.ones(window) / window
    valid = np.convolve(np.isfinite(v), kernel, mode="same")
    return np.convolve(np.nan_to_num(v), kernel, mode="same") / np.maximum(valid, 1e-9)


def save_curves(records: list[dict], path: str | Path, panels: list[tuple[str, dict[str, str]]]) -> None:
    """One panel per (title, {metric key: label}); raw values faint, a moving average on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, (title, keys) in zip(axes[0], panels):
        for i, (key, label) in enumerate(keys.items()):
            # Each metric on the steps where it was logged: G's loss only on G steps, FID only when evaluated.
            points = [(r["step"], r[key]) for r in records if key in r and np.isfinite(r[key])]
            if not points:
                continue
            steps, values = np.array(points).T
            color = f"C{i}"
            ax.plot(steps, values, color=color, alpha=0.25, lw=0.8, marker="o" if len(points) < 30 else None)
            ax.plot(steps, _smooth(list(values), max(1, len(points) // 50)), color=color, label=label)
        if "probability" in title:
            ax.axhline(0.5, color="grey", lw=0.8, ls="--")
            ax.set_ylim(0, 1)
        ax.set_xlabel("step")
        ax.set_title(title)
        ax.legend()
    _savefig(fig, path)
