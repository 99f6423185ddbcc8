"""What the three translation recipes (pix2pix, CycleGAN, StarGAN) share: no z, a `translate` method instead of
sampling, and progress pictures as a table of held-out inputs, one row per item: input | output (| reconstruction)
(| target). A translation recipe has z_dim None; the trainer then saves only its pictures (gankit.training)."""
from __future__ import annotations

import contextlib

import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models.translation import MIN_SIZE, ResNetGenerator, UNetGenerator

TRANSLATION_RECIPES = ("pix2pix", "cyclegan", "stargan")
GENERATORS = ("unet", "resnet")  # model.arch of pix2pix and CycleGAN: the authors' code offers both for either
BATCH = 256  # images translated at a time


def two_shapes(data_shape, recipe: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """((C_A, H, W), (C_B, H, W)) from a two-domain data set's shape (gankit.data.translation_dataset)."""
    if len(data_shape) != 2 or len(data_shape[0]) != 3:
        raise GankitError(f"recipe {recipe} needs two domains of images (A and B); this data set has items of shape "
                          f"{tuple(data_shape)}")
    return tuple(data_shape[0]), tuple(data_shape[1])


def build_generator(arch: str, in_channels: int, out_channels: int, image_size: int, width: int, blocks: int,
                    norm: str) -> nn.Module:
    if arch == "unet":
        return UNetGenerator(in_channels, out_channels, image_size, width, norm)
    if arch == "resnet":
        if image_size < MIN_SIZE:
            raise GankitError(f"the ResNet generator needs images of at least {MIN_SIZE} px, got {image_size}")
        return ResNetGenerator(in_channels, out_channels, width, blocks, norm)
    raise GankitError(f"model.arch {arch} is not a translation generator; choose {' or '.join(GENERATORS)}")


def adams(train, g_params, d_params) -> dict[str, torch.optim.Optimizer]:
    """The optimizers of every translation paper: Adam for the generator(s) at train.lr_g and for the
    discriminator(s) at train.lr_d, betas (train.beta1, train.beta2)."""
    betas = (train.beta1, train.beta2)
    return {"G": torch.optim.Adam(g_params, lr=train.lr_g, betas=betas),
            "D": torch.optim.Adam(d_params, lr=train.lr_d, betas=betas)}


@contextlib.contextmanager
def frozen(*nets: nn.Module):
    """D's parameters take no gradient while G's loss is backpropagated through D (stylegan2-ada's phases)."""
    for net in nets:
        net.requires_grad_(False)
    try:
        yield
    finally:
        for net in nets:
            net.requires_grad_(True)


@contextlib.contextmanager
def evaluating(*nets: nn.Module):
    """Eval mode (dropout off, BatchNorm's running statistics), restored afterwards: consumes no randomness."""
    was = [net.training for net in nets]
    for net in nets:
        net.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for net, mode in zip(nets, was):
            net.train(mode)


def in_batches(fn, images: torch.Tensor, *extra: torch.Tensor) -> torch.Tensor:
    return torch.cat([fn(images[i:i + BATCH], *(e[i:i + BATCH] for e in extra))
                      for i in range(0, len(images), BATCH)])


def check_images(images: torch.Tensor, channels: int, what: str) -> torch.Tensor:
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise GankitError(f"{what} must be images (N, C, H, W), got "
                          f"{tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__}")
    if images.shape[1] != channels:
        raise GankitError(f"{what} must have {channels} channel(s) ({'gray' if channels == 1 else 'RGB'}), got "
                          f"{images.shape[1]}")
    if min(images.shape[-2:]) < MIN_SIZE:
        raise GankitError(f"{what} are {images.shape[-1]}x{images.shape[-2]}; the nets need at least "
                          f"{MIN_SIZE}x{MIN_SIZE} pixels")
    return images.float()


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
