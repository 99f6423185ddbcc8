"""Image-to-image translation nets: pix2pix's U-Net and PatchGAN, CycleGAN's ResNet-block generator, StarGAN's G and D.

  UNetGenerator        Isola et al. (2017), Appendix 6.1.1: encoder C64-C128-C256-C512-..., decoder the mirror
                       image with a skip connection from encoder layer i to decoder layer n-i, 50 % dropout in the
                       three innermost decoder layers (the only noise pix2pix's G gets), down to a 1x1 bottleneck.
  PatchGANDiscriminator  Isola et al. 6.1.2: a fully convolutional D that returns one logit per overlapping patch.
                       At 256 px its 3 strided layers see 70x70 patches; small images get fewer layers (see below).
  ResNetGenerator      Zhu et al. (2017), Appendix 7.2 (after Johnson et al. 2016): c7s1-64, d128, d256, R256 x n,
                       u128, u64, c7s1-3, instance norm, reflection padding.
  StarGANGenerator / StarGANDiscriminator   Choi et al. (2018), Appendix Tables 4-5: G takes the image with the
                       target domain's one-hot code tiled over it; D has no normalisation and two heads, D_src
                       (real/fake per patch) and D_cls (domain logits).

Sizes: the U-Net pads its input (reflection) to the next power of two and crops its output back, and the
ResNet/StarGAN generators pad to a multiple of 4, so every net returns an image of its input's size for any size from
MIN_SIZE up (28 px digits included). All nets take and give images in [-1, 1]; discriminators return logits.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gankit.errors import GankitError

MIN_SIZE = 16  # below this the PatchGAN's smallest patch (16x16 receptive field) is the whole image
NORMS = ("batch", "instance", "none")


def norm_layer(kind: str, channels: int) -> nn.Module:
    """BatchNorm (pix2pix), or InstanceNorm without running statistics (CycleGAN, StarGAN: Ulyanov et al. 2016)."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    return nn.Identity()


def check_size(height: int, width: int, what: str) -> None:
    if min(height, width) < MIN_SIZE:
        raise GankitError(f"{what} needs images of at least {MIN_SIZE}x{MIN_SIZE} pixels, got {height}x{width}; "
                          f"resize them with data.image_size")


def _pad_to(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """x reflection-padded on the bottom and right to a multiple of `multiple`, and its original (H, W)."""
    h, w = x.shape[-2:]
    ph, pw = -h % multiple, -w % multiple
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="reflect" if max(ph, pw) < min(h, w) else "replicate")
    return x, (h, w)


def init_weights(module: nn.Module) -> None:
    """N(0, 0.02) for convolutions and norm scales N(1, 0.02): the authors' code's default ('normal') init."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


# -- pix2pix -------------------------------------------------------------------------------------------------------
class UNetGenerator(nn.Module):
    """Encoder-decoder with skips: encoder layer i's output is concatenated to decoder layer i's input.

    Level i (0 = next to the image) has width * 2^min(i, 3) channels, as C64-C128-C256-C512-C512...; there are
    log2(size) levels, so the bottleneck is 1x1 as in the paper's unet_256. The innermost down layer has no norm."""

    def __init__(self, in_channels: int, out_channels: int, image_size: int, width: int = 64, norm: str = "batch",
                 dropout: float = 0.5):
        super().__init__()
        check_size(image_size, image_size, "the U-Net")
        self.size = 2 ** math.ceil(math.log2(image_size))
        levels = int(math.log2(self.size))
        chans = [width * 2 ** min(i, 3) for i in range(levels)]
        bias = norm != "batch"  # a norm's shift makes a conv bias redundant (the authors' use_bias)
        self.down = nn.ModuleList()
        self.up = nn.ModuleList()
        for i in range(levels):
            c_in = in_channels if i == 0 else chans[i - 1]
            layers: list[nn.Module] = [] if i == 0 else [nn.LeakyReLU(0.2)]
            layers.append(nn.Conv2d(c_in, chans[i], 4, 2, 1, bias=bias))
            if 0 < i < levels - 1:
                layers.append(norm_layer(norm, chans[i]))
            self.down.append(nn.Sequential(*layers))
        for i in range(levels):  # decoder level i maps (encoder i's output, concatenated unless innermost) up a level
            c_in = chans[i] if i == levels - 1 else 2 * chans[i]
            c_out = out_channels if i == 0 else chans[i - 1]
            layers = [nn.ReLU(), nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=bias or i == 0)]
            if i == 0:
                layers.append(nn.Tanh())
            else:
                layers.append(norm_layer(norm, c_out))
                if i >= levels - 3 and dropout > 0:  # CD512-CD1024-CD1024: the three innermost decoder layers
                    layers.append(nn.Dropout(dropout))
            self.up.append(nn.Sequential(*layers))
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, (h, w) = _pad_to(x, self.size)
        skips = []
        for layer in self.down:
            x = layer(x)
            skips.append(x)
        x = self.up[-1](skips.pop())
        for layer in reversed(self.up[:-1]):
            x = layer(torch.cat([skips.pop(), x], dim=1))
        return x[..., :h, :w]


