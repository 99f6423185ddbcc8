"""The translation nets: U-Net, PatchGAN, ResNet-block generator, StarGAN's G and D."""
import pytest
import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models.translation import (PatchGANDiscriminator, ResNetGenerator, StarGANDiscriminator,
                                       StarGANGenerator, UNetGenerator, patchgan_layers, receptive_field)

SIZES = (16, 28, 32, 48, 64)  # powers of two, and the sizes the U-Net pads up to one (28-px digits)


@pytest.mark.parametrize("size", SIZES)
def test_every_generator_returns_an_image_of_its_inputs_size(size):
    x = torch.rand(2, 1, size, size) * 2 - 1
    for G in (UNetGenerator(1, 3, size, width=4), ResNetGenerator(1, 3, width=4, blocks=1)):
        out = G(x)
        assert out.shape == (2, 3, size, size)
        assert out.abs().max() <= 1  # tanh
    out = StarGANGenerator(1, num_domains=3, width=4, blocks=1)(x, torch.tensor([0, 2]))
    assert out.shape == (2, 1, size, size)


def test_the_unet_reaches_a_1x1_bottleneck_and_its_skips_carry_detail():
    """log2(32) = 5 levels down to 1x1, as unet_256's 8; each decoder layer also sees its encoder twin."""
    G = UNetGenerator(1, 1, 32, width=4).eval()
    assert len(G.down) == 5
    sizes = []
    G.down[-1].register_forward_hook(lambda m, i, out: sizes.append(out.shape[-1]))
    x = torch.rand(1, 1, 32, 32, requires_grad=True)
    G(x)[0, 0, 10, 10].backward()
    assert sizes == [1]
    # The outermost skip gives an output pixel a direct path to the input pixels around it.
    assert x.grad[0, 0, 9:12, 9:12].abs().sum() > 0


def test_dropout_makes_the_unet_noisy_in_training_and_deterministic_in_eval():
    G = UNetGenerator(1, 1, 16, width=4)
    x = torch.rand(2, 1, 16, 16)
    assert any(isinstance(m, torch.nn.Dropout) for m in G.modules())
    assert not torch.equal(G(x), G(x))
    G.eval()
    assert torch.equal(G(x), G(x))


@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_one_patchgan_logit_sees_exactly_its_receptive_field(n_layers):
    """70x70 at 3 layers (Isola et al.), 34 at 2, 16 at 1: the input pixels that move one output logit."""
    D = PatchGANDiscriminator(1, width=4, n_layers=n_layers, norm="none")
    with torch.no_grad():  # positive weights: no cancellation can hide a pixel's influence
        for p in D.parameters():
            p.copy_(p.abs() + 0.01)
    x = torch.rand(1, 1, 128, 128, requires_grad=True)
    logits = D(x)
    logits[0, 0, logits.shape[-2] // 2, logits.shape[-1] // 2].backward()
    rows = x.grad[0, 0].abs().sum(1).nonzero()
    cols = x.grad[0, 0].abs().sum(0).nonzero()
    assert rows.max() - rows.min() + 1 == receptive_field(n_layers)
    assert cols.max() - cols.min() + 1 == receptive_field(n_layers)
    assert receptive_field(3) == 70


def test_small_images_get_a_smaller_patchgan():
    assert [patchgan_layers(s) for s in (28, 32, 64, 128, 256)] == [1, 1, 2, 3, 3]


def test_stargan_D_has_a_patch_head_and_a_domain_head():
    D = StarGANDiscriminator(3, num_domains=5, image_size=32, width=4)
    src, cls = D(torch.rand(2, 3, 32, 32))
    assert src.shape == (2, 1, 2, 2) and cls.shape == (2, 5)


def test_images_below_the_smallest_size_are_refused_in_one_line():
    with pytest.raises(GankitError, match="at least 16x16"):
        UNetGenerator(1, 1, 8)


def test_stargan_starts_from_pytorch_s_init_and_the_others_from_n_0_0_02():
    """The authors' code: pix2pix and CycleGAN draw conv weights from N(0, 0.02); StarGAN's sets no init, so its nets
    start from PyTorch's default (uniform, std 1/sqrt(3 fan_in)). From N(0, 0.02) StarGAN's unnormalised D passes
    almost no gradient back to its input at first (docs/translation.md, "What held StarGAN back")."""
    torch.manual_seed(0)
    width = 64
    first = {"patchgan": PatchGANDiscriminator(3, width=width).net[0], "resnet": ResNetGenerator(3, 3, width).net[1],
             "stargan D": StarGANDiscriminator(3, 5, 28, width).body[0],
             "stargan G": StarGANGenerator(3, 5, width).net[0]}
    for name, conv in first.items():
        assert isinstance(conv, torch.nn.Conv2d), name
        fan_in = conv.weight[0].numel()
        expected = 0.02 if name in ("patchgan", "resnet") else (3 * fan_in) ** -0.5
        assert conv.weight.std().item() == pytest.approx(expected, rel=0.1), name


def test_the_full_resolution_resnet_has_no_strides_and_each_output_pixel_sees_only_its_neighbourhood():
    from gankit.recipes.translation import build_generator

    net = build_generator("resnet-fullres", 1, 3, 28, 8, 2, norm="batch").eval()  # batch norm in eval mode is local
    assert all(m.stride == (1, 1) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)))
    x = torch.rand(1, 1, 28, 28) * 2 - 1
    y = x.clone()
    y[..., 0, 0] = -x[..., 0, 0]
    with torch.no_grad():
        change = (net(x) - net(y)).abs().amax(1)[0]
    assert net(x).shape == (1, 3, 28, 28)
    reach = 3 + 2 * 2 + 3  # 7x7 in, two 3x3 convs a block, 7x7 out
    assert change[:reach + 1, :reach + 1].max() > 0
    assert change[reach + 1:].max() == 0 and change[:, reach + 1:].max() == 0
    standard = build_generator("resnet", 1, 3, 28, 8, 2, norm="batch").eval()  # its 7x7 bottleneck sees far
    y = x.clone()
    y[..., 14, 14] = -x[..., 14, 14]
    with torch.no_grad():
        assert (standard(x) - standard(y)).abs()[..., 0, 0].max() > 0  # 14 px away: beyond the full-res net's 10


