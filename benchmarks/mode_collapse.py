"""The mode-collapse table of VEEGAN (Srivastava et al. 2017, Table 1) and PacGAN (Lin et al. 2018, Table 1),
reproduced with gankit's own trainer on the ring of 8 and the grid of 25 Gaussians.

Every variant trains the same architecture for the same budget: the toy-ring-r1 / toy-grid-r1 presets (z in R^2, MLPs of
4 x 128 units, 6000 / 15000 steps, Adam at 2e-3 with betas (0, 0.99) decayed linearly to 0, batch 256). Only the loss,
the R1 penalty or D's packing changes. Each run then draws 2500 samples, measured by gankit.metrics.mode_stats:
captured modes, % high-quality samples (within 3 std of a mode), reverse KL over modes. Mean +- std over seeds,
printed beside the published numbers.

    nice -n 10 .venv/bin/python benchmarks/mode_collapse.py --jobs 2           # 10 seeds, the presets' full budget
    nice -n 10 .venv/bin/python benchmarks/mode_collapse.py --quick            # 2 seeds, a fifth of the steps
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

import gankit
from gankit.config import load_config
from gankit.data import toy_modes
from gankit.files import write_text
from gankit.metrics import mode_stats
from gankit.training import Trainer

# variant -> config overrides on top of the preset. WGAN-GP keeps k = 1, so it gets the same D steps and G updates as
# the others; its paper's k = 5 at equal G updates would cost five times the D steps.
VARIANTS = {
    "nonsaturating+r1": [],
    "nonsaturating": ["gan.r1=0"],
    "minimax": ["train.loss=minimax", "gan.r1=0"],
    "wgan-gp": ["train.loss=wgan-gp", "gan.r1=0", "train.beta2=0.9"],
    "pacgan4": ["gan.r1=0", "model.pack=4"],
}
PRESETS = {"ring8": "toy-ring-r1", "grid25": "toy-grid-r1"}
# (modes, % high quality, reverse KL) as published; reverse KL left out (not checked against the papers here).
PUBLISHED = {
    ("ring8", "GAN (VEEGAN Table 1)"): (1.0, 99.3, None),
    ("grid25", "GAN (VEEGAN Table 1)"): (3.3, 0.5, None),
    ("ring8", "PacGAN4 (PacGAN Table 1)"): (7.8, 95.9, None),
    ("grid25", "PacGAN4 (PacGAN Table 1)"): (24.8, 93.6, None),
}
SAMPLES = 2500  # as VEEGAN and PacGAN


def train_and_measure(job: tuple[str, str, int, float, str]) -> dict:
    data, variant, seed, steps_scale, folder = job
    torch.set_num_threads(1)  # tiny nets: one thread per run, runs side by side with --jobs
    cfg = load_config(PRESETS[data], overrides=[*VARIANTS[variant], f"train.seed={seed}", "train.device=cpu"])
    cfg.train.steps = max(1, int(cfg.train.steps * steps_scale))
    cfg.train.log_every = cfg.train.steps  # log once: the benchmark reads only the samples
    run_dir = Path(folder) / f"{data}-{variant}-seed{seed}"
    start = time.time()
    Trainer(cfg, run_dir, progress=False).fit()
    samples = gankit.load(run_dir).sample(SAMPLES, seed=10_000 + seed)
    centres, std = toy_modes(data)
    return {"data": data, "variant": variant, "seed": seed, **mode_stats(samples, centres, std),
            "seconds": time.time() - start}


def summarise(values: list[float], digits: int = 2) -> str:
    """mean +- std over the finite values; a run with no high-quality sample has reverse KL inf, counted apart."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return "inf"
    mean = statistics.fmean(finite)
    spread = statistics.stdev(finite) if len(finite) > 1 else 0.0
    text = f"{mean:.{digits}f} +- {spread:.{digits}f}"
    return text if len(finite) == len(values) else f"{text} ({len(values) - len(finite)} inf)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="mode-collapse table on ring8 and grid25")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--quick", action="store_true", help="2 seeds and a fifth of the steps")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--data", default="ring8,grid25")
    parser.add_argument("--steps-scale", type=float, default=1.0, help="multiply the presets' step budgets")
    parser.add_argument("--jobs", type=int, default=1, help="runs side by side, one CPU thread each")
    parser.add_argument("--json", type=Path, help="also write every run's numbers here, updated after each run")
    args = parser.parse_args(argv)
    seeds, scale = (2, 0.2) if args.quick else (args.seeds, args.steps_scale)
    datasets, variants = args.data.split(","), args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS] + [d for d in datasets if d not in PRESETS]
    if unknown:
        parser.error(f"unknown variant or data set: {', '.join(unknown)}")
    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="gankit-modes-") as tmp:
        seed_range = range(args.first_seed, args.first_seed + seeds)
        jobs = [(d, v, seed, scale, tmp) for d in datasets for v in variants for seed in seed_range]
        with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
            for r in pool.imap(train_and_measure, jobs):
                runs.append(r)
                print(f"{r['data']:7} {r['variant']:17} seed {r['seed']}: {r['modes']:.0f} modes, "
                      f"{100 * r['high_quality']:.1f} % high quality, reverse KL {r['reverse_kl']:.3f}, "
                      f"{r['seconds']:.0f} s", file=sys.stderr, flush=True)
                if args.json:
                    write_text(args.json, json.dumps(runs, indent=1))

    print(f"\nmode collapse, {seeds} seeds, steps x{scale:g} of the presets, {SAMPLES} samples per run; "
          f"{time.strftime('%Y-%m-%d')}, {platform.machine()} CPU, torch {torch.__version__}")
    print(f"{'data':7} {'variant':26} {'modes':>14} {'% high quality':>16} {'reverse KL':>14} {'all modes':>10}")
    for data in datasets:
        for variant in variants:
            rs = [r for r in runs if r["data"] == data and r["variant"] == variant]
            every = sum(r["modes"] == len(toy_modes(data)[0]) for r in rs)
            print(f"{data:7} {'gankit ' + variant:26} {summarise([r['modes'] for r in rs]):>14} "
                  f"{summarise([100 * r['high_quality'] for r in rs]):>16} "
                  f"{summarise([r['reverse_kl'] for r in rs], 3):>14} {f'{every}/{len(rs)}':>10}")
        for (d, source), (modes, quality, kl) in PUBLISHED.items():
            if d == data:
                print(f"{data:7} {source:26} {modes:>14.1f} {quality:>16.1f} {'' if kl is None else kl:>14}")


if __name__ == "__main__":
    main()
