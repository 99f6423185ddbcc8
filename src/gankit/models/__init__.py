"""Plain nn.Modules: no optimizers, no losses, no I/O. Discriminators return logits."""
from __future__ import annotations

from torch import nn

from gankit.config import ModelConfig
from gankit.errors import GankitError
from gankit.models.dcgan import DCGANDiscriminator, DCGANGenerator
from gankit.models.mlp import (GoodfellowDiscriminator, GoodfellowGenerator, Maxout, ToyDiscriminator,
                               ToyGenerator)

# Every architecture a config may name; the recipe that trains it decides how it is built.
ARCHS = ("dcgan", "goodfellow-mlp", "toy-mlp", "vae-mlp", "vae-conv")

__all__ = ["ARCHS", "build_gan", "DCGANGenerator", "DCGANDiscriminator", "GoodfellowGenerator", "GoodfellowDiscriminator",
           "ToyGenerator", "ToyDiscriminator", "Maxout"]


def build_gan(m: ModelConfig, data_shape: tuple[int, ...], num_classes: int) -> tuple[nn.Module, nn.Module]:
    """G and D for data items of `data_shape` ((C, H, W) or (D,)) with `num_classes` labels (0: unlabelled)."""
    conditional = m.conditional or m.acgan
    if conditional and not num_classes:
        raise GankitError("model.conditional / model.acgan need a labelled data set, and this one has no labels")
    classes = num_classes if conditional else 0
    if m.arch == "toy-mlp":
        if len(data_shape) != 1:
            raise GankitError(f"model.arch toy-mlp is for point data; this data set holds images {data_shape}")
        if conditional:
            raise GankitError("toy-mlp has no conditional variant")
        return (ToyGenerator(m.z_dim, data_shape[0], m.width, m.depth),
                ToyDiscriminator(data_shape[0], m.width, m.depth, m.pack))
    if len(data_shape) != 3:
        raise GankitError(f"model.arch {m.arch} is for images; this data set holds points of shape {data_shape}")
    if m.arch == "goodfellow-mlp":
        if conditional:
            raise GankitError("goodfellow-mlp has no conditional variant; use arch dcgan")
        return GoodfellowGenerator(m.z_dim, data_shape), GoodfellowDiscriminator(data_shape)
    if m.arch != "dcgan":
        raise GankitError(f"model.arch {m.arch} is not a GAN architecture; the gan recipe builds dcgan, "
                          f"goodfellow-mlp or toy-mlp")
    channels, height, width = data_shape
    if height != width:
        raise GankitError(f"DCGAN needs square images, got {height}x{width}")
    return (DCGANGenerator(m.z_dim, height, channels, m.width, classes),
            DCGANDiscriminator(height, channels, m.width, classes, acgan=m.acgan, norm=m.d_norm))
