"""Image-to-image translation, measured: the pix2pix loss ablation of Isola et al. (2017), Table 1, on edges -> digits,
and the figures of any trained translation runs. One table each, printed as Markdown.

  ablation   trains three pix2pix runs on preset edges2digits-pix2pix with the same data, nets, seed and steps, and
             only the loss changed: L1 alone (pix2pix.lambda_gan=0), cGAN alone (pix2pix.lambda_l1=0), L1 + cGAN (the
             paper's lambda 100); then measures each on the 1000 held-out test pairs.
  measure    measures trained runs (pix2pix, CycleGAN, StarGAN) on their data's test split.

Figures (gankit.metrics.translation, on the test split): label preservation = the accuracy of the target domain's
shipped classifier on translated images against the source images' labels (the "FCN score" of Isola et al. 4.2);
FID in the target domain with that classifier's 128-d features; PSNR and SSIM against the true targets (paired data).

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/translation.py ablation --steps 750 --width 32
    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/translation.py measure runs/edges2digits-pix2pix-...
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import gankit
from gankit.config import load_config
from gankit.files import write_text
from gankit.metrics.translation import evaluate_translation_run
from gankit.training import Trainer

# Table 1's rows that our data can have: the conditional D throughout (the unconditional "GAN" rows need another D).
VARIANTS = {"L1": ["pix2pix.lambda_gan=0"], "cGAN": ["pix2pix.lambda_l1=0"], "L1+cGAN": []}
COLUMNS = [("label_preservation_AtoB", "label preservation", "{:.1%}"), ("fid_AtoB", "FID", "{:.2f}"),
           ("psnr_AtoB", "PSNR (dB)", "{:.2f}"), ("ssim_AtoB", "SSIM", "{:.3f}")]


def train_variant(name: str, steps: int, width: int, seed: int, out: Path) -> tuple[Path, float | None]:
    run = out / name.replace("+", "-")
    if (run / "checkpoints" / "latest.json").is_file():
        return run, None
    cfg = load_config("edges2digits-pix2pix", overrides=[*VARIANTS[name], f"train.steps={steps}",
                                                         f"model.width={width}", f"train.seed={seed}"])
    start = time.perf_counter()
    Trainer(cfg, run, progress=False).fit()
    return run, time.perf_counter() - start


def row_cells(metrics: dict) -> list[str]:
    return [fmt.format(metrics[key]) if key in metrics else "-" for key, _, fmt in COLUMNS]


def ablation(args) -> None:
    out = Path(args.out)
    rows, results = [], {}
    for name in VARIANTS:
        if args.only and name != args.only:
            continue
        run, seconds = train_variant(name, args.steps, args.width, args.seed, out)
        if args.only:
            print(f"{run}: trained in {seconds or 0:.0f} s", flush=True)
            return
        figures = evaluate_translation_run(gankit.load(run), n=args.n)["metrics"]
        results[name] = {"run": str(run), "train_seconds": seconds, **figures}
        rows.append(f"| {name} | " + " | ".join(row_cells(figures)) + " |")
        print(f"{name}: trained in {seconds or 0:.0f} s; {figures}", flush=True)
    ceiling = next(iter(results.values())).get("real_accuracy_AtoB")
    header = "| loss | " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    table = "\n".join([header, "|" + "---|" * (len(COLUMNS) + 1), *rows])
    note = (f"\nedges2digits test split, {args.n or 'all'} pairs; {args.steps} steps of batch 16, width {args.width}, "
            f"seed {args.seed}; the digits classifier reads {ceiling:.1%} of the real test digits right")
    print(table + note)
    write_text(out / "ablation.md", table + note + "\n")
    write_text(out / "ablation.json", json.dumps(results, indent=2) + "\n")


def measure(args) -> None:
    for path in args.runs:
        run = gankit.load(path)
        result = evaluate_translation_run(run, n=args.n)
        print(f"## {path} ({run.config.preset or run.config.train.recipe}, step {run.step}, {result['split']} split)")
        print("| figure | value |\n|---|---|")
        for key, value in result["metrics"].items():
            print(f"| {key} | {value:.2%} |" if "accuracy" in key or "preservation" in key else
                  f"| {key} | {value:.3f} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    a = sub.add_parser("ablation", help="Isola et al. Table 1 on edges -> digits: L1, cGAN, L1 + cGAN")
    a.add_argument("--steps", type=int, default=750, help="the preset's length: 3 epochs of 250 steps")
    a.add_argument("--width", type=int, default=32, help="model.width of G and D (the preset's 32)")
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--n", type=int, default=None, help="test pairs measured (default all 1000)")
    a.add_argument("--out", default="runs/t2-ablation")
    a.add_argument("--only", choices=tuple(VARIANTS), help="train this variant only, and measure nothing (to train "
                                                           "the three side by side; then run without --only)")
    m = sub.add_parser("measure", help="the figures of trained translation runs on their test split")
    m.add_argument("runs", nargs="+")
    m.add_argument("--n", type=int, default=None, help="test images measured per domain (default all)")
    args = p.parse_args()
    torch.set_num_threads(1)
    (ablation if args.what == "ablation" else measure)(args)


if __name__ == "__main__":
    main()
