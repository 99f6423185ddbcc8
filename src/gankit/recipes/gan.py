"""The GAN training step: Algorithm 1 of Goodfellow et al. (2014).

  for number of training iterations:
      for k steps:
          sample z, sample a minibatch x; update D by ascending  log D(x) + log(1 - D(G(z)))
      sample z; update G by descending  log(1 - D(G(z)))   (or ascending log D(G(z)), the non-saturating form)

The trainer hands the recipe one real minibatch per call of `train_step`: each call is one of the k D steps, and the
k-th is followed by one G step. Losses other than the paper's (WGAN-GP, hinge, LSGAN) change only the two objectives.

Build it from your own nets, `GANRecipe(G, D, train_config, device, settings=GANSettings(...))`, or from a config,
`GANRecipe.from_config(...)`. G maps z (N, z_dim) to data and has an attribute `z_dim` (or pass z_dim=); D maps data
to one logit per item (or per pack of items). Conditional nets take the class labels as a second argument, G(z, y)
and D(x, y). The recipe's own settings are the config's `gan:` section (GANSettings).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from gankit.augment import AdaptiveAugment, build_augment
from gankit.config import Config, ModelConfig, TrainConfig
from gankit.errors import GankitError
from gankit.losses import d_loss, g_loss, gradient_penalty, r1_penalty
from gankit.models import (DCGANDiscriminator, DCGANGenerator, GoodfellowDiscriminator, GoodfellowGenerator,
                           ToyDiscriminator, ToyGenerator)
from gankit.models.resnet_gan import ResNetDiscriminator, ResNetGenerator
from gankit.recipes.base import (Distributable, HasDiscriminator, Recipe, Sampler, adam_pair, autocast, check,
                                 forward, frozen, sample_pictures, update)
from gankit.recipes.ema import ema_model

ARCHS = ("dcgan", "goodfellow-mlp", "toy-mlp", "sngan-resnet")
# For these losses D's output is a log-odds and sigmoid(logit) is D's probability that x is real; for the others it is a
# raw critic score, logged as it is.
PROBABILITY_LOSSES = ("minimax", "nonsaturating")


@dataclass
class GANSettings:
    """The config's `gan:` section."""
    r1: float = 0.0                  # gamma of the R1 penalty gamma/2 E||grad D(x)||^2 on real data; 0 = off
    r1_every: int = 1                # lazy R1 (StyleGAN2): the penalty on every N-th D step only, weighted N times
    ema: float = 0.0                 # decay of an exponential moving average of G; 0 = off
    label_smoothing: float = 0.0     # one-sided: real targets become 1 - label_smoothing
    acgan_weight: float = 1.0        # weight of the auxiliary classifier's losses (model.acgan)
    augment: Literal["none", "diffaugment", "ada"] = "none"  # of D's inputs: Zhao et al. 2020 / Karras et al. 2020
    augment_policy: str = "color,translation,cutout"  # the operations (gankit.augment) for diffaugment and ada
    ada_target: float = 0.6          # ada: the r_t = E[sign(D(x_real))] that p is steered to (Karras et al. 3)
    ada_kimg: float = 100.0          # ada: thousands of images that take p from 0 to 1 (StyleGAN2-ADA: 500)


def build_gan(m: ModelConfig, data_shape: tuple[int, ...], num_classes: int) -> tuple[nn.Module, nn.Module]:
    """G and D for data items of `data_shape` ((C, H, W) or (D,)) with `num_classes` labels (0: unlabelled)."""
    conditional = m.conditional or m.acgan
    if conditional and not num_classes:
        raise GankitError("model.conditional / model.acgan need a labelled data set, and this one has no labels")
    classes = num_classes if conditional else 0
    if m.arch == "custom":
        raise GankitError("model.arch custom means nets passed from Python: build the recipe with GANRecipe(G, D, ...)")
    if m.arch == "toy-mlp":
        if len(data_shape) != 1:
            raise GankitError(f"model.arch toy-mlp is for point data; this data set holds images {data_shape}")
        if conditional:
            raise GankitError("toy-mlp has no conditional variant")
        return (ToyGenerator(m.z_dim, data_shape[0], m.width, m.depth),
                ToyDiscriminator(data_shape[0], m.width, m.depth, m.pack))
    if len(data_shape) != 3:
        raise GankitError(f"model.arch {m.arch} is for images; this data set holds points of shape {data_shape}")
    if m.arch == "goodfellow-mlp":
        if conditional:
            raise GankitError("goodfellow-mlp has no conditional variant; use arch dcgan")
        return GoodfellowGenerator(m.z_dim, data_shape), GoodfellowDiscriminator(data_shape)
    if m.arch == "sngan-resnet":
        if conditional:
            raise GankitError("sngan-resnet has no conditional variant yet; use arch dcgan")
        channels, height, width = data_shape
        if height != width:
            raise GankitError(f"sngan-resnet needs square images, got {height}x{width}")
        return (ResNetGenerator(m.z_dim, height, channels, m.width),
                ResNetDiscriminator(height, channels, m.width, norm=m.d_norm))
    if m.arch != "dcgan":
        raise GankitError(f"model.arch {m.arch} is not a GAN architecture; the gan recipe builds "
                          f"{', '.join(ARCHS)}")
    channels, height, width = data_shape
    if height != width:
        raise GankitError(f"DCGAN needs square images, got {height}x{width}")
    return (DCGANGenerator(m.z_dim, height, channels, m.width, classes),
            DCGANDiscriminator(height, channels, m.width, classes, acgan=m.acgan, norm=m.d_norm))


