"""The MNIST nets of Salimans et al. (2016), openai/improved-gan's train_mnist_feature_matching.py: the weight-normalised
MLP D with Gaussian noise and its data-dependent initialisation (Salimans & Kingma 2016), and their G."""
import pytest
import torch
import torch.nn.functional as F

from gankit.models.ssl import GaussianNoise, ImprovedGANDiscriminator, ImprovedGANGenerator, weight_scale


def _digits(n=100, seed=0):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_the_discriminator_has_the_papers_layers_784_1000_500_250_250_250_10():
    D = ImprovedGANDiscriminator()
    assert [tuple(layer.weight.shape) for layer in D.layers] == [
        (1000, 784), (500, 1000), (250, 500), (250, 250), (250, 250), (10, 250)]
    logits, features = D(_digits(4))
    assert logits.shape == (4, 10) and features.shape == (4, 250) and D.feature_dim == 250
    assert (features >= 0).all()  # the last hidden layer's ReLU output, before its noise


def test_every_discriminator_layer_is_weight_normalised_w_equals_g_v_over_norm_v():
    D = ImprovedGANDiscriminator()
    for layer in D.layers:
        v, g = layer.parametrizations.weight.original1, weight_scale(layer)
        torch.testing.assert_close(layer.weight, g * v / v.norm(dim=1, keepdim=True))
    D.eval()
    x = _digits(8)
    before = D(x)[0]
    with torch.no_grad():  # only v's direction counts: scaling it changes nothing
        D.layers[0].parametrizations.weight.original1.mul_(7.0)
    torch.testing.assert_close(D(x)[0], before)


def test_only_the_class_layers_scale_is_learnt_as_in_their_code():
    D = ImprovedGANDiscriminator()
    assert [weight_scale(layer).requires_grad for layer in D.layers] == [False] * 5 + [True]


def test_the_noise_is_0_3_on_the_input_and_0_5_after_each_hidden_layer():
    D = ImprovedGANDiscriminator()
    assert [noise.std for noise in D.noise] == [0.3, 0.5, 0.5, 0.5, 0.5, 0.5]
    noise = GaussianNoise(0.3).train()
    torch.manual_seed(0)
    x = torch.zeros(200, 500)
    assert (noise(x) - x).std().item() == pytest.approx(0.3, rel=0.01)


def test_the_noise_is_on_in_train_mode_only():
    D = ImprovedGANDiscriminator()
    x = _digits(8)
    torch.manual_seed(0)
    assert not torch.equal(D(x)[0], D(x)[0])  # train mode: a fresh draw each pass
    D.eval()
    state = torch.get_rng_state()
    eval_logits = D(x)[0]
    assert torch.equal(torch.get_rng_state(), state)  # eval mode draws nothing
    h = (x.flatten(1) + 1) / 2  # the same net with the noise taken out by hand
    for layer in D.layers[:-1]:
        h = F.relu(layer(h))
    torch.testing.assert_close(eval_logits, D.layers[-1](h))


def test_data_dependent_init_gives_every_pre_activation_mean_0_and_variance_1_on_its_batch():
    D = ImprovedGANDiscriminator()
    x = _digits(100)
    D.data_dependent_init(x)
    h = (x.flatten(1) + 1) / 2
    with torch.no_grad():
        for layer in D.layers:
            t = layer(h)
            torch.testing.assert_close(t.mean(0), torch.zeros(t.shape[1]), atol=1e-4, rtol=0)
            torch.testing.assert_close(t.var(0, unbiased=False), torch.ones(t.shape[1]), atol=1e-3, rtol=0)
            h = F.relu(t)
    # The statistics are of that batch: another batch's are near, not equal.
    t = D.layers[0]((_digits(100, seed=1).flatten(1) + 1) / 2)
    assert 0.5 < t.var(0).mean().item() < 2 and not torch.allclose(t.var(0), torch.ones(1000), atol=1e-3)


def test_the_generator_makes_images_in_minus_1_1_from_normal_z_with_a_weight_normalised_output_layer():
    G = ImprovedGANGenerator(100)
    images = G(torch.randn(16, 100))
    assert images.shape == (16, 1, 28, 28) and images.min() >= -1 and images.max() <= 1
    assert weight_scale(G.out).shape == (784, 1) and torch.equal(weight_scale(G.out), torch.ones(784, 1))
    norms = [m for m in G.body if isinstance(m, torch.nn.BatchNorm1d)]
    # batch norm with a learnt shift and no scale, theirs: nn.batch_norm(..., g=None)
    assert len(norms) == 2 and all(not n.weight.requires_grad and n.bias.requires_grad for n in norms)
