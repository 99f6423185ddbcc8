"""Where a lab experiment's pictures go: a folder that is never silently overwritten, PNG figures and animated GIFs.

Every file is written atomically (gankit.files.atomic_path), so an interrupted experiment leaves whole files only.
"""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from gankit.errors import GankitError  # noqa: E402
from gankit.files import atomic_path  # noqa: E402

DPI = 80  # classroom-readable and small enough to commit (docs/images/lab stays under ~3 MB)


def prepare_out_dir(out_dir: str | Path, force: bool = False) -> Path:
    """The folder to write into. An existing non-empty folder is refused unless `force`; even then only files with the
    experiment's own names are replaced, nothing else in the folder is touched."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise GankitError(f"{out} exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise GankitError(f"{out} is not empty; choose another --out or pass --force to replace the lab's files there")
    out.mkdir(parents=True, exist_ok=True)
    return out


def save_figure(fig, path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return Path(path)


def figure_frame(fig) -> Image.Image:
    """A matplotlib figure as one RGB frame (closed after rendering), for `save_gif`."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def save_gif(frames: list[Image.Image], path: str | Path, ms_per_frame: int = 400, hold_last_ms: int = 1500) -> Path:
    """An animated GIF that loops forever; the last frame stays longer so the end state can be read."""
    # One shared adaptive palette keeps colours steady between frames and the file small.
    palette = frames[-1].quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    quantized = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
    durations = [ms_per_frame] * (len(frames) - 1) + [hold_last_ms]
    with atomic_path(path) as tmp:
        quantized[0].save(tmp, format="GIF", save_all=True, append_images=quantized[1:], duration=durations, loop=0,
                          optimize=True)
    return Path(path)
