import math

import pytest
import torch

from gankit.models.vae import build_vae
from gankit.recipes.vae import gaussian_kl, reconstruction_nll, reparameterize


def test_closed_form_kl_equals_a_monte_carlo_estimate():
    torch.manual_seed(0)
    mu, logvar = torch.randn(3, 4), torch.randn(3, 4).clamp(-2, 1)
    sigma = (0.5 * logvar).exp()
    z = mu + sigma * torch.randn(200_000, 3, 4)  # samples of q(z|x), 200k per item
    log_q = torch.distributions.Normal(mu, sigma).log_prob(z).sum(-1)
    log_p = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
    monte_carlo = (log_q - log_p).mean(0)  # KL = E_q[log q(z) - log p(z)]
    assert torch.allclose(gaussian_kl(mu, logvar), monte_carlo, rtol=0.02, atol=0.02)
    assert torch.allclose(gaussian_kl(torch.zeros(2, 5), torch.zeros(2, 5)), torch.zeros(2))  # q = p


def test_reparameterised_sample_has_mean_mu_and_std_sigma_and_passes_gradients_to_both():
    torch.manual_seed(0)
    mu = torch.tensor([1.5, -2.0, 0.0], requires_grad=True)
    logvar = torch.tensor([0.0, math.log(4.0), math.log(0.25)], requires_grad=True)
    z = reparameterize(mu.expand(100_000, 3), logvar.expand(100_000, 3))
    assert torch.allclose(z.mean(0), mu.detach(), atol=0.02)
    assert torch.allclose(z.std(0), torch.tensor([1.0, 2.0, 0.5]), rtol=0.02)
    z.pow(2).mean().backward()  # d E[z^2] / d mu = 2 mu, and sigma gets a gradient too
    assert torch.allclose(mu.grad, 2 * mu.detach() / 3, rtol=0.05, atol=0.02)
    assert logvar.grad is not None and (logvar.grad.abs() > 0).all()


@pytest.mark.parametrize("arch, shape", [("vae-mlp", (1, 28, 28)), ("vae-conv", (1, 28, 28)), ("vae-conv", (3, 32, 32))])
@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_encoder_gives_mu_and_logvar_and_decoder_mean_images_lie_in_minus_one_one(arch, shape, likelihood):
    encoder, decoder = build_vae(arch, shape, z_dim=6, width=8, depth=1, likelihood=likelihood)
    x = torch.rand(5, *shape) * 2 - 1
    mu, logvar = encoder(x)
    assert mu.shape == logvar.shape == (5, 6)
    images = decoder(torch.randn(5, 6) * 10)  # far-out codes still give valid images
    assert images.shape == (5, *shape) and images.min() >= -1 and images.max() <= 1
    nll = reconstruction_nll(decoder, mu, x)
    assert nll.shape == (5,) and torch.isfinite(nll).all()
    assert (decoder.log_sigma is not None) == (likelihood == "gaussian")


def test_bernoulli_reconstruction_term_is_the_cross_entropy_of_pixel_intensities():
    _, decoder = build_vae("vae-mlp", (1, 2, 2), z_dim=2, width=4, depth=1, likelihood="bernoulli")
    z = torch.randn(3, 2)
    p = torch.sigmoid(decoder.logits(z))
    x = torch.rand(3, 1, 2, 2) * 2 - 1
    t = (x + 1) / 2  # [-1, 1] -> [0, 1]
    expected = -(t * p.log() + (1 - t) * (1 - p).log()).flatten(1).sum(1)
    assert torch.allclose(reconstruction_nll(decoder, z, x), expected, atol=1e-5)
