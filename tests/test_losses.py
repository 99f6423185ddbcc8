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
    assert torch.allclose(g_loss("wgan-gp", fake), -fake.mean())
    assert torch.allclose(g_loss("hinge", fake), -fake.mean())
    assert torch.allclose(g_loss("lsgan", fake), 0.5 * ((fake - 1) ** 2).mean())


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
