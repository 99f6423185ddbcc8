"""Recipes: one model family's training step each. The trainer owns the loop; a recipe owns how one step goes.

A recipe is built from its nets and the train config, `GANRecipe(G, D, train, device)`, or from a whole config,
`Recipe.from_config(cfg, data_shape, num_classes, device)`, and offers:
  modules: dict[str, nn.Module]        everything whose weights a checkpoint holds
  optimizers: dict[str, Optimizer]     everything whose state a checkpoint holds (made on first use)
  train_step(x, y, step) -> dict       one step on one real minibatch; values are detached 0-d tensors
  curve_panels: [(title, {metric: label})]   what the progress bar shows and curves.png draws
  sampler: nn.Module                   maps z (and labels, if conditional) to data; what sampling and grids use
  z_dim, num_classes
and optionally:
  pictures(x, y) -> dict[str, images]  extra pictures the trainer saves beside each progress grid
Translation recipes (pix2pix, cyclegan, stargan) have z_dim None and no fixed-noise grid: their `pictures(a, b)` of
fixed held-out inputs are tables (rows, columns, C, H, W), and `translate(images, direction, to)` replaces sampling.
  encode(x) -> z                       the latent code of data, where the family has an encoder (a VAE)
"""
from gankit.recipes.gan import ARCHS as GAN_ARCHS
from gankit.recipes.gan import GANRecipe, build_gan, forward
from gankit.recipes.vae import ARCHS as VAE_ARCHS
from gankit.recipes.vae import VAERecipe
from gankit.recipes.ssl import SSLRecipe
from gankit.recipes.cyclegan import CycleGANRecipe
from gankit.recipes.pix2pix import Pix2PixRecipe
from gankit.recipes.stargan import StarGANRecipe
from gankit.recipes.translation import GENERATORS as TRANSLATION_ARCHS
from gankit.recipes.translation import TRANSLATION_RECIPES

RECIPES = {"gan": GANRecipe, "vae": VAERecipe, "ssl": SSLRecipe,
           "pix2pix": Pix2PixRecipe, "cyclegan": CycleGANRecipe, "stargan": StarGANRecipe}
# Every architecture a config may name: each recipe's own, and "custom" for nets passed from Python.
ARCHS = (*GAN_ARCHS, *VAE_ARCHS, *TRANSLATION_ARCHS, "stargan", "custom")

__all__ = ["RECIPES", "ARCHS", "GANRecipe", "VAERecipe", "SSLRecipe", "Pix2PixRecipe", "CycleGANRecipe",
           "StarGANRecipe", "TRANSLATION_RECIPES", "build_gan", "forward"]
