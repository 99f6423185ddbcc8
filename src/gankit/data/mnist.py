"""MNIST and Fashion-MNIST from their IDX files (.gz as distributed, or decompressed).

The files are looked for in this order: the user's `root`; the system-wide copy a distribution package installs
(Debian's dataset-fashion-mnist); gankit's cache; and only if the user asked for it, a download into the cache.
"""
from __future__ import annotations

from pathlib import Path

import torch

from gankit.data.dataset import Dataset
from gankit.data.download import fetch
from gankit.data.idx import read_idx
from gankit.errors import GankitError

CLASSES = {
    "mnist": [str(digit) for digit in range(10)],
    # The label table of the Fashion-MNIST README (Xiao et al. 2017).
    "fashion-mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
}
SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SYSTEM_DIRS = {"fashion-mnist": [Path("/usr/share/datasets/fashion-mnist")]}  # apt install dataset-fashion-mnist
# A root that torchvision downloaded into keeps the files in a sub-folder; accept it as it is.
TORCHVISION_SUBDIRS = {"mnist": "MNIST/raw", "fashion-mnist": "FashionMNIST/raw"}


def load_mnist(name: str, *, root: str | Path | None, split: str, download: bool, cache_dir: Path) -> Dataset:
    names = SPLIT_FILES[split]
    folders = [*_root_folders(name, root), *SYSTEM_DIRS.get(name, []), cache_dir / name]
    paths = next((found for folder in folders if (found := _find_pair(folder, names))), None)
    if paths is None and download:
        paths = [fetch(name, file + ".gz", cache_dir / name) for file in names]
    if paths is None:
        looked = ", ".join(str(folder) for folder in folders)
        debian = " or `apt-get install dataset-fashion-mnist`," if name == "fashion-mnist" else ""
        raise GankitError(f"{name} {split} files ({names[0]}.gz, {names[1]}.gz) not found in {looked}; "
                          f"set data.root to their folder,{debian} or --set data.download=true")
    images, labels = (read_idx(path) for path in paths)
    if images.ndim != 3 or images.dtype != "uint8" or labels.shape != images.shape[:1] or (labels >= 10).any():
        raise GankitError(f"{paths[0]} and {paths[1]} are not a pair of {name} image and label files "
                          f"(shapes {images.shape} and {labels.shape})")
    return Dataset(torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels).long(), CLASSES[name], name)


def _root_folders(name: str, root: str | Path | None) -> list[Path]:
    return [] if root is None else [Path(root), Path(root) / TORCHVISION_SUBDIRS[name]]


def _find_pair(folder: Path, names: tuple[str, str]) -> list[Path] | None:
    """Both files of a split in `folder`, each compressed or not, or None when either is missing."""
    paths = [next((p for p in (folder / f"{n}.gz", folder / n) if p.is_file()), None) for n in names]
    return None if None in paths else paths

