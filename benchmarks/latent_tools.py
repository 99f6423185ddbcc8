"""The latent tools measured on a trained GAN and a trained VAE, and the pictures of docs/vae-and-latent.md.

  - inversion error (MSE of intensities in [0, 1], PSNR) on real digits and on the generator's own samples:
    the VAE by its encoder and by optimisation, the GAN by optimisation (restarts, codes kept on the sqrt(d) sphere);
  - the stroke-thickness (ink) vector, plain and per class, at several scales, on 500 held-out prior codes: the share
    whose ink rose and the share the digits classifier still reads as the same digit;
  - pictures: interpolation grids (slerp and lerp rows) and GIFs, inversions, the ink vector applied.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/latent_tools.py \\
        --gan runs/gan-vs-vae/gan-seed0 --vae runs/gan-vs-vae/vae-seed0 --pictures docs/images/latent
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

import gankit
import gankit.latent as latent
from gankit import images
from gankit.data import load_dataset
from gankit.latent.interpolation import grid_rows
from gankit.latent.inversion import pixel_mse
from gankit.recipes.base import Encoder

SCALES = (0.25, 0.5, 1.0)


def some_digits(run, n: int) -> torch.Tensor:
    """n digits of a seeded shuffle of the run's data. The embedded digits have no test split and the runs trained on
    all 5000, so these images were seen in training (by D, or by the VAE's encoder)."""
    data = load_dataset(run.config.data.name)
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(1234))
    return data.batch(order[-n:])[0]


def inversion_table(run, x: torch.Tensor, steps: int, restarts: int) -> dict:
    rows = {}
    own = run.sample(len(x), seed=99)
    if isinstance(run.recipe, Encoder):
        rows["real digits, encoder"] = latent.invert(run, x)
        rows["own samples, encoder"] = latent.invert(run, own)
    rows["real digits, optimisation"] = latent.invert(run, x, steps=steps, restarts=restarts, use_encoder=False)
    rows["own samples, optimisation"] = latent.invert(run, own, steps=steps, restarts=restarts, use_encoder=False)
    baseline = pixel_mse(run.sample(len(x), seed=7), x).mean().item()
    out = {k: {"mse": v.mse.mean().item(), "psnr_db": v.psnr.mean().item()} for k, v in rows.items()}
    out["baseline: a random sample vs the real digit"] = {"mse": baseline}
    return out, rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gan", required=True)
    p.add_argument("--vae", required=True)
    p.add_argument("--n", type=int, default=32, help="digits to invert")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--restarts", type=int, default=4)
    p.add_argument("--pictures", help="folder for the pictures (none written without it)")
    args = p.parse_args()
    report = {}
    for family, path in (("gan", args.gan), ("vae", args.vae)):
        run = gankit.load(path)
        x = some_digits(run, args.n)
        table, inversions = inversion_table(run, x, args.steps, args.restarts)
        report[family] = {"inversion": table, "arithmetic": []}
        for per_class in (False, True):
            v = latent.vector_from_attribute(run, "ink", n=2000, quantile=0.25, per_class=per_class, seed=0)
            for scale in SCALES:
                shift = latent.attribute_shift(run, v, "ink", n=500, scale=scale, seed=1)
                report[family]["arithmetic"].append({"per_class": per_class, **shift})
        print(json.dumps({family: report[family]}, indent=2), flush=True)
        if args.pictures:
            folder = Path(args.pictures)
            rows = [latent.interpolate(run, a, b, steps=10, method=m) for a, b in ((0, 1), (2, 3)) for m in ("slerp", "lerp")]
            images.save_png(grid_rows([r.repeat_interleave(2, -1).repeat_interleave(2, -2) for r in rows]),
                            folder / f"{family}-interpolation.png")
            latent.save_gif(latent.interpolate(run, 0, 1, steps=16), folder / f"{family}-interpolation.gif")
            real = x[:2]
            z = latent.encode(run, real, steps=args.steps, restarts=args.restarts)
            walk = latent.decode(run, latent.path(z[0], z[1], 8, "slerp"))
            images.save_png(grid_rows([torch.cat([real[:1], walk, real[1:]]).repeat_interleave(2, -1)
                                       .repeat_interleave(2, -2)]), folder / f"{family}-interpolation-real.png")
            key = "real digits, encoder" if family == "vae" else "real digits, optimisation"
            inv = inversions[key]
            pairs = torch.stack([x[:16], inv.reconstructions[:16]], dim=1).flatten(0, 1)
            images.save_grid(pairs.repeat_interleave(2, -1).repeat_interleave(2, -2), folder / f"{family}-inversion.png",
                             nrow=16)
            v = latent.vector_from_attribute(run, "ink", n=2000, quantile=0.25, per_class=True, seed=0)
            z = torch.randn(10, run.recipe.z_dim, generator=torch.Generator().manual_seed(1))
            rows = [latent.decode(run, z + s * v) for s in (-0.5, 0.0, 0.5, 1.0)]
            images.save_grid(torch.cat(rows).repeat_interleave(2, -1).repeat_interleave(2, -2),
                             folder / f"{family}-ink-vector.png", nrow=10)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