def split_logits(out) -> tuple[torch.Tensor, torch.Tensor | None]:
    """D returns logits, or (logits, class logits) with an ACGAN head (Odena et al. 2017)."""
    return out if isinstance(out, tuple) else (out, None)


class GANRecipe(Recipe, Sampler, HasDiscriminator, Distributable):
    name = "gan"
    settings = GANSettings
    archs = ARCHS

    def __init__(self, G: nn.Module, D: nn.Module, train: TrainConfig | None = None,
                 device: torch.device | str = "cpu", z_dim: int | None = None, settings: GANSettings | None = None):
        self.train = t = train if train is not None else TrainConfig()
        self.gan = s = settings if settings is not None else GANSettings()
        self.device = torch.device(device)
        self.z_dim = z_dim or getattr(G, "z_dim", None)  # your own nets may carry their sizes, or not
        if not self.z_dim:
            raise GankitError("G has no attribute z_dim: pass z_dim= to GANRecipe")
        self.num_classes = getattr(G, "num_classes", 0)
        images = any(p.dim() == 4 for p in D.parameters())
        self.memory_format = torch.channels_last if t.channels_last and images else torch.preserve_format
        self.G = G.to(self.device, memory_format=self.memory_format)
        self.D = D.to(self.device, memory_format=self.memory_format)
        self.G_ema = ema_model(self.G, s.ema) if s.ema > 0 else None
        if s.augment != "none" and not images:
            raise GankitError(f"gan.augment {s.augment} transforms images and this D takes points; "
                              f"use gan.augment=none")
        # T of DiffAugment / ADA (gankit.augment): applied to everything D sees, reals and fakes, in both steps.
        self.augment = build_augment(s.augment, s.augment_policy, s.ada_target, s.ada_kimg).to(self.device)
        # torch.compile does not support double backward: with WGAN-GP's penalty or R1 on every step, D stays eager
        # (G compiles); lazy R1's steps without the penalty go through the compiled D, its penalty steps the eager one.
        self.double_backward = t.loss == "wgan-gp" or (s.r1 > 0 and s.r1_every == 1)
        self._forwards(self.G, self.D)
        self.noise_share = (0, 1)  # (this process's rank, processes): set by distribute() for data parallelism

    @classmethod
    def from_config(cls, cfg: Config, data_shape: tuple[int, ...], num_classes: int,
                    device: torch.device | str = "cpu") -> "GANRecipe":
        G, D = build_gan(cfg.model, data_shape, num_classes)
        return cls(G, D, cfg.train, device, settings=cfg.section("gan"))

    @classmethod
    def validate(cls, cfg: Config) -> None:
        super().validate(cfg)
        s = cfg.section("gan")
        check((s.r1 >= 0, f"gan.r1 must not be negative, got {s.r1}"),
              (s.r1_every >= 1, f"gan.r1_every counts D steps: at least 1, got {s.r1_every}"),
              (0 < s.ada_target < 1, f"gan.ada_target is a value of E[sign(D(x))] in (0, 1), got {s.ada_target}"),
              (s.ada_kimg > 0, f"gan.ada_kimg must be positive, got {s.ada_kimg}"),
              (0 <= s.label_smoothing < 0.5, f"gan.label_smoothing must lie in [0, 0.5), got {s.label_smoothing}"),
              (0 <= s.ema < 1, f"gan.ema is a decay in [0, 1), got {s.ema}"))

    # -- what the trainer and the run folder see --------------------------------------------------------------------
    @property
    def modules(self) -> dict[str, nn.Module]:
        mods = {"G": self.G, "D": self.D}
        if self.G_ema is not None:
            mods["G_ema"] = self.G_ema
        if isinstance(self.augment, AdaptiveAugment):  # ADA's p and its running signs: a resume goes on with them
            mods["augment"] = self.augment
        return mods

    @cached_property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Made on first use: a run loaded only to sample never builds them. Fused Adam where the build has it."""
        return adam_pair(self.train, self.G.parameters(), self.D.parameters(), self.device)

    @property
    def sampler(self) -> nn.Module:
        return self.G_ema.module if self.G_ema is not None else self.G

    @property
    def loss(self) -> str:
        return self.train.loss

    def progress_pictures(self, data, grid_size: int, seed: int):
        return sample_pictures(self, grid_size, seed, self.device)

    def distribute(self, wrap, rank: int, size: int) -> None:
        """Route the steps' forward passes through one wrapper for G and one for D (DDP). Each D step and each G step
        has one backward pass, so each synchronises exactly once; in the G step D is frozen and reduces nothing.
        Double backward (WGAN-GP, R1) works: autograd.grad with respect to the input accumulates no parameter
        gradients, and the loss's backward, which does, runs once."""
        if self.gan.augment != "none":
            # Every process holds the same RNG state, so each would cut and shift its rows alike: not one process's run.
            raise GankitError("gan.augment does not train on several processes yet (each process would draw the same "
                              "augmentation for its rows); train on one process, or set gan.augment=none")
        self._forwards(wrap(self.G), wrap(self.D))
        self.noise_share = (rank, size)  # every process draws the global batch's z and keeps its rows

    def _forwards(self, G: nn.Module, D: nn.Module) -> None:
        """The callables the steps run G and D through: the nets (or their DDP wrappers), compiled if train.compile."""
        compile_ = self.train.compile
        self.G_fwd = torch.compile(G) if compile_ else G
        self.D_fwd = torch.compile(D) if compile_ and not self.double_backward else D
        self.D_eager = D  # for the steps that differentiate D's output twice (lazy R1's penalty steps)

    @property
    def curve_panels(self) -> list[tuple[str, dict[str, str]]]:
        """What the progress bar shows and curves.png draws: (panel title, {metric: label})."""
        d_title = "D(x) and D(G(z)), as probability" if self.train.loss in PROBABILITY_LOSSES \
            else "mean critic score on real and generated data"
        ada = [("ADA: augmentation probability p and r_t = E[sign(D(x))]", {"ada_p": "p", "ada_rt": "r_t"})] \
            if isinstance(self.augment, AdaptiveAugment) else []
        return [("losses", {"loss_d": "D loss", "loss_g": "G loss"}),
                (d_title, {"d_real": "D(x)", "d_fake": "D(G(z))"})] + ada

    # -- Algorithm 1 ------------------------------------------------------------------------------------------------
    def train_step(self, real: torch.Tensor, y: torch.Tensor | None, step: int) -> dict[str, torch.Tensor]:
        """One of the k D steps; after the k-th (steps k-1, 2k-1, ... counted from 0), one G step.

        Conditional nets draw fakes for the real batch's labels, so both halves of D's batch share one class mix."""
        real = real.contiguous(memory_format=self.memory_format)
        y = y if self.num_classes else None
        g_step_follows = step % self.train.k == self.train.k - 1
        z = self.noise(real.shape[0])
        # G(z) is computed once. When a G step follows, it keeps its graph and the G step reuses it (pytorch/examples'
        # DCGAN does the same), saving a forward pass of G; otherwise no graph is built at all.
        with autocast(self.train.amp, self.device), torch.set_grad_enabled(g_step_follows):
            fake = forward(self.G_fwd, z, y)
        r1_due = self.gan.r1 > 0 and step % self.gan.r1_every == 0  # lazy R1 (gan.r1_every): on steps 0, N, 2N, ...
        out = self.d_step(real, fake.detach(), y, r1_due)
        if g_step_follows:
            out |= self.g_step(fake, y)
        return out

    def noise(self, n: int) -> torch.Tensor:
        """z ~ N(0, I) for n items. On N processes (noise_share = (rank, N)) every process draws the z of the whole
        global batch from the same RNG state and keeps its own rows: N processes train on the z that one process would
        draw, and their RNG states stay equal, so a run resumes on any number of processes."""
        rank, processes = self.noise_share
        return torch.randn(n * processes, self.z_dim, device=self.device)[rank * n:(rank + 1) * n]

    def d_step(self, real: torch.Tensor, fake: torch.Tensor, y: torch.Tensor | None,
               r1: bool = False) -> dict[str, torch.Tensor]:
        """(1) Update D: ascend log D(x) + log(1 - D(G(z))), i.e. descend the chosen loss's D objective; with `r1`,
        plus the R1 penalty (this step is one of lazy R1's, or R1 is on every step)."""
        t, s = self.train, self.gan
        D = self.D_eager if r1 else self.D_fwd
        if r1:
            real = real.detach().requires_grad_(True)  # R1 differentiates D's output with respect to x
        with autocast(self.train.amp, self.device):
            # D judges T(x) and T(G(z)). R1 differentiates with respect to x through T, as StyleGAN2-ADA does.
            real_logits, real_cls = split_logits(forward(D, self.augment(real), y))
            fake_logits, fake_cls = split_logits(forward(D, self.augment(fake), y))
        if isinstance(self.augment, AdaptiveAugment):  # ADA's overfitting signal r_t = E[sign(D(T(x)))]
            self.augment.observe(real_logits.detach())
        with autocast(self.train.amp, self.device):
            loss_d = d_loss(t.loss, real_logits.float(), fake_logits.float(), real_label=1.0 - s.label_smoothing)
            if real_cls is not None:  # ACGAN: D also learns to name the class of real and of fake images
                loss_d = loss_d + s.acgan_weight * (F.cross_entropy(real_cls.float(), y) +
                                                    F.cross_entropy(fake_cls.float(), y))
        penalty, out = self.d_regularizers(real, fake, real_logits, y, r1)
        out["loss_d"] = update(self.optimizers["D"], loss_d + penalty)
        if isinstance(self.augment, AdaptiveAugment):
            out["ada_p"], out["ada_rt"] = self.augment.p.clone(), self.augment.rt.clone()
        real_logits, fake_logits = real_logits.detach().float(), fake_logits.detach().float()
        if t.loss == "wgan-gp":  # the critic's estimate of the Wasserstein-1 distance
            out["wasserstein"] = real_logits.mean() - fake_logits.mean()
        if t.loss in PROBABILITY_LOSSES:
            real_logits, fake_logits = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
        out["d_real"], out["d_fake"] = real_logits.mean(), fake_logits.mean()
        return out

    def d_regularizers(self, real: torch.Tensor, fake: torch.Tensor, real_logits: torch.Tensor,
                       y: torch.Tensor | None, r1: bool) -> tuple[torch.Tensor | float, dict[str, torch.Tensor]]:
        """The terms added to D's loss, and what to log of them:
        WGAN-GP's lambda_gp E[(||grad D(x_hat)|| - 1)^2] (Gulrajani et al. 2017) and R1's gamma/2 E||grad D(x)||^2
        on real data (Mescheder et al. 2018); lazily (gan.r1_every = N), N gamma/2 E||grad D(x)||^2 on every N-th
        step, the same penalty on average (Karras et al. 2020, StyleGAN2 section 3.1)."""
        t, penalty, out = self.train, 0.0, {}
        if t.loss == "wgan-gp":
            gp = gradient_penalty(self.D_fwd, real, fake.float(), y)
            penalty = penalty + t.lambda_gp * gp
            out["gp"] = gp.detach()
        if r1:
            value = r1_penalty(real_logits.float(), real)
            penalty = penalty + self.gan.r1_every * self.gan.r1 / 2 * value
            out["r1"] = value.detach()
        return penalty, out

    def g_step(self, fake: torch.Tensor, y: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """(2) Update G: descend log(1 - D(G(z))), or ascend log D(G(z)) (non-saturating), on the D step's G(z).

        D's parameters are frozen, so the backward pass computes only the gradient that flows through D into G."""
        with frozen(self.D):
            with autocast(self.train.amp, self.device):
                logits, cls = split_logits(forward(self.D_fwd, self.augment(fake), y))  # a fresh T: DiffAugment eq. 4
                loss_g = g_loss(self.train.loss, logits.float())
                if cls is not None:
                    loss_g = loss_g + self.gan.acgan_weight * F.cross_entropy(cls.float(), y)
            out = {"loss_g": update(self.optimizers["G"], loss_g)}
        if self.G_ema is not None:
            self.G_ema.update_parameters(self.G)
        return out
