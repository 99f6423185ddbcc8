"""Quality per minute (issue 14): which one change to the default DCGAN buys the best samples in the same wall-clock
budget on this machine.

Every variant is the data set's base preset (digits-dcgan, or fashion-mnist-dcgan) with one change (VARIANTS). Each is
trained for the same wall-clock budget with the threads the default uses (train.threads 0: torch's own), then measured
with the data set's shipped classifier (gankit.metrics.evaluate_run): FID, KID, precision/recall, class coverage and
the class-histogram KL, on --n samples against the training images. Mean +- std over the seeds, beside the
real-vs-real floor (two random halves of the training images).

The budget is turned into steps by a timing run, not enforced by a stopwatch: each variant first trains
--timing-steps steps (after 5 warm-up steps) in a throwaway folder, and the measured run then gets
floor(budget / seconds per step) steps. A known length keeps the run whole: the EMA warm-up, a learning-rate schedule
and the final checkpoint and grid all see the end coming, and every seed of a variant trains the same steps. The table
prints the measured run's own seconds beside the budget, so a run that went over (for instance because the machine got
busier after its timing run) shows it. Timing runs are not counted.

--curve VARIANTS also evaluates those variants during training (train.eval_every, 2000 samples, FID and KID against
the training images) and prints FID against training minutes (step x the timing run's seconds per step; the time the
evaluations themselves take is left out).

    # the ablation table of docs/quality.md: a quiet machine, nothing else running (about 2.5 hours for digits)
    .venv/bin/python benchmarks/quality_per_minute.py --minutes 5 --seeds 0,1,2 --curve default,diffaugment
    .venv/bin/python benchmarks/quality_per_minute.py --dataset fashion-mnist --minutes 10 --variants default
    # the real-vs-real floor alone, as JSON (seconds)
    .venv/bin/python benchmarks/quality_per_minute.py --dataset fashion-mnist --floor-only \
        --json benchmarks/results/floor-fashion-DATE-cpu.json
    # a smoke test that it runs end to end (its numbers mean nothing)
    nice -n 10 .venv/bin/python benchmarks/quality_per_minute.py --minutes 0.2 --seeds 0 --variants default,ada --n 1000
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

import record  # benchmarks/record.py

import gankit
from gankit.config import load_config
from gankit.data import load_dataset
from gankit.files import write_text
from gankit.metrics import evaluate, evaluate_run
from gankit.runlog import read_log
from gankit.training import Trainer

BASE = {"digits": "digits-dcgan", "fashion-mnist": "fashion-mnist-dcgan"}
DEFAULT_MINUTES = {"digits": 5.0, "fashion-mnist": 10.0}
# variant -> the one change, as config overrides on top of the base preset.
VARIANTS = {
    "default": [],
    "diffaugment": ["gan.augment=diffaugment"],                               # Zhao et al. 2020
    "ada": ["gan.augment=ada"],                                               # Karras et al. 2020
    "sn-hinge": ["model.d_norm=spectral", "train.loss=hinge", "gan.label_smoothing=0"],  # Miyato et al. 2018
    "ttur": ["train.lr_d=4e-4", "train.lr_g=1e-4"],                             # Heusel et al. 2017, SAGAN's rates
    "ema-0.99": ["gan.ema=0.99"],                                             # a shorter average for a short run
    "r1": ["gan.r1=0.2"],                                                     # Mescheder et al. 2018, on images
    "lr-decay": ["train.lr_decay=linear"],
    "width-64": ["model.width=64"],                                             # wider nets, fewer steps
    "batch-128": ["train.batch_size=128"],
    # the architecture: SNGAN's residual nets against sn-hinge's DCGAN with the same D normalisation and loss
    "resnet-sn-hinge": ["model.arch=sngan-resnet", "model.d_norm=spectral", "train.loss=hinge",
                        "gan.label_smoothing=0"],
    # combinations of the single changes that helped most on seed 0 (docs/quality.md)
    "r1-ema": ["gan.r1=0.2", "gan.ema=0.99"],
    "r1-ada-ema": ["gan.r1=0.2", "gan.augment=ada", "gan.ema=0.99"],
}
METRICS = ("fid", "kid", "pr", "coverage")
COLUMNS = [("fid", "FID", 2), ("kid", "KID", 3), ("precision", "precision", 3), ("recall", "recall", 3),
           ("classes", "classes", 1), ("class_kl", "class KL", 4)]
# Issue 14's goals for the default digits run.
GOALS = {"fid": ("<=", 10.0), "classes": (">=", 10), "class_kl": ("<=", 0.02), "precision": (">=", 0.7),
         "recall": (">=", 0.7)}
WARMUP_STEPS = 5


def config(dataset: str, variant: str, seed: int, threads: int | None, extra: list[str]):
    overrides = [*VARIANTS[variant], f"train.seed={seed}", "train.device=cpu", *extra]
    if threads is not None:
        overrides.append(f"train.threads={threads}")
    return load_config(BASE[dataset], overrides=overrides)


def seconds_per_step(dataset: str, variant: str, threads: int | None, timing_steps: int, folder: Path) -> float:
    """The variant's seconds per step, timed on `timing_steps` steps after WARMUP_STEPS, in a throwaway run."""
    cfg = config(dataset, variant, 0, threads, [f"train.steps={WARMUP_STEPS + timing_steps}"])
    trainer = Trainer(cfg, folder / f"timing-{variant}", progress=False)
    trainer.fit(until_step=WARMUP_STEPS)
    start = time.perf_counter()
    trainer.fit()
    return (time.perf_counter() - start) / timing_steps


