"""Image folders larger than memory: decoded batch by batch by DataLoader workers, not once into one tensor.

`load_dataset("folder", ..., memory_budget=GiB)` returns a `StreamedFolder` instead of an in-memory Dataset when the
decoded images (N x C x size x size bytes) would not fit in the budget (the trainer passes data.memory_budget). It
answers as a Dataset does (len, shape, kind, classes, y, batch(index)) and adds `stream(indices, device)`: the batches
of a sequence of index tensors, decoded ahead by worker processes and delivered in exactly that order. The trainer
feeds it its own (seed, epoch) order, so the order, and a resumed run, are the same as in memory.

The folder is listed once, file names only: the first batch waits for that listing and its own decoding, never for a
pass over the pixels. Each image is decoded as gankit.data.folder decodes it (the same pixels, bit for bit). A file
that cannot be decoded stops training with its name: the in-memory loader skips such files after decoding them all,
which a stream cannot do without changing the order.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from gankit.data.dataset import to_unit_range
from gankit.data.folder import MODES, decode_image, folder_labels, image_files
from gankit.errors import GankitError

GIB = 2**30
PREFETCH = 4  # batches each worker decodes ahead


def decoded_bytes(count: int, image_size: int, channels: int) -> int:
    return count * channels * image_size * image_size


class _Images(torch.utils.data.Dataset):
    """Item i: (uint8 image (C, S, S), i), or (None, path) when the file cannot be decoded."""

    def __init__(self, files: list[Path], image_size: int, channels: int):
        self.files, self.image_size, self.channels = files, image_size, channels

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        s, c = self.image_size, self.channels
        try:
            pixels = decode_image(self.files[i], s, MODES[c]).reshape(s, s, c)
        except Exception:  # a corrupt file can fail anywhere inside a decoder
            return None, str(self.files[i])
        return torch.from_numpy(np.array(pixels)).permute(2, 0, 1), i  # a copy: decoded arrays are read-only


def _collate(items):
    bad = [where for image, where in items if image is None]
    if bad:
        return bad[0]
    return torch.stack([image for image, _ in items]), torch.tensor([i for _, i in items])


class _Order:
    """The batch sampler: each index tensor of the trainer's order, as a list (DataLoader's workers take lists)."""

    def __init__(self, indices: Iterable[torch.Tensor]):
        self.indices = indices

    def __iter__(self) -> Iterator[list[int]]:
        for index in self.indices:
            yield index.tolist()


class StreamedFolder:
    def __init__(self, root: Path, files: list[Path], image_size: int, channels: int, workers: int | None = None):
        self.root, self.files, self.image_size, self.channels = root, files, image_size, channels
        self.y, self.classes = folder_labels([f.relative_to(root) for f in files])
        self.name = "folder"
        # Leave the training process a core of its own; several processes on one machine (torchrun) share the rest.
        per_machine = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        self.workers = workers if workers is not None else max(1, min(8, ((os.cpu_count() or 2) - 1) // per_machine))

    kind = "image"

    @property
    def num_classes(self) -> int:
        return len(self.classes) if self.classes else 0

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def __len__(self) -> int:
        return len(self.files)

    def __repr__(self) -> str:
        return f"StreamedFolder({str(self.root)!r}, {len(self)} images, {self.workers} workers)"

    def to(self, device) -> "StreamedFolder":
        """The images stay on disk; each batch goes to the device as it is used."""
        return self

    def select(self, keep: torch.Tensor) -> "StreamedFolder":
        """The items at `keep` (a seeded subset, data.n)."""
        return StreamedFolder(self.root, [self.files[i] for i in keep.tolist()], self.image_size, self.channels,
                              self.workers)

    def batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Items at `index`, decoded here and now (progress pictures), as float32 in [-1, 1]; labels or None."""
        batch = _collate([_Images(self.files, self.image_size, self.channels)[i] for i in index.tolist()])
        return self._finish(batch, index.device)

    def stream(self, indices: Iterable[torch.Tensor], device: torch.device) -> Iterator[tuple]:
        """The batches of `indices`, one per index tensor, in that order, decoded ahead by the workers."""
        loader = DataLoader(_Images(self.files, self.image_size, self.channels), batch_sampler=_Order(indices),
                            num_workers=self.workers, collate_fn=_collate, prefetch_factor=PREFETCH,
                            pin_memory=device.type == "cuda",
                            # Its own generator: by default a DataLoader seeds its workers from the global RNG, which
                            # would shift every z drawn after it and break exact resume.
                            generator=torch.Generator().manual_seed(0))
        for batch in loader:
            yield self._finish(batch, device)

    def _finish(self, batch, device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
        if isinstance(batch, str):
            raise GankitError(f"image {batch} cannot be decoded; remove it from the folder or convert it")
        images, index = batch
        # As Dataset.batch scales: on the device, DCGAN's [-1, 1].
        x = to_unit_range(images.to(device, non_blocking=True))
        return x, None if self.y is None else self.y[index].to(device)


def stream_folder(root: str | Path, image_size: int, channels: int, memory_budget: float) -> StreamedFolder | None:
    """The folder as a StreamedFolder if its decoded images exceed `memory_budget` GiB, else None (load it)."""
    root = Path(root)
    files = image_files(root)
    if decoded_bytes(len(files), image_size, channels) <= memory_budget * GIB:
        return None
    return StreamedFolder(root, files, image_size, channels)
