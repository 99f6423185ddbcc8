"""The VAE training step: maximise the evidence lower bound of Kingma & Welling (2014), eq. 10.

  ELBO(x) = E_q(z|x)[log p(x|z)] - KL(q(z|x) || p(z)),   p(z) = N(0, I),  q(z|x) = N(mu(x), diag(sigma(x)^2))

  - the expectation is estimated with one sample z = mu + sigma * eps, eps ~ N(0, I) (the reparameterization
    trick, Section 2.4), so the gradient reaches mu and sigma through z;
  - the KL term is in closed form (Appendix B):  KL = -1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2).

The loss is -ELBO in nats per image, logged as `loss`, with its two terms `recon` (-log p(x|z)) and `kl`.
Config reuse: train.lr_g is the learning rate of the one Adam optimizer (train.beta1/beta2 its betas), model.z_dim
the latent size, model.width the channels (vae-conv) or hidden units (vae-mlp), model.depth the hidden layers
(vae-mlp); the config's `vae:` section (VAESettings) holds the form of p(x|z).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from gankit.config import Config, TrainConfig
from gankit.errors import GankitError
from gankit.images import to_unit_interval
from gankit.models.vae import Decoder, build_vae
from gankit.recipes.base import Encoder, Recipe, Sampler, adam, evaluating, fixed_items, sample_pictures, update

ARCHS = ("vae-mlp", "vae-conv")
BINARISABLE = ("digits", "mnist")  # nearly black-and-white: a Bernoulli per pixel fits them (Kingma & Welling C.2)


@dataclass
class VAESettings:
    """The config's `vae:` section."""
    likelihood: Literal["auto", "bernoulli", "gaussian"] = "auto"  # p(x|z); auto: bernoulli for digits/mnist


def resolve_likelihood(cfg: Config) -> str:
    name = cfg.section("vae").likelihood
    if name == "auto":
        return "bernoulli" if cfg.data.name in BINARISABLE else "gaussian"
    return name


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """z = mu + sigma * eps, eps ~ N(0, I): a sample of q(z|x) that is differentiable in mu and sigma."""
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) per item, Kingma & Welling Appendix B."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)


def reconstruction_nll(decoder, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) per item, summed over pixels. x is in [-1, 1]."""
    logits = decoder.logits(z)
    if decoder.likelihood == "bernoulli":
        # Pixel intensities (x + 1) / 2 in [0, 1] are the targets; softplus-based BCE works on logits.
        nll = F.binary_cross_entropy_with_logits(logits, to_unit_interval(x), reduction="none")
    else:
        # Gaussian with one learned scale: 1/2 ((x - mean) / sigma)^2 + log sigma + 1/2 log 2 pi per pixel.
        log_sigma = decoder.log_sigma.clamp(-6.0, 2.0)
        nll = 0.5 * ((x - torch.tanh(logits)) / log_sigma.exp()).pow(2) + log_sigma + 0.5 * math.log(2 * math.pi)
    return nll.flatten(1).sum(dim=1)


class VAERecipe(Recipe, Sampler, Encoder):
    """Build it from your own nets, `VAERecipe(encoder, decoder, train_config, device)`: the encoder maps x to
    (mu, logvar) of q(z|x); the decoder is a gankit.models.vae.Decoder (its `logits(z)` and `likelihood`)."""

    name = "vae"
    settings = VAESettings
    archs = ARCHS

    def __init__(self, encoder: nn.Module, decoder: Decoder, train: TrainConfig | None = None,
                 device: torch.device | str = "cpu"):
        self.train = train if train is not None else TrainConfig()
        self.device = torch.device(device)
        self.encoder, self.decoder = encoder.to(self.device), decoder.to(self.device)
        self.z_dim, self.num_classes = decoder.z_dim, 0

    @classmethod
    def objective(cls, cfg: Config) -> str:
        return "-ELBO"

    @classmethod
    def from_config(cls, cfg: Config, data_shape: tuple[int, ...], num_classes: int,
                    device: torch.device | str = "cpu") -> "VAERecipe":
        m = cfg.model
        if len(data_shape) != 3:
            raise GankitError(f"the VAE recipe is for images; this data set holds points of shape {data_shape}")
        if m.conditional or m.acgan:
            raise GankitError("the VAE recipe has no conditional variant; unset model.conditional and model.acgan")
        if m.arch not in ARCHS:
            raise GankitError(f"the VAE recipe builds model.arch {' or '.join(ARCHS)}, not {m.arch!r}")
        encoder, decoder = build_vae(m.arch, data_shape, m.z_dim, m.width, m.depth, resolve_likelihood(cfg))
        return cls(encoder, decoder, cfg.train, device)

    @cached_property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """One Adam for encoder and decoder, made on first use (a run loaded only to sample never builds it)."""
        t = self.train
        return {"vae": adam([*self.encoder.parameters(), *self.decoder.parameters()], t.lr_g, (t.beta1, t.beta2))}

    @property
    def curve_panels(self) -> list[tuple[str, dict[str, str]]]:
        return [("-ELBO (nats per image)", {"loss": "-ELBO"}),
                ("its two terms", {"recon": "-log p(x|z)", "kl": "KL(q(z|x) || p(z))"})]

    @property
    def modules(self) -> dict[str, torch.nn.Module]:
        return {"encoder": self.encoder, "decoder": self.decoder}

    @property
    def sampler(self) -> torch.nn.Module:
        """Samples of the model: z ~ p(z) = N(0, I) through the decoder, shown as the mean image E[x|z]."""
        return self.decoder

    def negative_elbo(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(-log p(x|z), KL) per item, with z one reparameterised sample of q(z|x)."""
        mu, logvar = self.encoder(x)
        z = reparameterize(mu, logvar)
        return reconstruction_nll(self.decoder, z, x), gaussian_kl(mu, logvar)

    def train_step(self, x: torch.Tensor, y: torch.Tensor | None, step: int) -> dict[str, torch.Tensor]:
        recon, kl = self.negative_elbo(x)
        loss = (recon + kl).mean()  # -ELBO averaged over the minibatch (the paper's estimator, eq. 8 with L = 1)
        out = {"loss": update(self.optimizers["vae"], loss), "recon": recon.mean().detach(), "kl": kl.mean().detach()}
        if self.decoder.log_sigma is not None:
            out["sigma_x"] = self.decoder.log_sigma.detach().exp()
        return out

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The latent code of images x: the mean of q(z|x)."""
        with evaluating(self.encoder):
            return self.encoder(x.to(self.device))[0]

    def progress_pictures(self, data, grid_size: int, seed: int):
        """The fixed-noise grid, and fixed real images beside their reconstructions (recon-*.png)."""
        x, _ = data.batch(fixed_items(data, grid_size, seed).to(self.device))
        return sample_pictures(self, grid_size, seed, self.device) | {"reconstructions": (self.reconstructions(x), None)}

    def reconstructions(self, x: torch.Tensor) -> torch.Tensor:
        """Each input beside its reconstruction (decoded mean of q(z|x)), in pairs along each row."""
        n = next(k for k in (32, 8, 2, 1) if k <= len(x))  # 2n images tile as a square of even width
        x = x[:n]
        with evaluating(self.decoder):
            recon = self.decoder(self.encode(x))
        return torch.stack([x, recon], dim=1).flatten(0, 1)
