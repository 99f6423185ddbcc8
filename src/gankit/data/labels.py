"""Few-label splits, the protocol of Salimans et al. (2016, Section 5) for semi-supervised learning.

  test set        disjoint from everything training sees
  unlabelled set  the rest of the data, the labels thrown away
  labelled set    `labels_per_class` items of each class, drawn from the unlabelled set (so it is part of it)

The digits have no official test split: their test set is the 1000 digits that the shipped feature classifier holds
out (scripts/train_feature_classifier.py: the first 1000 of a seed-0 permutation of the 5000), so gankit's FID
classifier and every few-label run leave the same digits unseen. The other data sets use their official test split.
"""
from __future__ import annotations

from pathlib import Path

import torch

from gankit.data.dataset import Dataset
from gankit.data.load import _subset, load_dataset
from gankit.errors import GankitError

DIGITS_TEST_SIZE, DIGITS_TEST_SEED = 1000, 0  # as scripts/train_feature_classifier.py holds them out


def digits_test_index(size: int = 5000) -> torch.Tensor:
    """The indices (sorted) of the embedded digits held out as their test set."""
    order = torch.randperm(size, generator=torch.Generator().manual_seed(DIGITS_TEST_SEED))
    return order[:DIGITS_TEST_SIZE].sort().values


def train_test_split(name: str, *, root: str | Path | None = None, download: bool = False, n: int | None = None,
                     seed: int = 0, image_size: int | None = None,
                     channels: int | None = None) -> tuple[Dataset, Dataset]:
    """(training set, test set) of a labelled image data set, disjoint, at `image_size` and `channels` (None: the
    set's own). n: a seeded class-balanced subset of the training set (the test set stays whole)."""
    if name == "digits":
        full = load_dataset("digits", image_size=image_size, channels=channels)
        test = torch.zeros(len(full), dtype=torch.bool)
        test[digits_test_index(len(full))] = True
        train = Dataset(full.x[~test], full.y[~test], full.classes, full.name)
        test_set = Dataset(full.x[test], full.y[test], full.classes, full.name)
    elif name in ("mnist", "fashion-mnist", "cifar10"):
        train, test_set = (load_dataset(name, root=root, download=download, split=s, image_size=image_size,
                                        channels=channels) for s in ("train", "test"))
    else:
        raise GankitError(f"few-label training needs a labelled data set with a test split (digits, mnist, "
                          f"fashion-mnist, cifar10), not {name}")
    if n is not None:
        train = _subset(train, n, seed)
    return train, test_set


def labelled_index(y: torch.Tensor, labels_per_class: int, seed: int) -> torch.Tensor:
    """Indices (sorted) of exactly `labels_per_class` items of each class, a seeded random choice within each."""
    if labels_per_class < 1:
        raise GankitError(f"data.labels_per_class must be at least 1, got {labels_per_class}")
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for c in y.unique().tolist():
        members = (y == c).nonzero().flatten()
        if len(members) < labels_per_class:
            raise GankitError(f"class {c} has only {len(members)} training items, fewer than "
                              f"data.labels_per_class={labels_per_class}")
        chosen.append(members[torch.randperm(len(members), generator=generator)[:labels_per_class]])
    return torch.cat(chosen).sort().values


def few_label_split(name: str, labels_per_class: int, *, root: str | Path | None = None, download: bool = False,
                    n: int | None = None, seed: int = 0, image_size: int | None = None,
                    channels: int | None = None) -> tuple[Dataset, Dataset, Dataset]:
    """(unlabelled, labelled, test): the training split (its labels kept for bookkeeping; a recipe must not read
    them), its seeded balanced labelled subset, and the disjoint test split."""
    train, test = train_test_split(name, root=root, download=download, n=n, seed=seed, image_size=image_size,
                                   channels=channels)
    index = labelled_index(train.y, labels_per_class, seed)
    return train, Dataset(train.x[index], train.y[index], train.classes, train.name), test
