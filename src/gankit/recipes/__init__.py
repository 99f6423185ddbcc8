"""Recipes: one model family's training step each (the contract: gankit.recipes.base).

The registry below is the one list of families. A new family is one file with a `Recipe` subclass (its `name`,
`settings`, `archs`, `from_config`, `train_step`, `progress_pictures` ...) and one entry in `register(...)`: the config
then accepts its name, its section and its architectures, the trainer trains it, and the run folder resumes it.
"""
from gankit.config import register_recipe
from gankit.errors import GankitError
from gankit.recipes.base import CAPABILITIES, Recipe, forward
from gankit.recipes.cyclegan import CycleGANRecipe
from gankit.recipes.gan import GANRecipe, GANSettings, build_gan
from gankit.recipes.pix2pix import Pix2PixRecipe
from gankit.recipes.ssl import SSLRecipe
from gankit.recipes.stargan import StarGANRecipe
from gankit.recipes.vae import VAERecipe
from gankit.recipes.wgan import WGANRecipe


RECIPES: dict[str, type[Recipe]] = {}


def register(*recipes: type[Recipe]) -> dict[str, type[Recipe]]:
    """Add recipes to RECIPES, each registered with the config too (its section, architectures and validation)."""
    for recipe in recipes:
        register_recipe(recipe.name, recipe.settings, recipe.archs, recipe.validate)
        RECIPES[recipe.name] = recipe
    return RECIPES


register(GANRecipe, VAERecipe, SSLRecipe, Pix2PixRecipe, CycleGANRecipe, StarGANRecipe, WGANRecipe)
# Every architecture a config may name: each recipe's own, and "custom" for nets passed from Python.
ARCHS = (*dict.fromkeys(arch for recipe in RECIPES.values() for arch in recipe.archs), "custom")


def recipes_with(capability: type) -> list[str]:
    """The names of the registered recipes that have a capability (gankit.recipes.base.CAPABILITIES)."""
    return [name for name, recipe in RECIPES.items() if issubclass(recipe, capability)]


def require(recipe, capability: type, what: str = "this run") -> None:
    """A one-line error unless `recipe` has `capability`: what it is, what it cannot do, which recipes can."""
    if not isinstance(recipe, capability):
        name = recipe.name if isinstance(recipe, Recipe) else type(recipe).__name__
        raise GankitError(f"{what} is a {name} run and cannot {capability.can}; recipes that can: "
                          f"{', '.join(recipes_with(capability))}")


__all__ = ["RECIPES", "ARCHS", "CAPABILITIES", "Recipe", "GANRecipe", "GANSettings", "VAERecipe", "SSLRecipe",
           "Pix2PixRecipe", "CycleGANRecipe", "StarGANRecipe", "build_gan", "forward", "recipes_with", "register", "require"]
