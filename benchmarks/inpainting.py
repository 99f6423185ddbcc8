"""Semantic inpainting, Yeh et al. (2017) against the faster variant (Lahiri et al.: structural loss, best-of-N starts):
iterations and wall time each needs to reach the hole PSNR that "yeh" reaches with its full budget.

    .venv/bin/gankit train --out runs/bench-digits --quiet --set data.n=4000     # once: leaves 1000 digits unseen
    nice -n 10 .venv/bin/python benchmarks/inpainting.py --run runs/bench-digits [--images 50] [--seeds 0]
        [--masks center random half pattern] [--iters 500] [--restarts 4] [--json results/inpainting.json]

    .venv/bin/gankit train --out runs/bench-fashion --quiet --set data.name=fashion-mnist --set data.n=20000 --set train.epochs=8
    nice -n 10 .venv/bin/python benchmarks/inpainting.py --run runs/bench-fashion ...

Trains nothing. Held-out images: for digits, the embedded digits that are not in the run's class-balanced seeded
subset (data.n), found by comparing pixels; for Fashion-MNIST, its official test split. --images of them, evenly
spaced (the digits file is sorted by class), are inpainted.
PSNR is over the hole's pixels only, intensities in [0, 1], of the start with the lowest objective at each iteration.
(A) the iterations until the mean PSNR over the images reaches yeh's final mean, one value per mask and seed;
(B) per image, the first iteration where its PSNR >= yeh's final PSNR for that image, mask and seed. A miss within
the same budget counts as the full budget. docs/inpainting.md has the results.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
from datetime import datetime, timezone

import torch

import gankit
from gankit.data import load_dataset
from gankit.inpainting import inpaint, masks
from gankit.training.trainer import load_data


def held_out(run) -> torch.Tensor:
    """Images the run never saw. Fashion-MNIST: its official test split. Digits: the full embedded set minus the
    run's training subset (rebuilt as the trainer does)."""
    if run.config.data.name == "fashion-mnist":
        return load_dataset("fashion-mnist", root=run.config.data.root, split="test").batch(torch.arange(10000))[0]
    if run.config.data.name != "digits" or run.config.data.n is None:
        raise SystemExit("this benchmark needs a digits run trained on a subset (--set data.n=4000) or a "
                         "fashion-mnist run")
    full, seen = load_dataset("digits"), load_data(run.config)
    seen_bytes = {image.numpy().tobytes() for image in seen.x}
    keep = [i for i in range(len(full.x)) if full.x[i].numpy().tobytes() not in seen_bytes]
    return full.batch(torch.tensor(keep))[0]


def first_reach(curve: torch.Tensor, target: torch.Tensor) -> list[int | None]:
    """Per image (column), the first iteration whose PSNR is at least the target, or None."""
    reached = curve >= target
    return [int(reached[:, i].nonzero()[0]) if reached[:, i].any() else None for i in range(curve.shape[1])]


