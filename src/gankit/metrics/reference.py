"""Reference statistics of a data set: the features (and class logits) of its images under one extractor,
computed once and cached.

Cache file: $GANKIT_CACHE/eval/<data set>-<split>-<CxHxW>-<n>-<extractor>-<weights sha256[:16]>.safetensors (written
atomically; tensors `features` and, when the extractor classifies, `logits`; what they were made from in its metadata).
FID's mean and covariance, KID's and precision/recall's samples all come from these features.
"""
from __future__ import annotations

import re
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from gankit.data import load_dataset
from gankit.data.download import default_cache_dir
from gankit.files import atomic_path
from gankit.metrics.features import Extractor


def cache_path(dataset: str, split: str, shape: tuple[int, ...], n: int | None, seed: int, extractor: Extractor,
               cache_dir: str | Path | None = None) -> Path:
    name = re.sub(r"[^A-Za-z0-9.-]+", "_", extractor.name)
    size = "x".join(map(str, shape))
    subset = f"n{n}-seed{seed}" if n is not None else "all"
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return folder / "eval" / f"{dataset}-{split}-{size}-{subset}-{name}-{extractor.digest[:16]}.safetensors"


def reference_images(dataset: str, *, split: str = "train", image_size: int | None = None,
                     channels: int | None = None, root: str | Path | None = None, n: int | None = None,
                     seed: int = 0) -> torch.Tensor:
    """Images of a built-in data set in [-1, 1], converted to the given size and channels."""
    data = load_dataset(dataset, root=root, split=split, image_size=image_size, channels=channels, n=n, seed=seed)
    return data.batch(torch.arange(len(data)))[0]


def reference_features(dataset: str, extractor: Extractor, *, split: str = "train", image_size: int | None = None,
                       channels: int | None = None, root: str | Path | None = None, n: int | None = None,
                       seed: int = 0, logits: bool = False,
                       cache_dir: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(features, logits or None) of the data set's images (all of the split, or a seeded subset of n)."""
    images = None
    if image_size is None or channels is None:  # the key needs the shape: read it from the data
        images = reference_images(dataset, split=split, image_size=image_size, channels=channels, root=root, n=n,
                                  seed=seed)
        channels, image_size = images.shape[1], images.shape[-1]
    path = cache_path(dataset, split, (channels, image_size, image_size), n, seed, extractor, cache_dir)
    if path.is_file():
        try:
            cached = load_file(str(path))
            if "features" in cached and (not logits or "logits" in cached):
                return cached["features"], cached.get("logits") if logits else None
        except (SafetensorError, OSError):  # a damaged cache file is recomputed, never trusted
            pass
    if images is None:
        images = reference_images(dataset, split=split, image_size=image_size, channels=channels, root=root, n=n,
                                  seed=seed)
    features, class_logits = extractor(images, logits=extractor.num_classes > 0)
    tensors = {"features": features.contiguous()}
    if class_logits is not None:
        tensors["logits"] = class_logits.contiguous()
    metadata = {"dataset": dataset, "split": split, "images": str(len(images)), "extractor": extractor.name,
                "extractor_sha256": extractor.digest}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    return features, class_logits if logits else None
