"""pix2pix: conditional GAN for paired image-to-image translation (Isola et al. 2017).

  G* = arg min_G max_D  L_cGAN(G, D) + lambda L_L1(G)                                        (eq. 4)
  L_cGAN(G, D) = E_x,y[log D(x, y)] + E_x[log(1 - D(x, G(x)))]                                (eq. 1)
  L_L1(G) = E_x,y[ ||y - G(x)||_1 ]                                                           (eq. 3)

x is the input (domain A), y its target (domain B). D is a PatchGAN that sees x and y (or G(x)) stacked along the
channels, so it judges whether the output fits its input, patch by patch. As in the paper (Section 3.3): one D step
then one G step per minibatch; D's objective is halved, "which slows down the rate at which D learns relative to G";
G maximises log D(x, G(x)) (the non-saturating form); no z: the dropout in G's decoder is its only noise.
Defaults as the authors' code: lambda_L1 = 100, Adam(2e-4, beta1 0.5), the rate constant for the first half of the
run and falling linearly to 0 over the second (train.lr_decay linear, train.lr_constant 0.5).

Settings (the config's `pix2pix:` section): pix2pix.lambda_l1, pix2pix.lambda_gan (the cGAN term's weight in G's loss: 0 is L1 alone, as in Table 1; D is
then not trained), train.loss (the GAN objective: nonsaturating as the paper; lsgan, hinge also work), model.arch
(unet as the paper, or resnet), model.width (ngf = ndf), model.blocks (resnet only).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import torch
import torch.nn.functional as F
from torch import nn

from gankit.config import Config, TrainConfig
from gankit.errors import GankitError
from gankit.losses import d_loss, g_loss
from gankit.models.translation import PatchGANDiscriminator, patchgan_layers
from gankit.recipes.base import adam_pair, evaluating, frozen, update
from gankit.recipes.translation import (GENERATORS, TranslationRecipe, build_generator, check_images, in_batches, table,
                                        two_shapes)


@dataclass
class Pix2PixSettings:
    """The config's `pix2pix:` section."""
    lambda_l1: float = 100.0         # weight of ||y - G(x)||_1 (Isola et al. eq. 4)
    lambda_gan: float = 1.0          # weight of the cGAN term in G's loss; 0 = L1 alone (their Table 1)


class Pix2PixRecipe(TranslationRecipe):
    name = "pix2pix"
    data_kind = "paired"
    settings = Pix2PixSettings
    archs = GENERATORS

    def __init__(self, G: nn.Module, D: nn.Module, train: TrainConfig | None = None,
                 device: torch.device | str = "cpu", channels: tuple[int, int] = (3, 3),
                 settings: Pix2PixSettings | None = None):
        self.train = train if train is not None else TrainConfig()
        self.pix2pix = settings if settings is not None else Pix2PixSettings()
        self.device = torch.device(device)
        self.G, self.D = G.to(self.device), D.to(self.device)
        self.channels = channels  # (C_A, C_B)

    @classmethod
    def from_config(cls, cfg: Config, data_shape, num_classes: int,
                    device: torch.device | str = "cpu") -> "Pix2PixRecipe":
        (ca, h, w), (cb, _, _) = two_shapes(data_shape, "pix2pix")
        m = cfg.model
        G = build_generator(m.arch, ca, cb, max(h, w), m.width, m.blocks, norm="batch")
        D = PatchGANDiscriminator(ca + cb, m.width, patchgan_layers(max(h, w)), norm="batch")
        return cls(G, D, cfg.train, device, (ca, cb), cfg.section("pix2pix"))

    # -- what the trainer and the run folder see --------------------------------------------------------------------
    @property
    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "D": self.D}

    @cached_property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return adam_pair(self.train, self.G.parameters(), self.D.parameters())

    @property
    def curve_panels(self) -> list[tuple[str, dict[str, str]]]:
        l1 = [("L1 to the target", {"loss_l1": "|y - G(x)|"})]
        if self.pix2pix.lambda_gan == 0:  # L1 alone: no D, no adversarial losses
            return l1
        return [("adversarial losses", {"loss_d": "D loss", "loss_g_gan": "G's cGAN loss"}), *l1]

    # -- one step: (1) D, (2) G ----------------------------------------------------------------------------------
    def train_step(self, x: torch.Tensor, y: torch.Tensor, step: int) -> dict[str, torch.Tensor]:
        fake = self.G(x)
        out = self.d_step(x, y, fake.detach()) if self.pix2pix.lambda_gan > 0 else {}
        return out | self.g_step(x, y, fake)

    def d_step(self, x: torch.Tensor, y: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """(1) Update D: ascend log D(x, y) + log(1 - D(x, G(x))); the objective is halved (Section 3.3)."""
        real_logits = self.D(torch.cat([x, y], dim=1))
        fake_logits = self.D(torch.cat([x, fake], dim=1))
        return {"loss_d": update(self.optimizers["D"], 0.5 * d_loss(self.train.loss, real_logits, fake_logits))}

    def g_step(self, x: torch.Tensor, y: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """(2) Update G: descend lambda_gan * (-log D(x, G(x))) + lambda_L1 * ||y - G(x)||_1."""
        s = self.pix2pix
        loss_l1 = F.l1_loss(fake, y)
        loss_g, out = s.lambda_l1 * loss_l1, {"loss_l1": loss_l1.detach()}
        if s.lambda_gan > 0:
            with frozen(self.D):
                loss_g_gan = g_loss(self.train.loss, self.D(torch.cat([x, fake], dim=1)))
            loss_g = loss_g + s.lambda_gan * loss_g_gan
            out["loss_g_gan"] = loss_g_gan.detach()
        out["loss_g"] = update(self.optimizers["G"], loss_g)
        return out

    # -- using it ----------------------------------------------------------------------------------------------------
    def translate(self, images: torch.Tensor, direction: str = "AtoB", to=None) -> torch.Tensor:
        """G(x) of images x of domain A in [-1, 1], in eval mode (dropout off: the same input, the same output)."""
        if direction != "AtoB":
            raise GankitError(f"a pix2pix run translates A to B only, not {direction}; train another for B to A")
        if to is not None:
            raise GankitError("--to / to= names a target domain of a StarGAN run; a pix2pix run has one target")
        x = check_images(images, self.channels[0], "the images to translate")
        with evaluating(self.G):
            return in_batches(lambda b: self.G(b.to(self.device)).float().cpu(), x)

    @torch.no_grad()
    def pictures(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """One row per held-out input: input | output | target."""
        with evaluating(self.G):
            fake = self.G(x)
        return {"": table([x, fake, y])}
