"""CycleGAN: unpaired image-to-image translation with cycle consistency (Zhu et al. 2017).

Two generators, G: A -> B and F: B -> A, and two discriminators, D_B (is this a B image?) and D_A. The paper's X, Y
are our A, B (its repository's trainA/, trainB/).

  L(G, F, D_A, D_B) = L_GAN(G, D_B) + L_GAN(F, D_A) + lambda L_cyc(G, F)                       (eq. 3)
  L_cyc = E_a ||F(G(a)) - a||_1 + E_b ||G(F(b)) - b||_1                                         (eq. 2)
  L_identity = E_b ||G(b) - b||_1 + E_a ||F(a) - a||_1, weighted 0.5 lambda                     (Section 5.2)

L_GAN is least squares (Mao et al. 2017), as Section 4 says: G minimises (D(G(a)) - 1)^2, D minimises
(D(b) - 1)^2 + D(G(a))^2, halved. D is shown fakes from a pool of the last 50 generated images rather than the
newest ones only (Shrivastava et al. 2017), which damps oscillation. Instance norm in every net; Adam(2e-4, beta1
0.5), the rate constant for the first half and falling linearly to 0 over the second (train.lr_constant 0.5).
Each step: (1) G and F together, D_A and D_B frozen; (2) D_A and D_B on pooled fakes (the authors' order).

Semantic consistency (CyCADA, Hoffman et al. 2018, eq. 4), off unless cyclegan.semantic_weight > 0: a frozen
classifier's reading of each source image must hold on its translation,

  L_sem = CE(f_B(G(a)), argmax f_A(a)) + CE(f_A(F(b)), argmax f_B(b)),   added to G's and F's objective times the weight.

CyCADA uses one source classifier f for both; cyclegan.semantic_classifier names it (a shipped classifier's name or a
.safetensors file), and by default the built-in data use each domain's shipped classifier (digits2colour: f_A the
digits classifier, f_B the colour-digits one). The classifier is never trained and is not in the checkpoint.

A noise input, off unless cyclegan.noise_dim > 0: G becomes G(a, z), z ~ N(0, I) drawn per image and handed to every
instance norm of G (conditional instance norm: the stochastic G of Augmented CycleGAN, Almahairi et al. 2018, without
its latent encoders), so one digit can be drawn over several backgrounds. F stays deterministic (many colour digits
to one gray digit). The cycle F(G(a, z)) = a needs no z back; G(F(b)) = b asks G to ignore z (the reason Augmented
CycleGAN adds encoders), which cyclegan.lambda_cycle_b 0 removes. Translating with such a G draws a new z per image.

cyclegan.mode_seeking=w (off by default; needs cyclegan.noise_dim) adds MSGAN's mode-seeking term (Mao et al. 2019) to
G's objective: each digit is drawn with two codes, and w / (mean|G(a, z1) - G(a, z2)| / mean|z1 - z2| + 1e-5) is
small only when the two drawings differ, so that the code is not ignored.

cyclegan.minibatch_std=g (off by default) gives D_A and D_B, before their last layer, the standard deviation of their
features over groups of g images (ProGAN's minibatch standard deviation, Karras et al. 2018): a G that draws every
colour digit over a dark background can be told from real batches, a third of whose backgrounds are bright.

Settings (the config's `cyclegan:` section): cyclegan.lambda_cycle (lambda; cyclegan.lambda_cycle_b gives the
B -> A -> B cycle its own, as the authors' lambda_A / lambda_B), cyclegan.lambda_identity (times lambda; needs A and B
of the same channels; cyclegan.identity_per_cycle weights G's half by the B -> A -> B cycle's weight, as the authors'
code does), cyclegan.pool_size, cyclegan.semantic_weight, cyclegan.semantic_classifier,
cyclegan.noise_dim, cyclegan.mode_seeking, cyclegan.minibatch_std; and
train.loss (lsgan as the paper), model.arch (resnet as the paper, or unet), model.width, model.blocks.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import torch
import torch.nn.functional as F_
from torch import nn

from gankit.config import Config, TrainConfig
from gankit.errors import GankitError
from gankit.losses import d_loss, g_loss
from gankit.models.translation import PatchGANDiscriminator, patchgan_layers
from gankit.recipes.base import adam_pair, check, evaluating, frozen, update
from gankit.recipes.translation import (GENERATORS, TranslationRecipe, build_generator, check_images, in_batches, table,
                                        two_shapes)


@dataclass
class CycleGANSettings:
    """The config's `cyclegan:` section."""
    lambda_cycle: float = 10.0       # weight of each direction's cycle loss (Zhu et al. eq. 3)
    lambda_cycle_b: float | None = None  # the B -> A -> B cycle's own weight (the authors' code: lambda_A and
    #                                      lambda_B); None = lambda_cycle. The identity loss stays lambda_cycle-scaled
    #                                      unless identity_per_cycle
    lambda_identity: float = 0.5     # identity loss weight, times lambda_cycle (Zhu et al. 5.2)
    identity_per_cycle: bool = False  # the authors' code: ||G(b) - b|| times lambda_B (lambda_cycle_b) and
    #                                   ||F(a) - a|| times lambda_A; False = both times lambda_cycle (the paper's text)
    pool_size: int = 50              # D sees fakes from a pool of the last 50 (Shrivastava et al. 2017)
    semantic_weight: float = 0.0     # CyCADA's semantic consistency loss weight (Hoffman et al. 2018); 0 = off
    semantic_classifier: str = ""    # its frozen classifier, a shipped name or a file; "" = each built-in domain's own
    noise_dim: int = 0               # G (A -> B) takes a per-image code z of this size through conditional instance
    #                                  norm (Augmented CycleGAN's stochastic G); 0 = the paper's deterministic G
    minibatch_std: int = 0           # D_A and D_B see a minibatch standard deviation channel over groups of this
    #                                  many images (Karras et al. 2018); 0 = the paper's D, which judges images alone
    mode_seeking: float = 0.0        # weight of MSGAN's mode-seeking term for a G with a noise input (Mao et al.
    #                                  2019): 1 / (mean|G(a, z1) - G(a, z2)| / mean|z1 - z2| + 1e-5); 0 = off


