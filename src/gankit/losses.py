"""GAN losses on discriminator logits l = D(x), never on probabilities.

sigmoid(l) is D's probability that x is real, and softplus(-l) = -log sigmoid(l), softplus(l) = -log(1 - sigmoid(l)):
the forms below are exact and stay finite where log(sigmoid) would underflow (the stylegan2-ada way).

Each loss gives the quantity that its net *minimises*. Written with p = sigmoid(l):
  minimax (Goodfellow et al. 2014, eq. 1)  D: -log p(x) - log(1 - p(G(z)))    G: log(1 - p(G(z)))
  non-saturating (same paper, Section 3)   D: as minimax                      G: -log p(G(z))
  wgan-gp (Gulrajani et al. 2017, Alg. 1)  D: l(G(z)) - l(x) + lambda_gp GP   G: -l(G(z))
  hinge (Lim & Ye 2017; Miyato et al.)     D: relu(1 - l(x)) + relu(1 + l(G(z)))  G: -l(G(z))
  least-squares (Mao et al. 2017, a=0 b=c=1)  D: (l(x) - 1)^2/2 + l(G(z))^2/2   G: (l(G(z)) - 1)^2/2
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

LOSSES = ("minimax", "nonsaturating", "wgan-gp", "hinge", "lsgan")


def d_loss(loss: str, real_logits: torch.Tensor, fake_logits: torch.Tensor, real_label: float = 1.0) -> torch.Tensor:
    """D's loss, without the gradient penalty. `real_label` < 1 is one-sided label smoothing (Salimans et al. 2016):
    only the real targets are softened, since softening the fake ones rewards G for staying where it is."""
    if loss in ("minimax", "nonsaturating"):
        real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, real_label))
        return real + F.softplus(fake_logits).mean()
    if loss == "wgan-gp":
        return fake_logits.mean() - real_logits.mean()
    if loss == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    if loss == "lsgan":
        return 0.5 * ((real_logits - real_label) ** 2).mean() + 0.5 * (fake_logits ** 2).mean()
    raise ValueError(f"unknown loss {loss!r}; choose from {', '.join(LOSSES)}")


def g_loss(loss: str, fake_logits: torch.Tensor) -> torch.Tensor:
    if loss == "minimax":
        return -F.softplus(fake_logits).mean()  # = mean log(1 - D(G(z))): flat where D rejects fakes confidently
    if loss == "nonsaturating":
        return F.softplus(-fake_logits).mean()  # = -mean log D(G(z)): steep exactly there
    if loss in ("wgan-gp", "hinge"):
        return -fake_logits.mean()
    if loss == "lsgan":
        return 0.5 * ((fake_logits - 1) ** 2).mean()
    raise ValueError(f"unknown loss {loss!r}; choose from {', '.join(LOSSES)}")


def gradient_penalty(D, real: torch.Tensor, fake: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """E[(||grad_x D(x_hat)||_2 - 1)^2] at x_hat on straight lines between real and fake (Gulrajani et al. eq. 3)."""
    eps = torch.rand(real.shape[0], *[1] * (real.dim() - 1), device=real.device, dtype=real.dtype)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out = D(x_hat, y)
    logits = out[0] if isinstance(out, tuple) else out
    (grad,) = torch.autograd.grad(logits.sum(), x_hat, create_graph=True)
    # One norm per logit: with PacGAN packing, one logit judges several samples together.
    return ((grad.reshape(logits.shape[0], -1).norm(2, dim=1) - 1) ** 2).mean()


def r1_penalty(logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """E||grad_x D(x)||^2 on real data (Mescheder et al. 2018, eq. 9), from logits computed on `real` with grad.

    Penalising D's slope on the data makes the game converge locally instead of circling the equilibrium, which is
    what lets a generator settle on every mode of a sharp mixture."""
    (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
    return grad.reshape(logits.shape[0], -1).pow(2).sum(1).mean()  # one norm per logit, as with packing above
