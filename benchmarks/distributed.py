"""Scale-out figures on this machine: (1) training on 1 against 2 processes (`gankit train --nproc N`), (2) a folder
streamed from disk against the same folder in memory: time to the first batch, images/s of the data path, peak RSS.

(1) trains the digits-dcgan preset (width and steps below) with the same global batch on N processes; the images/s
are gankit's own summary (global batch x steps / seconds, start-up excluded). (2) generates a folder of random
64x64 JPEGs once (--folder, default /tmp/gankit-bench-folder), then reads `--batches` batches of 64 in the trainer's
order through each path, each in a fresh process so its peak RSS (ru_maxrss) is its own. The in-memory path decodes
the whole folder before its first batch; the streamed path decodes each batch in DataLoader workers.

    python benchmarks/distributed.py [--images 50000] [--batches 300] [--steps 100] [--width 32] [--skip-train]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_folder(folder: Path, images: int, size: int = 64) -> None:
    """Random smooth colour images (a 4x4 colour field upscaled, plus noise), as JPEGs: photo-like to decode."""
    import numpy as np
    from PIL import Image

    done = folder / ".complete"
    if done.is_file() and int(done.read_text()) == images:
        return
    rng = np.random.default_rng(0)
    for i in range(images):
        path = folder / f"{i // 1000:03d}" / f"{i:06d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        field = Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)).resize((size, size),
                                                                                         Image.Resampling.BICUBIC)
        noisy = np.clip(np.asarray(field, np.int16) + rng.integers(-12, 13, (size, size, 3)), 0, 255)
        Image.fromarray(noisy.astype(np.uint8)).save(path, quality=90)
    done.write_text(str(images))


def measure_data(folder: str, budget: float, batches: int, batch_size: int) -> dict:
    """In this process: load the folder as the trainer does, then take `batches` batches in a (seed, epoch) order."""
    import torch

    from gankit.data import load_dataset

    torch.set_num_threads(1)
    start = time.perf_counter()
    data = load_dataset("folder", root=folder, image_size=64, channels=3, memory_budget=budget)
    gen = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(data), generator=gen)
    order = (perm[(i * batch_size) % (len(perm) - batch_size):][:batch_size] for i in range(batches))
    if hasattr(data, "stream"):
        it = data.stream(order, torch.device("cpu"))
    else:
        it = (data.batch(index) for index in order)
    next(it)
    first = time.perf_counter() - start
    t0 = time.perf_counter()
    n = sum(len(x) for x, _ in it)
    rate = n / (time.perf_counter() - t0)
    # ru_maxrss is in KiB on Linux; the DataLoader workers are separate processes, counted below.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    return {"path": "streamed" if hasattr(data, "stream") else "in memory", "images": len(data),
            "first_batch_s": round(first, 1), "images_per_s": round(rate), "peak_rss_gib": round(rss, 2),
            "largest_worker_rss_gib": round(workers, 2)}


def measure_training(processes: int, steps: int, width: int, out: Path) -> dict:
    cmd = [sys.executable, "-m", "gankit", "train", "--nproc", str(processes), "--preset", "digits-dcgan", "--json",
           "--quiet", "--out", str(out), "--device", "cpu", "--set", f"train.steps={steps}",
           "--set", f"model.width={width}", "--set", "train.threads=1", "--set", "train.grid_size=16"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode:
        raise SystemExit(result.stderr)
    summary = json.loads(result.stdout)
    return {"processes": processes, "images_per_s": round(summary["images_per_s"]),
            "train_s": round(summary["seconds"], 1), "wall_s_with_start_up": round(time.perf_counter() - start, 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=50_000)
    p.add_argument("--batches", type=int, default=300)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--folder", default="/tmp/gankit-bench-folder")
    p.add_argument("--skip-train", action="store_true")
    p.add_argument("--measure", choices=["memory", "stream"], help=argparse.SUPPRESS)  # one path, in a child
    args = p.parse_args()
    if args.measure:
        budget = 0.0 if args.measure == "stream" else 1e9
        print(json.dumps(measure_data(args.folder, budget, args.batches, 64)))
        return

    if not args.skip_train:
        print(f"training digits-dcgan (width {args.width}, {args.steps} steps, global batch 64) on 1 and 2 processes")
        print(f"{'processes':>9} {'images/s':>9} {'train s':>8} {'wall s':>7}")
        with tempfile.TemporaryDirectory() as tmp:
            for n in (1, 2):
                r = measure_training(n, args.steps, args.width, Path(tmp) / f"run{n}")
                print(f"{r['processes']:>9} {r['images_per_s']:>9} {r['train_s']:>8} {r['wall_s_with_start_up']:>7}")

    folder = Path(args.folder)
    start = time.perf_counter()
    make_folder(folder, args.images)
    print(f"\nfolder {folder}: {args.images} JPEGs of 64x64 ({time.perf_counter() - start:.0f} s to make or find); "
          f"{args.batches} batches of 64 through each path")
    print(f"{'path':>10} {'first batch s':>14} {'images/s':>9} {'peak RSS GiB':>13} {'worker RSS GiB':>15}")
    for path in ("memory", "stream"):
        result = subprocess.run([sys.executable, __file__, "--measure", path, "--folder", str(folder),
                                 "--batches", str(args.batches)], capture_output=True, text=True)
        if result.returncode:
            raise SystemExit(result.stderr)
        r = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"{r['path']:>10} {r['first_batch_s']:>14} {r['images_per_s']:>9} {r['peak_rss_gib']:>13} "
              f"{r['largest_worker_rss_gib']:>15}")


if __name__ == "__main__":
    main()