def patchgan_layers(image_size: int) -> int:
    """Strided layers of the PatchGAN for an image size: 3 (70x70 patches) from 128 px, 2 (34x34) at 64, 1 (16x16)
    at 32 px and below. The paper's 70x70 is about a quarter of a 256-px image; at 32 px one strided layer is the
    smallest PatchGAN, and Isola et al. (Table 3) find its 16x16 patches already sharpen the output."""
    return 1 if image_size <= 32 else 2 if image_size <= 64 else 3


def receptive_field(n_layers: int) -> int:
    """The side of the patch one output logit of PatchGANDiscriminator(n_layers) sees: 70 for 3, 34 for 2, 16 for 1.
    Walking back from the output: two 4x4 stride-1 convolutions, then n_layers 4x4 stride-2 ones."""
    rf = 1
    for stride in [1, 1] + [2] * n_layers:
        rf = (rf - 1) * stride + 4
    return rf


class MinibatchStdDev(nn.Module):
    """Karras et al. (2018, ProGAN, Section 3): split the batch into groups of `group` images, take each feature's
    standard deviation across a group at every position, average it to one number per group, and append it as one
    more channel to every image of the group. A D that sees it can tell a batch of look-alike fakes from a batch of
    varied real images, which a D judging images one by one cannot."""

    def __init__(self, group: int = 4):
        super().__init__()
        self.group = group

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = max(k for k in range(1, min(self.group, n) + 1) if n % k == 0)  # a group size that divides the batch
        std = x.view(g, n // g, c, h, w).var(0, unbiased=False).add(1e-8).sqrt().mean((1, 2, 3))  # (n // g,)
        return torch.cat([x, std.view(1, -1, 1, 1, 1).expand(g, -1, 1, h, w).reshape(n, 1, h, w)], dim=1)


class PatchGANDiscriminator(nn.Module):
    """C64-C128-C256-C512 (Isola et al. 6.1.2) with `n_layers` strided layers, then a 1-channel conv: a map of
    logits, one per patch of receptive_field(n_layers) pixels. pix2pix's D sees (input, output) concatenated; the
    first layer has no norm. minibatch_std=g > 0 gives the last conv a minibatch standard deviation channel over
    groups of g images (MinibatchStdDev)."""

    def __init__(self, in_channels: int, width: int = 64, n_layers: int = 3, norm: str = "batch",
                 minibatch_std: int = 0):
        super().__init__()
        self.n_layers, self.receptive_field = n_layers, receptive_field(n_layers)
        bias = norm != "batch"
        layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        c = width
        for n in range(1, n_layers + 1):
            c_out = width * 2 ** min(n, 3)
            stride = 2 if n < n_layers else 1  # the last hidden layer keeps the resolution, as in the paper's code
            layers += [nn.Conv2d(c, c_out, 4, stride, 1, bias=bias), norm_layer(norm, c_out), nn.LeakyReLU(0.2)]
            c = c_out
        if minibatch_std:
            layers.append(MinibatchStdDev(minibatch_std))
        layers.append(nn.Conv2d(c + (minibatch_std > 0), 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x)


# -- CycleGAN --------------------------------------------------------------------------------------------------------
class ConditionalInstanceNorm(nn.Module):
    """Instance norm whose scale and shift are functions of a per-image code z: x_hat (1 + W_s z) + W_b z + b
    (conditional instance norm, Dumoulin et al. 2017; Augmented CycleGAN's stochastic G, Almahairi et al. 2018,
    modulates its norms with z the same way). Instance norm removes any per-image constant a net is given as an input
    channel, so a code that must survive it enters after the normalisation. Takes (x, z)."""

    def __init__(self, channels: int, z_dim: int):
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.film = nn.Linear(z_dim, 2 * channels)  # PyTorch's default init: z has a say from the first step

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(z)[:, :, None, None].chunk(2, dim=1)
        return self.norm(x) * (1 + scale) + shift


def run_with_code(layers: nn.Sequential, x: torch.Tensor, z: torch.Tensor | None) -> torch.Tensor:
    """layers(x), handing z to the layers that take one (conditional norms, residual blocks holding them)."""
    if z is None:
        return layers(x)
    for layer in layers:
        x = layer(x, z) if isinstance(layer, (ConditionalInstanceNorm, ResidualBlock)) else layer(x)
    return x


def norm_or_conditional(kind: str, channels: int, z_dim: int) -> nn.Module:
    return ConditionalInstanceNorm(channels, z_dim) if z_dim else norm_layer(kind, channels)


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with reflection padding and a skip around them (He et al. 2016; Johnson et al. 2016).
    With z_dim > 0 its norms are conditional on a code z (forward(x, z))."""

    def __init__(self, channels: int, norm: str, z_dim: int = 0):
        super().__init__()
        bias = norm != "batch"
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=bias),
            norm_or_conditional(norm, channels, z_dim), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=bias),
            norm_or_conditional(norm, channels, z_dim))

    def forward(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        return x + run_with_code(self.body, x, z)


class ResNetGenerator(nn.Module):
    """c7s1-w, d2w, d4w, R4w x blocks, u2w, uw, c7s1-out (Zhu et al. 7.2; 6 blocks at 128 px, 9 at 256).

    downsamplings=0 drops the two stride-2 layers and their up-sampling twins: c7s1-w, Rw x blocks, c7s1-out, every
    block at the image's own resolution, as PixelDA's generator (Bousmalis et al. 2017, tensorflow/models
    pixel_domain_adaptation: stride 1 throughout) for digits -> colour digits. With no bottleneck the output stays
    aligned with the input stroke for stroke.

    noise=k > 0 makes it stochastic, G(x, z) with z ~ N(0, I_k) per image: every instance norm becomes conditional on
    z (Augmented CycleGAN's stochastic G), so one input can give outputs of several looks (a bright or a dark
    background). forward(x) draws z from torch's global RNG; forward(x, z) uses the given code."""

    def __init__(self, in_channels: int, out_channels: int, width: int = 64, blocks: int = 6,
                 norm: str = "instance", downsamplings: int = 2, noise: int = 0):
        super().__init__()
        if noise and norm != "instance":
            raise GankitError(f"a generator with a noise input modulates its instance norms; norm is {norm}")
        bias = norm != "batch"
        self.multiple, self.noise = 2 ** downsamplings, noise
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, width, 7, bias=bias),
                                   norm_or_conditional(norm, width, noise), nn.ReLU()]
        c = width
        for _ in range(downsamplings):
            layers += [nn.Conv2d(c, 2 * c, 3, 2, 1, bias=bias), norm_or_conditional(norm, 2 * c, noise), nn.ReLU()]
            c *= 2
        layers += [ResidualBlock(c, norm, noise) for _ in range(blocks)]
        for _ in range(downsamplings):
            layers += [nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1, bias=bias),
                       norm_or_conditional(norm, c // 2, noise), nn.ReLU()]
            c //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(c, out_channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        if z is not None and not self.noise:
            raise GankitError("this generator has no noise input (noise=0); call it with the images only")
        if self.noise and z is None:
            z = torch.randn(len(x), self.noise, device=x.device, dtype=x.dtype)
        x, (h, w) = _pad_to(x, self.multiple)
        return run_with_code(self.net, x, z)[..., :h, :w]


# -- StarGAN ---------------------------------------------------------------------------------------------------------
class StarGANGenerator(nn.Module):
    """G(x, c): the target domain c as a one-hot map tiled over the image and concatenated to it (Choi et al. 3.1);
    then down-sampling, residual blocks and up-sampling with instance norm (Table 4). downsamplings=0 keeps every
    block at the image's resolution, as ResNetGenerator's (model.arch stargan-fullres)."""

    def __init__(self, channels: int, num_domains: int, width: int = 64, blocks: int = 6, downsamplings: int = 2):
        super().__init__()
        self.num_domains, self.multiple = num_domains, 2 ** downsamplings
        layers: list[nn.Module] = [nn.Conv2d(channels + num_domains, width, 7, 1, 3, bias=False),
                                   norm_layer("instance", width), nn.ReLU()]
        c = width
        for _ in range(downsamplings):
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), norm_layer("instance", 2 * c), nn.ReLU()]
            c *= 2
        layers += [ResidualBlock(c, "instance") for _ in range(blocks)]
        for _ in range(downsamplings):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), norm_layer("instance", c // 2), nn.ReLU()]
            c //= 2
        layers += [nn.Conv2d(c, channels, 7, 1, 3, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        # PyTorch's default init: the StarGAN authors' code sets none (pix2pix's and CycleGAN's use N(0, 0.02))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        x, (h, w) = _pad_to(x, self.multiple)
        code = F.one_hot(c, self.num_domains).to(x.dtype)[:, :, None, None].expand(-1, -1, *x.shape[-2:])
        return self.net(torch.cat([x, code], dim=1))[..., :h, :w]


class StarGANDiscriminator(nn.Module):
    """Strided 4x4 convolutions with LeakyReLU(0.01) and no normalisation (WGAN-GP's penalty is per sample) down to
    about 2x2, then two heads: D_src, a 3x3 conv giving a logit per patch, and D_cls, a conv over the whole map
    giving the domain logits (Table 5). forward returns (D_src, D_cls)."""

    def __init__(self, channels: int, num_domains: int, image_size: int, width: int = 64):
        super().__init__()
        check_size(image_size, image_size, "StarGAN's D")
        layers: list[nn.Module] = []
        c_in, c, size = channels, width, image_size
        while size > 2:  # 128 px: 6 layers to 2x2, as the paper's D
            layers += [nn.Conv2d(c_in, c, 4, 2, 1), nn.LeakyReLU(0.01)]
            c_in, c, size = c, min(2 * c, 32 * width), (size + 2 - 4) // 2 + 1
        self.body = nn.Sequential(*layers)
        self.src = nn.Conv2d(c_in, 1, 3, 1, 1, bias=False)
        self.cls = nn.Conv2d(c_in, num_domains, size, bias=False)
        # PyTorch's default init: the StarGAN authors' code sets none (pix2pix's and CycleGAN's use N(0, 0.02))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.src(h), self.cls(h).flatten(1)
