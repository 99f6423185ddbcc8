"""The mode-collapse table of VEEGAN (Srivastava et al. 2017, Table 1) and PacGAN (Lin et al. 2018, Table 1),
reproduced with gankit's own trainer on the ring of 8 and the grid of 25 Gaussians.

For each data set and variant, `--seeds` runs of the preset (toy-ring / toy-grid: fixed MLP architecture and step
budget, only the loss or model.pack changes), then 2500 samples per run measured by gankit.metrics.mode_stats:
captured modes, % high-quality samples (within 3 std of a mode), reverse KL over modes. Mean +- std over seeds,
printed beside the published numbers.

    nice -n 10 .venv/bin/python benchmarks/mode_collapse.py            # 10 seeds, the presets' full budget
    nice -n 10 .venv/bin/python benchmarks/mode_collapse.py --quick    # 2 seeds, a fifth of the steps
"""
from __future__ import annotations

import argparse
import json
import math
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
from gankit.metrics import mode_stats
from gankit.training import Trainer

# variant -> config overrides on top of the preset
VARIANTS = {
    "minimax": ["train.loss=minimax"],
    "nonsaturating": ["train.loss=nonsaturating"],
    "wgan-gp": ["train.loss=wgan-gp", "train.k=5", "model.d_norm=none", "train.beta1=0.5", "train.beta2=0.9"],
    "pacgan4": ["train.loss=nonsaturating", "model.pack=4"],
}
PRESETS = {"ring8": "toy-ring", "grid25": "toy-grid"}
# (modes, % high quality, reverse KL) as published; reverse KL left out (not checked against the papers here).
PUBLISHED = {
    ("ring8", "GAN (VEEGAN Table 1)"): (1.0, 99.3, None),
    ("grid25", "GAN (VEEGAN Table 1)"): (3.3, 0.5, None),
    ("ring8", "PacGAN4 (PacGAN Table 1)"): (7.8, 95.9, None),
    ("grid25", "PacGAN4 (PacGAN Table 1)"): (24.8, 93.6, None),
}
SAMPLES = 2500  # as VEEGAN and PacGAN


def train_and_measure(data: str, variant: str, seed: int, steps_scale: float, folder: Path) -> dict:
    cfg = load_config(PRESETS[data], overrides=[*VARIANTS[variant], f"train.seed={seed}", "train.device=cpu"])
    cfg.train.steps = max(1, int(cfg.train.steps * steps_scale))
    cfg.train.log_every = cfg.train.steps  # log once: the benchmark reads only the samples
    run_dir = folder / f"{data}-{variant}-seed{seed}"
    start = time.time()
    Trainer(cfg, run_dir, progress=False).fit()
    samples = gankit.load(run_dir).sample(SAMPLES, seed=10_000 + seed)
    centres, std = toy_modes(data)
    return {**mode_stats(samples, centres, std), "seconds": time.time() - start}


def summarise(values: list[float]) -> str:
    """mean +- std over the finite values; a run with no high-quality sample has reverse KL inf, counted apart."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return "inf"
    mean = statistics.fmean(finite)
    spread = statistics.stdev(finite) if len(finite) > 1 else 0.0
    text = f"{mean:.2f} +- {spread:.2f}"
    return text if len(finite) == len(values) else f"{text} ({len(values) - len(finite)} inf)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="mode-collapse table on ring8 and grid25")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="2 seeds and a fifth of the steps")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--data", default="ring8,grid25")
    parser.add_argument("--steps-scale", type=float, default=1.0, help="multiply the presets' step budgets")
    parser.add_argument("--json", type=Path, help="also write every run's numbers here")
    args = parser.parse_args(argv)
    seeds, scale = (2, 0.2) if args.quick else (args.seeds, args.steps_scale)
    torch.set_num_threads(1)
    results: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="gankit-modes-") as tmp:
        for data in args.data.split(","):
            for variant in args.variants.split(","):
                runs = results.setdefault((data, variant), [])
                for seed in range(seeds):
                    runs.append(train_and_measure(data, variant, seed, scale, Path(tmp)))
                    r = runs[-1]
                    print(f"{data:7} {variant:14} seed {seed}: {r['modes']:.0f} modes, "
                          f"{100 * r['high_quality']:.1f} % high quality, reverse KL {r['reverse_kl']:.3f}, "
                          f"{r['seconds']:.0f} s", file=sys.stderr, flush=True)

    print(f"\nmode collapse, {seeds} seeds, steps x{scale:g} of the presets, {SAMPLES} samples per run; "
          f"{time.strftime('%Y-%m-%d')}, {platform.machine()} CPU, torch {torch.__version__}")
    print(f"{'data':7} {'variant':26} {'modes':>14} {'% high quality':>16} {'reverse KL':>14}")
    for (data, variant), runs in results.items():
        print(f"{data:7} {'gankit ' + variant:26} {summarise([r['modes'] for r in runs]):>14} "
              f"{summarise([100 * r['high_quality'] for r in runs]):>16} "
              f"{summarise([r['reverse_kl'] for r in runs]):>14}")
    for (data, source), (modes, quality, kl) in PUBLISHED.items():
        if data in args.data.split(","):
            print(f"{data:7} {source:26} {modes:>14.1f} {quality:>16.1f} {'' if kl is None else kl:>14}")
    if args.json:
        args.json.write_text(json.dumps({f"{d}/{v}": r for (d, v), r in results.items()}, indent=2))


if __name__ == "__main__":
    main()