def mean_std(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.mean(values):.1f} ± {statistics.stdev(values) if len(values) > 1 else 0:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--masks", nargs="+", default=list(masks.KINDS), choices=masks.KINDS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--iters", type=int, default=500, help="yeh's full budget, and fast's")
    parser.add_argument("--restarts", type=int, default=4)
    parser.add_argument("--lr", type=float, default=0.03, help="Adam's step size on z, both methods")
    parser.add_argument("--candidates", type=int, default=16, help="fast: codes drawn per restart (best-of-N)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", help="save the figures here")
    parser.add_argument("--save-images", metavar="DIR", help="only write the --images held-out digits as PNG "
                        "files into DIR (inputs for `gankit inpaint`), then stop")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    run = gankit.load(args.run, device=args.device)
    x = held_out(run)
    x = x[torch.linspace(0, len(x) - 1, min(args.images, len(x))).long()]  # evenly spaced: the file is sorted by class
    if args.save_images:
        from pathlib import Path

        from gankit.images import save_png, to_uint8

        Path(args.save_images).mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(to_uint8(x)):
            save_png(image.transpose(1, 2, 0), Path(args.save_images) / f"heldout-{i}.png")
        return
    inpaint(run, x[:1], masks.center(run.data_shape[-1]), iters=2, progress=False)  # warm-up, left out of the timings
    rows, groups = [], []
    for kind in args.masks:
        for seed in args.seeds:
            m = masks.make(kind, run.data_shape[-1], seed=seed)
            settings = {"iters": args.iters, "restarts": args.restarts, "seed": seed, "lr": args.lr,
                        "candidates": args.candidates, "originals": x, "progress": False}
            results = {method: inpaint(run, x, m, method=method, **settings) for method in ("yeh", "fast")}
            target = results["yeh"].psnr_hole[-1]
            for method, r in results.items():  # the mean over images, against yeh's final mean
                mean_curve = r.psnr_hole.mean(dim=1, keepdim=True)
                t = first_reach(mean_curve, target.mean())[0]
                groups.append({"mask": kind, "seed": seed, "method": method, "iters_to_reach_mean": t,
                               "seconds_to_reach_mean": None if t is None else r.seconds_start + t * r.seconds_per_iter,
                               "final_mean_psnr_hole": mean_curve[-1, 0].item(),
                               "seconds_per_iter": r.seconds_per_iter, "seconds_start": r.seconds_start})
            for method, r in results.items():
                reach = first_reach(r.psnr_hole, target)
                for i, t in enumerate(reach):
                    rows.append({"mask": kind, "seed": seed, "method": method, "image": i, "iters_to_reach": t,
                                 "seconds_to_reach": None if t is None else r.seconds_start + t * r.seconds_per_iter,
                                 "final_psnr_hole": r.psnr_hole[-1, i].item(), "target_psnr_hole": target[i].item(),
                                 "ssim": r.ssim[i].item()})
            print(f"{kind} seed {seed}: yeh {target.mean():.2f} dB, fast {results['fast'].psnr_hole[-1].mean():.2f} "
                  f"dB in the hole at {args.iters} iters", flush=True)

    print(f"\n{len(x)} held-out {run.config.data.name} images x {len(args.masks)} masks x {len(args.seeds)} "
          f"seed(s), "
          f"{args.restarts} restarts, budget {args.iters} iters; PSNR in the hole, dB\n")
    print("A: iterations until the MEAN hole PSNR over the images reaches yeh's final mean "
          "(one value per mask and seed)")
    print("B: per image, iterations until its hole PSNR reaches yeh's final PSNR on that image; a miss counts as the "
          "full budget (so B is a lower bound for a method that misses)\n")
    print("| mask | method | A: iters | A: seconds | B: reached | B: iters | final hole PSNR | SSIM |")
    print("|---|---|---|---|---|---|---|---|")
    summary = []
    for kind in [*args.masks, "all"]:
        for method in ("yeh", "fast"):
            sel = [r for r in rows if r["method"] == method and kind in (r["mask"], "all")]
            grp = [g for g in groups if g["method"] == method and kind in (g["mask"], "all")]
            a_iters = [args.iters if g["iters_to_reach_mean"] is None else g["iters_to_reach_mean"] for g in grp]
            a_secs = [g["seconds_to_reach_mean"] for g in grp if g["seconds_to_reach_mean"] is not None]
            b_iters = [args.iters if r["iters_to_reach"] is None else r["iters_to_reach"] for r in sel]
            line = {"mask": kind, "method": method, "a_iters": a_iters, "a_seconds": a_secs,
                    "a_reached": sum(g["iters_to_reach_mean"] is not None for g in grp), "a_of": len(grp),
                    "b_reached": sum(r["iters_to_reach"] is not None for r in sel), "b_of": len(sel),
                    "b_iters": b_iters, "psnr": [r["final_psnr_hole"] for r in sel], "ssim": [r["ssim"] for r in sel]}
            summary.append(line)
            print(f"| {kind} | {method} | {mean_std(a_iters)} ({line['a_reached']}/{line['a_of']}) | "
                  f"{mean_std(a_secs)} | {line['b_reached']}/{line['b_of']} | {mean_std(b_iters)} | "
                  f"{mean_std(line['psnr'])} | {statistics.mean(line['ssim']):.3f} |")
    total = {m: next(s for s in summary if s["mask"] == "all" and s["method"] == m) for m in ("yeh", "fast")}
    for key, name in (("a_iters", "A"), ("b_iters", "B")):
        ratio = statistics.mean(total["yeh"][key]) / max(statistics.mean(total["fast"][key]), 1e-9)
        print(f"{name}: mean iterations yeh / fast = {ratio:.2f}x")
    per_iter = {m: statistics.mean(g["seconds_per_iter"] for g in groups if g["method"] == m) for m in ("yeh", "fast")}
    print(f"seconds per iteration (all {len(x) * args.restarts} starts): yeh {per_iter['yeh']:.4f}, "
          f"fast {per_iter['fast']:.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": platform.processor()
                       or platform.machine(), "threads": args.threads, "device": args.device, "args": vars(args),
                       "rows": rows, "groups": groups, "summary": summary}, f, indent=1)


if __name__ == "__main__":
    main()
