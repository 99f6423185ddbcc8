"""The original WGAN (Arjovsky et al. 2017, Algorithm 1): a critic f kept K-Lipschitz by clipping its weights to
[-c, c] after every step, trained n_critic times per G step with RMSProp, estimates the Wasserstein-1 distance
W = E f(x) - E f(G(z)); G descends -E f(G(z)). The paper's defaults: c 0.01, n_critic 5 (train.k), RMSProp at 5e-5.
Settings: the config's `wgan:` section. (WGAN-GP, its successor, is the gan recipe with train.loss=wgan-gp.)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import torch

from gankit.recipes.base import Recipe, Sampler, check, forward, frozen, sample_pictures, update
from gankit.recipes.gan import ARCHS, build_gan


@dataclass
class WGANSettings:
    clip: float = 0.01               # c: every critic weight is clipped to [-c, c] after each critic step


class WGANRecipe(Recipe, Sampler):
    name, settings, archs = "wgan", WGANSettings, ARCHS

    def __init__(self, G, D, train, settings: WGANSettings, device="cpu"):
        self.train, self.wgan, self.device = train, settings, torch.device(device)
        self.G, self.D = G.to(self.device), D.to(self.device)
        self.z_dim, self.num_classes = G.z_dim, 0

    @classmethod
    def from_config(cls, cfg, data_shape, num_classes, device="cpu"):
        return cls(*build_gan(cfg.model, data_shape, 0), cfg.train, cfg.section("wgan"), device)

    @classmethod
    def objective(cls, cfg):
        return f"W, clip {cfg.section('wgan').clip}, k={cfg.train.k}"

    @classmethod
    def validate(cls, cfg):
        super().validate(cfg)
        check((cfg.section("wgan").clip > 0, "wgan.clip must be positive"))

    modules = property(lambda self: {"G": self.G, "D": self.D})
    sampler = property(lambda self: self.G)
    curve_panels = [("Wasserstein estimate E f(x) - E f(G(z))", {"wasserstein": "W"}),
                    ("losses", {"loss_d": "critic", "loss_g": "G"})]

    @cached_property
    def optimizers(self):
        return {"G": torch.optim.RMSprop(self.G.parameters(), lr=self.train.lr_g),
                "D": torch.optim.RMSprop(self.D.parameters(), lr=self.train.lr_d)}

    def progress_pictures(self, data, grid_size, seed):
        return sample_pictures(self, grid_size, seed, self.device)

    def train_step(self, x, y, step):
        # (1) Update the critic: ascend E f(x) - E f(G(z)), then clip its weights.
        with torch.no_grad():
            fake = forward(self.G, torch.randn(len(x), self.z_dim, device=self.device))
        w = self.D(x).mean() - self.D(fake).mean()
        out = {"loss_d": update(self.optimizers["D"], -w), "wasserstein": w.detach()}
        with torch.no_grad():
            for p in self.D.parameters():
                p.clamp_(-self.wgan.clip, self.wgan.clip)
        # (2) After every n_critic-th critic step, update G: descend -E f(G(z)).
        if step % self.train.k == self.train.k - 1:
            with frozen(self.D):
                fake = forward(self.G, torch.randn(len(x), self.z_dim, device=self.device))
                out["loss_g"] = update(self.optimizers["G"], -self.D(fake).mean())
        return out
