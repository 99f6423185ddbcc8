"""DiffAugment's operations and ADA's probability (gankit.augment), on their own, without training."""
import pytest
import torch

from gankit.augment import (OPERATIONS, AdaptiveAugment, brightness, contrast, cutout, diff_augment, parse_policy,
                            saturation, translation)
from gankit.errors import GankitError


def _images(n=8, channels=1, size=28, seed=0):
    """Images in [0.2, 1]: no pixel is 0, so a cut-out or shifted-in pixel (exactly 0) is easy to find."""
    return torch.rand(n, channels, size, size, generator=torch.Generator().manual_seed(seed)) * 0.8 + 0.2


@pytest.mark.parametrize("operation", [brightness, saturation, contrast, translation, cutout])
def test_every_operation_is_differentiable_and_its_gradient_is_the_true_one(operation):
    """Each operation is affine in x for fixed random draws, so the change of a weighted sum of T(x) under a small
    step e equals <grad, e> exactly: the gradient G receives through T is T's own, not zero and not detached."""
    x = _images(4, channels=3).requires_grad_(True)
    weights = torch.randn(4, 3, 28, 28, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(5)
    (weights * operation(x)).sum().backward()
    e = torch.randn_like(x) * 1e-2
    with torch.no_grad():
        torch.manual_seed(5)
        moved = (weights * operation(x + e)).sum()
        torch.manual_seed(5)
        here = (weights * operation(x)).sum()
    assert x.grad.abs().sum() > 0
    assert torch.allclose(moved - here, (x.grad * e).sum(), rtol=1e-3, atol=1e-4)


def test_translation_shifts_whole_images_by_at_most_an_eighth_and_shifts_zeros_in():
    x = _images(64)
    torch.manual_seed(0)
    out = translation(x)
    shifts = []
    for original, moved in zip(x, out):
        found = [(dy, dx) for dy in range(-4, 5) for dx in range(-4, 5)
                 if torch.equal(moved[:, 4:-4, 4:-4], original[:, 4 + dy:24 + dy, 4 + dx:24 + dx])]
        assert len(found) == 1
        shifts.append(found[0])
        dy, dx = found[0]
        assert (moved == 0).sum() == 28 * 28 - (28 - abs(dy)) * (28 - abs(dx))  # exactly the shifted-in border
    assert len(set(shifts)) > 10  # a shift of its own per image


def test_cutout_zeros_a_square_of_half_the_size_in_each_image_at_its_own_place():
    x = _images(64)
    torch.manual_seed(0)
    out = cutout(x)
    holes = out == 0
    assert torch.equal(out[~holes], x[~holes])
    areas = holes.flatten(1).sum(1)
    assert areas.max() == 14 * 14 and areas.min() > 0  # a square of 14 x 14, clipped where it meets the border
    assert len({tuple(h.nonzero()[0].tolist()) for h in holes}) > 10


def test_colour_changes_gray_images_by_brightness_and_contrast_and_leaves_their_saturation():
    x = _images(8)
    assert torch.equal(saturation(x), x)  # gray: each pixel equals its channel mean
    assert not torch.allclose(contrast(x), x)
    shifted = brightness(x) - x
    assert torch.allclose(shifted, shifted[:, :1, :1, :1].expand_as(shifted))  # one offset per image
    assert shifted.abs().max() <= 0.5


def test_probability_p_gates_each_operation_per_image():
    x = _images(400)
    torch.manual_seed(0)
    assert torch.equal(diff_augment(x, "cutout", p=torch.tensor(0.0)), x)
    torch.manual_seed(0)
    half = diff_augment(x, "cutout", p=torch.tensor(0.5))
    cut = (half == 0).flatten(1).any(1).float().mean()
    assert 0.4 < cut < 0.6
    torch.manual_seed(0)
    assert (diff_augment(x, "cutout") == 0).flatten(1).any(1).all()  # DiffAugment: p = 1, every image


def test_a_policy_is_checked_and_applied_in_the_reference_order():
    assert parse_policy("cutout, color") == ("color", "cutout")
    assert parse_policy("translation,cutout,color") == tuple(OPERATIONS)
    with pytest.raises(GankitError, match="gan.augment_policy names flip; choose"):
        parse_policy("color,flip")


def test_ada_p_rises_by_the_images_seen_while_D_is_too_sure_of_the_reals_and_falls_back_to_zero():
    ada = AdaptiveAugment("color", target=0.6, kimg=1.0, interval=4)
    sure = torch.full((50,), 3.0)   # sign +1 for every real: r_t = 1 > 0.6
    for _ in range(3):
        ada.observe(sure)
    assert ada.p == 0  # adjusted only every 4 steps
    ada.observe(sure)
    assert ada.rt == 1 and torch.isclose(ada.p, torch.tensor(200 / 1000))  # 4 steps x 50 images / 1 kimg
    for _ in range(8):
        ada.observe(sure)
    assert torch.isclose(ada.p, torch.tensor(600 / 1000))
    unsure = torch.cat([torch.ones(25), -torch.ones(25)])  # r_t = 0 < 0.6
    for _ in range(4 * 5):
        ada.observe(unsure)
    assert ada.rt == 0 and ada.p == 0  # down by 0.2 five times, and held at 0
    ada.observe(sure)
    state = ada.state_dict()
    assert state["steps"] == 1 and state["sign_sum"] == 50  # the half-gathered interval is part of the state
