"""Learning from few labels: the semi-supervised GAN against the same D trained on the labels alone, and against a
GAN's D fine-tuned on them. Prints test errors as Salimans et al. (2016) Table 1 does: mean ± std over seeds.

    nice -n 10 .venv/bin/python benchmarks/few_labels.py --data digits --labels-per-class 10 --seeds 0 1 2
        [--steps 1000] [--gan-steps 1000] [--width 16] [--methods ssl supervised finetune] [--root DIR] [--set KEY=VALUE]
        [--arch dcgan | improved-gan-mlp] [--keep DIR] [--json results/few-labels.json]
    .venv/bin/python benchmarks/few_labels.py --merge a.json b.json     # one table of seeds run in parallel

Every method is a preset trained by the real trainer (digits-ssl, digits-supervised; fine-tune: digits-ssl with
train.recipe=gan, a plain GAN on the training split, then digits-finetune from its D), with the same network, steps,
batch size, optimiser and dropout. Seed s draws the labelled set (balanced, from the training split)
and initialises the nets; the test set is the data set's held-out split (digits: the 1000 digits the shipped feature
classifier holds out; the others: their official test set). --arch improved-gan-mlp trains Salimans et al.'s own MNIST
nets instead (presets digits-ssl-improved-gan / fashion-ssl-improved-gan; supervised: the same preset with
ssl.unsupervised_weight=0; no fine-tune route). docs/few-labels.md has the results.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from gankit.config import load_config
from gankit.training import Trainer

import record  # benchmarks/record.py

METHODS = ("ssl", "supervised", "finetune")
PRESETS = {"digits": "digits", "fashion-mnist": "fashion"}  # data set -> preset prefix


def train(preset: str, out: Path, overrides: list[str]) -> Trainer:
    trainer = Trainer(load_config(preset, overrides=overrides), out, progress=False)
    trainer.fit()
    return trainer


def one_seed(method: str, args, seed: int, root: Path) -> dict:
    prefix = PRESETS[args.data]
    common = [f"data.labels_per_class={args.labels_per_class}", f"train.seed={seed}", "train.grid_size=16"] \
        + ([f"model.width={args.width}"] if args.width else []) + ([f"data.root={args.root}"] if args.root else []) + args.set
    start = time.perf_counter()
    run = root / f"{method}-seed{seed}"
    if method == "finetune":
        gan = root / f"gan-seed{seed}"
        # The GAN: the ssl preset's data (the training split), nets and optimiser, trained by the plain GAN recipe.
        train(f"{prefix}-ssl", gan, common + [f"train.steps={args.gan_steps}", "train.recipe=gan"])
        trainer = train(f"{prefix}-finetune", run, common + [f"train.steps={args.steps}", f"ssl.init_from={gan}"])
    elif args.arch == "improved-gan-mlp":
        weight = ["ssl.unsupervised_weight=0"] if method == "supervised" else []
        trainer = train(f"{prefix}-ssl-improved-gan", run,
                        common + [f"train.steps={args.steps}", "train.minutes=0"] + weight)
    else:
        trainer = train(f"{prefix}-{method}", run, common + [f"train.steps={args.steps}"])
    recipe = trainer.recipe
    accuracy = recipe.accuracy(recipe.test)
    return {"method": method, "labels_per_class": args.labels_per_class, "seed": seed, "accuracy": accuracy, "errors": round((1 - accuracy) * len(recipe.test)),
            "test_size": len(recipe.test), "seconds": round(time.perf_counter() - start, 1)}


def mean_std(values: list[float], fmt: str = ".1f") -> str:
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):{fmt}} ± {std:{fmt}}"


def seconds(rows: list[dict]) -> str:
    """The mean wall-clock seconds a seed, over the rows that recorded it."""
    timed = [r["seconds"] for r in rows if r.get("seconds") is not None]
    return f"{statistics.mean(timed):.0f}" if timed else "-"


def table(rows: list[dict], args) -> str:
    lines = [f"{args.data}, {args.labels_per_class} labels per class, {len(args.seeds)} seed(s), {args.steps} steps"
             + (f" (fine-tune: GAN {args.gan_steps} steps first)" if "finetune" in args.methods else ""),
             f"{'method':<12} {'test errors':>16} {'per 10000':>16} {'accuracy %':>14} {'s per seed':>11}"]
    for method in args.methods:
        mine = [r for r in rows if r["method"] == method]
        if not mine:
            continue
        errors = [r["errors"] for r in mine]
        per_10000 = [r["errors"] * 10000 / r["test_size"] for r in mine]
        lines.append(f"{method:<12} {mean_std(errors) + ' /' + str(mine[0]['test_size']):>16} "
                     f"{mean_std(per_10000, '.0f'):>16} {mean_std([100 * r['accuracy'] for r in mine]):>14} "
                     f"{seconds(mine):>11}")
    accuracy = {(r["method"], r["seed"]): 100 * r["accuracy"] for r in rows}
    for method in ("ssl", "finetune"):  # the gain over the baseline, paired by seed (the same labelled set)
        seeds = [s for s in args.seeds if (method, s) in accuracy and ("supervised", s) in accuracy]
        if seeds:
            gains = [accuracy[method, s] - accuracy["supervised", s] for s in seeds]
            lines.append(f"{method} - supervised, paired by seed: {mean_std(gains)} points of accuracy "
                         f"(min {min(gains):+.1f}, max {max(gains):+.1f})")
    return "\n".join(lines)


def curve(rows: list[dict], path: str) -> str:
    """Mean test accuracy ± std over seeds against the number of labels (all classes together), per method."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gankit.lab.output import save_figure

    classes = 10
    methods = [m for m in METHODS if any(r["method"] == m for r in rows)]
    counts = sorted({r["labels_per_class"] for r in rows})
    accuracy = {(m, k): [100 * r["accuracy"] for r in rows if r["method"] == m and r["labels_per_class"] == k]
                for m in methods for k in counts}
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for method in methods:
        points = [(k * classes, acc) for k in counts if (acc := accuracy[method, k])]
        ax.errorbar([x for x, _ in points], [statistics.mean(acc) for _, acc in points],
                    yerr=[statistics.stdev(acc) if len(acc) > 1 else 0.0 for _, acc in points],
                    marker="o", capsize=3, label=method)
    ax.set_xscale("log")
    ax.minorticks_off()  # only the measured label counts as ticks
    ax.set_xticks([k * classes for k in counts], [str(k * classes) for k in counts])
    ax.set_xlabel("labelled images (balanced over the classes)")
    ax.set_ylabel("test accuracy %")
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, path)
    lines = [f"{'labels':>6} " + " ".join(f"{m + ' % (seeds)':>24}" for m in methods)]
    for k in counts:
        cells = [f"{mean_std(acc) + f' ({len(acc)})' if (acc := accuracy[m, k]) else '-':>24}" for m in methods]
        lines.append(f"{k * classes:>6} " + " ".join(cells))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=sorted(PRESETS), default="digits")
    parser.add_argument("--labels-per-class", type=int, default=10)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=1000, help="training steps of each classifier (default 1000)")
    parser.add_argument("--gan-steps", type=int, default=1000, help="fine-tune route: GAN steps first (default 1000)")
    parser.add_argument("--width", type=int, help="model.width of every net (default: the presets', 16)")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--arch", choices=("dcgan", "improved-gan-mlp"), default="dcgan",
                        help="the presets' width-16 DCGAN D (default) or Salimans et al.'s MNIST MLP")
    parser.add_argument("--root", help="data.root (Fashion-MNIST's IDX files)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a config change for every method and the GAN, e.g. train.lr_d=1e-3 (repeatable)")
    parser.add_argument("--keep", help="keep the run folders here (default: a temporary folder)")
    parser.add_argument("--json", help="also write every seed's figures to this file")
    parser.add_argument("--merge", nargs="+", metavar="JSON", help="train nothing: one table of the seeds in these "
                        "--json files (runs of the same settings, e.g. seeds run in parallel)")
    parser.add_argument("--curve", metavar="PNG", help="with --merge of files with different --labels-per-class: "
                        "test accuracy against the number of labels, one line per method, drawn to PNG and printed")
    args = parser.parse_args()
    if args.arch == "improved-gan-mlp" and "finetune" in args.methods and not args.merge:
        parser.error("--arch improved-gan-mlp has no fine-tune route: pass --methods ssl supervised")
    if args.merge and args.curve:
        _, rows = record.load(args.merge)
        print(curve(rows, args.curve))
        return
    if args.merge:
        saved, rows = record.load(args.merge)
        vars(args).update({k: saved[k] for k in ("data", "labels_per_class", "steps", "gan_steps")})
        args.seeds = sorted({row["seed"] for row in rows})
        args.methods = [m for m in METHODS if any(row["method"] == m for row in rows)]
        print(table(rows, args))
        return
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        for seed in args.seeds:
            for method in args.methods:
                rows.append(one_seed(method, args, seed, root))
                print(json.dumps(rows[-1]), flush=True)
    print()
    print(table(rows, args))
    if args.json:
        record.save(args.json, args, rows)


if __name__ == "__main__":
    main()
