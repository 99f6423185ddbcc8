"""Between images and latent codes, for any trained run: decode z, read image files. (Encoding images, by a family's
encoder or by inverting the generator, is gankit.latent.inversion, which builds on this module.)
"""
from __future__ import annotations

from pathlib import Path

import torch

from gankit.data.dataset import to_unit_range
from gankit.errors import GankitError
from gankit.recipes import forward


def labels_for(run, n: int, label: int | None) -> torch.Tensor | None:
    """What a conditional generator is given beside z: `label` for all n (default class 0); None if unconditional."""
    if not run.num_classes:
        if label is not None:
            raise GankitError(f"run {run.path} is not conditional: it takes no label")
        return None
    label = 0 if label is None else label
    if not 0 <= label < run.num_classes:
        raise GankitError(f"label must lie in 0..{run.num_classes - 1}, got {label}")
    return torch.full((n,), label, dtype=torch.long, device=run.device)


@torch.no_grad()
def decode(run, z: torch.Tensor, label: int | None = None, batch_size: int = 500) -> torch.Tensor:
    """G(z) (a VAE: the decoder's mean image) in [-1, 1], on the CPU."""
    out = [forward(run.G, chunk.to(run.device), labels_for(run, len(chunk), label)).float().cpu()
           for chunk in z.split(batch_size)]
    return torch.cat(out)


def read_images(paths: list[str | Path], run) -> torch.Tensor:
    """Image files (or folders of them) -> (N, C, H, W) in [-1, 1] at the run's size and channels (scaled and
    center-cropped)."""
    from gankit.data.folder import image_inputs, read_files

    run.require_image_generator("read images for")
    files = [f for p in paths for f in image_inputs(Path(p))[0]]
    return to_unit_range(read_files(files, run.data_shape[-1], run.data_shape[0]))
