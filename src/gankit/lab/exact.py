"""What the theory of Goodfellow et al. (2014, Section 4) says in closed form, for 1-D densities.

  D*(x) = p_data(x) / (p_data(x) + p_g(x))                                  (Proposition 1)
  V(D*, G) = E_data[log D*(x)] + E_g[log(1 - D*(x))] = -log 4 + 2 JSD(p_data || p_g)   (Theorem 1)

Densities are mixtures of Gaussians, so p_g is exact whenever G is an affine map of a Gaussian z. Everything is
computed in log space (log D* = log p_data - log(p_data + p_g)), so tails where both densities underflow stay finite.
Integrals are scipy's adaptive quadrature (QUADPACK) over a range wide enough that the rest is below 1e-12.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.integrate import quad
from scipy.special import logsumexp
from scipy.stats import norm
from torch import nn

TAIL_STDS = 12.0  # beyond 12 std a Gaussian's mass is below 1e-32


@dataclass(frozen=True)
class GaussianMixture1d:
    means: tuple[float, ...]
    stds: tuple[float, ...]
    weights: tuple[float, ...] = (1.0,)

    def log_pdf(self, x: np.ndarray | float) -> np.ndarray:
        x = np.asarray(x, dtype=float)[..., None]
        return logsumexp(np.log(self.weights) + norm.logpdf(x, self.means, self.stds), axis=-1)

    def pdf(self, x: np.ndarray | float) -> np.ndarray:
        return np.exp(self.log_pdf(x))

    def limits(self) -> tuple[float, float]:
        return (min(m - TAIL_STDS * s for m, s in zip(self.means, self.stds)),
                max(m + TAIL_STDS * s for m, s in zip(self.means, self.stds)))

    def describe(self) -> str:
        parts = [f"N({m:g}, {s:g}^2)" for m, s in zip(self.means, self.stds)]
        if len(parts) == 1:
            return parts[0]
        return " + ".join(f"{w:g} {p}" for w, p in zip(self.weights, parts))


def gaussian(mean: float, std: float) -> GaussianMixture1d:
    return GaussianMixture1d((float(mean),), (float(std),))


class AffineGenerator(nn.Module):
    """G(z) = a z + b with z ~ N(0, 1): then p_g = N(b, a^2) exactly, so D* can be written down."""

    def __init__(self, a: float = 1.0, b: float = 0.0):
        super().__init__()
        self.z_dim = 1
        self.a, self.b = nn.Parameter(torch.tensor(float(a))), nn.Parameter(torch.tensor(float(b)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.a * z + self.b

    def density(self) -> GaussianMixture1d:
        return gaussian(self.b.item(), abs(self.a.item()))


def optimal_discriminator(p_data: GaussianMixture1d, p_g: GaussianMixture1d, x: np.ndarray) -> np.ndarray:
    """D*(x) = p_data / (p_data + p_g), Proposition 1."""
    log_data, log_g = p_data.log_pdf(x), p_g.log_pdf(x)
    return np.exp(log_data - np.logaddexp(log_data, log_g))


def _integrate(f, p: GaussianMixture1d, q: GaussianMixture1d) -> float:
    lo, hi = min(p.limits()[0], q.limits()[0]), max(p.limits()[1], q.limits()[1])
    # Tell QUADPACK where the mass is, so narrow modes far from the middle are not stepped over.
    points = sorted(set(p.means + q.means))
    value, _ = quad(f, lo, hi, points=points, limit=500, epsabs=1e-12, epsrel=1e-10)
    return value


def value_at_optimal_d(p_data: GaussianMixture1d, p_g: GaussianMixture1d) -> float:
    """V(D*, G) = integral of p_data log D* + p_g log(1 - D*) dx (eq. 1 with D = D*)."""
    def integrand(x):
        log_data, log_g = p_data.log_pdf(x), p_g.log_pdf(x)
        log_sum = np.logaddexp(log_data, log_g)
        return float(np.exp(log_data) * (log_data - log_sum) + np.exp(log_g) * (log_g - log_sum))
    return _integrate(integrand, p_data, p_g)


def jensen_shannon(p: GaussianMixture1d, q: GaussianMixture1d) -> float:
    """JSD(p || q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2, in nats."""
    def integrand(x):
        log_p, log_q = p.log_pdf(x), q.log_pdf(x)
        log_m = np.logaddexp(log_p, log_q) - math.log(2)
        return float(0.5 * np.exp(log_p) * (log_p - log_m) + 0.5 * np.exp(log_q) * (log_q - log_m))
    return _integrate(integrand, p, q)
