"""GAN against VAE on the embedded digits, with the same data, batch size and number of steps.

Trains `--seeds` runs of each preset (digits-dcgan and vae-digits; only train.seed differs between runs of a family)
into OUT/gan-seedS and OUT/vae-seedS, skipping runs already trained, then measures them all with gankit.lab.compare and
writes OUT/compare.md, OUT/compare.json and OUT/grids.png.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/gan_vs_vae.py --seeds 3 --steps 1000
    # the two families can train side by side: --only gan in one shell, --only vae in another, then neither
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from gankit.lab import compare
from gankit.config import load_config
from gankit.files import write_text
from gankit.training import Trainer

PRESETS = {"gan": "digits-dcgan", "vae": "vae-digits"}


def train(family: str, seed: int, steps: int, out: Path) -> Path:
    run = out / f"{family}-seed{seed}"
    if (run / "checkpoints" / "latest.json").is_file():
        return run
    cfg = load_config(PRESETS[family], overrides=[f"train.seed={seed}", f"train.steps={steps}", "train.grid_size=64"])
    summary = Trainer(cfg, run, progress=False).fit()
    print(f"{run}: {summary['steps']} steps in {summary['seconds']:.0f} s", flush=True)
    return run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--n", type=int, default=2000, help="samples measured per run")
    p.add_argument("--out", default="runs/gan-vs-vae")
    p.add_argument("--only", choices=tuple(PRESETS), help="train this family only, and measure nothing")
    args = p.parse_args()
    out = Path(args.out)
    families = [args.only] if args.only else list(PRESETS)
    runs = {f: [train(f, seed, args.steps, out) for seed in range(args.seeds)] for f in families}
    if args.only:
        return
    result = compare.compare(runs["gan"], runs["vae"], n=args.n)
    table = compare.format_table(result)
    print(table)
    write_text(out / "compare.md", table + "\n")
    write_text(out / "compare.json", json.dumps(result, indent=2) + "\n")
    compare.side_by_side(runs["gan"][0], runs["vae"][0], out / "grids.png")


if __name__ == "__main__":
    main()
