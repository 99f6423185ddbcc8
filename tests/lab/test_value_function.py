import math

import numpy as np
import pytest

from gankit.lab.exact import GaussianMixture1d, gaussian, jensen_shannon, optimal_discriminator, value_at_optimal_d
from gankit.lab.value_function import data_density, generators

P_DATA = data_density()


@pytest.mark.parametrize("p_g", generators(P_DATA), ids=lambda p: p.describe())
def test_value_at_optimal_d_is_minus_log4_plus_twice_jsd(p_g):
    assert value_at_optimal_d(P_DATA, p_g) == pytest.approx(-math.log(4) + 2 * jensen_shannon(P_DATA, p_g), abs=1e-3)


def test_at_p_g_equal_p_data_d_star_is_one_half_and_v_is_minus_log4():
    x = np.linspace(-8, 8, 1001)
    assert np.allclose(optimal_discriminator(P_DATA, P_DATA, x), 0.5)
    assert value_at_optimal_d(P_DATA, P_DATA) == pytest.approx(-math.log(4), abs=1e-9)


def test_jsd_tends_to_log2_for_disjoint_densities_and_is_symmetric():
    far = gaussian(40.0, 1.0)
    assert jensen_shannon(P_DATA, far) == pytest.approx(math.log(2), abs=1e-6)
    p_g = GaussianMixture1d((-2.0, 2.0), (0.5, 0.5), (0.3, 0.7))
    assert jensen_shannon(P_DATA, p_g) == pytest.approx(jensen_shannon(p_g, P_DATA), abs=1e-9)


def test_mixture_density_integrates_to_one():
    p = GaussianMixture1d((-2.0, 3.0), (0.5, 2.0), (0.25, 0.75))
    x = np.linspace(-30, 30, 200_001)
    assert np.trapezoid(p.pdf(x), x) == pytest.approx(1.0, abs=1e-6)
