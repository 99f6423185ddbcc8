import numpy as np
import pytest
import torch

from gankit.lab import optimal_d
from gankit.lab.exact import AffineGenerator, gaussian, optimal_discriminator
from gankit.lab.optimal_d import DIP_ERROR, G_FROZEN, MEAN_ERROR


def check_the_claim(numbers: dict) -> None:
    """Proposition 1 on the data's support: D is close to D* everywhere, and D's dip sits where D*'s does (a
    sigmoid of a linear logit, the best monotone fit, is off by 0.029 on average and has no dip at all)."""
    assert numbers["mean |D - D*| on support"] <= MEAN_ERROR
    assert numbers["max |D - D*| on support"] <= 0.03
    assert numbers["D*'s minimum on support at x"] == pytest.approx(2.34, abs=0.01)
    assert abs(numbers["D's minimum on support at x"] - numbers["D*'s minimum on support at x"]) <= DIP_ERROR
    # D* climbs 0.038 from its minimum to x = 3; D must climb too, not just level off.
    assert numbers["D's rise from its minimum to the support's right end"] >= 0.01


@pytest.mark.slow
def test_D_trained_against_a_frozen_affine_G_is_D_star_dip_included(tmp_path):
    numbers = optimal_d.run(tmp_path, quick=True, seed=0)
    check_the_claim(numbers)
    assert (tmp_path / "optimal-d.png").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_claim_holds_for_other_seeds(tmp_path, seed):
    check_the_claim(optimal_d.run(tmp_path, quick=True, seed=seed))


def test_against_optimum_finds_the_dip_of_D_star_and_none_in_a_monotone_D():
    x = np.linspace(-3, 3, 601)
    support = np.ones_like(x, dtype=bool)
    exact = optimal_discriminator(gaussian(0, 1), AffineGenerator(**G_FROZEN).density(), x)
    monotone = 1 / (1 + np.exp(-(-2.76 * x + 2.20)))  # the best sigmoid of a linear logit for this D*
    numbers = optimal_d.against_optimum(x, monotone, exact, support)
    assert numbers["mean |D - D*| on support"] > MEAN_ERROR
    assert numbers["D's minimum on support at x"] == 3.0
    assert numbers["D's rise from its minimum to the support's right end"] == 0
    assert optimal_d.against_optimum(x, exact, exact, support)["mean |D - D*| on support"] == 0


def test_affine_generator_density_is_the_gaussian_it_draws_from():
    G = AffineGenerator(a=-0.6, b=1.5)
    x = G(torch.randn(200_000, 1, generator=torch.Generator().manual_seed(0)))
    p_g = G.density()
    assert p_g.means == (1.5,) and abs(p_g.stds[0] - 0.6) < 1e-6
    assert abs(x.mean().item() - 1.5) < 0.01 and abs(x.std().item() - 0.6) < 0.01
