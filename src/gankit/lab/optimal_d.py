"""Proposition 1 of Goodfellow et al. (2014): for a fixed G, the discriminator that maximises V(D, G) is

    D*(x) = p_data(x) / (p_data(x) + p_g(x)).

G is frozen as an affine map of a Gaussian z (then p_g is a Gaussian, known exactly), D is gankit's toy MLP, trained on
its own with D's loss from gankit.losses (the inner loop of Algorithm 1 run to convergence), and the learned
D(x) = sigmoid(logit) is compared with D* on the data's support, mean +- 3 std.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm import tqdm

from gankit.data import load_dataset, toy_modes
from gankit.lab.exact import AffineGenerator, gaussian, optimal_discriminator
from gankit.lab.output import save_figure
from gankit.losses import d_loss
from gankit.models import ToyDiscriminator

CLAIM = ("with G frozen, D trained to convergence matches D* = p_data / (p_data + p_g): mean |D - D*| <= 0.005 on the "
         "data's support, and D has its dip where D* has it (x ~ 2.3)")
G_FROZEN = {"a": 0.6, "b": 1.5}  # p_g = N(1.5, 0.6^2): overlaps the data, narrower, so D* rises again on the right
MEAN_ERROR = 0.005  # the claim's bound on mean |D - D*| over the support (seeds 0-9: 0.0012 to 0.0030)
DIP_ERROR = 0.3     # ... and on the distance between D's minimum and D*'s (a monotone D puts it at the support's end)


def train_discriminator(G: AffineGenerator, real: torch.Tensor, steps: int, batch_size: int, seed: int,
                        snapshots_at: tuple[int, ...] = (), x_eval: torch.Tensor | None = None):
    """D trained alone against the frozen G: maximise log D(x) + log(1 - D(G(z))) (eq. 1), Adam with a cosine-decayed
    learning rate so D settles on its optimum instead of jittering around it. Returns D and {step: D(x_eval)}."""
    torch.manual_seed(seed)
    D = ToyDiscriminator(in_dim=1, hidden=64, depth=2)
    optimizer = torch.optim.Adam(D.parameters(), lr=3e-3, betas=(0.5, 0.999))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    snapshots = {}
    for step in tqdm(range(steps), desc="optimal-d", unit="step", disable=None, leave=False):
        if step in snapshots_at and x_eval is not None:
            snapshots[step] = discriminator_probability(D, x_eval)
        x = real[torch.randint(len(real), (batch_size,))]
        with torch.no_grad():
            fake = G(torch.randn(batch_size, 1))
        loss = d_loss("minimax", D(x), D(fake))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    if x_eval is not None:
        snapshots[steps] = discriminator_probability(D, x_eval)
    return D, snapshots


@torch.no_grad()
def discriminator_probability(D: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    return torch.sigmoid(D(x)).numpy().astype(float)


def against_optimum(x: np.ndarray, learned: np.ndarray, exact: np.ndarray, support: np.ndarray) -> dict:
    """How far the learned D is from D* on the support: mean and largest |D - D*|, and where each has its minimum.
    D* is not monotone (it rises again right of p_g), so the place of the dip tells a learned D* from a threshold."""
    error = np.abs(learned - exact)[support]
    on_support = x[support]
    return {"mean |D - D*| on support": float(error.mean()), "max |D - D*| on support": float(error.max()),
            "D's minimum on support at x": float(on_support[learned[support].argmin()]),
            "D*'s minimum on support at x": float(on_support[exact[support].argmin()]),
            "D's rise from its minimum to the support's right end": float(learned[support][-1]
                                                                          - learned[support].min())}


def simulate(quick: bool = False, seed: int = 0):
    """Train D against the frozen G (no drawing): the numbers, and what the picture needs."""
    centres, std = toy_modes("gaussian1d")
    p_data = gaussian(centres[0, 0].item(), std)
    real = load_dataset("gaussian1d", n=50_000, seed=seed).x  # p_data = N(0, 1), as a finite data set
    G = AffineGenerator(**G_FROZEN).requires_grad_(False)
    p_g = G.density()
    # D needs its thousands of steps to shape the tail right of p_g, where few samples fall: quick halves the batch.
    steps = 3000
    x = np.linspace(-4, 4, 801)
    x_eval = torch.tensor(x, dtype=torch.float32)[:, None]
    _, snapshots = train_discriminator(G, real, steps, batch_size=256 if quick else 512, seed=seed,
                                       snapshots_at=(0, 50, 200), x_eval=x_eval)
    exact = optimal_discriminator(p_data, p_g, x)
    support = np.abs(x - p_data.means[0]) <= 3 * p_data.stds[0]
    numbers = {"p_data": p_data.describe(), "p_g (frozen affine G)": p_g.describe(), "D steps": steps,
               "support": "[-3, 3] (data mean +- 3 std)", **against_optimum(x, snapshots[steps], exact, support)}
    return numbers, (x, p_data, p_g, exact, snapshots, steps, support)


def run(out_dir: str | Path, quick: bool = False, seed: int = 0) -> dict:
    numbers, picture = simulate(quick, seed)
    _plot(Path(out_dir) / "optimal-d.png", *picture)
    return {**numbers, "files": ["optimal-d.png"]}


def _plot(path, x, p_data, p_g, exact, snapshots, steps, support) -> None:
    fig, (ax, err) = plt.subplots(1, 2, figsize=(13, 4.6), gridspec_kw={"width_ratios": [1.6, 1]})
    ax.fill_between(x, p_data.pdf(x), color="black", alpha=0.15, label=f"p_data = {p_data.describe()}")
    ax.fill_between(x, p_g.pdf(x), color="tab:green", alpha=0.25, label=f"p_g = {p_g.describe()} (G frozen)")
    for step, color in zip(sorted(snapshots)[:-1], ("#c6dbef", "#9ecae1", "#6baed6")):
        ax.plot(x, snapshots[step], color=color, lw=1.2, label=f"learned D after {step} steps")
    ax.plot(x, snapshots[steps], color="tab:blue", lw=2.5, label=f"learned D after {steps} steps")
    ax.plot(x, exact, color="tab:red", ls="--", lw=2, label="D* = p_data / (p_data + p_g)")
    ax.axvspan(x[support][0], x[support][-1], color="gold", alpha=0.07, label="data support, mean +- 3 std")
    ax.set_xlabel("x")
    ax.set_ylabel("probability that x is real  /  density")
    ax.set_ylim(0, 1.05)
    ax.set_title("Proposition 1: trained alone against a frozen G,\nD converges to D* = p_data / (p_data + p_g)")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    error = np.abs(snapshots[steps] - exact)
    err.plot(x, error, color="tab:blue")
    err.axhline(MEAN_ERROR, color="grey", ls="--", lw=1, label=f"{MEAN_ERROR} (the claim's bound on the mean)")
    err.axvspan(x[support][0], x[support][-1], color="gold", alpha=0.07)
    err.set_xlabel("x")
    err.set_ylabel("|D(x) - D*(x)|")
    err.set_title(f"error after {steps} steps: mean {error[support].mean():.3f},\n"
                  f"max {error[support].max():.3f} on the support; outside it, where\n"
                  "almost no sample falls, nothing pins D down")
    err.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    save_figure(fig, path)
