"""Semantic inpainting by a search over z (Yeh et al., CVPR 2017, "Semantic Image Inpainting with Deep Generative
Models"), with the speed-ups attributed to Lahiri et al. (as the lectures list them: a structural loss on image
gradients and a better initialisation of z).

Given an image x and a mask M (1 = known), find the code whose image agrees with x where x is known and looks real:

    z* = argmin_z  L_c(z) + lambda * L_p(z)                                           (Yeh et al., eq. 4)
    L_c(z) = || W ⊙ (G(z) - x) ||_1      contextual loss; W: gankit.inpainting.masks.weights (eq. 2)
    L_p(z) = log(1 - D(G(z)))            perceptual loss: the minimax generator loss, on D's logits (eq. 3)

with lambda = 0.003 as in the paper. The completed image is M ⊙ x + (1 - M) ⊙ G(z*), optionally Poisson-blended
(gankit.inpainting.blending). Like gankit.latent.inversion, z is kept on the sphere of radius sqrt(d) where N(0, I_d)
lives, each image is fitted from several random starts (restarts) at once, and the best start by the objective wins.

method "fast" adds Lahiri et al.'s two changes: a structural loss, L_c on the images' finite differences with the same
weights, and best-of-N starts: N codes are drawn and the restarts begin at those with the lowest L_c.

method "prior" starts from the prediction of the run's learned prior E(masked image, mask) -> z
(gankit.inpainting.prior, trained by `gankit prior RUN`) and `restarts - 1` perturbations of it, then continues Yeh's
objective; with iters=0 the result is the prediction alone.

Every loss is a sum of per-image terms, and image i draws its starts from its own generator (seed + i), so a result
does not depend on which other images share the batch.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

from gankit.errors import GankitError
from gankit.images import to_unit_interval
from gankit.inpainting import masks as masklib
from gankit.inpainting.blending import poisson_blend
from gankit.inpainting.prior import perturbed_starts, require_prior
from gankit.latent.codes import labels_for
from gankit.latent.inversion import descend, project_to_sphere
from gankit.losses import g_loss
from gankit.recipes import forward
from gankit.recipes.base import HasDiscriminator, evaluating, frozen
from gankit.recipes.gan import PROBABILITY_LOSSES, split_logits

METHODS = ("yeh", "fast", "prior")
LAMBDA = 0.003       # Yeh et al., Section 4: the weight of the perceptual loss
CANDIDATES = 16      # "fast": codes drawn per restart, of which the best start (Lahiri et al.'s best-of-N)
PERTURBATION = 0.3   # "prior": the std of the noise added to E's prediction for the other restarts


@dataclass
class Inpainting:
    filled: torch.Tensor                 # (N, C, H, W) in [-1, 1]: known pixels of x, G(z*) in the hole
    generated: torch.Tensor              # (N, C, H, W) G(z*) itself
    blended: torch.Tensor | None         # (N, C, H, W) Poisson-blended, when asked for
    z: torch.Tensor                      # (N, d) the best code per image
    loss: torch.Tensor                   # (iters + 1, N) the objective of the best start, before each step and after
    psnr_hole: torch.Tensor | None = None   # (iters + 1, N) PSNR in the hole of the best start, when originals known
    psnr: torch.Tensor | None = None        # (N,) dB, whole image, of `filled` against the originals
    ssim: torch.Tensor | None = None        # (N,) whole image, of `filled` against the originals
    notes: list[str] = field(default_factory=list)
    seconds_start: float = 0.0              # wall time to choose the starts (best-of-N costs a little)
    seconds_per_iter: float = 0.0           # wall time of one Adam step on all starts of all images

    @property
    def hole_psnr(self) -> torch.Tensor | None:
        """(N,) PSNR in dB of the final fill, over the hole's pixels only."""
        return None if self.psnr_hole is None else self.psnr_hole[-1]


