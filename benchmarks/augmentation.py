"""GAN data augmentation and the Classification Accuracy Score: a conditional GAN trained on the labelled images, then
the few-label baseline's classifier trained on (a) the real labelled images, (b) real + generated, (c) generated only
(CAS, Ravuri & Vinyals 2019), each scored on the held-out test split. Prints mean ± std and the 95 % interval of the
mean over seeds, and the gains of (b) and (c) over (a), paired by seed (the same labelled set).

    nice -n 10 .venv/bin/python benchmarks/augmentation.py --data digits --labels-per-class 10 100 all --seeds 0 1 2
        [--gan-steps 1000] [--classifier-steps 1000] [--generated-per-class 100] [--real-fraction 0.5]
        [--gan-preset digits-cdcgan | --gan-from RUN] [--truncation PSI] [--filter K] [--root DIR] [--set KEY=VALUE]
        [--gan-set KEY=VALUE] [--keep DIR] [--json F]
    .venv/bin/python benchmarks/augmentation.py --merge a.json b.json     # one table of seeds run in parallel

Seed s draws the labelled set (few_label_split: balanced, from the training split; `all`: the whole training split)
and seeds the GAN, the generated images and the classifiers. The GAN is the preset's (digits-cdcgan: conditional
DCGAN) trained by the real trainer on the labelled images alone; the classifier is the supervised baseline of
benchmarks/few_labels.py (preset digits-supervised / fashion-supervised) with the same steps on every set.
--truncation scales G's z (z ~ N(0, PSI^2 I)); --filter K draws K times the images wanted per class and keeps the
ones the shipped classifier of the data set (`gankit eval`'s, trained on the real training split; never on the
test split) is most confident belong to the class they were drawn for.
docs/few-labels.md ("Augmentation and CAS") has the results.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
from scipy import stats

import gankit
from gankit.config import load_config
from gankit.data.labels import few_label_split, train_test_split
from gankit.lab.fewlabels import (SETS, augmentation_sets, classifier_accuracy, generate_labelled, keep_most_confident,
                                  train_conditional_gan)
from gankit.metrics.evaluate import default_features
from gankit.metrics.features import load_extractor

import record  # benchmarks/record.py

CLASSIFIER_PRESETS = {"digits": "digits-supervised", "fashion-mnist": "fashion-supervised"}


def labels(text: str) -> int:
    """--labels-per-class: a number, or `all` (0 here): the whole training split labelled."""
    return 0 if text == "all" else int(text)


def one_seed(args, labels_per_class: int, seed: int, root: Path) -> list[dict]:
    common = [f"train.seed={seed}", "train.grid_size=20"] + ([f"data.root={args.root}"] if args.root else [])
    if labels_per_class:
        _, labelled, test = few_label_split(args.data, labels_per_class, root=args.root, seed=seed)
    else:
        labelled, test = train_test_split(args.data, root=args.root)
    start = time.perf_counter()
    folder = root / f"{labels_per_class or 'all'}-seed{seed}"
    if args.gan_from:  # a conditional GAN trained before (e.g. an earlier run's --keep folder's gan/)
        gan = gankit.load(args.gan_from).recipe
    else:
        gan_cfg = load_config(args.gan_preset, overrides=common + [f"data.name={args.data}",
                                                                   f"train.steps={args.gan_steps}"] + args.gan_set)
        gan = train_conditional_gan(gan_cfg, labelled, folder / "gan")
    draws = args.generated_per_class * max(1, args.filter)
    generated = generate_labelled(gan.sampler, labelled.classes, draws, gan.z_dim, seed=seed, device=gan.device,
                                  truncation=args.truncation)
    if args.filter > 1:
        generated = keep_most_confident(generated, load_extractor(default_features(args.data)).module,
                                        args.generated_per_class)
    gan_seconds = time.perf_counter() - start
    rows = []
    for name, train_set in augmentation_sets(labelled, generated, args.real_fraction).items():
        if name not in args.sets:
            continue
        start = time.perf_counter()
        cfg = load_config(CLASSIFIER_PRESETS[args.data],
                          overrides=common + [f"train.steps={args.classifier_steps}"] + args.set)
        accuracy = classifier_accuracy(cfg, train_set, test, folder / name.replace("+", "-"))
        rows.append({"labels_per_class": labels_per_class, "set": name, "seed": seed, "accuracy": accuracy,
                     "generated_per_class": args.generated_per_class, "truncation": args.truncation,
                     "filter": args.filter, "train_size": len(train_set),
                     "test_size": len(test), "gan_seconds": round(gan_seconds, 1),
                     "seconds": round(time.perf_counter() - start, 1)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def summary(values: list[float], sign: str = "") -> str:
    """mean ± std [95 % interval of the mean, Student's t], in points; sign "+" for gains."""
    if not values:
        return "-"
    mean = statistics.mean(values)
    if len(values) < 2:
        return f"{mean:{sign}.1f} (1 seed)"
    std = statistics.stdev(values)
    half = stats.t.ppf(0.975, len(values) - 1) * std / len(values) ** 0.5
    return f"{mean:{sign}.1f} ± {std:.1f} [{mean - half:{sign}.1f}, {mean + half:{sign}.1f}]"


def table(rows: list[dict], args) -> str:
    columns = ("(a) real", "(b) real+generated", "(c) generated (CAS)", "(b) - (a)", "(c) - (a)")
    gan = getattr(args, "gan_from", None) or f"{args.gan_preset}, {args.gan_steps} steps on the labelled images"
    lines = [f"{args.data}: conditional GAN {gan}; "
             f"classifier {CLASSIFIER_PRESETS[args.data]}, {args.classifier_steps} steps; real fraction of (b) "
             f"{args.real_fraction}; truncation {getattr(args, 'truncation', 1.0)}, filter "
             f"{getattr(args, 'filter', 0) or 'off'}",
             "accuracy % on the test split: mean ± std [95 % CI of the mean]; gains paired by seed, in points",
             f"{'labels/class':<13} {'gen/class':>9} {'seeds':>5} " + " ".join(f"{c:>28}" for c in columns)]
    for labels_per_class in sorted({r["labels_per_class"] for r in rows}, key=lambda n: n or float("inf")):
        mine = [r for r in rows if r["labels_per_class"] == labels_per_class]
        accuracy = {(r["set"], r["seed"]): 100 * r["accuracy"] for r in mine}
        seeds = sorted({seed for _, seed in accuracy})
        cells = [summary([accuracy[name, s] for s in seeds if (name, s) in accuracy]) for name in SETS]
        for name in SETS[1:]:
            paired = [s for s in seeds if (name, s) in accuracy and ("real", s) in accuracy]
            cells.append(summary([accuracy[name, s] - accuracy["real", s] for s in paired], "+") if paired else "-")
        generated = sorted({r["generated_per_class"] for r in mine})
        lines.append(f"{labels_per_class or 'all':<13} {'/'.join(map(str, generated)):>9} {len(seeds):>5} "
                     + " ".join(f"{c:>28}" for c in cells))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=sorted(CLASSIFIER_PRESETS), default="digits")
    parser.add_argument("--labels-per-class", nargs="+", type=labels, default=[10], metavar="N|all")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--gan-steps", type=int, default=1000, help="conditional GAN steps (default 1000)")
    parser.add_argument("--classifier-steps", type=int, default=1000, help="steps of each classifier (default 1000)")
    parser.add_argument("--generated-per-class", type=int, default=100, help="images G draws per class (default 100)")
    parser.add_argument("--real-fraction", type=float, default=0.5,
                        help="(b): the share of the classifier's draws on real images (default 0.5)")
    parser.add_argument("--gan-preset", default="digits-cdcgan",
                        help="digits-cdcgan (default), digits-acgan or fashion-cdcgan-r1")
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS),
                        help="the classifiers to train (default: all three)")
    parser.add_argument("--gan-from", metavar="RUN", help="train no GAN: draw from this conditional GAN run (e.g. "
                        "KEEP/all-seed0/gan of an earlier --keep)")
    parser.add_argument("--truncation", type=float, default=1.0, help="z ~ N(0, PSI^2 I) for the generated images "
                        "(default 1: no truncation)")
    parser.add_argument("--filter", type=int, default=0, metavar="K", help="draw K x --generated-per-class images a "
                        "class and keep the ones the shipped classifier is surest of (default 0: off)")
    parser.add_argument("--root", help="data.root (Fashion-MNIST's IDX files)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a config change for every classifier, e.g. model.width=32 (repeatable)")
    parser.add_argument("--gan-set", action="append", default=[], metavar="KEY=VALUE",
                        help="a config change for the GAN, e.g. model.width=16 (repeatable)")
    parser.add_argument("--keep", help="keep the run folders here (default: a temporary folder)")
    parser.add_argument("--json", help="also write every seed's figures to this file")
    parser.add_argument("--merge", nargs="+", metavar="JSON", help="train nothing: one table of the rows in these "
                        "--json files (runs of the same settings, e.g. seeds run in parallel)")
    args = parser.parse_args()
    if args.merge:
        saved, rows = record.load(args.merge)
        vars(args).update({k: v for k, v in saved.items() if k not in ("merge", "json")})
        print(table(rows, args))
        return
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for labels_per_class in args.labels_per_class:
            for seed in args.seeds:
                rows += one_seed(args, labels_per_class, seed, Path(args.keep or tmp))
    print()
    print(table(rows, args))
    if args.json:
        record.save(args.json, args, rows)


if __name__ == "__main__":
    main()
