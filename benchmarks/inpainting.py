"""Semantic inpainting, Yeh et al. (2017) against the faster variants (Lahiri et al.: structural loss and best-of-N
starts, "fast"; the learned prior, "prior"): iterations and wall time each needs to reach the hole PSNR that "yeh"
reaches with its full budget.

    .venv/bin/gankit train --out runs/bench-digits --quiet --set data.n=4000     # once: leaves 1000 digits unseen
    nice -n 10 .venv/bin/python benchmarks/inpainting.py --run runs/bench-digits [--images 50] [--seeds 0]
        [--masks center random half pattern] [--iters 500] [--restarts 4] [--json results/inpainting.json]

    .venv/bin/gankit train --out runs/bench-fashion --quiet --set data.name=fashion-mnist --set data.n=20000 --set train.epochs=8
    nice -n 10 .venv/bin/python benchmarks/inpainting.py --run runs/bench-fashion ...

    .venv/bin/gankit prior runs/bench-digits       # the learned prior, then against yeh at 1000 iterations:
    .venv/bin/python benchmarks/inpainting.py --run runs/bench-digits --methods yeh prior --iters 1000 \
        --prior-iters 250 --images 30 --seeds 0 1 2 --json ...     # (--pictures DIR: the PNGs of the doc)

Trains nothing. Held-out images: for digits, the embedded digits that are not in the run's class-balanced seeded
subset (data.n), found by comparing pixels; for Fashion-MNIST, its official test split. --images of them, evenly
spaced (the digits file is sorted by class), are inpainted.
PSNR is over the hole's pixels only, intensities in [0, 1], of the start with the lowest objective at each iteration.
(A) the iterations until the mean PSNR over the images reaches yeh's final mean, one value per mask and seed;
(B) per image, the first iteration where its PSNR >= yeh's final PSNR for that image, mask and seed. A miss within
the same budget counts as the full budget. With "prior" its forward pass counts as one iteration, and yeh is also
run for as many steps as fit in the prior's wall-clock (equal wall-clock). docs/inpainting.md has the results.
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


def budget(args, method: str) -> int:
    return args.prior_iters if method == "prior" else args.iters


def cost_in_iterations(r, method: str, t: int | None) -> float | None:
    """Iterations spent to reach a target after t Adam steps: the prior's forward pass counts as one iteration
    (its measured cost, a fraction of one, is reported beside)."""
    if t is None:
        return None
    return t + 1 if method == "prior" else t


def save_pictures(run, x, kind, m, results, folder) -> None:
    """Per mask, one PNG: a row per image of masked (hole gray) | prior, no step | prior | yeh | original."""
    from pathlib import Path

    from gankit.images import enlarge, grid, save_png

    prediction = inpaint(run, x, m, method="prior", iters=0, progress=False).filled
    rows = [torch.stack([x[i] * m, prediction[i], results["prior"].filled[i], results["yeh"].filled[i], x[i]])
            for i in range(len(x))]
    Path(folder).mkdir(parents=True, exist_ok=True)
    save_png(grid(enlarge(torch.cat(rows), 3), nrow=5), Path(folder) / f"{kind}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--masks", nargs="+", default=list(masks.KINDS), choices=masks.KINDS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--methods", nargs="+", default=["yeh", "fast"], choices=("yeh", "fast", "prior"),
                        help="yeh always runs first: its final PSNR is the target")
    parser.add_argument("--iters", type=int, default=500, help="yeh's full budget, and fast's")
    parser.add_argument("--prior-iters", type=int, default=200, help="prior's budget of Adam steps after E's guess")
    parser.add_argument("--restarts", type=int, default=4)
    parser.add_argument("--lr", type=float, default=0.03, help="Adam's step size on z, both methods")
    parser.add_argument("--candidates", type=int, default=16, help="fast: codes drawn per restart (best-of-N)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", help="save the figures here")
    parser.add_argument("--pictures", metavar="DIR", help="with prior: only inpaint 3 of the --images held-out "
                        "images (the first, middle and last) with the first seed and write one PNG per mask into "
                        "DIR (masked | prior, no step | prior | yeh | original), then stop")
    parser.add_argument("--save-images", metavar="DIR", help="only write the --images held-out digits as PNG "
                        "files into DIR (inputs for `gankit inpaint`), then stop")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    methods = ["yeh", *[m for m in args.methods if m != "yeh"]]
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
    if args.pictures:
        shown = x[torch.linspace(0, len(x) - 1, 3).long()]
        for kind in args.masks:
            m = masks.make(kind, run.data_shape[-1], seed=args.seeds[0])
            settings = {"restarts": args.restarts, "seed": args.seeds[0], "lr": args.lr, "progress": False}
            results = {method: inpaint(run, shown, m, method=method, iters=budget(args, method), **settings)
                       for method in ("yeh", "prior")}
            save_pictures(run, shown, kind, m, results, args.pictures)
        return
    inpaint(run, x[:1], masks.center(run.data_shape[-1]), iters=2, progress=False)  # warm-up, left out of the timings
    rows, groups, equal_time = [], [], []
    for kind in args.masks:
        for seed in args.seeds:
            m = masks.make(kind, run.data_shape[-1], seed=seed)
            settings = {"restarts": args.restarts, "seed": seed, "lr": args.lr, "candidates": args.candidates,
                        "originals": x, "progress": False}
            results = {method: inpaint(run, x, m, method=method, iters=budget(args, method), **settings)
                       for method in methods}
            target = results["yeh"].psnr_hole[-1]
            for method, r in results.items():  # the mean over images, against yeh's final mean
                mean_curve = r.psnr_hole.mean(dim=1, keepdim=True)
                t = first_reach(mean_curve, target.mean())[0]
                groups.append({"mask": kind, "seed": seed, "method": method, "iters_to_reach_mean": t,
                               "cost_to_reach_mean": cost_in_iterations(r, method, t),
                               "seconds_to_reach_mean": None if t is None else r.seconds_start + t * r.seconds_per_iter,
                               "final_mean_psnr_hole": mean_curve[-1, 0].item(),
                               "seconds_per_iter": r.seconds_per_iter, "seconds_start": r.seconds_start})
            for method, r in results.items():
                reach = first_reach(r.psnr_hole, target)
                for i, t in enumerate(reach):
                    rows.append({"mask": kind, "seed": seed, "method": method, "image": i, "iters_to_reach": t,
                                 "cost_to_reach": cost_in_iterations(r, method, t),
                                 "seconds_to_reach": None if t is None else r.seconds_start + t * r.seconds_per_iter,
                                 "final_psnr_hole": r.psnr_hole[-1, i].item(), "target_psnr_hole": target[i].item(),
                                 "ssim": r.ssim[i].item()})
            if "prior" in results:  # yeh given the prior's wall-clock: the same search, stopped at that many steps
                p, y = results["prior"], results["yeh"]
                seconds = p.seconds_start + args.prior_iters * p.seconds_per_iter
                k = min(args.iters, int(seconds / y.seconds_per_iter))
                short = inpaint(run, x, m, method="yeh", iters=k, **settings)
                equal_time.append({"mask": kind, "seed": seed, "seconds": seconds, "yeh_iters": k,
                                   "prior_psnr": p.psnr_hole[-1].mean().item(), "prior_ssim": p.ssim.mean().item(),
                                   "yeh_psnr": short.psnr_hole[-1].mean().item(), "yeh_ssim": short.ssim.mean().item(),
                                   "yeh_full_psnr": y.psnr_hole[-1].mean().item(),
                                   "yeh_full_ssim": y.ssim.mean().item(),
                                   "prior_forward_in_iters": p.seconds_start / y.seconds_per_iter})
            print(f"{kind} seed {seed}: " + ", ".join(f"{method} {r.psnr_hole[-1].mean():.2f} dB at "
                  f"{budget(args, method)} iters" for method, r in results.items()) + " (hole)", flush=True)

    print(f"\n{len(x)} held-out {run.config.data.name} images x {len(args.masks)} masks x {len(args.seeds)} "
          f"seed(s), {args.restarts} restarts, budget {args.iters} iters"
          f"{f' (prior {args.prior_iters})' if 'prior' in methods else ''}; PSNR in the hole, dB\n")
    print("A: iterations until the MEAN hole PSNR over the images reaches yeh's final mean "
          "(one value per mask and seed; prior: its forward pass counts as one)")
    print("B: per image, iterations until its hole PSNR reaches yeh's final PSNR on that image; a miss counts as the "
          "full budget (so B is a lower bound for a method that misses)\n")
    print("| mask | method | A: iters | A: seconds | B: reached | B: iters | final hole PSNR | SSIM |")
    print("|---|---|---|---|---|---|---|---|")
    summary = []
    for kind in [*args.masks, "all"]:
        for method in methods:
            full = budget(args, method) + (method == "prior")
            sel = [r for r in rows if r["method"] == method and kind in (r["mask"], "all")]
            grp = [g for g in groups if g["method"] == method and kind in (g["mask"], "all")]
            a_iters = [full if g["cost_to_reach_mean"] is None else g["cost_to_reach_mean"] for g in grp]
            a_secs = [g["seconds_to_reach_mean"] for g in grp if g["seconds_to_reach_mean"] is not None]
            b_iters = [full if r["cost_to_reach"] is None else r["cost_to_reach"] for r in sel]
            line = {"mask": kind, "method": method, "a_iters": a_iters, "a_seconds": a_secs,
                    "a_reached": sum(g["iters_to_reach_mean"] is not None for g in grp), "a_of": len(grp),
                    "b_reached": sum(r["iters_to_reach"] is not None for r in sel), "b_of": len(sel),
                    "b_iters": b_iters, "psnr": [r["final_psnr_hole"] for r in sel], "ssim": [r["ssim"] for r in sel]}
            summary.append(line)
            print(f"| {kind} | {method} | {mean_std(a_iters)} ({line['a_reached']}/{line['a_of']}) | "
                  f"{mean_std(a_secs)} | {line['b_reached']}/{line['b_of']} | {mean_std(b_iters)} | "
                  f"{mean_std(line['psnr'])} | {statistics.mean(line['ssim']):.3f} |")
    total = {m: next(s for s in summary if s["mask"] == "all" and s["method"] == m) for m in methods}
    for other in methods[1:]:
        for key, name in (("a_iters", "A"), ("b_iters", "B")):
            ratio = statistics.mean(total["yeh"][key]) / max(statistics.mean(total[other][key]), 1e-9)
            print(f"{name}: mean iterations yeh / {other} = {ratio:.2f}x"
                  + (f"; yeh's budget / {other} = {args.iters / statistics.mean(total[other][key]):.1f}x"
                     if other == "prior" else ""))
    per_iter = {m: statistics.mean(g["seconds_per_iter"] for g in groups if g["method"] == m) for m in methods}
    print(f"seconds per iteration (all {len(x) * args.restarts} starts): "
          + ", ".join(f"{m} {per_iter[m]:.4f}" for m in methods))
    if equal_time:
        print("\nequal wall-clock: yeh stopped after the seconds prior took (mean over images; dB in the hole)\n")
        print("| mask | seed | seconds | yeh iters | prior PSNR / SSIM | yeh PSNR / SSIM | yeh at full budget |")
        print("|---|---|---|---|---|---|---|")
        for e in equal_time:
            print(f"| {e['mask']} | {e['seed']} | {e['seconds']:.1f} | {e['yeh_iters']} | {e['prior_psnr']:.2f} / "
                  f"{e['prior_ssim']:.3f} | {e['yeh_psnr']:.2f} / {e['yeh_ssim']:.3f} | {e['yeh_full_psnr']:.2f} / "
                  f"{e['yeh_full_ssim']:.3f} |")
        forward = statistics.mean(e["prior_forward_in_iters"] for e in equal_time)
        print(f"the prior's forward pass costs {forward:.3f} of one yeh iteration; its training took "
              f"{run.prior.meta['seconds']:.0f} s ({run.prior.step} steps)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": platform.processor()
                       or platform.machine(), "threads": args.threads, "device": args.device, "args": vars(args),
                       "prior": None if run.prior is None else {"step": run.prior.step, **run.prior.meta},
                       "rows": rows, "groups": groups, "summary": summary, "equal_time": equal_time}, f, indent=1)


if __name__ == "__main__":
    main()
