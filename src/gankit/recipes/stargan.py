"""StarGAN: one generator for translation among many domains (Choi et al. 2018).

G(x, c) translates image x into target domain c; D has two heads, D_src (real or fake, per patch) and D_cls (which
domain). With c' the image's own domain and c a target drawn at random (a shuffle of the batch's domains, as the
authors' code):

  L_D = -L_adv + lambda_cls L_cls^r,    L_cls^r = E[-log D_cls(c' | x)]                       (eqs. 2, 5)
  L_G =  L_adv + lambda_cls L_cls^f + lambda_rec L_rec,
        L_cls^f = E[-log D_cls(c | G(x, c))],   L_rec = E ||x - G(G(x, c), c')||_1                (eqs. 3, 4, 6)

L_adv is WGAN-GP's (Section 4, eq. 8): D minimises D_src(G(x, c)) - D_src(x) + lambda_gp GP, G minimises
-D_src(G(x, c)); D takes n_critic = 5 steps per G step (train.k). Defaults as the paper: lambda_cls 1, lambda_rec 10,
lambda_gp 10, Adam(1e-4, beta1 0.5, beta2 0.999), the rate constant for the first half of the run and then linear
decay to 0. train.loss may be another GAN loss (then no gradient penalty).

Semantic consistency (CyCADA, Hoffman et al. 2018, eq. 4, carried over to many domains), off unless
stargan.semantic_weight > 0: G's objective gains weight * CE(f(G(x, c)), argmax f(x)) for a frozen classifier f of
the content (stargan.semantic_classifier; by default the shipped digit-styles classifier for data digit-styles, which
reads the digit in any of the five styles). f is never trained and is not in the checkpoint.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import torch
import torch.nn.functional as F
from torch import nn

from gankit.config import Config, TrainConfig
from gankit.errors import GankitError
from gankit.losses import d_loss, g_loss, gradient_penalty
from gankit.models.translation import StarGANDiscriminator, StarGANGenerator
from gankit.recipes.base import adam_pair, evaluating, frozen, update
from gankit.recipes.translation import TranslationRecipe, check_images, in_batches, table


@dataclass
class StarGANSettings:
    """The config's `stargan:` section."""
    lambda_cls: float = 1.0          # domain classification (Choi et al. eq. 5-6)
    lambda_rec: float = 10.0         # reconstruction to the source domain (eq. 4)
    semantic_weight: float = 0.0     # CyCADA's semantic consistency loss weight (Hoffman et al. 2018); 0 = off
    semantic_classifier: str = ""    # its frozen classifier, a shipped name or a file; "" = the data's shipped one


def semantic_classifier(cfg: Config) -> nn.Module:
    """The frozen content classifier of stargan.semantic_classifier, or the data's shipped one."""
    from gankit.metrics.translation import TARGET_CLASSIFIERS, load_classifier

    spec = cfg.stargan.semantic_classifier or TARGET_CLASSIFIERS.get(cfg.data.name, {}).get("to")
    if not spec:
        raise GankitError(f"stargan.semantic_weight needs a classifier and data {cfg.data.name} has no shipped one; "
                          f"set stargan.semantic_classifier=FILE.safetensors")
    return load_classifier(spec)


