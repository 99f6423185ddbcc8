"""Mode collapse on the ring of 8 Gaussians of VEEGAN and PacGAN: G covers some modes and misses others, or hops
between them. Each run is gankit's own trainer on the toy-ring preset, changing only the loss and k (D steps per G
step, Algorithm 1; n_critic for WGAN-GP, Gulrajani et al. 2017), all for the same number of D steps (so k = 5 gives G
a fifth of the updates). Each snapshot is scored by gankit.metrics.modes: modes captured and the share of high-quality
samples (within 3 std of a mode centre).
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from gankit.data import toy_modes
from gankit.lab.observed_run import ObservedRun, observe
from gankit.lab.output import figure_frame, save_figure, save_gif
from gankit.metrics.modes import mode_stats

CLAIM = "on the ring of 8, minimax, non-saturating, WGAN-GP and k = 1 vs 5 differ in modes captured and sample quality"
WGAN_GP = ["train.loss=wgan-gp", "train.k=5", "train.beta2=0.9"]  # n_critic = 5, Adam beta2 0.9 (Gulrajani et al.)
RUNS = [("minimax, k = 1", ["train.loss=minimax", "train.k=1"]),
        ("non-saturating, k = 1", ["train.loss=nonsaturating", "train.k=1"]),
        ("non-saturating, k = 5", ["train.loss=nonsaturating", "train.k=5"]),
        ("WGAN-GP, k = 5", WGAN_GP)]


def run(out_dir: str | Path, quick: bool = False, seed: int = 0) -> dict:
    return compare(Path(out_dir), "toy-ring", "ring8", RUNS[:2] if quick else RUNS, 150 if quick else 1500, seed)


def compare(out: Path, preset: str, data: str, runs: list[tuple[str, list[str]]], steps: int, seed: int) -> dict:
    """Train each run for `steps` D steps, snapshot G ten times, draw a grid of scatter plots and a GIF, score the
    snapshots with mode_stats."""
    at_steps = [steps * i // 10 for i in range(1, 11)]
    shown = at_steps[1::2]  # five columns in the still picture; every snapshot in the GIF
    centres, std = toy_modes(data)
    observed = [observe(title, preset, overrides, at_steps, seed) for title, overrides in runs]
    scores = {r.title: {s: mode_stats(x, centres, std) for s, x in r.samples.items()} for r in observed}
    _plot_grid(out / f"mode-collapse-{data}.png", observed, scores, shown, centres, data)
    save_gif([_frame(observed, scores, step, centres, data) for step in at_steps], out / f"mode-collapse-{data}.gif",
             ms_per_frame=500)
    numbers = {"preset": preset, "D steps per run": steps}
    for r in observed:
        final = scores[r.title][steps]
        numbers[r.title] = (f"{final['modes']:.0f}/{len(centres)} modes, {100 * final['high_quality']:.1f}% high "
                            f"quality, reverse KL {final['reverse_kl']:.2f}")
    numbers["files"] = [f"mode-collapse-{data}.png", f"mode-collapse-{data}.gif"]
    return numbers


def _scatter(ax, run: ObservedRun, step: int, score: dict, centres) -> None:
    n_modes = len(centres)
    x = run.samples[step]
    ax.scatter(x[:, 0], x[:, 1], s=1.5, c="tab:blue", alpha=0.5, label="G(z)")
    ax.scatter(centres[:, 0], centres[:, 1], s=30, c="tab:red", marker="+", lw=1.2, label="mode centre")
    limit = 1.4 * float(centres.abs().max())
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"step {step}: {score['modes']:.0f}/{n_modes} modes,\n{100 * score['high_quality']:.0f}% high quality",
                 fontsize=9)


def _plot_grid(path, observed: list[ObservedRun], scores, shown: list[int], centres, name: str) -> None:
    fig, axes = plt.subplots(len(observed), len(shown), figsize=(2.6 * len(shown), 2.8 * len(observed)), squeeze=False)
    for row, r in zip(axes, observed):
        for ax, step in zip(row, shown):
            _scatter(ax, r, step, scores[r.title][step], centres)
        row[0].set_ylabel(r.title, fontsize=11)
    fig.suptitle(f"{name}: G's samples (blue) during training, mode centres (red +); rows differ only in loss and k.\n"
                 f"A mode is captured when at least 0.8% of the samples land within 3 std of it (PacGAN)",
                 fontsize=12)
    axes[0][-1].legend(loc="upper right", fontsize=8, markerscale=2)
    fig.tight_layout()
    save_figure(fig, path)


def _frame(observed: list[ObservedRun], scores, step: int, centres, name: str):
    fig, axes = plt.subplots(1, len(observed), figsize=(2.6 * len(observed), 3.6), squeeze=False)
    for ax, r in zip(axes[0], observed):
        _scatter(ax, r, step, scores[r.title][step], centres)
        ax.set_xlabel(r.title, fontsize=9)
    fig.suptitle(f"{name}: G's samples (blue) and mode centres (red +) at D step {step}", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.93))  # leave the top strip to the suptitle
    return figure_frame(fig)
