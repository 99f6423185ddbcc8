"""What the trainer reads of translation data: a Dataset-like view of gankit.data.translation.TranslationData.

`batch(index)` returns what a translation recipe's `train_step(x, y, step)` takes:
  paired (pix2pix)        (A[index], B[index])              one pair per index
  unpaired (CycleGAN)     (A[index % N], B[b_slot[index] % M])   the B image of a slot is fixed by a seeded
                          permutation, so a batch is a pure function of its index: resume stays bit-exact, and the
                          trainer's reshuffle each epoch still draws fresh A and B batches. No loss couples a[i]
                          with b[i], so which B rides along with which A does not matter; every image of the larger
                          domain is seen once per epoch.
  many domains (StarGAN)  (images[index], their domain indices)
Images come as float32 in [-1, 1], as gankit.data.Dataset gives them.

`preview(n)` gives n fixed held-out inputs (the test split; the training data when there is none) for the progress
pictures; it draws no randomness.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from gankit.data.dataset import to_unit_range
from gankit.errors import GankitError


@dataclass
class TranslationDataset:
    a: torch.Tensor                      # uint8 (N, C, H, W)
    b: torch.Tensor | None               # uint8 (M, C2, H, W); None for many domains
    paired: bool
    domain: torch.Tensor | None = None   # int64 (N,): many domains
    domains: list[str] | None = None
    name: str = ""
    seed: int = 0
    held_out: "TranslationDataset | None" = None  # the test split, for pictures

    kind = "image"

    def __post_init__(self):
        gen = torch.Generator().manual_seed(self.seed + 7)
        self.b_slot = torch.randperm(len(self), generator=gen) if self.b is not None and not self.paired else None

    @property
    def num_classes(self) -> int:
        """Many-domain data: the number of domains (what StarGAN's G and D are built for)."""
        return len(self.domains) if self.domains else 0

    @property
    def classes(self) -> list[str] | None:
        return self.domains

    @property
    def shape(self):
        """(C, H, W) of the images; two domains: ((C_A, H, W), (C_B, H, W)), since B may differ from A in channels."""
        if self.b is None:
            return tuple(self.a.shape[1:])
        return tuple(self.a.shape[1:]), tuple(self.b.shape[1:])

    def describe(self) -> str:
        """What `gankit train` prints: "4000 pairs, A 28x28 gray, B 28x28 gray" and the like."""
        def look(x):
            return f"{x.shape[-1]}x{x.shape[-2]} {'gray' if x.shape[1] == 1 else 'RGB'}"
        if self.b is None:
            return f"{len(self.a)} images in {len(self.domains)} domains ({', '.join(self.domains)}), {look(self.a)}"
        kind = "pairs" if self.paired else f"A / {len(self.b)} B images, unpaired"
        return f"{len(self.a)} {kind}, A {look(self.a)}, B {look(self.b)}"

    def __len__(self) -> int:
        if self.b is None or self.paired:
            return len(self.a)
        return max(len(self.a), len(self.b))

    def to(self, device: torch.device | str) -> "TranslationDataset":
        move = lambda x: None if x is None else x.to(device)  # noqa: E731
        held = None if self.held_out is None else self.held_out.to(device)
        out = TranslationDataset(move(self.a), move(self.b), self.paired, move(self.domain), self.domains, self.name,
                                 self.seed, held)
        out.b_slot = None if self.b_slot is None else self.b_slot.to(device)
        return out

    def batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.b is None:
            return to_unit_range(self.a[index]), self.domain[index]
        if self.paired:
            return to_unit_range(self.a[index]), to_unit_range(self.b[index])
        return to_unit_range(self.a[index % len(self.a)]), to_unit_range(self.b[self.b_slot[index] % len(self.b)])

    def preview(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The first n held-out items (each domain's first n when unpaired): the same inputs at every epoch."""
        data = self.held_out if self.held_out is not None else self
        n = min(n, len(data.a), len(data.b) if data.b is not None else n)
        if data.b is None:
            return to_unit_range(data.a[:n]), data.domain[:n]
        return to_unit_range(data.a[:n]), to_unit_range(data.b[:n])


def from_translation_data(data, seed: int = 0, held_out=None) -> TranslationDataset:
    """A TranslationDataset of gankit.data.translation.TranslationData (and of its test split, for pictures)."""
    held = None if held_out is None else from_translation_data(held_out, seed)
    return TranslationDataset(data.a, data.b, data.paired, data.a_domain, data.domains, data.name, seed, held)


# The kinds of translation data a recipe may need (its `data_kind`), as a one-line error names them.
NEEDS = {"paired": "paired data (pairs of A and B images)", "unpaired": "two domains, A and B",
         "domains": "data in several domains"}


def load_translation_dataset(name: str, root: str | None, recipe: str, *, image_size: int | None = None,
                             channels: int | None = None, n: int | None = None, seed: int = 0,
                             min_size: int = 16, kind: str = "unpaired") -> TranslationDataset:
    """The training split of a built-in (`name`) or of a folder (name "folder", `root`), with its test split for the
    pictures when it has one; `kind` (NEEDS) is what the recipe named `recipe` needs."""
    from gankit.data.translation import load_translation

    if name == "folder" and root is None:
        raise GankitError("the folder data set needs data.root: the folder in a translation layout")
    source = root if name == "folder" else name
    train = load_translation(source, "train", image_size=image_size, channels=channels, n=n, seed=seed,
                             min_size=min_size)
    kind_ok = {"paired": train.b is not None and train.paired, "unpaired": train.b is not None,
               "domains": train.domains is not None}[kind]
    if not kind_ok:
        got = "several domains" if train.domains else "paired data" if train.paired else "unpaired data"
        raise GankitError(f"recipe {recipe} needs {NEEDS[kind]}, but {source} holds {got}")
    try:
        test = load_translation(source, "test", image_size=image_size or train.a.shape[-1], channels=channels,
                                seed=seed)
    except GankitError:  # a folder without a test split: the pictures show training inputs
        test = None
    return from_translation_data(train, seed, test)
