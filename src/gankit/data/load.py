"""`load_dataset`: the one way the rest of gankit gets data.

It picks the loader for a name, then applies what every data set shares: a seeded subset, a channel conversion and a
resize. Both conversions happen once, here, on the whole uint8 tensor, so the training loop only indexes and scales.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from gankit.data.cifar import load_cifar10
from gankit.data.dataset import Dataset
from gankit.data.digits import load_digits
from gankit.data.download import default_cache_dir
from gankit.data.folder import load_folder
from gankit.data.mnist import load_mnist
from gankit.data.stream import stream_folder
from gankit.data.toy import TOY_DATASETS, sample_toy
from gankit.errors import GankitError

IMAGE_DATASETS = ["digits", "mnist", "fashion-mnist", "cifar10", "folder"]
DATASETS = IMAGE_DATASETS + TOY_DATASETS
SPLITS = ("train", "test")
_CHUNK = 4096  # images converted at a time, so a float copy of a whole data set never has to fit in memory


def load_dataset(name: str, *, root: str | Path | None = None, image_size: int | None = None,
                 channels: int | None = None, download: bool = False, split: str = "train", n: int | None = None,
                 seed: int = 0, cache_dir: str | Path | None = None,
                 memory_budget: float | None = None) -> Dataset:
    """Data set `name` (one of DATASETS), images as uint8 (N, C, H, W) or toy points as float32 (N, D).

    image_size / channels: resize to image_size x image_size and convert to 1 (gray) or 3 (RGB) channels.
    n: a random subset of n items, the same one for the same seed, with an equal share of each class where there
       are labels (toy data sets: the number of points drawn).
    root, download, cache_dir: where data files are looked for, and whether to fetch missing ones.
    memory_budget: GiB; a folder whose decoded images exceed it streams from disk (gankit.data.stream) instead of
       loading into memory. None: always load.
    """
    if name not in DATASETS:
        raise GankitError(f"unknown data set '{name}'; choose one of {', '.join(DATASETS)}")
    if split not in SPLITS:
        raise GankitError(f"unknown split '{split}'; choose train or test")
    if n is not None and n < 1:
        raise GankitError(f"data.n must be at least 1, not {n}")
    if channels not in (None, 1, 3):
        raise GankitError(f"data.channels must be 1 (grayscale) or 3 (RGB), not {channels}")
    if image_size is not None and image_size < 1:
        raise GankitError(f"data.image_size must be a positive number of pixels, not {image_size}")

    if name in TOY_DATASETS:
        if image_size is not None or channels is not None:
            raise GankitError(f"{name} is a toy data set of points; remove data.image_size and data.channels")
        return sample_toy(name, 50_000 if n is None else n, seed)  # fresh points for either split

    if name in ("digits", "folder") and split != "train":
        raise GankitError(f"{name} has no {split} split; use split train")
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if name == "digits":
        data = load_digits()
    elif name == "folder":
        if root is None:
            raise GankitError("the folder data set needs data.root: the folder that holds the images")
        streamed = None if memory_budget is None else stream_folder(root, image_size or 64, channels or 3,
                                                                    memory_budget)
        if streamed is not None:
            return streamed if n is None else _subset(streamed, n, seed)
        data = load_folder(root, image_size=image_size or 64, channels=channels or 3)
    elif name == "cifar10":
        data = load_cifar10(root=root, split=split, download=download, cache_dir=cache_dir)
    else:
        data = load_mnist(name, root=root, split=split, download=download, cache_dir=cache_dir)

    if n is not None:
        data = _subset(data, n, seed)
    x = data.x
    if channels is not None and channels < x.shape[1]:  # drop channels before resizing, add them after: less work
        x = _chunked(_to_gray, x)
    if image_size is not None and x.shape[-2:] != (image_size, image_size):
        x = _chunked(lambda chunk: _resize(chunk, image_size), x)
    if channels is not None and channels > x.shape[1]:
        x = x.expand(-1, channels, -1, -1).contiguous()
    return Dataset(x, data.y, data.classes, data.name)


def _subset(data: Dataset, n: int, seed: int) -> Dataset:
    """n items, the same ones for the same seed, kept in the original order. Labelled data gives every class an equal
    share, so a small subset (a quick test run) never misses a class; unlabelled data is a plain random choice."""
    if n > len(data):
        raise GankitError(f"data.n is {n} but {data.name} has only {len(data)} items")
    generator = torch.Generator().manual_seed(seed)
    if data.y is None:
        keep = torch.randperm(len(data), generator=generator)[:n]
    else:
        keep = _class_balanced(data.y, n, generator)
    keep = keep.sort().values
    if not isinstance(data, Dataset):  # a StreamedFolder keeps the names of the files it will read
        return data.select(keep)
    return Dataset(data.x[keep], None if data.y is None else data.y[keep], data.classes, data.name)


def _class_balanced(y: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    """Indices of n items, an equal share of each class as far as the classes allow: a class with fewer items than
    its share gives them all and the others share the rest; what does not divide evenly goes one item each to classes
    drawn at random. Within a class, the items are a random choice."""
    classes, counts = y.unique(return_counts=True)
    quota, left = torch.zeros_like(counts), n
    while left > 0:
        open_classes = (quota < counts).nonzero().flatten()
        share = left // len(open_classes)
        if share == 0:
            quota[open_classes[torch.randperm(len(open_classes), generator=generator)[:left]]] += 1
            break
        granted = (counts[open_classes] - quota[open_classes]).clamp(max=share)
        quota[open_classes] += granted
        left -= int(granted.sum())
    members = [(y == c).nonzero().flatten() for c in classes]
    return torch.cat([m[torch.randperm(len(m), generator=generator)[:q]] for m, q in zip(members, quota.tolist())])


def _chunked(convert, x: torch.Tensor) -> torch.Tensor:
    return torch.cat([convert(chunk) for chunk in x.split(_CHUNK)])


def _resize(x: torch.Tensor, size: int) -> torch.Tensor:
    # antialias=True filters before downscaling (as Pillow does), so small images do not alias.
    resized = F.interpolate(x.float(), size=(size, size), mode="bicubic", antialias=True, align_corners=False)
    return resized.round_().clamp_(0, 255).to(torch.uint8)


def _to_gray(x: torch.Tensor) -> torch.Tensor:
    # ITU-R 601-2 luma in 16-bit fixed point, the formula of Pillow's convert("L"): folder and tensor paths agree.
    weights = torch.tensor([19595, 38470, 7471], dtype=torch.int32).view(1, 3, 1, 1)
    return (((x.int() * weights).sum(1, keepdim=True) + 0x8000) >> 16).to(torch.uint8)


def load_training_data(cfg) -> Dataset:
    """The training data a config names (cfg.data): the whole set, or with data.labels_per_class its training
    split only (a few-label run's test split stays unseen)."""
    d = cfg.data
    if d.labels_per_class:
        from gankit.data.labels import few_label_split
        return few_label_split(d.name, d.labels_per_class, root=d.root, download=d.download, n=d.n,
                               seed=cfg.train.seed, image_size=d.image_size, channels=d.channels)[0]
    return load_dataset(d.name, root=d.root, image_size=d.image_size, channels=d.channels, download=d.download,
                        n=d.n, seed=cfg.train.seed, memory_budget=d.memory_budget)
