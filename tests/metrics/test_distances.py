import numpy as np
import pytest
import scipy.linalg
import torch

from gankit.errors import GankitError
from gankit.metrics.distances import frechet_distance, kernel_distance


def random_features(n, d, seed, shift=0.0):
    generator = torch.Generator().manual_seed(seed)
    mixing = torch.randn(d, d, generator=generator) / d ** 0.5
    return (torch.randn(n, d, generator=generator) @ mixing + shift).double()


def numpy_fid(a, b):
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))


def numpy_kid(a, b):
    """Unbiased MMD^2 with k(x, y) = (x.y / d + 1)^3 on all samples (Binkowski et al. 2018, eq. 3)."""
    d, m, n = a.shape[1], len(a), len(b)
    k_aa, k_bb, k_ab = ((x @ y.T / d + 1) ** 3 for x, y in ((a, a), (b, b), (a, b)))
    return float((k_aa.sum() - np.trace(k_aa)) / (m * (m - 1)) + (k_bb.sum() - np.trace(k_bb)) / (n * (n - 1))
                 - 2 * k_ab.mean())


def test_fid_agrees_with_numpy_and_scipy():
    real, fake = random_features(400, 16, 0), random_features(300, 16, 1, shift=0.3)
    assert frechet_distance(real, fake) == pytest.approx(numpy_fid(real.numpy(), fake.numpy()), rel=1e-4)


def test_kid_agrees_with_numpy_when_one_subset_holds_every_sample():
    real, fake = random_features(200, 16, 2), random_features(200, 16, 3, shift=0.3)
    mean, _ = kernel_distance(real, fake, subsets=1, subset_size=200)
    assert mean == pytest.approx(numpy_kid(real.numpy(), fake.numpy()), rel=1e-4)


def test_fid_refuses_fewer_samples_than_feature_dimensions():
    with pytest.raises(GankitError, match="more generated samples than features"):
        frechet_distance(random_features(100, 32, 0), random_features(20, 32, 1))


def test_feature_sets_of_different_widths_are_refused():
    with pytest.raises(GankitError, match="same D"):
        frechet_distance(random_features(100, 8, 0), random_features(100, 16, 1))
    with pytest.raises(GankitError, match="same D"):
        kernel_distance(random_features(100, 8, 0), random_features(100, 16, 1))