def _as_masks(masks: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """(H, W), (1, H, W) or (N, 1, H, W) -> (N, 1, H, W), checked against the images."""
    masks = torch.as_tensor(masks).float()
    if masks.dim() == 2:
        masks = masks[None]
    if masks.dim() == 3:
        masks = masks[:, None] if masks.shape[0] == len(images) and len(images) > 1 else masks[None]
    if masks.dim() != 4 or masks.shape[1] != 1 or masks.shape[-2:] != images.shape[-2:] \
            or masks.shape[0] not in (1, len(images)):
        raise GankitError(f"masks of shape {tuple(masks.shape)} do not fit images of shape {tuple(images.shape)}: "
                          f"give one mask (H, W) or one per image (N, 1, H, W)")
    masks = masks.expand(len(images), -1, -1, -1).contiguous()
    masklib.check(masks)
    return masks


def _weighted_l1(a: torch.Tensor, b: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """|| W ⊙ (a - b) ||_1 per image."""
    return (W * (a - b)).abs().flatten(1).sum(dim=1)


def _differences(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]


def _structural(a: torch.Tensor, b: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """L_c on horizontal and vertical finite differences; a difference weighs the smaller weight of its two pixels,
    so one that touches a missing pixel weighs 0."""
    (ah, av), (bh, bv) = _differences(a), _differences(b)
    Wh, Wv = torch.minimum(W[..., :, 1:], W[..., :, :-1]), torch.minimum(W[..., 1:, :], W[..., :-1, :])
    return _weighted_l1(ah, bh, Wh) + _weighted_l1(av, bv, Wv)


def _perceptual(D, loss: str, images: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    """log(1 - D(G(z))) per image, from logits: the minimax G loss (gankit.losses.g_loss) taken one image at a time.
    For a critic (wgan-gp, hinge, lsgan), where D's output is no probability, the run's own G loss is used."""
    logits, _ = split_logits(forward(D, images, y))
    logits = logits.reshape(len(logits), -1)
    if len(logits) != len(images):
        raise GankitError(f"this run's D judges {len(images) // len(logits)} images per logit (PacGAN); "
                          f"inpainting needs one logit per image")
    kind = "minimax" if loss in PROBABILITY_LOSSES else loss
    return torch.vmap(lambda one: g_loss(kind, one))(logits)


def _hole_psnr(generated: torch.Tensor, originals: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """PSNR in dB over the hole's pixels, intensities in [0, 1] (hence the 1/4 on [-1, 1] differences)."""
    hole = (1 - masks).expand_as(generated)
    mse = ((generated - originals) ** 2 * hole).flatten(1).sum(1) / hole.flatten(1).sum(1) / 4
    return 10 * torch.log10(1 / mse.clamp_min(1e-12))


def _starts(n: int, restarts: int, d: int, seed: int, draws: int) -> torch.Tensor:
    """(n, draws, d) codes on the sphere; image i's come from its own generator seeded seed + i, so the first
    `restarts` of a best-of-N draw are exactly the starts of a plain run. One code per call: torch.randn(k, d)
    takes another path for large k, and its first row would then differ from torch.randn(1, d)'s."""
    def draw(gen: torch.Generator) -> torch.Tensor:
        return project_to_sphere(torch.stack([torch.randn(d, generator=gen) for _ in range(draws)]))
    return torch.stack([draw(torch.Generator().manual_seed(seed + i)) for i in range(n)])


def inpaint(run, images: torch.Tensor, masks: torch.Tensor, method: str = "yeh", iters: int = 500, restarts: int = 4,
            seed: int = 0, blend: bool = False, lam: float = LAMBDA, lr: float = 0.03, label: int | None = None,
            originals: torch.Tensor | None = None, candidates: int = CANDIDATES,
            progress: bool = True) -> Inpainting:
    """Fill the holes of images (N, C, H, W) in [-1, 1] where masks are 0, with a trained run's generator.

    masks: (H, W) for all images or (N, 1, H, W), 1 = known (gankit.inpainting.masks makes them). method "yeh"
    (the paper), "fast" (structural loss and best-of-`candidates`*restarts starts) or "prior" (from the learned
    prior's prediction and restarts - 1 perturbations of it; iters=0: the prediction alone). A conditional run fills
    with class `label` (default 0). A run without D (a VAE) uses the contextual loss alone (noted in `notes`).
    originals: the true images, when known, for PSNR and SSIM; the hole pixels of `images` are never looked at.
    The run's nets are left in the modes, and with the requires_grad, they had."""
    if method not in METHODS:
        raise GankitError(f"unknown inpainting method {method!r}; choose {' or '.join(METHODS)}")
    if iters < 0 or restarts < 1 or candidates < 1:
        raise GankitError(f"inpainting needs iters >= 0, restarts >= 1 and candidates >= 1, got {iters}, {restarts}, "
                          f"{candidates}")
    images, masks = fitting_inputs(run, images, masks)
    if method == "prior":
        require_prior(run)
        restarts = restarts if iters > 0 else 1
    if originals is not None and originals.shape != images.shape:
        raise GankitError(f"originals of shape {tuple(originals.shape)} differ from the images' {tuple(images.shape)}")
    D = discriminator(run)
    notes = [] if D is not None else ["this run has no discriminator: the contextual loss alone is minimised"]
    nets = [net for net in (run.G, D) if net is not None]
    clock = time.perf_counter()
    with evaluating(*nets, grad=True), frozen(*nets):  # only z is optimised
        z = _best_starts(run, images, masks, method, restarts, candidates, seed, label)
        seconds_start, clock = time.perf_counter() - clock, time.perf_counter()
        z, generated, curve, psnr_curve = _search(run, D, images, masks, z, method, iters, lam, lr, label, originals,
                                                  progress)
    seconds_per_iter = (time.perf_counter() - clock) / max(iters, 1)
    filled = masks * images + (1 - masks) * generated
    blended = torch.stack([poisson_blend(g, x, m[0]) for g, x, m in zip(generated, images, masks)]) if blend else None
    result = Inpainting(filled, generated, blended, z, curve, psnr_curve, notes=notes, seconds_start=seconds_start,
                        seconds_per_iter=seconds_per_iter)
    if originals is not None:
        result.psnr, result.ssim = quality(filled, originals)
    return result


def fitting_inputs(run, images: torch.Tensor, masks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N, C, H, W) on the CPU and masks (N, 1, H, W) for them, checked against a run that draws images."""
    run.require_image_generator("inpaint")
    images = torch.as_tensor(images).float().cpu()
    if images.dim() == 3:
        images = images[None]
    if tuple(images.shape[1:]) != tuple(run.data_shape):
        raise GankitError(f"images of shape {tuple(images.shape[1:])} do not fit run {run.path}, which makes "
                          f"{tuple(run.data_shape)}")
    return images, _as_masks(masks, images)


def discriminator(run):
    """The run's D, for the perceptual loss; None where it has none (a VAE)."""
    return run.recipe.D if isinstance(run.recipe, HasDiscriminator) else None


def fill_loss(run, D, z: torch.Tensor, y, x: torch.Tensor, W: torch.Tensor, lam: float,
              structural: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """L_c(z) + lambda L_p(z) per image (Yeh et al., eq. 4; L_c also on finite differences when `structural`), and
    G(z)."""
    g = forward(run.G, z, y).float()
    loss = _weighted_l1(g, x, W)
    if structural:
        loss = loss + _structural(g, x, W)
    if D is not None:
        loss = loss + lam * _perceptual(D, run.recipe.loss, g, y)
    return loss, g


def _search(run, D, images, masks, starts, method, iters, lam, lr, label, originals, progress):
    """The search from starts (N, restarts, d): the best code per image, its image, the objective's curve and, with
    originals, the hole PSNR's curve (as in Inpainting). Start r of image i sits at row i * restarts + r."""
    n, restarts, d = starts.shape
    device = run.device
    x = images.to(device).repeat_interleave(restarts, 0)
    M = masks.to(device).repeat_interleave(restarts, 0)
    W = masklib.weights(M)
    y = labels_for(run, n * restarts, label)
    truth = None if originals is None else originals.float().to(device).repeat_interleave(restarts, 0)
    curve, psnr_curve = [], []

    def record(loss: torch.Tensor, g: torch.Tensor) -> None:
        per_start = loss.detach().view(n, restarts)
        curve.append(per_start.min(dim=1).values.cpu())
        if truth is not None:
            best = per_start.argmin(dim=1) + torch.arange(n, device=device) * restarts
            psnr_curve.append(_hole_psnr(g.detach()[best], truth[best], M[best]).cpu())

    z, loss, g = descend(lambda z: fill_loss(run, D, z, y, x, W, lam, structural=method == "fast"),
                         starts.to(device).reshape(n * restarts, d), iters, lr, record, progress,
                         f"inpainting ({method})")
    best = loss.view(n, restarts).argmin(dim=1) + torch.arange(n, device=device) * restarts
    return (z[best].cpu(), g.detach()[best].cpu(), torch.stack(curve),
            torch.stack(psnr_curve) if psnr_curve else None)


@torch.no_grad()
def _best_starts(run, images, masks, method, restarts, candidates, seed, label) -> torch.Tensor:
    """(N, restarts, d): the first `restarts` draws of each image's generator ("yeh"), the `restarts` of
    candidates * restarts draws with the lowest contextual loss ("fast", best-of-N), or the learned prior's
    prediction and its perturbations ("prior")."""
    n, d = len(images), run.recipe.z_dim
    if method == "prior":
        return perturbed_starts(require_prior(run).predict(images, masks).cpu(), restarts, seed, PERTURBATION)
    if method == "yeh":
        return _starts(n, restarts, d, seed, restarts)
    draws = candidates * restarts
    z = _starts(n, restarts, d, seed, draws)
    W = masklib.weights(masks)
    losses = []
    for i in range(n):  # one image at a time: draws * restarts images can be many
        g = torch.cat([forward(run.G, chunk.to(run.device), labels_for(run, len(chunk), label)).float().cpu()
                       for chunk in z[i].split(500)])
        losses.append(_weighted_l1(g, images[i:i + 1], W[i:i + 1]))
    order = torch.stack(losses).argsort(dim=1, stable=True)[:, :restarts]
    return torch.gather(z, 1, order[..., None].expand(-1, -1, d))


def quality(filled: torch.Tensor, originals: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image PSNR (dB) and SSIM of the whole image, intensities in [0, 1] (torchmetrics)."""
    from torchmetrics.functional.image import (
        peak_signal_noise_ratio,
        structural_similarity_index_measure,
    )

    a, b = to_unit_interval(filled.float().cpu()), to_unit_interval(originals.float().cpu())
    psnr = peak_signal_noise_ratio(a, b, data_range=1.0, reduction="none", dim=(1, 2, 3))
    ssim = structural_similarity_index_measure(a, b, data_range=1.0, reduction="none")
    return psnr, ssim
