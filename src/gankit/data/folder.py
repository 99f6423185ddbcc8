"""Any folder of images, searched recursively, decoded once at load into one uint8 tensor.

This is the only place gankit decodes image files. Each image is scaled so its shorter side is `image_size`, then
center-cropped to a square, as DCGAN prepared LSUN and CelebA. When every image sits in a first-level sub-folder
(`root/cat/1.png`, `root/dog/a/2.jpg`), the sub-folder names are the class labels, in sorted order.
"""
from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from gankit.data.dataset import Dataset
from gankit.errors import GankitError

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
MODES = {1: "L", 3: "RGB"}  # channels -> Pillow mode


def list_images(folder: Path) -> list[Path]:
    """The image files under `folder`, searched recursively, in sorted order (perhaps none)."""
    # Names starting with "." are skipped: macOS leaves "._photo.jpg" metadata files that are not images.
    return sorted(p for p in folder.rglob("*")
                  if p.suffix.lower() in EXTENSIONS and not p.name.startswith(".") and p.is_file())


def image_files(root: Path, what: str = "data folder") -> list[Path]:
    """The image files under `root`, searched recursively, in sorted order; an error naming `what` if there are
    none."""
    if not root.is_dir():
        raise GankitError(f"{what} '{root}' {'is not a folder' if root.exists() else 'does not exist'}")
    files = list_images(root)
    if not files:
        raise GankitError(f"{what} '{root}' has no images (looked for {', '.join(EXTENSIONS)})")
    return files


def image_inputs(path: Path) -> tuple[list[Path], Path]:
    """What a command is given as images: an image file, or a folder of them (image_files); and the folder their
    names are relative to."""
    if not path.exists():
        raise GankitError(f"image {path} does not exist")
    if path.is_dir():
        return image_files(path, "folder"), path
    if path.suffix.lower() not in EXTENSIONS:
        raise GankitError(f"{path} is not an image file (looked for {', '.join(EXTENSIONS)})")
    return [path], path.parent


def read_files(files: list[Path], size: int, channels: int) -> torch.Tensor:
    """Image files -> uint8 (N, C, size, size), each scaled and center-cropped as load_folder does; a file that
    cannot be decoded is a one-line error."""
    pixels = np.empty((len(files), size, size, channels), dtype=np.uint8)
    for i, f in enumerate(files):
        try:
            pixels[i] = decode_image(f, size, MODES[channels]).reshape(size, size, channels)
        except (OSError, ValueError, Image.DecompressionBombError) as e:  # damaged, or a decompression bomb
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise GankitError(f"image {f} cannot be read ({reason}); remove or fix it") from None
    return torch.from_numpy(pixels).permute(0, 3, 1, 2)


def folder_labels(relative: list[Path]) -> tuple[torch.Tensor | None, list[str] | None]:
    """Labels and class names from the first-level sub-folders, when every file sits in one; else (None, None)."""
    if not all(len(f.parts) > 1 for f in relative):
        return None, None
    classes = sorted({f.parts[0] for f in relative})
    index = {name: label for label, name in enumerate(classes)}
    return torch.tensor([index[f.parts[0]] for f in relative]), classes


def load_folder(root: str | Path, *, image_size: int = 64, channels: int = 3) -> Dataset:
    root = Path(root)
    files = image_files(root)

    pixels = np.empty((len(files), image_size, image_size, channels), dtype=np.uint8)

    def decode_into(i: int) -> bool:
        try:
            pixels[i] = decode_image(files[i], image_size, MODES[channels]).reshape(image_size, image_size, channels)
            return True
        except Exception:  # a corrupt file can fail anywhere inside a decoder; it only has to be skipped
            return False

    # Pillow releases the GIL for much of decoding and resizing, so threads decode several files at once.
    with ThreadPoolExecutor() as pool:
        ok = np.fromiter(pool.map(decode_into, range(len(files))), dtype=bool, count=len(files))
    if not ok.all():
        print(f"gankit: skipped {(~ok).sum()} unreadable files in {root}", file=sys.stderr)
    if not ok.any():
        raise GankitError(f"data folder '{root}' has no readable images ({len(files)} files failed to decode)")
    kept = [f.relative_to(root) for f, good in zip(files, ok) if good]
    x = torch.from_numpy(pixels if ok.all() else pixels[ok]).permute(0, 3, 1, 2).contiguous()
    y, classes = folder_labels(kept)
    return Dataset(x, y, classes, "folder")


def decode_image(path: Path, size: int, mode: str) -> np.ndarray:
    with Image.open(path) as image:
        image.draft(mode, (size, size))  # JPEG only: decode at 1/2, 1/4 or 1/8 scale when that still covers `size`
        image = ImageOps.exif_transpose(image).convert(mode)  # phone photos are stored sideways plus an EXIF tag
        return np.asarray(ImageOps.fit(image, (size, size), Image.Resampling.BICUBIC))
