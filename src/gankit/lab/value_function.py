"""Theorem 1 of Goodfellow et al. (2014): with D at its optimum D* = p_data / (p_data + p_g),

    V(D*, G) = E_data[log D*(x)] + E_g[log(1 - D*(x))] = -log 4 + 2 JSD(p_data || p_g),

so the generator's criterion is the Jensen-Shannon divergence, minimal (-log 4) exactly when p_g = p_data, where
D* = 1/2 everywhere. Both sides are integrated numerically and independently (scipy quad), for several p_g.
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from gankit.data import toy_modes
from gankit.lab.exact import gaussian, GaussianMixture1d, jensen_shannon, optimal_discriminator, value_at_optimal_d
from gankit.lab.output import save_figure

CLAIM = "V(D*, G) = -log 4 + 2 JSD(p_data || p_g) for every p_g, and = -log 4 with D* = 1/2 when p_g = p_data"


def data_density() -> GaussianMixture1d:
    centres, std = toy_modes("gaussian1d")  # the data set gaussian1d: N(0, 1)
    return gaussian(centres[0, 0].item(), std)


def generators(p_data: GaussianMixture1d) -> list[GaussianMixture1d]:
    """p_g from identical to p_data, through overlapping, to almost disjoint, and one of a different shape."""
    m, s = p_data.means[0], p_data.stds[0]
    return [p_data, gaussian(m + 0.5 * s, s), gaussian(m, 2 * s), gaussian(m + 2 * s, 0.5 * s),
            GaussianMixture1d((m - 2 * s, m + 2 * s), (0.5 * s, 0.5 * s), (0.5, 0.5)), gaussian(m + 8 * s, s)]


def run(out_dir: str | Path, quick: bool = False, seed: int = 0) -> dict:
    out = Path(out_dir)
    p_data = data_density()
    rows = []
    for p_g in generators(p_data):
        v, jsd = value_at_optimal_d(p_data, p_g), jensen_shannon(p_data, p_g)
        rows.append({"p_g": p_g.describe(), "V(D*,G)": v, "JSD": jsd, "-log4+2JSD": -math.log(4) + 2 * jsd})
    x = np.linspace(-6, 11, 2001)
    d_star_at_equal = optimal_discriminator(p_data, p_data, x)

    # The criterion as G's mean slides across the data: the same curve two ways, minimal at p_g = p_data.
    shifts = np.linspace(-5, 5, 7 if quick else 41)
    curve_v = [value_at_optimal_d(p_data, gaussian(mu, p_data.stds[0])) for mu in shifts]
    curve_jsd = [-math.log(4) + 2 * jensen_shannon(p_data, gaussian(mu, p_data.stds[0])) for mu in shifts]
    _plot(out / "value-function.png", p_data, generators(p_data), x, shifts, curve_v, curve_jsd)

    gap = max(abs(r["V(D*,G)"] - r["-log4+2JSD"]) for r in rows)
    return {"-log 4": -math.log(4), "table": rows, "largest |V - (-log 4 + 2 JSD)|": gap,
            "V at p_g = p_data": rows[0]["V(D*,G)"], "largest |D* - 1/2| at p_g = p_data": float(
                np.abs(d_star_at_equal - 0.5).max()), "files": ["value-function.png"]}


def _plot(path, p_data, p_gs, x, shifts, curve_v, curve_jsd) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.2))
    ax = axes[0]
    ax.plot(shifts, curve_v, "o", color="tab:blue", label="V(D*, G) by quadrature")
    ax.plot(shifts, curve_jsd, "-", color="tab:orange", label="-log 4 + 2 JSD(p_data || p_g)")
    ax.axhline(-math.log(4), color="grey", ls="--", lw=1, label="-log 4 (global minimum)")
    ax.axhline(0, color="grey", ls=":", lw=1, label="0 = -log 4 + 2 log 2 (disjoint supports)")
    ax.set_xlabel("mean of p_g = N(mu, 1)   (p_data = N(0, 1))")
    ax.set_ylabel("value of the game, nats")
    ax.set_title("Theorem 1: both sides agree; the minimum\nis -log 4, reached only at p_g = p_data")
    ax.legend(fontsize=8, loc="center right")
    for ax, chosen in zip(axes[1:], ([0, 1, 5], [2, 3, 4])):
        ax.plot(x, p_data.pdf(x), color="black", lw=2, label="p_data")
        for i, color in zip(chosen, ("tab:green", "tab:purple", "tab:red")):
            p_g = p_gs[i]
            v = value_at_optimal_d(p_data, p_g)
            shown = round(v, 3) + 0.0  # + 0.0 turns -0.0 into 0
            ax.plot(x, p_g.pdf(x), color=color, lw=1.2, label=f"p_g = {p_g.describe()}:  V(D*, G) = {shown:.3f}")
            ax.plot(x, optimal_discriminator(p_data, p_g, x), color=color, ls="--", lw=1.2)
        ax.set_xlabel("x")
        ax.set_ylabel("density (solid) / D*(x) (dashed)")
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1)
    axes[1].set_title("D* = p_data / (p_data + p_g), dashed:\n1/2 everywhere when p_g = p_data (V = -log 4 = -1.386)")
    axes[2].set_title("other shapes of p_g: D* is a ratio of densities,\nnot a threshold")
    save_figure(fig, path)
