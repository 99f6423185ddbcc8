"""PNG bytes for the browser. Every picture of the game is encoded by `png_bytes` with the same settings, and
without compression: a stored (level-0) zlib stream's length depends only on the image's size, so a real image and a
generated one of the same size give files of exactly the same length (compressed, the flat black background of real
digits would make them smaller, and the file size alone would say which is real)."""
from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

from gankit import images


def png_bytes(x: torch.Tensor | np.ndarray, scale: int = 1, compress: bool = True) -> bytes:
    """One image (C, H, W) in [-1, 1] (or uint8) -> PNG bytes, each pixel repeated scale x scale times."""
    array = x if isinstance(x, np.ndarray) else (
        x.numpy() if x.dtype == torch.uint8 else images.to_uint8(x))
    array = array.transpose(1, 2, 0)
    if scale > 1:
        array = array.repeat(scale, 0).repeat(scale, 1)
    return encode(array, compress)


def grid_bytes(x: torch.Tensor, nrow: int | None = None, scale: int = 1) -> bytes:
    array = images.grid(x, nrow)
    if scale > 1:
        array = array.repeat(scale, 0).repeat(scale, 1)
    return encode(array, True)


def encode(array: np.ndarray, compress: bool = True) -> bytes:
    """(H, W, C) uint8 -> PNG bytes; Pillow writes no metadata (no time, no text chunks) unless asked."""
    img = Image.fromarray(np.ascontiguousarray(array[..., 0] if array.shape[-1] == 1 else array))
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=6 if compress else 0, optimize=False)
    return out.getvalue()


def decode_mask(text: str, size: int) -> torch.Tensor:
    """A mask drawn in the browser, sent as size*size characters '1' (known) or '0' (hole) row by row -> (H, W)."""
    from gankit.errors import GankitError

    if len(text) != size * size or set(text) - {"0", "1"}:
        raise GankitError(f"mask must be {size * size} characters 0 or 1 (a {size}x{size} image, row by row)")
    mask = torch.tensor([c == "1" for c in text], dtype=torch.float32).view(size, size)
    if mask.min() > 0:
        raise GankitError("the mask has no hole: draw over the part of the image to fill")
    if mask.max() == 0:
        raise GankitError("the mask hides the whole image: leave some of it known")
    return mask
