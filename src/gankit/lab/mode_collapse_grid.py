"""Mode collapse on the harder grid of 25 Gaussians (VEEGAN, PacGAN): the same comparison as `mode-collapse`, on the
toy-grid preset. The grid needs more steps than the ring before any mode is hit, so within a few CPU minutes there is
room for two runs only: the minimax and the non-saturating G loss, both with k = 1, 4000 D steps each (the preset
trains for 5000).
"""
from __future__ import annotations

from pathlib import Path

from gankit.lab.mode_collapse import compare

CLAIM = "on the grid of 25, the minimax and non-saturating losses differ in modes captured and sample quality"
RUNS = [("minimax, k = 1", ["train.loss=minimax", "train.k=1"]),
        ("non-saturating, k = 1", ["train.loss=nonsaturating", "train.k=1"])]


def run(out_dir: str | Path, quick: bool = False, seed: int = 0) -> dict:
    return compare(Path(out_dir), "toy-grid", "grid25", RUNS, 200 if quick else 4000, seed)
