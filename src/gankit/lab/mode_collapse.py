"""Mode collapse on the ring of 8 Gaussians of VEEGAN and PacGAN: G covers some modes and misses others, or hops
between them. Each run is gankit's own trainer on the toy-ring preset, changing only the loss and k (D steps per G
step, Algorithm 1; n_critic for WGAN-GP, Gulrajani et al. 2017), all for the same number of D steps (so k = 5 gives G
a fifth of the updates). Each snapshot is scored by gankit.metrics.modes: modes captured and the share of high-quality
samples (within 3 std of a mode centre).

One seed's count of captured modes is one draw from a wide distribution (minimax: 2 to 8 over seeds 0-9), and which
draw a seed gives depends on the machine's floating-point arithmetic, so the claim is about the spread over seeds and
about what held in every one of 10 seeds (docs/lab.md). The quick mode is a smoke run: 150 steps capture nothing yet.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from gankit.data import toy_modes
from gankit.lab.observed_run import ObservedRun, modes_near, observe, window_mean
from gankit.lab.output import figure_frame, save_figure, save_gif
from gankit.metrics.modes import mode_stats

CLAIM = ("on the ring of 8 over 10 seeds, k = 1 (minimax, non-saturating) captures 4-5 modes on average, k = 5 fewer "
         "(2.8) with D always ahead, WGAN-GP (n_critic = 5) fewest (1.1) and blurry; one seed's count varies widely")
WGAN_GP = ["train.loss=wgan-gp", "train.k=5", "train.beta2=0.9"]  # n_critic = 5, Adam beta2 0.9 (Gulrajani et al.)
RUNS = [("minimax, k = 1", ["train.loss=minimax", "train.k=1"]),
        ("non-saturating, k = 1", ["train.loss=nonsaturating", "train.k=1"]),
        ("non-saturating, k = 5", ["train.loss=nonsaturating", "train.k=5"]),
        ("WGAN-GP, k = 5", WGAN_GP)]


def run(out_dir: str | Path, quick: bool = False, seed: int = 0) -> dict:
    return compare(Path(out_dir), *simulate(quick, seed))


def simulate(quick: bool = False, seed: int = 0) -> tuple[dict, list[ObservedRun], dict, str]:
    return observe_runs("toy-ring", "ring8", RUNS, 150 if quick else 1500, seed)


def observe_runs(preset: str, data: str, runs: list[tuple[str, list[str]]], steps: int,
                 seed: int) -> tuple[dict, list[ObservedRun], dict, str]:
    """Train each run for `steps` D steps, snapshot G ten times and score the snapshots with mode_stats (no drawing).
    Returns the numbers (a table row per run), the runs, their scores {title: {step: stats}} and the data's name."""
    at_steps = [steps * i // 10 for i in range(1, 11)]
    centres, std = toy_modes(data)
    observed = [observe(title, preset, overrides, at_steps, seed) for title, overrides in runs]
    scores = {r.title: {s: mode_stats(x, centres, std) for s, x in r.samples.items()} for r in observed}
    rows = []
    for r in observed:
        final = scores[r.title][steps]
        rows.append({"run": r.title, "modes captured": final["modes"], "high quality %": 100 * final["high_quality"],
                     "reverse KL": final["reverse_kl"], "modes near": modes_near(r.samples[steps], centres),
                     "last 10% D loss": window_mean(r.records, "loss_d", steps - steps // 10 + 1, steps),
                     "modes captured at each tenth": [scores[r.title][s]["modes"] for s in at_steps]})
    numbers = {"preset": preset, "D steps per run": steps, "seed": seed,
               "modes near": "modes with at least 0.8 % of the samples within 0.5 of their centre", "runs": rows}
    return numbers, observed, scores, data


def compare(out: Path, numbers: dict, observed: list[ObservedRun], scores: dict, data: str) -> dict:
    """Draw a grid of scatter plots (five snapshots per run) and a GIF (all ten) of observe_runs' results."""
    centres, _ = toy_modes(data)
    at_steps = sorted(scores[observed[0].title])
    _plot_grid(out / f"mode-collapse-{data}.png", observed, scores, at_steps[1::2], centres, data)
    save_gif([_frame(observed, scores, step, centres, data) for step in at_steps], out / f"mode-collapse-{data}.gif",
             ms_per_frame=500)
    return {**numbers, "files": [f"mode-collapse-{data}.png", f"mode-collapse-{data}.gif"]}


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
