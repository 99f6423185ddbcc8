"""Parzen-window log-likelihood, as Goodfellow et al. 2014 (sec. 5, Table 1) estimated it for GANs.

Fit a Gaussian Parzen window (kernel density estimate) of width sigma to the generated samples and report the mean
log-likelihood of test images under it, with its standard error. Sigma is chosen from a log-spaced grid by the
likelihood of a separate validation set. Pixels are scaled to [0, 1] first, as in the paper (their MNIST GAN:
225 +- 2 nats with 10k samples). The estimate is known to be poor in high dimension (Theis et al. 2016); it is here to
compare with the literature, not to rank models.

  log p(x) = logsumexp_i(-|x - s_i|^2 / (2 sigma^2)) - log N - (D / 2) log(2 pi sigma^2)
"""
from __future__ import annotations

import math

import torch

from gankit.errors import GankitError
from gankit.images import to_unit_interval

SIGMAS = torch.logspace(-1, 0, 10)  # 0.1 ... 1.0 in [0, 1] pixel units
_ROWS = 500


def _log_likelihoods(x: torch.Tensor, samples: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
    """(len(sigmas), len(x)) log-likelihoods of x under the window on `samples`, one distance matrix per chunk."""
    n, dim = samples.shape
    out = []
    for chunk in x.split(_ROWS):
        squared = torch.cdist(chunk, samples).square()  # (rows, N), reused for every sigma
        out.append(torch.stack([torch.logsumexp(-squared / (2 * s * s), dim=1) - math.log(n)
                                - dim / 2 * math.log(2 * math.pi * s * s) for s in sigmas.tolist()]))
    return torch.cat(out, dim=1)


def parzen_log_likelihood(samples: torch.Tensor, test: torch.Tensor, validation: torch.Tensor,
                          sigmas: torch.Tensor = SIGMAS) -> dict[str, float]:
    """{"parzen": mean test log-likelihood (nats), "parzen_se": its standard error, "parzen_sigma": chosen sigma}.

    samples, test, validation: images in [-1, 1] (N, C, H, W) or flat (N, D); the same D for all three.
    """
    flat = [to_unit_interval(t.reshape(len(t), -1).double()) for t in (samples, test, validation)]
    samples, test, validation = flat
    if not (samples.shape[1] == test.shape[1] == validation.shape[1]):
        raise GankitError("Parzen window: samples, test and validation images must have the same size")
    if min(len(samples), len(test), len(validation)) < 2:
        raise GankitError("Parzen window: needs at least 2 samples, test and validation images")
    best = int(_log_likelihoods(validation, samples, sigmas).mean(dim=1).argmax())
    sigma = sigmas[best: best + 1]
    ll = _log_likelihoods(test, samples, sigma)[0]
    return {"parzen": float(ll.mean()), "parzen_se": float(ll.std() / math.sqrt(len(ll))),
            "parzen_sigma": float(sigma[0])}
