"""How long FID and KID take for 10k generated 28x28 images against 10k real ones, with the built-in digits
classifier as feature extractor (128-d features) on CPU.

    nice -n 10 .venv/bin/python benchmarks/fid_timing.py [--n 10000] [--repeats 3]

Times, best of --repeats: feature extraction of both sets, FID (torchmetrics, float64), KID (100 subsets of 1000),
and precision/recall (k = 3), each on features already extracted, then the whole `evaluate(fake, real, "fid,kid")`.
"""
from __future__ import annotations

import argparse
import platform
import time

import torch

from gankit.data import load_dataset
from gankit.metrics import evaluate, load_extractor
from gankit.metrics.distances import frechet_distance, kernel_distance
from gankit.metrics.precision_recall import precision_recall


def best_of(repeats: int, fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    digits = load_dataset("digits")
    generator = torch.Generator().manual_seed(0)
    pick = lambda: torch.randint(len(digits), (args.n,), generator=generator)  # noqa: E731
    # 10k of each: digits drawn with replacement, each set with its own faint noise so no two images are equal.
    real = (digits.batch(pick())[0] + 0.05 * torch.randn(args.n, 1, 28, 28, generator=generator)).clamp(-1, 1)
    fake = (digits.batch(pick())[0] + 0.05 * torch.randn(args.n, 1, 28, 28, generator=generator)).clamp(-1, 1)
    extractor = load_extractor("digits")
    t_extract, (f_real, f_fake) = best_of(args.repeats, lambda: (extractor(real)[0], extractor(fake)[0]))
    t_fid, fid = best_of(args.repeats, lambda: frechet_distance(f_real, f_fake))
    t_kid, kid = best_of(args.repeats, lambda: kernel_distance(f_real, f_fake))
    t_pr, pr = best_of(args.repeats, lambda: precision_recall(f_real, f_fake))
    t_all, _ = best_of(args.repeats, lambda: evaluate(fake, real, "fid,kid", extractor))
    print(f"{args.n} vs {args.n} images 1x28x28, digits classifier ({extractor.num_features}-d), "
          f"{torch.get_num_threads()} threads, {platform.machine()} CPU, torch {torch.__version__}, "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"  feature extraction, both sets   {t_extract:7.2f} s")
    print(f"  FID on features                 {t_fid:7.2f} s   (FID {fid:.4f})")
    print(f"  KID on features, 100 x 1000     {t_kid:7.2f} s   (KID {kid[0]:.5f})")
    print(f"  precision/recall on features    {t_pr:7.2f} s   (P {pr[0]:.3f}, R {pr[1]:.3f})")
    print(f"  evaluate(fake, real, 'fid,kid') {t_all:7.2f} s   (extraction included)")


if __name__ == "__main__":
    main()