def test_a_generator_with_a_noise_input_gives_one_output_per_code_and_a_plain_one_refuses_a_code():
    torch.manual_seed(0)
    G = ResNetGenerator(1, 3, width=4, blocks=1, noise=4)
    x, z = torch.rand(3, 1, 16, 16) * 2 - 1, torch.randn(3, 4)
    torch.testing.assert_close(G(x, z), G(x, z))
    assert (G(x, z) - G(x, -z)).abs().mean() > 0.01 and (G(x) - G(x)).abs().mean() > 0.01  # forward(x) draws z
    G(x, z).square().mean().backward()
    film = [m.film.weight.grad for m in G.modules() if hasattr(m, "film")]
    assert len(film) == 7 and all(g.abs().sum() > 0 for g in film)  # every norm: first, 2 down, 2 in the block, 2 up
    with pytest.raises(GankitError, match="no noise input"):
        ResNetGenerator(1, 3, width=4, blocks=1)(x, z)
    with pytest.raises(GankitError, match="instance norms"):
        ResNetGenerator(1, 3, width=4, blocks=1, norm="batch", noise=4)


def test_the_code_survives_instance_norm_so_a_noisy_G_learns_a_per_image_brightness_a_plain_G_cannot():
    """Target: an all-bright image when z_0 > 0, an all-dark one otherwise, from the same input. A per-image constant
    fed as an input channel would be removed by the first instance norm; conditional norm keeps it. After 150 Adam
    steps the noisy G fits the target and the same G given a zero code (no information: it can only answer the mean,
    error 1) does not."""
    def fit(noise: int) -> float:
        torch.manual_seed(0)
        G = ResNetGenerator(1, 1, width=4, blocks=1, downsamplings=0, noise=max(noise, 1))
        opt = torch.optim.Adam(G.parameters(), 1e-2)
        x = torch.rand(8, 1, 16, 16) * 2 - 1
        for _ in range(150):
            z = torch.randn(8, 1)
            target = torch.where(z[:, :1, None, None] > 0, 0.8, -0.8).expand(-1, 1, 16, 16)
            loss = (G(x, z if noise else torch.zeros_like(z)) - target).square().mean()
            opt.zero_grad(), loss.backward(), opt.step()
        return loss.item() / 0.64
    assert fit(noise=1) < 0.1 < 0.5 < fit(noise=0)


def test_the_minibatch_std_channel_is_zero_for_a_group_of_copies_and_tells_varied_batches_from_uniform_ones():
    from gankit.models.translation import MinibatchStdDev
    x = torch.randn(8, 2, 3, 3)
    x[1::2] = x[1]  # groups of 4 are images {0, 2, 4, 6} and {1, 3, 5, 7}: the second holds four copies
    stat = MinibatchStdDev(4)(x)[:, 2]
    assert stat.shape == (8, 3, 3) and torch.equal(stat[0], stat[2])
    assert stat[1::2].max() < 1e-3 < 0.5 < stat[0::2].min()
    assert MinibatchStdDev(4)(torch.randn(6, 2, 3, 3)).shape == (6, 3, 3, 3)  # 6 images: groups of 3
    D = PatchGANDiscriminator(3, width=4, n_layers=1, norm="instance", minibatch_std=4)
    # D's logits for one image depend on the rest of its group: the same image among copies or among others
    one = torch.randn(1, 3, 28, 28)
    among_copies, among_others = D(one.expand(4, -1, -1, -1))[0], D(torch.cat([one, torch.randn(3, 3, 28, 28)]))[0]
    assert (among_copies - among_others).abs().max() > 1e-4