def semantic_classifiers(cfg: Config) -> tuple[nn.Module, nn.Module]:
    """(f_A, f_B): the frozen classifiers of cyclegan.semantic_classifier, or the data's shipped ones."""
    from gankit.metrics.translation import TARGET_CLASSIFIERS, load_classifier

    spec = cfg.cyclegan.semantic_classifier
    if spec:
        f = load_classifier(spec)
        return f, f
    shipped = TARGET_CLASSIFIERS.get(cfg.data.name, {})
    if "AtoB" not in shipped or "BtoA" not in shipped:
        raise GankitError(f"cyclegan.semantic_weight needs a classifier and data {cfg.data.name} has no shipped one; "
                          f"set cyclegan.semantic_classifier=FILE.safetensors")
    return load_classifier(shipped["BtoA"]), load_classifier(shipped["AtoB"])


class ImagePool(nn.Module):
    """The last `size` generated images (Shrivastava et al. 2017, Section 2.3; the CycleGAN code's ImagePool).

    Until the pool is full each fake goes in and is returned; after that each fake, with probability 1/2, is swapped
    for a random image of the pool (which is returned instead), else returned as it is. The pool is buffers, so a
    checkpoint holds it, and its randomness is torch's global RNG, whose state the checkpoint holds too: a resumed
    run draws what the uninterrupted one would have."""

    def __init__(self, size: int, image_shape: tuple[int, ...]):
        super().__init__()
        self.size = size
        self.register_buffer("images", torch.zeros(size, *image_shape))
        self.register_buffer("count", torch.zeros((), dtype=torch.int64))

    @torch.no_grad()
    def query(self, fakes: torch.Tensor) -> torch.Tensor:
        fakes = fakes.detach()  # D's step must not reach back into G's graph (already freed by G's step)
        if self.size == 0:
            return fakes
        swap = torch.rand(len(fakes), device=fakes.device) > 0.5
        slots = torch.randint(self.size, (len(fakes),), device=fakes.device)
        out = fakes.clone()
        count = int(self.count)
        for i, fake in enumerate(fakes):
            if count < self.size:  # filling up: keep it, return it
                self.images[count] = fake
                count += 1
            elif swap[i]:          # return an old image, keep the new one in its place
                out[i] = self.images[slots[i]].clone()
                self.images[slots[i]] = fake
        self.count.fill_(count)
        return out


