import math

import pytest
import torch

import gankit
import gankit.latent as latent
from gankit.errors import GankitError
from gankit.latent.inversion import pixel_mse


def test_inverting_a_gan_sample_recovers_an_image_close_to_it(gan_run):
    run = gankit.load(gan_run)
    target = run.sample(4, seed=5)
    inv = latent.invert(run, target, steps=150, restarts=3)
    unrelated = pixel_mse(run.sample(4, seed=6), target)  # another sample of the model: the baseline
    assert inv.method == "optimisation"
    assert (inv.mse < 0.1 * unrelated).all(), (inv.mse, unrelated)
    assert torch.allclose(inv.z.norm(dim=1), torch.full((4,), math.sqrt(8)), rtol=1e-4)  # on the typical sphere
    assert torch.allclose(inv.reconstructions, latent.decode(run, inv.z), atol=1e-6)
    assert (inv.psnr > 20).all()


def test_vae_inversion_is_its_encoder_and_a_search_over_z_beats_it(vae_run):
    run = gankit.load(vae_run)
    x, _ = gankit.data.load_dataset("digits", n=8, seed=1).batch(torch.arange(8))
    by_encoder = latent.invert(run, x)
    assert by_encoder.method == "encoder"
    assert torch.allclose(by_encoder.z, run.recipe.encode(x))
    assert torch.allclose(by_encoder.mse, pixel_mse(latent.decode(run, by_encoder.z), x))
    # The amortisation gap (docs/vae-and-latent.md, Cremer et al. 2018): the encoder is instant, but a search over z
    # finds codes whose images are closer.
    by_search = latent.invert(run, x, steps=150, restarts=3, use_encoder=False)
    assert by_search.method == "optimisation"
    assert by_search.mse.mean() < 0.97 * by_encoder.mse.mean(), (by_search.mse, by_encoder.mse)
    assert (by_search.mse < by_encoder.mse).sum() >= 6


def test_inversion_refuses_images_of_another_shape(gan_run):
    with pytest.raises(GankitError, match="do not fit"):
        latent.invert(gankit.load(gan_run), torch.zeros(1, 3, 32, 32))
