"""Figure 1 of Goodfellow et al. (2014), in 1-D: the data density p_data (black, dotted), the generator's density p_g
(green), the discriminator D(x) (blue, dashed) and, below them, the map x = G(z) from the z line to the x line.

  (a) D is only partially trained: it has begun to separate p_g from p_data;
  (b) in the inner loop D is trained on the initial G: it converges towards D* = p_data / (p_data + p_g) (red);
  (c) after updates to G, the gradient of D has guided G(z) towards regions more likely to be classified as data;
  (d) after enough steps p_g = p_data, and D cannot tell them apart: D(x) = 1/2 everywhere.

Training is Algorithm 1 with k = 1, gankit's toy MLP as D and gankit.losses (non-saturating G loss, Section 3).
G is affine, G(z) = a z + b with z ~ N(0, 1), so p_g = N(b, a^2) is drawn exactly and D* is known; it starts as a bump
left of the data. The arrows start at equal-probability quantiles of z, so they crowd where p_g is high.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm import tqdm
from scipy.stats import norm

from gankit.data import load_dataset, toy_modes
from gankit.lab.exact import AffineGenerator, gaussian, optimal_discriminator
from gankit.lab.output import figure_frame, save_figure, save_gif
from gankit.losses import d_loss, g_loss
from gankit.models import ToyDiscriminator

CLAIM = ("D learns the boundary (within 0.02 of D* after the inner loop), p_g moves onto p_data (to N(0 +- 0.05, "
         "(1 +- 0.15)^2)), and at the end D(x) is within 0.05 of 1/2 everywhere on the data")
X_RANGE = (-5.0, 4.0)
G_START = {"a": 0.5, "b": -2.5}  # p_g = N(-2.5, 0.5^2) at the start: beside the data, as in the paper's panel (a)
Z_LINE, X_LINE = -0.42, -0.06  # heights of the z line and the x line under the densities
LOSS = "nonsaturating"
BATCH = 256


def z_quantiles(n: int) -> torch.Tensor:
    """z at n evenly spaced quantiles of N(0, 1): each arrow carries the same probability mass."""
    return torch.tensor(norm.ppf((np.arange(n) + 0.5) / n), dtype=torch.float32)[:, None]


@torch.no_grad()
def snapshot(G: AffineGenerator, D: torch.nn.Module, x: np.ndarray, label: str) -> dict:
    z = z_quantiles(15)
    return {"label": label, "p_g": G.density(), "D": torch.sigmoid(D(torch.tensor(x, dtype=torch.float32)[:, None]))
            .numpy().astype(float), "z": z.numpy()[:, 0], "G(z)": G(z).numpy()[:, 0]}


def train(data: torch.Tensor, steps: int, inner_steps: int, n_frames: int, seed: int, x: np.ndarray):
    torch.manual_seed(seed)
    G, D = AffineGenerator(**G_START), ToyDiscriminator(in_dim=1, hidden=64, depth=2)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-2, betas=(0.5, 0.999))  # G has two weights: a larger step
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))

    def d_step():
        # (1) update D by ascending log D(x) + log(1 - D(G(z)))
        real = data[torch.randint(len(data), (BATCH,))]
        with torch.no_grad():
            fake = G(torch.randn(BATCH, 1))
        loss = d_loss(LOSS, D(real), D(fake))
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()

    def g_step():
        # (2) update G by ascending log D(G(z)), the non-saturating form of descending log(1 - D(G(z)))
        loss = g_loss(LOSS, D(G(torch.randn(BATCH, 1))))
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()

    partly = max(inner_steps // 10, 1)
    for _ in range(partly):
        d_step()
    panels = {"a": snapshot(G, D, x, f"(a) D partly trained ({partly} D steps);\nG at its start")}
    for _ in range(inner_steps - partly):
        d_step()
    panels["b"] = snapshot(G, D, x, f"(b) inner loop: D trained {inner_steps} steps\non the initial G, close to D*")
    # GIF frames at log-spaced steps: G moves most in the first few hundred steps.
    frame_steps = set(np.geomspace(5, steps, n_frames).astype(int).tolist())
    frames = [panels["b"] | {"label": "step 0: D trained on the initial G"}]
    for step in tqdm(range(1, steps + 1), desc="figure1", unit="step", disable=None, leave=False):
        d_step()
        g_step()
        if step in frame_steps:
            frames.append(snapshot(G, D, x, f"step {step} of Algorithm 1 (k = 1)"))
        if step == steps // 10:
            panels["c"] = snapshot(G, D, x, f"(c) after {step} steps of Algorithm 1:\nG(z) flows towards the data")
    panels["d"] = snapshot(G, D, x, f"(d) after {steps} steps:\np_g is about p_data and D about 1/2")
    return panels, frames


def simulate(quick: bool = False, seed: int = 0):
    """Train (no drawing): returns the numbers that check the claim, the four panels, the GIF frames, x and p_data."""
    centres, std = toy_modes("gaussian1d")
    p_data = gaussian(centres[0, 0].item(), std)
    data = load_dataset("gaussian1d", n=50_000, seed=seed).x  # N(0, 1) as a finite data set
    x = np.linspace(*X_RANGE, 451)
    steps = 600 if quick else 3000
    panels, frames = train(data, steps, inner_steps=100 if quick else 300, n_frames=10 if quick else 30,
                           seed=seed, x=x)
    on_data = np.abs(x - p_data.means[0]) <= 2 * p_data.stds[0]
    start, end = panels["a"]["p_g"], panels["d"]["p_g"]
    b_error = np.abs(panels["b"]["D"] - optimal_discriminator(p_data, start, x))[on_data]
    numbers = {"data": p_data.describe(), "steps of Algorithm 1": steps, "p_g at start": start.describe(),
               "p_g at end": f"N({end.means[0]:.3f}, {end.stds[0]:.3f}^2)",
               "p_g at end: mean": end.means[0], "p_g at end: std": end.stds[0],
               "panel (b): mean |D - D*| on [-2, 2]": float(b_error.mean()),
               "panel (d): D(x) min, max on [-2, 2]": (float(panels["d"]["D"][on_data].min()),
                                                       float(panels["d"]["D"][on_data].max())),
               "panel (d): mean |D(x) - 1/2| on [-2, 2]": float(np.abs(panels["d"]["D"][on_data] - 0.5).mean())}
    return numbers, panels, frames, x, p_data


def run(out_dir: str | Path, quick: bool = False, seed: int = 0) -> dict:
    out = Path(out_dir)
    numbers, panels, frames, x, p_data = simulate(quick, seed)
    fig, axes = plt.subplots(1, 4, figsize=(19, 4.8), sharey=True)
    for ax, panel in zip(axes, panels.values()):
        _draw(ax, x, p_data, panel)
    axes[0].set_ylabel("density  /  D(x)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=5, bbox_to_anchor=(0.5, -0.08), fontsize=10)
    fig.suptitle("Figure 1 of Goodfellow et al. (2014), trained for real: D learns the boundary, G's density moves "
                 "onto the data, and at the end D = 1/2", fontsize=13, y=1.04)
    save_figure(fig, out / "figure1.png")

    gif_frames = []
    for panel in frames:
        fig, ax = plt.subplots(figsize=(7, 5))
        _draw(ax, x, p_data, panel)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8)
        fig.subplots_adjust(bottom=0.27)
        gif_frames.append(figure_frame(fig))
    save_gif(gif_frames, out / "figure1.gif", ms_per_frame=250)
    return {**numbers, "files": ["figure1.png", "figure1.gif"]}


def _draw(ax, x: np.ndarray, p_data, panel: dict) -> None:
    p_g = panel["p_g"]
    ax.plot(x, p_data.pdf(x), color="black", ls=":", lw=2.2, label="p_data (data density)")
    ax.plot(x, p_g.pdf(x), color="tab:green", lw=2, label="p_g (generator density)")
    ax.plot(x, panel["D"], color="tab:blue", ls="--", lw=2, label="D(x), probability 'real'")
    ax.plot(x, optimal_discriminator(p_data, p_g, x), color="tab:red", lw=0.8, alpha=0.7,
            label="D* = p_data / (p_data + p_g)")
    ax.axhline(0.5, color="grey", lw=0.6)
    # The paper's lower half: equal-mass z values on the z line, each joined to its x = G(z) on the x line.
    ax.hlines([Z_LINE, X_LINE], *X_RANGE, color="black", lw=0.8)
    for z, gz in zip(panel["z"], panel["G(z)"]):
        ax.annotate("", xy=(gz, X_LINE), xytext=(z, Z_LINE),
                    arrowprops={"arrowstyle": "->", "color": "tab:green", "lw": 0.8})
    ax.text(X_RANGE[0] + 0.1, Z_LINE + 0.02, "z", fontsize=11)
    ax.text(X_RANGE[0] + 0.1, X_LINE + 0.02, "x", fontsize=11)
    ax.set_xlim(*X_RANGE)
    ax.set_ylim(Z_LINE - 0.05, 1.05)
    ax.set_xlabel("x (upper line), z (lower line)")
    ax.set_title(panel["label"], fontsize=10)
