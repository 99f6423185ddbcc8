import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.spatial.distance import cdist
from scipy.special import logsumexp

from gankit.errors import GankitError
from gankit.metrics import evaluate
from gankit.metrics.parzen import SIGMAS, parzen_log_likelihood


def blur(images, sigma):
    radius = 3
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-t ** 2 / (2 * sigma ** 2))
    kernel = (kernel / kernel.sum()).view(1, 1, 1, -1)
    x = F.conv2d(F.pad(images, (radius, radius, 0, 0), mode="replicate"), kernel)
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="replicate"), kernel.transpose(-1, -2))


@pytest.mark.slow
def test_fid_of_two_disjoint_halves_of_the_digits_is_small(digits, digits_features):
    a, b = digits[:2500], digits[2500:]
    same = evaluate(a, b, ["fid"], digits_features)["fid"]
    noise = evaluate(torch.rand_like(a) * 2 - 1, b, ["fid"], digits_features)["fid"]
    assert same < 0.02 * noise


@pytest.mark.slow
@pytest.mark.parametrize("disturb, strengths", [
    (lambda x, s: (x + s * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))).clamp(-1, 1),
     [0.0, 0.1, 0.25, 0.5, 1.0]),
    (blur, [0.3, 0.7, 1.0, 1.5, 2.5]),
], ids=["gaussian-noise", "blur"])
def test_fid_grows_with_the_strength_of_a_disturbance(digits, digits_features, disturb, strengths):
    """Heusel et al. 2017, sec. 4 / fig. 3: FID rises monotonically as one side is disturbed more."""
    real, fake = digits[:1000], digits[1000:2000]
    fids = [evaluate(disturb(fake, s), real, ["fid"], digits_features)["fid"] for s in strengths]
    assert all(a < b for a, b in zip(fids, fids[1:])), fids


def test_inception_score_of_digits_beats_noise_and_coverage_counts_classes(digits, digits_features):
    real = evaluate(digits[:1000], digits[1000:2000], ["is", "coverage"], digits_features)
    noise = evaluate(torch.rand(1000, 1, 28, 28) * 2 - 1, digits[1000:2000], ["is"], digits_features)
    assert real["is"] > 8 > noise["is"] + 3
    assert real["classes"] == 10 and real["class_kl"] < 0.05
    ones = evaluate(digits[:1000][digits_features(digits[:1000], logits=True)[1].argmax(1) == 1],
                    digits[1000:2000], ["coverage"], digits_features)
    assert ones["classes"] == 1 and ones["class_kl"] == pytest.approx(math.log(10), rel=0.1)


@pytest.mark.slow
def test_a_data_set_name_uses_cached_reference_features(digits, digits_features, tmp_path):
    first = evaluate(digits[:300], "digits", ["fid", "kid", "pr"], digits_features)
    cached = list((tmp_path / "cache" / "eval").glob("digits-train-1x28x28-all-digits-*.safetensors"))
    assert len(cached) == 1
    assert evaluate(digits[:300], "digits", ["fid", "kid", "pr"], digits_features) == first
    assert first["precision"] > 0.9 and first["recall"] > 0.3


def test_images_of_different_sizes_are_refused(digits, digits_features):
    with pytest.raises(GankitError, match="same size"):
        evaluate(digits[:200], F.interpolate(digits[:200], size=32), ["fid"], digits_features)


def test_fewer_samples_than_feature_dimensions_is_refused(digits, digits_features):
    with pytest.raises(GankitError, match="more generated samples than features"):
        evaluate(digits[:50], digits[1000:2000], ["fid"], digits_features)


def test_an_unknown_metric_is_refused(digits):
    with pytest.raises(GankitError, match="unknown metric fdi"):
        evaluate(digits[:200], digits[200:400], "fid,fdi")


def direct_parzen(x, samples, sigma):
    """log p(x) under a Gaussian Parzen window on `samples` (Goodfellow et al. 2014, sec. 5), pixels in [0, 1],
    written out with scipy's logsumexp: logsumexp_i(-|x - s_i|^2 / 2 sigma^2) - log N - D/2 log(2 pi sigma^2)."""
    x, samples = [t.flatten(1).double().add(1).div(2).numpy() for t in (x, samples)]
    squared = cdist(x, samples, "sqeuclidean")
    dim = x.shape[1]
    return logsumexp(-squared / (2 * sigma ** 2), axis=1) - np.log(len(samples)) - dim / 2 * np.log(
        2 * np.pi * sigma ** 2)


def test_parzen_window_agrees_with_a_direct_logsumexp_estimate_at_the_sigma_validation_prefers(digits):
    samples, test, validation = digits[:500], digits[500:505], digits[505:605]
    result = parzen_log_likelihood(samples, test, validation)
    sigma = result["parzen_sigma"]
    direct = direct_parzen(test, samples, sigma)
    assert result["parzen"] == pytest.approx(direct.mean(), rel=1e-9)
    assert result["parzen_se"] == pytest.approx(direct.std(ddof=1) / math.sqrt(len(direct)), rel=1e-9)
    # sigma is the grid's best on the validation images, and not at either end of the grid (the search found a peak).
    on_validation = [direct_parzen(validation, samples, s).mean() for s in SIGMAS.tolist()]
    assert sigma == pytest.approx(SIGMAS[int(np.argmax(on_validation))].item())
    assert SIGMAS[0] < sigma < SIGMAS[-1]
    # A wrong sigma scores lower on the test images as well: half or twice the width.
    assert direct_parzen(test, samples, sigma / 2).mean() < result["parzen"]
    assert direct_parzen(test, samples, sigma * 2).mean() < result["parzen"]


def test_parzen_window_of_evaluate_ranks_digits_above_noise(digits):
    real = evaluate(digits[:1000], digits[1000:1500], ["parzen"])
    noise = evaluate(torch.rand(1000, 1, 28, 28) * 2 - 1, digits[1000:1500], ["parzen"])
    assert 0 < real["parzen_se"] < 20 and math.isfinite(real["parzen"])
    assert real["parzen"] > noise["parzen"] + 10 * (real["parzen_se"] + noise["parzen_se"])
