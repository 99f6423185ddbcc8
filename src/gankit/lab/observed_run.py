"""A real gankit training run (Trainer + a preset), paused at chosen steps to look at G: what the lab's 2-D experiments
show is exactly what `gankit train --preset ... --set ...` does. The run folder is temporary; the lab keeps only what
it observed: the logged metrics and G's samples on the trainer's fixed noise.
"""
from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass

import torch

from gankit.config import load_config
from gankit.metrics.modes import CAPTURE_SHARE
from gankit.training import Trainer

NEAR = 0.5  # a quarter of the ring's radius, a tenth of the grid's spacing: G has reached a mode, sharply or not


@dataclass
class ObservedRun:
    title: str
    records: list[dict]                # the trainer's log: one dict per step (loss_d, loss_g, d_real, d_fake, ...)
    samples: dict[int, torch.Tensor]   # step -> G(fixed noise), (grid_size, 2)


def observe(title: str, preset: str, overrides: list[str], at_steps: list[int], seed: int = 0) -> ObservedRun:
    cfg = load_config(preset, overrides=[*overrides, f"train.seed={seed}", "train.device=cpu",
                                         f"train.steps={max(at_steps)}"])
    # One epoch covers the whole run, so the trainer draws no per-epoch pictures; the lab draws its own.
    cfg.data.n = max(at_steps) * cfg.train.batch_size
    samples = {}
    with tempfile.TemporaryDirectory(prefix="gankit-lab-") as folder:
        # A progress bar on a terminal only: the lab's longer runs take minutes.
        trainer = Trainer(cfg, f"{folder}/run", progress=sys.stderr.isatty())
        for step in sorted(at_steps):
            trainer.fit(until_step=step)
            # The progress grid's fixed noise, through G in eval mode (which the recipe restores afterwards).
            grid, _ = trainer.recipe.progress_pictures(trainer.data, cfg.train.grid_size, cfg.train.seed)[""]
            samples[step] = grid.cpu()
    return ObservedRun(title, trainer.records, samples)


def modes_near(samples: torch.Tensor, centres: torch.Tensor, radius: float = NEAR) -> int:
    """Modes that at least CAPTURE_SHARE of the samples lie within `radius` of: where G has gone, however blurry.
    mode_stats counts a mode only within 3 std (0.06 on the ring), which a G smeared along the ring can miss."""
    distance, nearest = torch.cdist(samples.double(), centres.double()).min(dim=1)
    per_mode = torch.bincount(nearest[distance <= radius], minlength=len(centres))
    return int((per_mode >= CAPTURE_SHARE * len(samples)).sum())


def window_mean(records: list[dict], key: str, first: int, last: int) -> float:
    """The mean of a logged value over D steps first..last (both included)."""
    values = [r[key] for r in records if first <= r["step"] <= last and key in r]
    return sum(values) / len(values)
