"""Video inpainting: per-frame Yeh et al. against "fast" (codes reused from frame to frame, groups, consistency term):
the iterations and seconds "fast" needs to reach the per-frame baseline's final mean hole PSNR, and how much each
method's fill flickers.

    nice -n 10 .venv/bin/python benchmarks/inpainting_video.py --run runs/bench-digits [--sequences 5]
        [--frames 16] [--source heldout|samples] [--holes center moving] [--iters 500] [--restarts 4]
        [--json results/inpainting-video.json] [--gif docs/images/inpainting/video/moving-hole.gif]

Trains nothing. Sequences: --sequences held-out digits (benchmarks/inpainting.py's held_out, evenly spaced over the
classes), or with --source samples digits the run's G made; sequence i is moved by
gankit.data.sequences.moving_image with seed i, for each hole kind. --source codes: G along a straight path between
two random codes (on the sphere), so that every frame has an exact code. "per-frame" runs --iters steps with --restarts
starts on each frame. "fast" is run on a grid of budgets (frame 0's steps x steps per later frame); the speed-up is
per-frame's total iterations over the smallest total of a "fast" budget whose mean hole PSNR over all frames of all
sequences (of that hole kind) is at least per-frame's (on a miss, the budget with the highest PSNR is shown).
Consistency: the mean absolute frame-to-frame change in the hole (gankit.inpainting.video.temporal_change), against
the same on the true frames. The --gif shows the last sequence: masked | fast | per-frame | truth.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from datetime import datetime, timezone
from pathlib import Path

import torch

import gankit
from gankit.data.sequences import HOLES, Sequence, holes, moving_image
from gankit.inpainting.video import CONSISTENCY, inpaint_video, temporal_change
from gankit.latent.inversion import project_to_sphere

sys.path.insert(0, str(Path(__file__).parent))
from inpainting import held_out

FIRST = (10, 25, 50, 100, 200, 500)   # "fast": steps on frame 0
NEXT = (0, 2, 5, 10, 20)              # "fast": steps on each later frame
PRIOR_NEXT = (0, 1, 2, 5, 10, 20)     # "prior": refinement steps per frame after the video prior's prediction


def evaluate(run, sequences, method, settings) -> dict:
    psnr, seconds, iterations, change = [], 0.0, 0, []
    for s in sequences:
        r = inpaint_video(run, s.frames, s.masks, method=method, originals=s.frames, **settings)
        psnr += r.hole_psnr.tolist()
        seconds += r.seconds
        iterations += r.total_iterations
        change.append(temporal_change(r.filled, s.masks))
    return {"method": method, **{k: v for k, v in settings.items() if k != "progress"},
            "mean_psnr_hole": statistics.mean(psnr), "iterations": iterations, "seconds": seconds,
            "temporal_change": statistics.mean(change), "last": r}


def along_a_path(run, frames: int, seed: int, hole: str) -> Sequence:
    """G(z) for z on the straight path between two random codes: a sequence the generator can make exactly."""
    a, b = project_to_sphere(torch.randn(2, run.recipe.z_dim, generator=torch.Generator().manual_seed(seed)))
    t = torch.linspace(0, 1, frames)[:, None]
    with torch.no_grad():
        images = run.G.eval()(project_to_sphere((1 - t) * a + t * b)).float().cpu()
    return Sequence(images, holes(hole, frames, images.shape[-1], seed), torch.zeros(frames, 4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True)
    parser.add_argument("--sequences", type=int, default=5)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--source", choices=("heldout", "samples", "codes"), default="heldout",
                        help="the moving images: held-out real digits moved, samples of the run's G moved, or G "
                             "along a straight path between two codes (every frame has an exact code)")
    parser.add_argument("--holes", nargs="+", default=list(HOLES), choices=HOLES)
    parser.add_argument("--iters", type=int, default=500, help="per-frame: steps per frame")
    parser.add_argument("--restarts", type=int, default=4, help="per-frame, and fast's frame 0")
    parser.add_argument("--group", type=int, default=4)
    parser.add_argument("--consistency", type=float, default=CONSISTENCY)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", help="save the figures here")
    parser.add_argument("--methods", nargs="+", default=["fast"], choices=("fast", "prior"),
                        help="against per-frame: fast (a grid of budgets) and/or prior (the run's video prior, "
                             "`gankit prior RUN --video`, with 0-20 refinement steps per frame)")
    parser.add_argument("--gif", help="also write a GIF (masked | fast or prior | per-frame | truth) of the last "
                                      "sequence")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    run = gankit.load(args.run, device="cpu")
    if args.source == "heldout":
        x = held_out(run)
        x = x[torch.linspace(0, len(x) - 1, args.sequences).long()]
    elif args.source == "samples":  # digits G made, then moved: near the generator's range, but not on it
        x = run.sample(args.sequences, seed=0).float().cpu()
    common = {"restarts": args.restarts, "seed": 0, "progress": False}
    warm = run.sample(2, seed=0).float().cpu()
    inpaint_video(run, warm, holes("center", 2, warm.shape[-1]), method="per-frame", iters=2)  # warm-up, untimed
    table, prior_table = [], []
    for hole in args.holes:
        if args.source == "codes":
            sequences = [along_a_path(run, args.frames, i, hole) for i in range(args.sequences)]
        else:
            sequences = [moving_image(x[i], args.frames, seed=i, hole=hole) for i in range(len(x))]
        truth = statistics.mean(temporal_change(s.frames, s.masks) for s in sequences)
        base = evaluate(run, sequences, "per-frame", {"iters": args.iters, **common})
        print(f"{hole}: per-frame {base['mean_psnr_hole']:.2f} dB, {base['iterations']} iters, "
              f"{base['seconds']:.1f} s", flush=True)
        grid = []
        for first in FIRST if "fast" in args.methods else ():
            for following in NEXT:
                r = evaluate(run, sequences, "fast", {"iters": args.iters, "first_iters": first,
                                                      "iters_next": following, "group": args.group,
                                                      "consistency": args.consistency, **common})
                grid.append(r)
                print(f"  fast {first:>3} + {following:>2}/frame: {r['mean_psnr_hole']:.2f} dB, {r['iterations']} "
                      f"iters, {r['seconds']:.1f} s, change {r['temporal_change']:.4f}", flush=True)
        prior_grid = []
        for following in PRIOR_NEXT if "prior" in args.methods else ():
            r = evaluate(run, sequences, "prior", {"iters_next": following, "group": args.group,
                                                   "consistency": args.consistency, **common})
            prior_grid.append(r)
            print(f"  prior + {following:>2}/frame: {r['mean_psnr_hole']:.2f} dB, {r['iterations']} iters, "
                  f"{r['seconds']:.1f} s, change {r['temporal_change']:.4f}", flush=True)
        if prior_grid:
            hit = [r for r in prior_grid if r["mean_psnr_hole"] >= base["mean_psnr_hole"]]
            pick = min(hit, key=lambda r: r["iterations"]) if hit else max(prior_grid,
                                                                             key=lambda r: r["mean_psnr_hole"])
            prior_table.append({"hole": hole, "truth_change": truth, "per_frame": base, "prior": pick,
                                "reached": bool(hit), "grid": prior_grid})
            print(f"{hole}: prior {'reaches' if hit else 'misses'} per-frame's {base['mean_psnr_hole']:.2f} dB: "
                  f"{pick['iterations']} iters ({base['iterations'] / pick['iterations']:.0f}x fewer), "
                  f"{pick['seconds']:.1f} s ({base['seconds'] / pick['seconds']:.0f}x), "
                  f"{pick['mean_psnr_hole']:.2f} dB, change {pick['temporal_change']:.4f} (truth {truth:.4f}, "
                  f"per-frame {base['temporal_change']:.4f})", flush=True)
            if args.gif and hole == args.holes[-1] and "fast" not in args.methods:
                from gankit.latent.interpolation import save_gif

                s = sequences[-1]
                rows = [s.frames * s.masks, pick["last"].filled, base["last"].filled, s.frames]
                save_gif(torch.cat(rows, dim=-1), args.gif, scale=4, duration_ms=120, bounce=False)
        if not grid:
            continue
        reached = [r for r in grid if r["mean_psnr_hole"] >= base["mean_psnr_hole"]]
        # the cheapest budget that reaches per-frame's PSNR; on a miss, the budget with the highest PSNR
        best = min(reached, key=lambda r: r["iterations"]) if reached else max(grid, key=lambda r: r["mean_psnr_hole"])
        # the same budget without the consistency term, for its effect on flicker
        unconstrained = evaluate(run, sequences, "fast", {**{k: best[k] for k in ("iters", "first_iters", "iters_next",
                                 "group")}, "consistency": 0.0, **common})
        table.append({"hole": hole, "truth_change": truth, "per_frame": base, "fast": best, "fast_mu0": unconstrained,
                      "reached": bool(reached), "grid": grid})
        if args.gif and hole == args.holes[-1]:
            from gankit.latent.interpolation import save_gif

            s = sequences[-1]
            rows = [s.frames * s.masks, best["last"].filled, base["last"].filled, s.frames]
            save_gif(torch.cat(rows, dim=-1), args.gif, scale=4, duration_ms=120, bounce=False)

    print(f"\n{args.sequences} sequences ({args.source}) x {args.frames} frames per hole kind, per-frame "
          f"{args.iters} iters x {args.restarts} restarts; fast: groups of {args.group}, "
          f"consistency {args.consistency}; "
          f"PSNR in the hole, dB; change: mean |frame t+1 - frame t| in the hole, [0, 1]\n")
    print("| hole | method | budget (frame 0 + per later frame) | total iters | seconds | mean hole PSNR | change "
          "(truth) |")
    print("|---|---|---|---|---|---|---|")
    for line in table:
        b, f, f0 = line["per_frame"], line["fast"], line["fast_mu0"]
        print(f"| {line['hole']} | per-frame | {args.iters} x {args.restarts} restarts, every frame | "
              f"{b['iterations']} | {b['seconds']:.1f} | {b['mean_psnr_hole']:.2f} | {b['temporal_change']:.4f} "
              f"({line['truth_change']:.4f}) |")
        for name, r in (("fast" if line["reached"] else "fast (best of the grid: a miss)", f), ("fast, μ = 0", f0)):
            print(f"| {line['hole']} | {name} | {r['first_iters']} + {r['iters_next']} | {r['iterations']} | "
                  f"{r['seconds']:.1f} | {r['mean_psnr_hole']:.2f} | {r['temporal_change']:.4f} "
                  f"({line['truth_change']:.4f}) |")
        if line["reached"]:
            print(f"{line['hole']}: speed-up at equal mean hole PSNR: {b['iterations'] / f['iterations']:.1f}x in "
                  f"iterations, {b['seconds'] / f['seconds']:.1f}x in seconds")
        else:
            print(f"{line['hole']}: no budget of the grid reached per-frame's mean hole PSNR: no speed-up measured")
    if args.json:
        def plain(r):
            return None if r is None else {k: v for k, v in r.items() if k != "last"}
        with open(args.json, "w") as out:
            json.dump({"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       "machine": platform.processor() or platform.machine(), "threads": args.threads,
                       "args": vars(args),
                       "video_prior": None if run.video_prior is None else {"step": run.video_prior.step,
                                                                            **run.video_prior.meta},
                       "prior": [{"hole": t["hole"], "truth_change": t["truth_change"], "reached": t["reached"],
                                  "per_frame": plain(t["per_frame"]), "prior": plain(t["prior"]),
                                  "grid": [plain(r) for r in t["grid"]]} for t in prior_table],
                       "results": [{"hole": t["hole"], "truth_change": t["truth_change"],
                                                        "reached": t["reached"],
                                                        "per_frame": plain(t["per_frame"]), "fast": plain(t["fast"]),
                                                        "fast_mu0": plain(t["fast_mu0"]),
                                                        "grid": [plain(r) for r in t["grid"]]} for t in table]},
                      out, indent=1)


if __name__ == "__main__":
    main()
