import math

import pytest
import torch
import torch.nn.functional as F

from gankit.losses import LOSSES, d_loss, g_loss, gradient_penalty, r1_penalty


def test_d_loss_is_the_binary_cross_entropy_of_the_2014_value_function():
    real, fake = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([-3.0, 0.2, 1.0])
    p_real, p_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected = -(torch.log(p_real).mean() + torch.log(1 - p_fake).mean())
    for loss in ("minimax", "nonsaturating"):
        assert torch.allclose(d_loss(loss, real, fake), expected, atol=1e-6)


def test_g_losses_match_their_formulas():
    fake = torch.tensor([-4.0, 0.0, 3.0])
    p = torch.sigmoid(fake)
    assert torch.allclose(g_loss("minimax", fake), torch.log(1 - p).mean(), atol=1e-6)
    assert torch.allclose(g_loss("nonsaturating", fake), -torch.log(p).mean(), atol=1e-6)


# Hand-computed values for D(x) = [2, -1] on two real images and D(G(z)) = [0.5, -3] on two fakes.
SIGMOID = {l: 1 / (1 + math.exp(-l)) for l in (2.0, -1.0, 0.5, -3.0)}
REAL, FAKE = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
BY_HAND = {
    # Gulrajani et al. 2017, Algorithm 1 (without the penalty): D minimises D(x~) - D(x) = (0.5 - 3)/2 - (2 - 1)/2;
    # G minimises -D(G(z)) = -(0.5 - 3)/2.
    "wgan-gp": (-1.75, 1.25),
    # Lim & Ye 2017, Miyato et al. 2018: D minimises E max(0, 1 - D(x)) + E max(0, 1 + D(G(z)))
    # = (0 + 2)/2 + (1.5 + 0)/2; G minimises -E D(G(z)).
    "hinge": (1.75, 1.25),
    # Mao et al. 2017, eq. 2 with a = 0, b = c = 1: D minimises 1/2 E (D(x) - 1)^2 + 1/2 E D(G(z))^2
    # = (1 + 4)/4 + (0.25 + 9)/4; G minimises 1/2 E (D(G(z)) - 1)^2 = (0.25 + 16)/4.
    "lsgan": (3.5625, 4.0625),
    # Goodfellow et al. 2014, eq. 1 with D = sigmoid(logit): D minimises -E log D(x) - E log(1 - D(G(z))),
    # G (minimax) minimises E log(1 - D(G(z))).
    "minimax": (-(math.log(SIGMOID[2.0]) + math.log(SIGMOID[-1.0])) / 2
                - (math.log(1 - SIGMOID[0.5]) + math.log(1 - SIGMOID[-3.0])) / 2,
                (math.log(1 - SIGMOID[0.5]) + math.log(1 - SIGMOID[-3.0])) / 2),
}


@pytest.mark.parametrize("loss", sorted(BY_HAND))
def test_losses_have_the_values_of_their_papers_definitions(loss):
    d_expected, g_expected = BY_HAND[loss]
    assert d_loss(loss, REAL, FAKE).item() == pytest.approx(d_expected, rel=1e-6)
    assert g_loss(loss, FAKE).item() == pytest.approx(g_expected, rel=1e-6)


@pytest.mark.parametrize("loss", LOSSES)
def test_descending_D_loss_raises_real_logits_and_lowers_fake_ones_and_G_loss_raises_fake_ones(loss):
    """At logits inside every loss's active range: real in (-1, 1), fake in (0, 1), so no hinge margin is reached
    and no LSGAN target (real 1, fake 0) is passed."""
    real = torch.tensor([0.3, -0.6], requires_grad=True)
    fake = torch.tensor([0.2, 0.7], requires_grad=True)
    d_real, d_fake = torch.autograd.grad(d_loss(loss, real, fake), (real, fake))
    (g_fake,) = torch.autograd.grad(g_loss(loss, fake), fake)
    assert (d_real < 0).all() and (d_fake > 0).all() and (g_fake < 0).all()


def test_the_wgan_critic_loss_has_constant_slopes_and_no_bounds():
    """The Wasserstein critic's loss is linear in the logits: every real logit pulls with -1/N, every fake one pushes
    with +1/N, however far they are already (no saturation, no margin), and it can go below zero without limit."""
    real = torch.tensor([50.0, -2.0, 0.0, 7.0], requires_grad=True)
    fake = torch.tensor([-40.0, 1.0, 3.0], requires_grad=True)
    d_real, d_fake = torch.autograd.grad(d_loss("wgan-gp", real, fake), (real, fake))
    assert torch.equal(d_real, torch.full((4,), -1 / 4)) and torch.equal(d_fake, torch.full((3,), 1 / 3))
    assert d_loss("wgan-gp", torch.full((2,), 1e3), torch.full((2,), -1e3)).item() == -2e3


