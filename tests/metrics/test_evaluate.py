import math

import pytest
import torch
import torch.nn.functional as F

from gankit.errors import GankitError
from gankit.metrics import evaluate


def blur(images, sigma):
    radius = 3
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-t ** 2 / (2 * sigma ** 2))
    kernel = (kernel / kernel.sum()).view(1, 1, 1, -1)
    x = F.conv2d(F.pad(images, (radius, radius, 0, 0), mode="replicate"), kernel)
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="replicate"), kernel.transpose(-1, -2))


def test_fid_of_two_disjoint_halves_of_the_digits_is_small(digits, digits_features):
    a, b = digits[:2500], digits[2500:]
    same = evaluate(a, b, ["fid"], digits_features)["fid"]
    noise = evaluate(torch.rand_like(a) * 2 - 1, b, ["fid"], digits_features)["fid"]
    assert same < 0.02 * noise


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


def test_parzen_window_gives_a_log_likelihood_and_its_standard_error(digits):
    result = evaluate(digits[:1000], digits[1000:1500], ["parzen"])
    assert 0.1 <= result["parzen_sigma"] <= 1.0
    assert 0 < result["parzen_se"] < 20 and math.isfinite(result["parzen"])
