import numpy as np
import torch

from gankit.data import load_dataset
from gankit.lab.exact import AffineGenerator, gaussian, optimal_discriminator
from gankit.lab.optimal_d import G_FROZEN, discriminator_probability, train_discriminator


def test_discriminator_trained_against_frozen_affine_G_matches_D_star_on_the_data_support():
    G = AffineGenerator(**G_FROZEN).requires_grad_(False)
    real = load_dataset("gaussian1d", n=20_000, seed=0).x
    D, _ = train_discriminator(G, real, steps=400, batch_size=256, seed=0)
    x = np.linspace(-3, 3, 601)  # N(0, 1) data: mean +- 3 std
    learned = discriminator_probability(D, torch.tensor(x, dtype=torch.float32)[:, None])
    assert np.abs(learned - optimal_discriminator(gaussian(0, 1), G.density(), x)).mean() <= 0.05


def test_affine_generator_density_is_the_gaussian_it_draws_from():
    G = AffineGenerator(a=-0.6, b=1.5)
    x = G(torch.randn(200_000, 1, generator=torch.Generator().manual_seed(0)))
    p_g = G.density()
    assert p_g.means == (1.5,) and abs(p_g.stds[0] - 0.6) < 1e-6
    assert abs(x.mean().item() - 1.5) < 0.01 and abs(x.std().item() - 0.6) < 0.01
