"""The SNGAN-style residual G and D (gankit.models.resnet_gan)."""
import pytest
import torch
from torch import nn

from gankit.config import load_config
from gankit.errors import GankitError
from gankit.models.resnet_gan import ResNetDiscriminator, ResNetGenerator
from gankit.recipes import GANRecipe


@pytest.mark.parametrize("size, channels", [(28, 1), (32, 3)])
def test_G_draws_images_of_the_asked_size_in_minus_one_one_and_D_gives_one_logit_each(size, channels):
    G = ResNetGenerator(z_dim=16, image_size=size, channels=channels, width=8)
    D = ResNetDiscriminator(image_size=size, channels=channels, width=8)
    x = G(torch.randn(5, 16))
    assert x.shape == (5, channels, size, size) and x.abs().max() <= 1
    assert D(x).shape == (5,)


def test_D_is_spectrally_normalised_in_every_layer_and_a_gan_step_trains_it():
    cfg = load_config("digits-sngan-resnet", overrides=["model.width=8", "model.z_dim=16"])
    recipe = GANRecipe.from_config(cfg, (1, 28, 28), 10)
    layers = [m for m in recipe.D.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 4 * 2 + 2 + 1  # two convs per block, two 1x1 shortcuts, the final linear
    before = [p.detach().clone() for p in recipe.D.parameters()]
    x = torch.rand(16, 1, 28, 28) * 2 - 1
    for step in range(5):
        out = recipe.train_step(x, None, step)
    assert {"loss_d", "loss_g"} <= set(out)
    assert any(not torch.equal(a, b) for a, b in zip(before, recipe.D.parameters()))
    recipe.D.eval()
    with torch.no_grad():
        for m in layers:
            sigma = torch.linalg.matrix_norm(m.weight.reshape(m.weight.shape[0], -1), ord=2)
            assert abs(sigma - 1) < 0.05


def test_unsupported_sizes_and_conditional_runs_are_clear_errors():
    with pytest.raises(GankitError, match="image sizes \\[28, 32\\], not 64"):
        ResNetGenerator(image_size=64)
    cfg = load_config("digits-sngan-resnet", overrides=["model.conditional=true"])
    with pytest.raises(GankitError, match="sngan-resnet has no conditional variant"):
        GANRecipe.from_config(cfg, (1, 28, 28), 10)
    with pytest.raises(GankitError, match="model.d_norm must be spectral or none"):
        ResNetDiscriminator(image_size=28, channels=1, norm="batch")
