"""The GAN training step: Algorithm 1 of Goodfellow et al. (2014).

  for each training iteration:
      for k steps:  sample z, sample a minibatch x; update D by ascending  log D(x) + log(1 - D(G(z)))
      sample z; update G by descending  log(1 - D(G(z)))   (or ascending log D(G(z)), the non-saturating form)

The trainer calls `train_step` once per real minibatch: every call is one D step, and every k-th call is also a G step.
"""
from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F

from gankit.config import Config
from gankit.losses import d_loss, g_loss, gradient_penalty, r1_penalty
from gankit.models import build_gan
from gankit.recipes.ema import ema_model

# For these losses D's output is a log-odds and sigmoid(logit) is D's probability that x is real; for the others it is a
# raw critic score, logged as it is.
PROBABILITY_LOSSES = ("minimax", "nonsaturating")


class GANRecipe:
    def __init__(self, cfg: Config, data_shape: tuple[int, ...], num_classes: int, device: torch.device):
        self.cfg, self.device = cfg, device
        t = cfg.train
        G, D = build_gan(cfg.model, data_shape, num_classes)
        memory_format = torch.channels_last if t.channels_last and len(data_shape) == 3 else torch.preserve_format
        self.memory_format = memory_format
        self.G = G.to(device, memory_format=memory_format)
        self.D = D.to(device, memory_format=memory_format)
        self.z_dim, self.num_classes = G.z_dim, G.num_classes
        # Fused Adam (one kernel for all parameters) where the build has it; foreach otherwise.
        fused = {"fused": True} if device.type in ("cuda", "cpu") else {}
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=t.lr_g, betas=(t.beta1, t.beta2), **fused)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=t.lr_d, betas=(t.beta1, t.beta2), **fused)
        self.G_ema = None
        if t.ema > 0:
            self.G_ema = ema_model(self.G, t.ema)
        self.G_fwd, self.D_fwd = (torch.compile(self.G), torch.compile(self.D)) if t.compile else (self.G, self.D)
        self.autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if t.amp and device.type == "cuda" \
            else contextlib.nullcontext

    @property
    def curve_panels(self) -> list[tuple[str, dict[str, str]]]:
        """What the progress bar shows and curves.png draws: (panel title, {metric: label})."""
        d_title = "D(x) and D(G(z)), as probability" if self.cfg.train.loss in PROBABILITY_LOSSES \
            else "mean critic score on real and generated data"
        return [("losses", {"loss_d": "D loss", "loss_g": "G loss"}),
                (d_title, {"d_real": "D(x)", "d_fake": "D(G(z))"})]

    @property
    def modules(self) -> dict[str, torch.nn.Module]:
        mods = {"G": self.G, "D": self.D}
        if self.G_ema is not None:
            mods["G_ema"] = self.G_ema
        return mods

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"G": self.opt_g, "D": self.opt_d}

    @property
    def sampler(self) -> torch.nn.Module:
        return self.G_ema.module if self.G_ema is not None else self.G

    def _split(self, out):
        """D returns logits, or (logits, class logits) with an ACGAN head."""
        return out if isinstance(out, tuple) else (out, None)

    def train_step(self, real: torch.Tensor, y: torch.Tensor | None, step: int) -> dict[str, torch.Tensor]:
        t = self.cfg.train
        real = real.contiguous(memory_format=self.memory_format)
        n = real.shape[0]
        # Conditional nets draw fakes for the real batch's labels, so both halves of D's batch share one class mix and
        # the gradient penalty's interpolates have one label each.
        y_real = y_fake = y if self.num_classes else None
        g_turn = (step + 1) % t.k == 0
        z = torch.randn(n, self.z_dim, device=self.device)
        out: dict[str, torch.Tensor] = {}

        # G(z) is computed once. On a G turn it keeps its graph and is reused for the G step below, which saves a
        # forward pass of G (pytorch/examples' DCGAN does the same); otherwise no graph is built at all.
        with self.autocast(), torch.set_grad_enabled(g_turn):
            fake = self.G_fwd(z, y_fake)

        # (1) Update D: maximise log D(x) + log(1 - D(G(z)))  (or the chosen loss's equivalent).
        if t.r1:
            real = real.detach().requires_grad_(True)
        with self.autocast():
            real_logits, real_cls = self._split(self.D_fwd(real, y_real))
            fake_logits, fake_cls = self._split(self.D_fwd(fake.detach(), y_fake))
            loss_d = d_loss(t.loss, real_logits.float(), fake_logits.float(), 1.0 - t.label_smoothing)
            if real_cls is not None:  # ACGAN: D also learns to name the class of real and of fake images
                loss_d = loss_d + t.acgan_weight * (F.cross_entropy(real_cls.float(), y) +
                                                    F.cross_entropy(fake_cls.float(), y_fake))
        if t.loss == "wgan-gp":
            gp = gradient_penalty(self.D_fwd, real, fake.detach().float(), y_real)
            out["gp"] = gp.detach()
            out["wasserstein"] = (real_logits.mean() - fake_logits.mean()).detach().float()
            loss_d = loss_d + t.lambda_gp * gp
        if t.r1:
            r1 = r1_penalty(real_logits.float(), real)
            out["r1"] = r1.detach()
            loss_d = loss_d + t.r1 / 2 * r1
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        out["loss_d"] = loss_d.detach()
        if t.loss in PROBABILITY_LOSSES:
            out["d_real"], out["d_fake"] = (torch.sigmoid(real_logits.detach().float()).mean(),
                                            torch.sigmoid(fake_logits.detach().float()).mean())
        else:
            out["d_real"], out["d_fake"] = real_logits.detach().float().mean(), fake_logits.detach().float().mean()

        # (2) Update G, every k-th step: minimise log(1 - D(G(z))) or maximise log D(G(z)). D's parameters are frozen,
        # so the backward pass computes only the gradient that flows through D into G, not D's own weight gradients.
        if g_turn:
            self.D.requires_grad_(False)
            with self.autocast():
                logits, cls = self._split(self.D_fwd(fake, y_fake))
                loss_g = g_loss(t.loss, logits.float())
                if cls is not None:
                    loss_g = loss_g + t.acgan_weight * F.cross_entropy(cls.float(), y_fake)
            self.opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_g.step()
            self.D.requires_grad_(True)
            if self.G_ema is not None:
                self.G_ema.update_parameters(self.G)
            out["loss_g"] = loss_g.detach()
        return out
