"""The in-memory data set every gankit loader returns.

Images stay one uint8 tensor (N, C, H, W) for their whole life: a batch is an index into it, scaled to [-1, 1] as
DCGAN does, on the device. No per-item decoding in the training loop. Points (toy distributions) are float32 (N, D).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


def to_unit_range(x: torch.Tensor) -> torch.Tensor:
    """uint8 images in [0, 255] -> float32 in [-1, 1], as DCGAN scales them (one new tensor; the input is untouched)."""
    return x.div(127.5).sub_(1.0)


@dataclass
class Dataset:
    x: torch.Tensor                   # images: uint8 (N, C, H, W); points: float32 (N, D)
    y: torch.Tensor | None = None     # int64 (N,) class labels, or None when unlabelled
    classes: list[str] | None = None  # class names, index = label
    name: str = ""

    @property
    def kind(self) -> str:
        return "image" if self.x.dim() == 4 else "points"

    @property
    def num_classes(self) -> int:
        return len(self.classes) if self.classes else 0

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of one item: (C, H, W) or (D,)."""
        return tuple(self.x.shape[1:])

    def __len__(self) -> int:
        return self.x.shape[0]

    def describe(self) -> str:
        """What `gankit train` prints: "300 images, 3 classes, 64x64 RGB" or "50000 points in 2-D"."""
        if self.kind != "image":
            return f"{len(self)} points in {self.shape[0]}-D"
        channels, height, width = self.shape
        classes = f", {self.num_classes} classes" if self.num_classes else ", unlabelled"
        return f"{len(self)} images{classes}, {height}x{width} {'RGB' if channels == 3 else 'gray'}"

    def to(self, device: torch.device | str) -> "Dataset":
        y = None if self.y is None else self.y.to(device)
        return Dataset(self.x.to(device), y, self.classes, self.name)

    def batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Items at `index` as float32: images in [-1, 1], points as stored; labels or None."""
        x = self.x[index]
        if x.dtype == torch.uint8:
            x = to_unit_range(x)
        return x, None if self.y is None else self.y[index]