def test_hinge_stops_pushing_past_its_margins_and_lsgan_pulls_back_to_its_targets():
    real = torch.tensor([1.5, 0.5], requires_grad=True)  # one past the margin D(x) >= 1, one short of it
    fake = torch.tensor([-1.5, -0.5], requires_grad=True)
    d_real, d_fake = torch.autograd.grad(d_loss("hinge", real, fake), (real, fake))
    assert d_real.tolist() == [0.0, -0.5] and d_fake.tolist() == [0.0, 0.5]
    # LSGAN: a real logit above its target b = 1 is pulled down, a fake logit below a = 0 is pulled up.
    d_real, d_fake = torch.autograd.grad(d_loss("lsgan", real, fake), (real, fake))
    assert d_real.tolist() == pytest.approx([0.25, -0.25]) and d_fake.tolist() == pytest.approx([-0.75, -0.25])


def test_losses_stay_finite_for_extreme_logits():
    logits = torch.tensor([-200.0, 200.0], requires_grad=True)
    for loss in LOSSES:
        for value in (d_loss(loss, logits, logits), g_loss(loss, logits)):
            value.backward()
            assert torch.isfinite(value) and torch.isfinite(logits.grad).all()
            logits.grad = None


def test_nonsaturating_gradient_does_not_vanish_when_D_rejects():
    # D is confident the fake is fake: D(G(z)) = sigmoid(-8) ~ 3e-4.
    fake = torch.tensor([-8.0], requires_grad=True)
    (grad_minimax,) = torch.autograd.grad(g_loss("minimax", fake), fake)
    (grad_ns,) = torch.autograd.grad(g_loss("nonsaturating", fake), fake)
    assert abs(grad_ns.item()) > 0.99            # d/dl -log sigmoid(l) = -(1 - sigmoid(l)) ~ -1
    assert abs(grad_minimax.item()) < 1e-3       # d/dl log(1 - sigmoid(l)) = -sigmoid(l) ~ 0
    # Both push the logit up (G wants D to call its samples real).
    assert grad_ns.item() < 0 and grad_minimax.item() < 0


def test_one_sided_label_smoothing_softens_only_real_targets():
    real, fake = torch.zeros(4), torch.zeros(4)
    smooth = d_loss("nonsaturating", real, fake, real_label=0.9)
    plain = d_loss("nonsaturating", real, fake)
    # At logit 0 the BCE is log 2 whatever the target; move the real logits up and the smoothed loss stops falling.
    assert torch.allclose(smooth, plain)
    high = torch.full((4,), 5.0)
    assert d_loss("nonsaturating", high, fake, 0.9) > d_loss("nonsaturating", high, fake)
    expected = F.binary_cross_entropy_with_logits(high, torch.full((4,), 0.9)) + math.log(2)
    assert torch.allclose(d_loss("nonsaturating", high, fake, 0.9), expected, atol=1e-6)


def test_hinge_and_lsgan_are_zero_at_their_targets():
    assert d_loss("hinge", torch.full((3,), 1.5), torch.full((3,), -1.5)) == 0
    assert d_loss("lsgan", torch.ones(3), torch.zeros(3)) == 0


def test_gradient_penalty_is_zero_for_a_unit_slope_critic_and_positive_otherwise():
    w = torch.tensor([0.6, 0.8])  # ||w|| = 1: grad of x.w has norm 1 everywhere
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    assert gradient_penalty(lambda x, y: x @ w, real, fake).item() == pytest.approx(0.0, abs=1e-10)
    assert gradient_penalty(lambda x, y: x @ (3 * w), real, fake).item() == pytest.approx(4.0, rel=1e-5)


def test_r1_penalty_is_the_squared_slope_of_D_on_real_data():
    w = torch.tensor([3.0, 4.0])
    real = torch.randn(16, 2, requires_grad=True)
    assert r1_penalty(real @ w, real).item() == pytest.approx(25.0, rel=1e-6)  # ||w||^2 at every point
    quadratic = (real ** 2).sum(1)  # grad 2x: the mean of 4||x||^2
    assert r1_penalty(quadratic, real).item() == pytest.approx(4 * real.detach().pow(2).sum(1).mean().item(), rel=1e-5)


def test_unknown_loss_names_are_rejected():
    with pytest.raises(ValueError):
        d_loss("nope", torch.zeros(1), torch.zeros(1))
