import pytest
import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models import DCGANDiscriminator, DCGANGenerator, GoodfellowDiscriminator, GoodfellowGenerator, Maxout


def _generator_feature_shapes(G, z):
    shapes = []
    x = z[:, :, None, None]
    for layer in G.net:
        x = layer(x)
        if isinstance(layer, nn.ConvTranspose2d):
            shapes.append(tuple(x.shape[1:]))
    return shapes


def _discriminator_feature_shapes(D, x):
    shapes = []
    for layer in D.features:
        x = layer(x)
        if isinstance(layer, nn.Conv2d):
            shapes.append(tuple(x.shape[1:]))
    return shapes + [tuple(D.head(x).shape[1:])]


def test_64px_generator_is_exactly_radford_figure_1():
    G = DCGANGenerator(z_dim=100, image_size=64, channels=3, width=128)
    shapes = _generator_feature_shapes(G, torch.randn(2, 100))
    assert shapes == [(1024, 4, 4), (512, 8, 8), (256, 16, 16), (128, 32, 32), (3, 64, 64)]


# Each size halves to 4x4 (28 px: 28 -> 14 -> 7 -> 4, the 7 <-> 4 step with a 3x3 kernel), doubling the channels
# from `width` next to the image; G is the mirror of D.
LAYERS = {  # image size -> feature maps from the image towards 4x4, width 8, gray images
    28: [(8, 14, 14), (16, 7, 7), (32, 4, 4)],
    32: [(8, 16, 16), (16, 8, 8), (32, 4, 4)],
    64: [(8, 32, 32), (16, 16, 16), (32, 8, 8), (64, 4, 4)],
}


@pytest.mark.parametrize("size", sorted(LAYERS))
def test_generator_layers_at_every_size_mirror_the_discriminators(size):
    G = DCGANGenerator(z_dim=16, image_size=size, channels=1, width=8)
    assert _generator_feature_shapes(G, torch.randn(2, 16)) == LAYERS[size][::-1] + [(1, size, size)]


@pytest.mark.parametrize("size", sorted(LAYERS))
def test_discriminator_layers_at_every_size_halve_down_to_one_logit(size):
    D = DCGANDiscriminator(image_size=size, channels=1, width=8)
    assert _discriminator_feature_shapes(D, torch.randn(2, 1, size, size)) == LAYERS[size] + [(1, 1, 1)]
    assert D.feature_dim == 16 * LAYERS[size][-1][0]


def test_64px_discriminator_is_the_mirror_of_radford_figure_1():
    D = DCGANDiscriminator(image_size=64, channels=3, width=128)
    shapes = _discriminator_feature_shapes(D, torch.randn(2, 3, 64, 64))
    assert shapes == [(128, 32, 32), (256, 16, 16), (512, 8, 8), (1024, 4, 4), (1, 1, 1)]


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_for_every_size_and_channel_count(size, channels):
    G = DCGANGenerator(z_dim=16, image_size=size, channels=channels, width=8)
    D = DCGANDiscriminator(image_size=size, channels=channels, width=8)
    x = G(torch.randn(5, 16))
    assert x.shape == (5, channels, size, size)
    assert x.min() >= -1 and x.max() <= 1  # tanh output
    assert D(x).shape == (5,)


def test_dcgan_follows_the_papers_rules():
    G = DCGANGenerator(image_size=64, channels=3, width=16)
    D = DCGANDiscriminator(image_size=64, channels=3, width=16)
    kinds = {type(m) for m in list(G.modules()) + list(D.modules())}
    assert not kinds & {nn.MaxPool2d, nn.AvgPool2d, nn.Linear}  # no pooling, no hidden fully-connected layers
    g_layers = list(G.net)
    assert isinstance(g_layers[-1], nn.Tanh) and isinstance(g_layers[-2], nn.ConvTranspose2d)  # no BN at G output
    assert all(isinstance(m, nn.ReLU) for m in g_layers if isinstance(m, (nn.ReLU, nn.LeakyReLU)))
    d_layers = list(D.features)
    assert isinstance(d_layers[1], nn.LeakyReLU) and d_layers[1].negative_slope == 0.2  # no BN at D input
    assert sum(isinstance(m, nn.BatchNorm2d) for m in D.modules()) == 3
    weights = torch.cat([m.weight.flatten() for m in G.modules() if isinstance(m, nn.ConvTranspose2d)])
    assert weights.std().item() == pytest.approx(0.02, rel=0.05) and abs(weights.mean().item()) < 1e-3


def test_conditional_nets_use_the_label():
    torch.manual_seed(0)
    G = DCGANGenerator(z_dim=8, image_size=28, channels=1, width=8, num_classes=10).eval()
    D = DCGANDiscriminator(image_size=28, channels=1, width=8, num_classes=10).eval()
    z = torch.randn(1, 8)
    a, b = G(z, torch.tensor([1])), G(z, torch.tensor([2]))
    assert not torch.allclose(a, b)
    nn.init.normal_(D.embed.weight)
    assert not torch.allclose(D(a, torch.tensor([1])), D(a, torch.tensor([2])))


def test_acgan_discriminator_returns_logits_and_class_logits():
    D = DCGANDiscriminator(image_size=32, channels=3, width=8, num_classes=10, acgan=True)
    logits, cls = D(torch.randn(4, 3, 32, 32))
    assert logits.shape == (4,) and cls.shape == (4, 10)


def test_unsupported_image_size_is_a_user_error():
    with pytest.raises(GankitError, match="image sizes"):
        DCGANGenerator(image_size=48)


def test_goodfellow_mlp_has_the_papers_sizes():
    G, D = GoodfellowGenerator(), GoodfellowDiscriminator()
    linear = [m for m in G.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(100, 1200), (1200, 1200), (1200, 784)]
    maxouts = [m for m in D.modules() if isinstance(m, Maxout)]
    assert [(m.units, m.pieces) for m in maxouts] == [(240, 5), (240, 5)]
    x = G(torch.randn(3, 100))
    assert x.shape == (3, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    assert D(x).shape == (3,)


def test_maxout_takes_the_max_over_pieces():
    m = Maxout(2, units=1, pieces=3)
    with torch.no_grad():
        m.linear.weight.copy_(torch.tensor([[1.0, 0], [0, 1], [-1, -1]]))
        m.linear.bias.zero_()
    assert m(torch.tensor([[2.0, -5.0]])).item() == 3.0  # max(2, -5, 3)