class CycleGANRecipe(TranslationRecipe):
    name = "cyclegan"
    settings = CycleGANSettings
    archs = GENERATORS
    directions = ("AtoB", "BtoA")

    def __init__(self, G: nn.Module, F: nn.Module, D_A: nn.Module, D_B: nn.Module, train: TrainConfig | None = None,
                 device: torch.device | str = "cpu", shapes: tuple[tuple[int, ...], tuple[int, ...]] = ((3,), (3,)),
                 settings: CycleGANSettings | None = None, classifiers: tuple[nn.Module, nn.Module] | None = None):
        self.train = train if train is not None else TrainConfig()
        self.cyclegan = t = settings if settings is not None else CycleGANSettings()
        self.device = torch.device(device)
        self.G, self.F = G.to(self.device), F.to(self.device)
        self.D_A, self.D_B = D_A.to(self.device), D_B.to(self.device)
        self.channels = (shapes[0][0], shapes[1][0])
        if t.lambda_identity > 0 and self.channels[0] != self.channels[1]:
            raise GankitError(f"the identity loss compares G(b) with b, so it needs A and B with the same channels "
                              f"(A has {self.channels[0]}, B {self.channels[1]}); set cyclegan.lambda_identity=0, or "
                              f"data.channels=3")
        # pool_A holds fakes of A (F's), for D_A; pool_B fakes of B (G's), for D_B.
        self.pool_A = ImagePool(t.pool_size, shapes[0]).to(self.device)
        self.pool_B = ImagePool(t.pool_size, shapes[1]).to(self.device)
        if t.semantic_weight > 0 and classifiers is None:
            raise GankitError("cyclegan.semantic_weight needs the classifiers (f_A, f_B); pass classifiers=")
        # f_A reads A images, f_B B images; frozen for good, in eval mode (no dropout), so they draw no randomness.
        self.classifiers = None if classifiers is None else tuple(
            f.to(self.device).eval().requires_grad_(False) for f in classifiers)

    @classmethod
    def from_config(cls, cfg: Config, data_shape, num_classes: int,
                    device: torch.device | str = "cpu") -> "CycleGANRecipe":
        (ca, h, w), (cb, _, _) = two_shapes(data_shape, "cyclegan")
        m, size = cfg.model, max(h, w)
        t = cfg.section("cyclegan")
        G = build_generator(m.arch, ca, cb, size, m.width, m.blocks, norm="instance", noise=t.noise_dim)
        F = build_generator(m.arch, cb, ca, size, m.width, m.blocks, norm="instance")
        D_A = PatchGANDiscriminator(ca, m.width, patchgan_layers(size), norm="instance", minibatch_std=t.minibatch_std)
        D_B = PatchGANDiscriminator(cb, m.width, patchgan_layers(size), norm="instance", minibatch_std=t.minibatch_std)
        classifiers = semantic_classifiers(cfg) if t.semantic_weight > 0 else None
        return cls(G, F, D_A, D_B, cfg.train, device, ((ca, h, w), (cb, h, w)), t, classifiers)

    @classmethod
    def validate(cls, cfg: Config) -> None:
        super().validate(cfg)
        s = cfg.section("cyclegan")
        check((s.pool_size <= 100_000, f"cyclegan.pool_size is {s.pool_size:,}, above the limit of 100,000"),
              (s.lambda_cycle_b is None or s.lambda_cycle_b >= 0,
               f"cyclegan.lambda_cycle_b must not be negative, got {s.lambda_cycle_b}"),
              (s.noise_dim == 0 or cfg.model.arch != "unet",
               "cyclegan.noise_dim is built for the ResNet generators (model.arch resnet or resnet-fullres), "
               "not unet"),
              (s.noise_dim <= 1024, f"cyclegan.noise_dim is {s.noise_dim:,}, above the limit of 1,024"),
              (s.mode_seeking == 0 or s.noise_dim > 0,
               "cyclegan.mode_seeking asks G for different outputs from two codes; give it codes: cyclegan.noise_dim"),
              (s.minibatch_std <= cfg.train.batch_size,
               f"cyclegan.minibatch_std groups {s.minibatch_std} images, more than a batch "
               f"(train.batch_size {cfg.train.batch_size})"))

    # -- what the trainer and the run folder see --------------------------------------------------------------------
    @property
    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "F": self.F, "D_A": self.D_A, "D_B": self.D_B, "pool_A": self.pool_A,
                "pool_B": self.pool_B}

    @cached_property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """One Adam for G and F, one for D_A and D_B, as the authors' code."""
        return adam_pair(self.train, itertools.chain(self.G.parameters(), self.F.parameters()),
                         itertools.chain(self.D_A.parameters(), self.D_B.parameters()))

    @property
    def curve_panels(self) -> list[tuple[str, dict[str, str]]]:
        return [("adversarial losses", {"loss_d": "D_A + D_B", "loss_g_gan": "G + F"}),
                ("cycle, identity, semantic and mode-seeking losses",
                 {"loss_cycle": "cycle", "loss_identity": "identity", "loss_semantic": "semantic",
                  "loss_mode_seeking": "mode seeking"})]

    # -- one step ----------------------------------------------------------------------------------------------------
    def train_step(self, a: torch.Tensor, b: torch.Tensor, step: int) -> dict[str, torch.Tensor]:
        if self.cyclegan.mode_seeking > 0:  # two codes per digit: G(a, z1) is the translation, G(a, z2) its twin
            z1, z2 = torch.randn(2, len(a), self.G.noise, device=a.device)
            fake_b, twin_b = self.G(a, z1), (self.G(a, z2), z1, z2)
        else:
            fake_b, twin_b = self.G(a), None
        fake_a = self.F(b)
        out = self.g_step(a, b, fake_a, fake_b, twin_b)
        return out | self.d_step(a, b, self.pool_A.query(fake_a), self.pool_B.query(fake_b))

    def g_step(self, a, b, fake_a, fake_b, twin_b=None) -> dict[str, torch.Tensor]:
        """(1) Update G and F: L_GAN(G, D_B) + L_GAN(F, D_A) + lambda L_cyc + 0.5 lambda L_identity (+ the options'
        semantic and mode-seeking terms)."""
        t = self.cyclegan
        with frozen(self.D_A, self.D_B):
            loss_gan = g_loss(self.train.loss, self.D_B(fake_b)) + g_loss(self.train.loss, self.D_A(fake_a))
        cycle_a, cycle_b = F_.l1_loss(self.F(fake_b), a), F_.l1_loss(self.G(fake_a), b)
        weight_b = t.lambda_cycle if t.lambda_cycle_b is None else t.lambda_cycle_b
        loss = loss_gan + t.lambda_cycle * cycle_a + weight_b * cycle_b
        loss_cycle = cycle_a + cycle_b
        out = {"loss_g_gan": loss_gan.detach(), "loss_cycle": loss_cycle.detach()}
        if twin_b is not None:
            other_b, z1, z2 = twin_b
            ratio = (fake_b - other_b).abs().mean() / (z1 - z2).abs().mean()
            loss_mode_seeking = 1 / (ratio + 1e-5)  # MSGAN's, as its authors' pix2pix code
            loss = loss + t.mode_seeking * loss_mode_seeking
            out["loss_mode_seeking"] = loss_mode_seeking.detach()
        if t.lambda_identity > 0:
            identity_g, identity_f = F_.l1_loss(self.G(b), b), F_.l1_loss(self.F(a), a)
            loss_identity = identity_g + identity_f
            if t.identity_per_cycle:  # the authors' loss_idt_A * lambda_B, loss_idt_B * lambda_A
                loss = loss + t.lambda_identity * (weight_b * identity_g + t.lambda_cycle * identity_f)
            else:
                loss = loss + t.lambda_identity * t.lambda_cycle * loss_identity
            out["loss_identity"] = loss_identity.detach()
        if t.semantic_weight > 0:
            loss_semantic = self.semantic_loss(a, b, fake_a, fake_b)
            loss = loss + t.semantic_weight * loss_semantic
            out["loss_semantic"] = loss_semantic.detach()
        out["loss_g"] = update(self.optimizers["G"], loss)
        return out

    def semantic_loss(self, a, b, fake_a, fake_b) -> torch.Tensor:
        """CyCADA eq. 4: CE(f_B(G(a)), argmax f_A(a)) + CE(f_A(F(b)), argmax f_B(b)); the targets are the
        classifier's own reading of the sources (no labels), and only G and F take the gradient."""
        f_A, f_B = self.classifiers
        with torch.no_grad():
            label_a, label_b = f_A(a).argmax(1), f_B(b).argmax(1)
        return F_.cross_entropy(f_B(fake_b), label_a) + F_.cross_entropy(f_A(fake_a), label_b)

    def d_step(self, a, b, fake_a, fake_b) -> dict[str, torch.Tensor]:
        """(2) Update D_A and D_B on real images and pooled fakes, each objective halved."""
        loss = 0.5 * (d_loss(self.train.loss, self.D_B(b), self.D_B(fake_b)) +
                      d_loss(self.train.loss, self.D_A(a), self.D_A(fake_a)))
        return {"loss_d": update(self.optimizers["D"], loss)}

    # -- using it ----------------------------------------------------------------------------------------------------
    def translate(self, images: torch.Tensor, direction: str = "AtoB", to=None) -> torch.Tensor:
        """G(a) (direction AtoB) or F(b) (BtoA) of images in [-1, 1]."""
        if direction not in ("AtoB", "BtoA"):
            raise GankitError(f"direction must be AtoB or BtoA, got {direction!r}")
        if to is not None:
            raise GankitError("--to / to= names a target domain of a StarGAN run; a CycleGAN run takes --direction")
        net, channels = (self.G, self.channels[0]) if direction == "AtoB" else (self.F, self.channels[1])
        x = check_images(images, channels, f"the images to translate {direction}")
        with evaluating(net):
            return in_batches(lambda batch: net(batch.to(self.device)).float().cpu(), x)

    @torch.no_grad()
    def pictures(self, a: torch.Tensor, b: torch.Tensor) -> dict[str, torch.Tensor]:
        """Rows of held-out inputs: a | G(a) | F(G(a)) (the main picture), and b | F(b) | G(F(b)) (BtoA-...)."""
        with evaluating(self.G, self.F):
            fake_b, fake_a = self.G(a), self.F(b)
            return {"": table([a, fake_b, self.F(fake_b)]), "BtoA": table([b, fake_a, self.G(fake_a)])}
