"""Masks M for inpainting, and the importance weights W of Yeh et al. (2017), Section 3.1.

Convention (the paper's): M is 1 where a pixel is KNOWN and 0 where it is MISSING (the hole). A mask is a float
tensor (H, W); a batch of masks is (N, 1, H, W). A mask image on disk is read the same way: white is known, black is
missing (gray levels split at 128).
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from gankit.errors import GankitError

KINDS = ("center", "random", "half", "pattern")
SIDES = ("left", "right", "top", "bottom")
WINDOW = 7  # the paper's neighbourhood N(i): a 7x7 window


def center(size: int, fraction: float = 0.5) -> torch.Tensor:
    """A square hole in the middle, its side `fraction` of the image's."""
    if not 0 < fraction < 1:
        raise GankitError(f"a center hole's side is a fraction in (0, 1) of the image's, got {fraction}")
    side = max(1, round(fraction * size))
    start = (size - side) // 2
    m = torch.ones(size, size)
    m[start:start + side, start:start + side] = 0
    return m


def random_pixels(size: int, fraction: float = 0.8, seed: int = 0) -> torch.Tensor:
    """Each pixel missing with probability `fraction` (the paper's "random" mask hides 80%)."""
    if not 0 < fraction < 1:
        raise GankitError(f"the fraction of missing pixels lies in (0, 1), got {fraction}")
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(size, size, generator=gen) >= fraction).float()


def half(size: int, side: str = "left") -> torch.Tensor:
    """One half of the image hidden: left, right, top or bottom."""
    m = torch.ones(size, size)
    cut = size // 2
    if side == "left":
        m[:, :cut] = 0
    elif side == "right":
        m[:, size - cut:] = 0
    elif side == "top":
        m[:cut] = 0
    elif side == "bottom":
        m[size - cut:] = 0
    else:
        raise GankitError(f"half masks hide the {', '.join(SIDES)} half, got {side!r}")
    return m


def pattern(size: int, blocks: int = 4, seed: int = 0) -> torch.Tensor:
    """Several rectangular holes (sides 1/8 to 1/3 of the image) at random places: holes may touch or overlap."""
    gen = torch.Generator().manual_seed(seed)
    m = torch.ones(size, size)
    low, high = max(1, size // 8), max(2, size // 3)
    for _ in range(blocks):
        h, w = torch.randint(low, high + 1, (2,), generator=gen).tolist()
        top, left = torch.randint(0, size - h + 1, (1,), generator=gen).item(), \
            torch.randint(0, size - w + 1, (1,), generator=gen).item()
        m[top:top + h, left:left + w] = 0
    return m


def make(kind: str, size: int, seed: int = 0) -> torch.Tensor:
    """A mask by name, with the defaults above (center 1/2 of the side, 80% random pixels, left half, 4 blocks)."""
    if kind == "center":
        return center(size)
    if kind == "random":
        return random_pixels(size, seed=seed)
    if kind == "half":
        return half(size)
    if kind == "pattern":
        return pattern(size, seed=seed)
    raise GankitError(f"unknown mask {kind!r}: choose {', '.join(KINDS)} or a mask image (white = known)")


def make_or_read(spec: str, size: int, seed: int = 0) -> torch.Tensor:
    """A mask by name (KINDS), or else read from the mask image at path `spec`: what `--mask` takes."""
    return make(spec, size, seed=seed) if spec in KINDS else read(spec, size)


def read(path: str | Path, size: int) -> torch.Tensor:
    """A mask image: white (>= 128) known, black missing. It must already be size x size."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise GankitError(f"mask {path} does not exist (or name a mask: {', '.join(KINDS)})")
    try:
        with Image.open(path) as image:
            if image.size != (size, size):
                raise GankitError(f"mask {path} is {image.size[0]}x{image.size[1]}; the run's images are "
                                  f"{size}x{size}")
            gray = torch.from_numpy(np.asarray(image.convert("L")).copy())
    except (UnidentifiedImageError, OSError) as e:
        raise GankitError(f"mask {path} cannot be read as an image: {str(e).splitlines()[0]}") from None
    return (gray >= 128).float()


def check(masks: torch.Tensor) -> None:
    """Refuse masks that are not 0/1, or leave nothing to fill, or nothing to fill it from."""
    if not torch.all((masks == 0) | (masks == 1)):
        raise GankitError("a mask holds only 0 (missing) and 1 (known)")
    known = masks.flatten(1).sum(dim=1)
    pixels = masks[0].numel()
    for i, k in enumerate(known.tolist()):
        if k == pixels:
            raise GankitError(f"mask {i} hides nothing: every pixel is known, there is no hole to fill")
        if k == 0:
            raise GankitError(f"mask {i} hides everything: inpainting needs some known pixels")


def weights(masks: torch.Tensor) -> torch.Tensor:
    """W of Yeh et al. eq. (2): for a KNOWN pixel i, the fraction of MISSING pixels in the 7x7 window around it;
    0 for missing pixels. Known pixels at the hole's edge weigh most, those far from any hole weigh 0.

    masks (N, 1, H, W), 1 = known. Windows are cut at the image's border (only pixels inside count)."""
    missing = 1 - masks
    fraction = F.avg_pool2d(missing, WINDOW, stride=1, padding=WINDOW // 2, count_include_pad=False)
    return masks * fraction
