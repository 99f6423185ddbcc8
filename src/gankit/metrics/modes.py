"""Mode statistics of 2-D Gaussian mixtures: how many modes a generator captures, how good its samples are.

Definitions of VEEGAN (Srivastava et al. 2017, sec. 5.1) and PacGAN (Lin et al. 2018, sec. 5.1 and Table 1):
- a sample is *high quality* when it lies within 3 standard deviations of its nearest mode centre;
- each high-quality sample is assigned to that nearest mode; a mode is *captured* when at least 20 of 2500 samples
  land there (1/5 of what each of the grid's 25 modes expects), applied as that share (0.8 %) for any sample count.
  PacGAN's released code counts a mode with a single sample; the share keeps one stray point from counting;
- *reverse KL* is KL(p_G || p_data) between the histogram of high-quality samples over modes (as PacGAN's code
  builds it) and the data's uniform weights; 0 for a perfect mix, log M when one mode takes all, inf with no
  high-quality sample at all.
"""
from __future__ import annotations

import math

import torch

from gankit.errors import GankitError

CAPTURE_SHARE = 20 / 2500  # PacGAN's threshold: 20 samples out of 2500
HIGH_QUALITY_STDS = 3.0


def mode_stats(samples: torch.Tensor, centres: torch.Tensor, std: float,
               min_share: float = CAPTURE_SHARE) -> dict[str, float]:
    """{"modes": captured modes, "high_quality": fraction of samples within 3 std of a mode, "reverse_kl": nats}.

    samples (N, D) generated points, centres (M, D) the mixture's mode centres, std the modes' common std, min_share
    the share of all samples a mode needs to count as captured.
    """
    if samples.ndim != 2 or centres.ndim != 2 or samples.shape[1] != centres.shape[1]:
        raise GankitError(f"mode_stats needs samples (N, D) and centres (M, D) of the same D, "
                          f"got {tuple(samples.shape)} and {tuple(centres.shape)}")
    if len(samples) == 0:
        raise GankitError("mode_stats needs at least one sample")
    samples, centres = samples.detach().double().cpu(), centres.detach().double().cpu()
    distance, nearest = torch.cdist(samples, centres).min(dim=1)
    high_quality = distance <= HIGH_QUALITY_STDS * std
    n, m = len(samples), len(centres)
    per_mode = torch.bincount(nearest[high_quality], minlength=m).double()
    captured = int((per_mode >= min_share * n).sum())
    if per_mode.sum() == 0:
        reverse_kl = math.inf
    else:
        # KL(p_G || p_data) = sum_i p_G(i) log(p_G(i) / p_data(i)), with 0 log 0 = 0 and p_data(i) = 1/M.
        p_generated = per_mode[per_mode > 0] / per_mode.sum()
        reverse_kl = max(float((p_generated * (p_generated * m).log()).sum()), 0.0)
    return {"modes": float(captured), "high_quality": float(high_quality.double().mean()), "reverse_kl": reverse_kl}
