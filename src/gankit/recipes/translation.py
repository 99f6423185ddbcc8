"""What the translation recipes (pix2pix, CycleGAN, StarGAN) share: no z, a `translate` method instead of sampling
(the Translator capability), their data (two domains, or images with a domain each), and progress pictures as a table
of held-out inputs, one row per item: input | output (| reconstruction) (| target)."""
from __future__ import annotations

import torch
from torch import nn

from gankit.config import Config
from gankit.errors import GankitError
from gankit.models.translation import MIN_SIZE, ResNetGenerator, UNetGenerator
from gankit.recipes import base
from gankit.recipes.base import Recipe, Translator

# model.arch of pix2pix and CycleGAN: the authors' code offers unet and resnet for either; resnet-fullres is the resnet
# without its down- and up-sampling, every residual block at full resolution (PixelDA's generator)
GENERATORS = ("unet", "resnet", "resnet-fullres")
BATCH = 256  # images translated at a time


def two_shapes(data_shape, recipe: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """((C_A, H, W), (C_B, H, W)) from a two-domain data set's shape (gankit.data.translation_dataset)."""
    if len(data_shape) != 2 or len(data_shape[0]) != 3:
        raise GankitError(f"recipe {recipe} needs two domains of images (A and B); this data set has items of shape "
                          f"{tuple(data_shape)}")
    return tuple(data_shape[0]), tuple(data_shape[1])


def build_generator(arch: str, in_channels: int, out_channels: int, image_size: int, width: int, blocks: int,
                    norm: str, noise: int = 0) -> nn.Module:
    """The generator model.arch names; noise > 0 (ResNet generators only) gives it a noise input of that size."""
    if arch == "unet":
        if noise:
            raise GankitError("a noise input is built for the ResNet generators; model.arch unet has none "
                              "(its dropout is pix2pix's noise)")
        return UNetGenerator(in_channels, out_channels, image_size, width, norm)
    if arch in ("resnet", "resnet-fullres"):
        if image_size < MIN_SIZE:
            raise GankitError(f"the ResNet generator needs images of at least {MIN_SIZE} px, got {image_size}")
        return ResNetGenerator(in_channels, out_channels, width, blocks, norm,
                               downsamplings=2 if arch == "resnet" else 0, noise=noise)
    raise GankitError(f"model.arch {arch} is not a translation generator; choose {', '.join(GENERATORS)}")


class TranslationRecipe(Recipe, Translator):
    """A recipe that maps images to images. Subclasses write `pictures(a, b)`: {name: table (rows, columns, C, H, W)}
    of the held-out inputs the data set previews; `data_kind` is the data they need (paired, unpaired, domains)."""

    data_kind = "unpaired"

    @classmethod
    def load_data(cls, cfg: Config):
        from gankit.data.translation_dataset import load_translation_dataset
        d = cfg.data
        return load_translation_dataset(d.name, d.root, cls.name, image_size=d.image_size, channels=d.channels,
                                        n=d.n, seed=cfg.train.seed, kind=cls.data_kind)

    @classmethod
    def objective(cls, cfg: Config) -> str:
        return f"loss={cfg.train.loss}"

    @classmethod
    def validate(cls, cfg: Config) -> None:
        super().validate(cfg)
        settings = cfg.section(cls.name)
        negative = [f"{cls.name}.{k}" for k, v in vars(settings).items() if isinstance(v, (int, float)) and v < 0]
        base.check((not negative, f"{', '.join(negative)} must not be negative"))

    def progress_pictures(self, data, grid_size: int, seed: int):
        return {name: (rows.flatten(0, 1), rows.shape[1])
                for name, rows in self.pictures(*data.preview(grid_size)).items()}


def in_batches(fn, images: torch.Tensor, *extra: torch.Tensor) -> torch.Tensor:
    return torch.cat([fn(images[i:i + BATCH], *(e[i:i + BATCH] for e in extra))
                      for i in range(0, len(images), BATCH)])


def check_images(images: torch.Tensor, channels: int, what: str) -> torch.Tensor:
    """Images a translation net may read. Gray images given to a net that reads RGB (e.g. digits2colour-cyclegan's A,
    gray digits as RGB gray) are repeated over the three channels, the same conversion its data had."""
    if channels == 3 and images.dim() == 4 and images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    return base.check_images(images, channels, what, MIN_SIZE)


def table(columns: list[torch.Tensor], per_row: int = 4) -> torch.Tensor:
    """Columns of images (N, C, H, W) each -> a (rows, per_row * len(columns), C, H, W) table: item i's images side
    by side, `per_row` items to a row. Gray columns are shown as RGB when others are colour."""
    channels = max(c.shape[1] for c in columns)
    columns = [c.expand(-1, channels, -1, -1) if c.shape[1] != channels else c for c in columns]
    items = torch.stack([c.float().cpu() for c in columns], dim=1)  # (N, columns, C, H, W)
    per_row = min(per_row, len(items))
    blank = -torch.ones(-len(items) % per_row, *items.shape[1:])
    items = torch.cat([items, blank])
    return items.reshape(len(items) // per_row, per_row * len(columns), *items.shape[2:])
