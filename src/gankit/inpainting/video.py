"""Video inpainting with a trained generator: fill the hole of every frame of a sequence.

"per-frame": Yeh et al.'s search (gankit.inpainting.search) on each frame independently, from random starts.
"fast": the frames of a smooth video have nearby codes, so the search reuses them (Yeh et al. 2017, Section 4, on
video): frame 0 is searched as "per-frame" does (`first_iters`, restarts); then the frames are optimised in groups of
`group`, every code of a group starting at the last code found (no restarts), for `iters_next` steps. A consistency
term keeps neighbouring fills close, inside the hole:

    L(z_1..z_k) = Σ_t [ L_c(z_t) + λ L_p(z_t) ] + μ Σ_t || (1 - M_t) ⊙ (G(z_t) - G(z_{t-1})) ||_1

with G(z_0) the previous group's last image (fixed). μ = `consistency`.

"prior": the run's video prior (gankit.inpainting.prior.RecurrentPriorNet, `gankit prior RUN --video`) predicts
every frame's code in one pass over the sequence, each from its frame and the code before (Lahiri, Jain & Biswas
2019); then, with iters_next > 0, the groups are refined as "fast" does, each code starting at its prediction.

Iterations are counted per frame: one Adam step on one frame's code(s) is one iteration (a step on a group of k frames
is k), so "per-frame" uses T * iters and "fast" first_iters + (T - 1) * iters_next. The prior's forward pass counts
one iteration per frame, so "prior" uses T * (1 + iters_next).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from gankit.errors import GankitError
from gankit.inpainting import masks as masklib
from gankit.inpainting.prior import require_prior
from gankit.inpainting.search import LAMBDA, _as_masks, _hole_psnr, descend, discriminator, fill_loss, inpaint
from gankit.latent.codes import decode, labels_for
from gankit.recipes.base import evaluating, frozen

METHODS = ("per-frame", "fast", "prior")
GROUP = 4            # frames optimised together by "fast"
CONSISTENCY = 0.1    # μ, the weight of the L1 between consecutive fills in the hole


@dataclass
class VideoInpainting:
    filled: torch.Tensor             # (T, C, H, W) in [-1, 1]: known pixels of each frame, G(z_t) in its hole
    generated: torch.Tensor          # (T, C, H, W) G(z_t)
    z: torch.Tensor                  # (T, d)
    iterations: list[int]            # per frame, the Adam steps spent on it (see the module's docstring)
    seconds: float                   # wall time of the whole sequence
    hole_psnr: torch.Tensor | None   # (T,) dB in the hole, against the originals when given

    @property
    def total_iterations(self) -> int:
        return sum(self.iterations)


def temporal_change(frames: torch.Tensor, masks: torch.Tensor) -> float:
    """Mean absolute change from frame t to t+1 over the pixels missing in either frame, intensities in [0, 1]
    (averaged over pixels, then over the T-1 pairs). For the filled frames it says how much the fill flickers;
    the same figure on the true frames is the motion the fill should show."""
    frames, masks = torch.as_tensor(frames).float(), torch.as_tensor(masks).float()
    hole = torch.maximum(1 - masks[1:], 1 - masks[:-1]).expand_as(frames[1:])
    change = (frames[1:] - frames[:-1]).abs() / 2 * hole
    return (change.flatten(1).sum(1) / hole.flatten(1).sum(1).clamp_min(1)).mean().item()


def inpaint_video(run, frames: torch.Tensor, masks: torch.Tensor, method: str = "fast", iters: int = 500,
                  restarts: int = 4, first_iters: int | None = None, iters_next: int = 20, group: int = GROUP,
                  consistency: float = CONSISTENCY, seed: int = 0, lam: float = LAMBDA, lr: float = 0.03,
                  label: int | None = None, originals: torch.Tensor | None = None,
                  progress: bool = False) -> VideoInpainting:
    """Fill the holes of frames (T, C, H, W) in [-1, 1] where masks (H, W) or (T, 1, H, W) are 0.

    "per-frame": `iters` steps and `restarts` starts on every frame. "fast": frame 0 with `first_iters` (default
    `iters`) steps and `restarts` starts, then groups of `group` frames, `iters_next` steps each, from the previous
    code, with the consistency term weighted `consistency`. "prior": the video prior's codes, then, as "fast",
    `iters_next` steps per group from them (a run without a video prior is refused). originals: the true frames, for the hole PSNR."""
    if method not in METHODS:
        raise GankitError(f"unknown video inpainting method {method!r}; choose {' or '.join(METHODS)}")
    if group < 1 or iters_next < 0 or consistency < 0:
        raise GankitError(f"video inpainting needs group >= 1, iters_next >= 0 and consistency >= 0, got {group}, "
                          f"{iters_next}, {consistency}")
    frames = torch.as_tensor(frames).float().cpu()
    masks = _as_masks(masks, frames)
    prior = require_prior(run, video=True) if method == "prior" else None
    settings = {"restarts": restarts, "seed": seed, "lam": lam, "lr": lr, "label": label, "progress": progress}
    clock = time.perf_counter()
    if method == "per-frame":
        result = inpaint(run, frames, masks, method="yeh", iters=iters, **settings)
        z, generated, steps = result.z, result.generated, [iters] * len(frames)
    elif method == "prior":
        z, generated = _from_prior(run, prior, frames, masks, iters_next, group, consistency, lam, lr, label)
        steps = [1 + iters_next] * len(frames)
    else:
        first = iters if first_iters is None else first_iters
        result = inpaint(run, frames[:1], masks[:1], method="yeh", iters=first, **settings)
        codes, images, steps = [result.z], [result.generated], [first]
        for start in range(1, len(frames), group):
            part = slice(start, min(start + group, len(frames)))
            z_part, g_part = _fit_group(run, frames[part], masks[part], codes[-1][-1:], images[-1][-1:],
                                        iters_next, consistency, lam, lr, label)
            codes.append(z_part)
            images.append(g_part)
            steps += [iters_next] * len(z_part)
        z, generated = torch.cat(codes), torch.cat(images)
    seconds = time.perf_counter() - clock
    filled = masks * frames + (1 - masks) * generated
    psnr = None if originals is None else _hole_psnr(generated, torch.as_tensor(originals).float().cpu(), masks)
    return VideoInpainting(filled, generated, z, steps, seconds, psnr)


def _from_prior(run, prior, frames, masks, iters_next, group, consistency, lam, lr, label):
    """The video prior's codes for all frames, then each group refined from them (when iters_next > 0), the first
    group's anchor its own first prediction."""
    predicted = prior.predict(frames, masks).cpu()
    if iters_next == 0:
        return predicted, decode(run, predicted, label)
    codes, images = [], [decode(run, predicted[:1], label)]
    for start in range(0, len(frames), group):
        part = slice(start, min(start + group, len(frames)))
        z_part, g_part = _fit_group(run, frames[part], masks[part], predicted[part], images[-1][-1:], iters_next,
                                    consistency, lam, lr, label)
        codes.append(z_part)
        images.append(g_part)
    return torch.cat(codes), torch.cat(images[1:])


def _fit_group(run, x, M, z_start, anchor, iters, consistency, lam, lr, label):
    """Codes (k, d) for k consecutive frames, starting at z_start (one code for all, or one per frame), by Adam on
    the group's objective (module docstring); anchor: G(z) of the frame before the group, held fixed. Returns the
    codes and their images (CPU)."""
    device, k = run.device, len(x)
    D = discriminator(run)
    x, M = x.to(device), M.to(device)
    W = masklib.weights(M)
    hole = (1 - M).expand_as(x)
    anchor = anchor.to(device)
    y = labels_for(run, k, label)

    def objective(z):
        loss, g = fill_loss(run, D, z, y, x, W, lam)
        previous = torch.cat([anchor, g[:-1]])
        return loss.sum() + consistency * (hole * (g - previous)).abs().sum(), g

    nets = [net for net in (run.G, D) if net is not None]
    with evaluating(*nets, grad=True), frozen(*nets):  # only z is optimised
        z, _, g = descend(objective, z_start.to(device).repeat(k // len(z_start), 1), iters, lr)
    return z.cpu(), g.detach().cpu()