def train_and_measure(dataset: str, variant: str, seed: int, steps: int, args, folder: Path, curve: bool) -> dict:
    extra = [f"train.steps={steps}", f"train.log_every={max(1, steps // 100)}"]
    if curve:
        extra += [f"train.eval_every={max(1, steps // args.curve_points)}", "train.eval_n=2000"]
    run_dir = folder / f"{dataset}-{variant}-seed{seed}"
    start = time.perf_counter()
    Trainer(config(dataset, variant, seed, args.threads, extra), run_dir, progress=False).fit()
    seconds = time.perf_counter() - start
    scores = evaluate_run(gankit.load(run_dir), n=args.n, metrics=METRICS, seed=seed)
    fids = [(r["step"], r["fid"]) for r in read_log(run_dir) if "fid" in r] if curve else []
    return {"dataset": dataset, "variant": variant, "seed": seed, "steps": steps, "train_s": seconds,
            "run": str(run_dir), "fid_curve": fids, **scores}


def real_vs_real(dataset: str, n: int) -> dict:
    """The floor: two random halves of the training images (at most n each), measured like a run's samples."""
    data = load_dataset(dataset)
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))
    half = min(len(data) // 2, n)
    x = data.batch(order[: 2 * half])[0]
    return evaluate(x[:half], x[half:], METRICS, features=dataset)


def summarise(values: list[float], digits: int) -> str:
    if not values:
        return "-"
    mean = statistics.fmean(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} +- {statistics.stdev(values):.{digits}f}"


def print_table(runs: list[dict], floor: dict, args, minutes: float, seconds: dict[str, float]) -> None:
    print(f"\nquality per minute, {args.dataset} ({BASE[args.dataset]} + one change), {minutes:g} min budget, "
          f"seeds {args.seeds}, {args.n} samples; {time.strftime('%Y-%m-%d')}, {platform.machine()} "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}")
    header = (f"| {'variant':12} | seeds | steps | s/step | train s | "
              + " | ".join(title for _, title, _ in COLUMNS) + " |")
    print(header)
    print("|" + "|".join("---" for _ in header.split("|")[1:-1]) + "|")
    for variant in args.variants.split(","):
        rs = [r for r in runs if r["variant"] == variant]
        if not rs:
            continue
        cells = [summarise([r[key] for r in rs], digits) for key, _, digits in COLUMNS]
        print(f"| {variant:12} | {len(rs)} | {rs[0]['steps']} | {seconds[variant]:.3f} | "
              f"{summarise([r['train_s'] for r in rs], 0)} | " + " | ".join(cells) + " |")
    print(f"| {'real vs real':12} | | | | | " + " | ".join(
        f"{floor[key]:.{digits}f}" if key in floor else "-" for key, _, digits in COLUMNS) + " |")
    if args.dataset == "digits":
        print("goals (issue 14): " + ", ".join(f"{key} {op} {value}" for key, (op, value) in GOALS.items()))
        for variant in args.variants.split(","):
            rs = [r for r in runs if r["variant"] == variant]
            if rs:
                means = {key: statistics.fmean(r[key] for r in rs) for key in GOALS}
                missed = [key for key, (op, value) in GOALS.items()
                          if not (means[key] <= value if op == "<=" else means[key] >= value)]
                print(f"  {variant:12} {'meets every goal' if not missed else 'misses ' + ', '.join(missed)}")


def print_curves(runs: list[dict], seconds: dict[str, float]) -> None:
    """FID against training minutes, mean over seeds, for the variants measured during training."""
    for variant in dict.fromkeys(r["variant"] for r in runs if r["fid_curve"]):
        rs = [r for r in runs if r["variant"] == variant and r["fid_curve"]]
        by_step: dict[int, list[float]] = {}
        for r in rs:
            for step, fid in r["fid_curve"]:
                by_step.setdefault(step, []).append(fid)
        points = ", ".join(f"{step * seconds[variant] / 60:.2f} min: {statistics.fmean(f):.1f}"
                           for step, f in sorted(by_step.items()))
        print(f"FID during training, {variant} (2000 samples, mean of {len(rs)} seeds): {points}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="quality per minute: one change at a time against the default")
    parser.add_argument("--dataset", choices=sorted(BASE), default="digits")
    parser.add_argument("--minutes", type=float, help="wall-clock budget per run (default: 5 digits, 10 fashion)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--n", type=int, default=10_000, help="samples per evaluation")
    parser.add_argument("--timing-steps", type=int, default=100, help="steps of each variant's timing run")
    parser.add_argument("--threads", type=int, help="train.threads for every run (default: the presets', torch's own)")
    parser.add_argument("--curve", default="", help="comma-separated variants also evaluated during training")
    parser.add_argument("--curve-points", type=int, default=10, help="evaluations during a --curve run")
    parser.add_argument("--out", type=Path, help="keep the run folders here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="also write every run's numbers here, updated after each run")
    parser.add_argument("--steps-from", type=Path, metavar="JSON", help="take each variant's steps from an earlier "
                        "--json (its timing run) instead of timing it again: more seeds of the same budget, which "
                        "may then run beside other work, since only the wall-clock column depends on it")
    parser.add_argument("--time-only", action="store_true", help="only the timing runs: write each variant's steps "
                        "and seconds per step to --json, for --steps-from (time quietly, then train beside other work)")
    parser.add_argument("--floor-only", action="store_true", help="train nothing: measure only the real-vs-real "
                        "floor (two random halves of the training images), printed and written to --json")
    parser.add_argument("--merge", nargs="+", type=Path, metavar="JSON", help="train nothing: one table of the runs "
                        "in these --json files (e.g. seeds run at different times)")
    args = parser.parse_args(argv)
    minutes = args.minutes if args.minutes is not None else DEFAULT_MINUTES[args.dataset]
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    variants, curve = args.variants.split(","), set(filter(None, args.curve.split(",")))
    unknown = [v for v in [*variants, *curve] if v not in VARIANTS]
    if unknown or not seeds or minutes <= 0:
        parser.error(f"unknown variant {', '.join(unknown)}" if unknown else "give --seeds and a positive --minutes")
    if args.floor_only:
        floor = real_vs_real(args.dataset, args.n)
        print(f"real vs real, {args.dataset}, two halves of the training images (at most {args.n} each): "
              + ", ".join(f"{title} {floor[key]:.{digits}f}" for key, title, digits in COLUMNS if key in floor))
        if args.json:
            record.save(args.json, args, [{"dataset": args.dataset, "n": args.n, **floor}])
        return
    if args.merge:
        runs = [r for f in args.merge for r in json.loads(f.read_text())]
        seconds = {r["variant"]: r["s_per_step"] for r in runs}
        args.seeds = ",".join(map(str, sorted({r["seed"] for r in runs})))
        if args.variants == parser.get_default("variants"):
            args.variants = ",".join(dict.fromkeys(r["variant"] for r in runs))
        print_table(runs, real_vs_real(args.dataset, args.n), args, minutes, seconds)
        print_curves(runs, seconds)
        return
    runs: list[dict] = []
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="gankit-quality-") as tmp:
        folder = args.out or Path(tmp)
        earlier = {r["variant"]: r for r in json.loads(args.steps_from.read_text())} if args.steps_from else {}
        for variant in variants:
            if variant in earlier:
                seconds[variant] = earlier[variant]["s_per_step"]
                steps = earlier[variant]["steps"]
            else:
                seconds[variant] = seconds_per_step(args.dataset, variant, args.threads, args.timing_steps, Path(tmp))
                steps = max(1, math.floor(minutes * 60 / seconds[variant]))
            print(f"{variant}: {seconds[variant]:.4f} s per step -> {steps} steps in {minutes:g} min",
                  file=sys.stderr, flush=True)
            if args.time_only:
                runs.append({"dataset": args.dataset, "variant": variant, "steps": steps,
                             "s_per_step": seconds[variant]})
                if args.json:
                    write_text(args.json, json.dumps(runs, indent=1))
                continue
            for seed in seeds:
                r = train_and_measure(args.dataset, variant, seed, steps, args, folder, variant in curve)
                r["s_per_step"] = seconds[variant]
                runs.append(r)
                print(f"  seed {seed}: {r['train_s']:.0f} s, FID {r['fid']:.2f}, KID {r['kid']:.3f}, "
                      f"precision {r['precision']:.3f}, recall {r['recall']:.3f}, {r['classes']:.0f} classes, "
                      f"class KL {r['class_kl']:.4f}", file=sys.stderr, flush=True)
                if args.json:
                    write_text(args.json, json.dumps(runs, indent=1))
        if args.time_only:
            return
        floor = real_vs_real(args.dataset, args.n)
    print_table(runs, floor, args, minutes, seconds)
    print_curves(runs, seconds)


if __name__ == "__main__":
    main()
