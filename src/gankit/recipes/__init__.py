"""Recipes: one model family's training step each. The trainer owns the loop; a recipe owns how one step goes.

A recipe is built from (config, data item shape, number of classes, device) and offers:
  modules: dict[str, nn.Module]        everything whose weights a checkpoint holds
  optimizers: dict[str, Optimizer]     everything whose state a checkpoint holds
  train_step(x, y, step) -> dict       one step on one real minibatch; values are detached 0-d tensors
  curve_panels: [(title, {metric: label})]   what the progress bar shows and curves.png draws
  sampler: nn.Module                   maps (z, y) to data; what `gankit sample` and progress grids use
  z_dim, num_classes
and optionally:
  pictures(x, y) -> dict[str, images]  extra pictures the trainer saves beside each progress grid
  encode(x) -> z                       the latent code of data, where the family has an encoder (a VAE)
"""
from gankit.recipes.gan import GANRecipe
from gankit.recipes.vae import VAERecipe

RECIPES = {"gan": GANRecipe, "vae": VAERecipe}
