"""Plain nn.Modules: no optimizers, no losses, no I/O. Discriminators return logits.

The recipe that trains a family builds its nets from a config (gankit.recipes.gan.build_gan, gankit.models.vae.build_vae).
"""
from gankit.models.dcgan import DCGANDiscriminator, DCGANGenerator
from gankit.models.mlp import (GoodfellowDiscriminator, GoodfellowGenerator, Maxout, ToyDiscriminator,
                               ToyGenerator)

__all__ = ["DCGANGenerator", "DCGANDiscriminator", "GoodfellowGenerator", "GoodfellowDiscriminator",
           "ToyGenerator", "ToyDiscriminator", "Maxout"]
