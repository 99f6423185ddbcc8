"""Section 3 of Goodfellow et al. (2014): early in learning, when G is poor, D rejects its samples with high
confidence and log(1 - D(G(z))) saturates; G is better trained to maximise log D(G(z)) instead.

On D's logit l, with D = sigmoid(l), the two G losses of gankit.losses have the derivatives
    minimax          d/dl  log(1 - D) = -D          -> vanishes as D(G(z)) -> 0
    non-saturating   d/dl -log D      = -(1 - D)    -> tends to -1 there
so the gradient that reaches G's weights is scaled by D for one and by 1 - D for the other, a ratio (1 - D)/D: 19 at
D(G(z)) = 0.05. The first part checks that on the losses themselves; the second measures both gradients on G's weights
along the first steps of a real run: preset toy-ring trained by gankit's recipe with the minimax loss and D ahead of G
(k = 5 D steps per G step, lr_g = 2e-4 against lr_d = 1e-3), as early in training when G is poor.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm import tqdm

from gankit.config import load_config
from gankit.data import load_dataset
from gankit.lab.output import save_figure
from gankit.losses import g_loss
from gankit.recipes import GANRecipe

CLAIM = "where D(G(z)) < 0.05 the non-saturating gradient reaching G is >= 10x the minimax one"
SATURATED = 0.05  # D(G(z)) below this: D rejects the fakes confidently
OVERRIDES = ["train.loss=minimax", "train.k=5", "train.lr_g=2e-4", "train.device=cpu"]


def logit_gradients(d_fake: np.ndarray) -> dict[str, np.ndarray]:
    """|d loss / d logit| of each G loss at D(G(z)) = d_fake, by autograd through gankit.losses."""
    logits = torch.logit(torch.tensor(d_fake, dtype=torch.float64)).requires_grad_(True)
    out = {}
    for loss in ("minimax", "nonsaturating"):
        (grad,) = torch.autograd.grad(g_loss(loss, logits) * len(logits), logits)  # * N undoes the batch mean
        out[loss] = grad.abs().numpy()
    return out


def generator_gradients(recipe: GANRecipe, z: torch.Tensor) -> dict[str, float]:
    """||d loss / d theta_G|| for both G losses at the same G, D and z, and the mean D(G(z))."""
    params = [p for p in recipe.G.parameters()]
    logits = recipe.D(recipe.G(z))
    out = {"d_fake": torch.sigmoid(logits).mean().item()}
    for loss in ("minimax", "nonsaturating"):
        grads = torch.autograd.grad(g_loss(loss, logits), params, retain_graph=True)
        out[loss] = torch.sqrt(sum((g ** 2).sum() for g in grads)).item()
    return out


def measure_training(steps: int, seed: int) -> list[dict]:
    """Both gradients before every step of a minimax run of the toy-ring preset with D ahead of G."""
    cfg = load_config("toy-ring", overrides=OVERRIDES + [f"train.seed={seed}"])
    torch.manual_seed(seed)
    recipe = GANRecipe.from_config(cfg, (2,), 0, torch.device("cpu"))
    data = load_dataset(cfg.data.name, n=steps * cfg.train.batch_size, seed=seed)
    z = torch.randn(cfg.train.batch_size, recipe.z_dim, generator=torch.Generator().manual_seed(seed + 1))
    records = []
    for step in tqdm(range(steps), desc="saturation", unit="step", disable=None, leave=False):
        records.append({"step": step} | generator_gradients(recipe, z))
        x, _ = data.batch(torch.arange(step * cfg.train.batch_size, (step + 1) * cfg.train.batch_size))
        recipe.train_step(x, None, step)
    return records


def run(out_dir: str | Path, quick: bool = False, seed: int = 0) -> dict:
    out = Path(out_dir)
    d_fake = np.logspace(-4, np.log10(0.999), 200)
    curve = logit_gradients(d_fake)
    at = {d: logit_gradients(np.array([d])) for d in (0.05, 0.01)}
    records = measure_training(60 if quick else 300, seed)
    saturated = [r for r in records if r["d_fake"] < SATURATED]
    ratios = np.array([r["nonsaturating"] / r["minimax"] for r in saturated])
    _plot(out / "saturation.png", d_fake, curve, records)
    numbers = {f"logit-gradient ratio at D(G(z)) = {d}": float(g["nonsaturating"][0] / g["minimax"][0])
               for d, g in at.items()}
    numbers |= {"training steps measured": len(records), f"steps with mean D(G(z)) < {SATURATED}": len(saturated),
                "first such step": saturated[0]["step"] if saturated else None,
                "G-weight gradient ratio there, median": float(np.median(ratios)) if len(ratios) else None,
                "G-weight gradient ratio there, smallest": float(ratios.min()) if len(ratios) else None,
                "files": ["saturation.png"]}
    return numbers


def _plot(path, d_fake, curve, records) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 4.8))
    left.plot(d_fake, curve["minimax"], color="tab:red", lw=2, label="minimax: G minimises log(1 - D(G(z)))")
    left.plot(d_fake, curve["nonsaturating"], color="tab:green", lw=2, label="non-saturating: G maximises log D(G(z))")
    left.axvspan(d_fake[0], SATURATED, color="tab:red", alpha=0.08, label=f"saturated: D(G(z)) < {SATURATED}")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("D(G(z)): D's probability that a fake is real")
    left.set_ylabel("|d G-loss / d logit|  (scales G's gradient)")
    left.set_title("On the loss: where D rejects fakes, log(1 - D) is flat\n(gradient D) and -log D is steep "
                   "(gradient 1 - D)")
    left.legend(fontsize=9, loc="lower right")

    steps = [r["step"] for r in records]
    right.plot(steps, [r["minimax"] for r in records], color="tab:red", lw=1.8, label="||grad_G|| minimax")
    right.plot(steps, [r["nonsaturating"] for r in records], color="tab:green", lw=1.8,
               label="||grad_G|| non-saturating")
    right.set_yscale("log")
    right.set_xlabel("training step (D steps; preset toy-ring, minimax loss, k = 5, lr_g = 2e-4)")
    right.set_ylabel("norm of the gradient on G's weights")
    twin = right.twinx()
    d_fake = np.array([r["d_fake"] for r in records])
    twin.plot(steps, d_fake, color="tab:blue", ls="--", lw=1.2, label="mean D(G(z))")
    twin.fill_between(steps, 0, 1, where=d_fake < SATURATED, color="tab:red", alpha=0.08, lw=0,
                      label=f"saturated: mean D(G(z)) < {SATURATED}")
    twin.set_ylabel("mean D(G(z))", color="tab:blue")
    twin.set_ylim(0, 1)
    lines = right.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    right.legend(lines[0] + more[0], lines[1] + more[1], fontsize=9, loc="center right")
    right.set_title("In real training: once D(G(z)) falls below 0.05, the minimax\ngradient reaching G collapses; "
                    "the non-saturating one does not")
    save_figure(fig, path)