class StarGANRecipe(TranslationRecipe):
    name = "stargan"
    data_kind = "domains"
    settings = StarGANSettings
    archs = ("stargan", "stargan-fullres")  # stargan-fullres: G without down- and up-sampling (as resnet-fullres)

    def __init__(self, G: nn.Module, D: nn.Module, train: TrainConfig | None = None,
                 device: torch.device | str = "cpu", domains: list[str] | None = None, channels: int = 3,
                 settings: StarGANSettings | None = None, classifier: nn.Module | None = None):
        self.train = train if train is not None else TrainConfig()
        self.stargan = settings if settings is not None else StarGANSettings()
        if self.stargan.semantic_weight > 0 and classifier is None:
            raise GankitError("stargan.semantic_weight needs the content classifier; pass classifier=")
        # frozen for good, in eval mode (no dropout), so it draws no randomness
        self.classifier = None if classifier is None else classifier.to(device).eval().requires_grad_(False)
        self.device = torch.device(device)
        self.G, self.D = G.to(self.device), D.to(self.device)
        self.num_classes = G.num_domains  # the domains are the classes a StarGAN run knows
        self.domains = domains
        self.channels = channels

    @classmethod
    def from_config(cls, cfg: Config, data_shape, num_classes: int,
                    device: torch.device | str = "cpu") -> "StarGANRecipe":
        if len(data_shape) != 3 or num_classes < 2:
            raise GankitError("recipe stargan needs images in two or more domains (one sub-folder per domain, or "
                              "data.name digit-styles)")
        c, h, w = data_shape
        m = cfg.model
        G = StarGANGenerator(c, num_classes, m.width, m.blocks, downsamplings=0 if m.arch == "stargan-fullres" else 2)
        D = StarGANDiscriminator(c, num_classes, max(h, w), m.width)
        s = cfg.section("stargan")
        return cls(G, D, cfg.train, device, None, c, s, semantic_classifier(cfg) if s.semantic_weight > 0 else None)

    # -- what the trainer and the run folder see --------------------------------------------------------------------
    @property
    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "D": self.D}

    @cached_property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return adam_pair(self.train, self.G.parameters(), self.D.parameters())

    @property
    def curve_panels(self) -> list[tuple[str, dict[str, str]]]:
        return [("adversarial losses", {"loss_d": "D loss", "loss_g_adv": "G's adversarial loss"}),
                ("domain classification and reconstruction",
                 {"loss_cls_real": "D_cls on real", "loss_cls_fake": "D_cls on G(x, c)",
                  "loss_rec": "|x - G(G(x, c), c')|", "loss_semantic": "semantic"})]

    # -- one step: (1) D; after every k-th, (2) G ---------------------------------------------------------------------
    def train_step(self, x: torch.Tensor, c_org: torch.Tensor, step: int) -> dict[str, torch.Tensor]:
        c_trg = c_org[torch.randperm(len(c_org), device=c_org.device)]
        g_step_follows = step % self.train.k == self.train.k - 1
        with torch.set_grad_enabled(g_step_follows):  # the G step reuses G(x, c); no graph when none follows
            fake = self.G(x, c_trg)
        out = self.d_step(x, c_org, fake.detach())
        if g_step_follows:
            out |= self.g_step(x, c_org, c_trg, fake)
        return out

    def d_step(self, x, c_org, fake) -> dict[str, torch.Tensor]:
        """(1) Update D: the adversarial loss, lambda_gp GP, and lambda_cls times classifying real x as its domain."""
        t = self.train
        real_src, real_cls = self.D(x)
        fake_src, _ = self.D(fake)
        loss_cls = F.cross_entropy(real_cls, c_org)
        loss = d_loss(t.loss, real_src, fake_src) + self.stargan.lambda_cls * loss_cls
        out = {"loss_cls_real": loss_cls.detach()}
        if t.loss == "wgan-gp":
            gp = gradient_penalty(self.D, x, fake)
            loss = loss + t.lambda_gp * gp
            out["gp"] = gp.detach()
        out["loss_d"] = update(self.optimizers["D"], loss)
        return out

    def g_step(self, x, c_org, c_trg, fake) -> dict[str, torch.Tensor]:
        """(2) Update G: fool D_src, be classified as the target domain, and come back to x from G(x, c)."""
        s = self.stargan
        with frozen(self.D):
            fake_src, fake_cls = self.D(fake)
        loss_adv = g_loss(self.train.loss, fake_src)
        loss_cls = F.cross_entropy(fake_cls, c_trg)
        loss_rec = F.l1_loss(self.G(fake, c_org), x)
        loss = loss_adv + s.lambda_cls * loss_cls + s.lambda_rec * loss_rec
        out = {"loss_g_adv": loss_adv.detach(), "loss_cls_fake": loss_cls.detach(), "loss_rec": loss_rec.detach()}
        if s.semantic_weight > 0:
            loss_semantic = self.semantic_loss(x, fake)
            loss = loss + s.semantic_weight * loss_semantic
            out["loss_semantic"] = loss_semantic.detach()
        return out | {"loss_g": update(self.optimizers["G"], loss)}

    def semantic_loss(self, x, fake) -> torch.Tensor:
        """CE(f(G(x, c)), argmax f(x)): the frozen classifier's reading of x must hold on its translation."""
        with torch.no_grad():
            label = self.classifier(x).argmax(1)
        return F.cross_entropy(self.classifier(fake), label)

    # -- using it ----------------------------------------------------------------------------------------------------
    def domain_index(self, to) -> int:
        names = list(self.domains or [])
        if isinstance(to, str) and to in names:
            return names.index(to)
        if isinstance(to, str) and to.isdigit():
            to = int(to)
        if isinstance(to, int) and 0 <= to < self.num_classes:
            return to
        listing = f" or a name ({', '.join(names)})" if names else ""
        raise GankitError(f"the target domain must be a number 0..{self.num_classes - 1}{listing}, got {to!r}")

    def translate(self, images: torch.Tensor, direction: str = "AtoB", to=None) -> torch.Tensor:
        """G(x, c) of images in [-1, 1] for the target domain `to` (index or name)."""
        if to is None:
            raise GankitError("a StarGAN run translates into a target domain: give --to DOMAIN (to= in Python)")
        c = torch.full((len(images),), self.domain_index(to), dtype=torch.int64)
        x = check_images(images, self.channels, "the images to translate")
        with evaluating(self.G):
            return in_batches(lambda batch, cb: self.G(batch.to(self.device), cb.to(self.device)).float().cpu(), x, c)

    @torch.no_grad()
    def pictures(self, x: torch.Tensor, c_org: torch.Tensor) -> dict[str, torch.Tensor]:
        """One row per held-out input: the input, then G(x, c) for every domain c in order."""
        with evaluating(self.G):
            outputs = [self.G(x, torch.full_like(c_org, d)) for d in range(self.num_classes)]
        return {"": table([x, *outputs], per_row=2)}
