"""Label preservation of CycleGAN runs on digits <-> colour digits, read by two kinds of classifier: the shipped ones
(gankit eval's figures, and what cyclegan.semantic_weight trains against by default) and "judges" of another
architecture and seed that no run trains against, so that a semantic-consistency run is not scored by the net it
was taught to satisfy.

  judges   trains the two judges once (digits: the 4000 train-split digits; colour digits: the same digits over two
           renderings of train-split photo patches, another stream of patches than the shipped classifier's), seed 1,
           and reports their accuracy on the test split (500 images of each domain, never seen by either).
           --data digit-styles: the StarGAN judge instead, the 4000 train-split digits in each of the five styles
           (another stream of colours and patches than the data set's), read on the 1000 test images.
  score    per run: gankit eval's figures (shipped classifiers: label preservation and FID in the target domain, both
           ways) plus the judges' label preservation, at the last checkpoint or (--curve) at every checkpoint kept;
           one JSON per run.
  plot     label preservation against the step from score's JSONs (docs/images/translation/cyclegan-label-curve.png).
  backgrounds  per CycleGAN run: B -> A label preservation (shipped classifier) over the test colour digits split into
           thirds by their mean luminance (dark, mid, bright backgrounds), on the train split too, and the share of
           G's colour digits (A -> B of the test digits) that fall in each third of the real ones; --picture PNG
           draws the first run's brightest translations and brightest real colour digits with F's readings. And the
           share of colour digits whose stroke is darker than its ground (the stroke: where the source digit is),
           real and G's.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/translation_labels.py judges --out runs/i25-judges
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/translation_labels.py score runs/RUN --curve \\
        --json benchmarks/results/translation-labels-RUN-2026-12-03-cpu.json
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

import gankit
from gankit.checkpoint import load_weights
from gankit.data.dataset import to_unit_range
from gankit.data.translation import (DIGIT_STYLES, _shuffled_digits, colour_digits, digit_split, load_translation,
                                     styled_digits)
from gankit.files import write_text
from gankit.images import luma, save_grid
from gankit.metrics.translation import evaluate_translation_run, label_preservation

JUDGE_SEED = 1


class Judge(nn.Module):
    """Not the shipped Classifier (two 3x3 conv-pool blocks, a 128-d layer, dropout): three 5x5/3x3 convolutions
    with batch norm, 32-64-128 channels, global average pooling, one linear layer."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.in_channels = in_channels

        def block(c_in, c_out, k, pool):
            layers = [nn.Conv2d(c_in, c_out, k, padding=k // 2), nn.BatchNorm2d(c_out), nn.ReLU()]
            return layers + ([nn.MaxPool2d(2)] if pool else [])

        self.body = nn.Sequential(*block(in_channels, 32, 5, True), *block(32, 64, 5, True), *block(64, 128, 3, False),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))

    def forward(self, x):
        if x.shape[1] == 1 and self.in_channels == 3:
            x = x.expand(-1, 3, -1, -1)
        elif x.shape[1] == 3 and self.in_channels == 1:
            x = luma(x)
        return self.body(x.float())


def judge_data(domain: str):
    """(train images uint8, labels) of a judge: train-split digits only."""
    x, y = digit_split("train")
    if domain == "digits":
        return x, y
    if domain == "digit-styles":
        rng = np.random.default_rng([JUDGE_SEED, 0, 11])
        return torch.cat([styled_digits(x, style, "train", rng) for style in DIGIT_STYLES]), y.repeat(len(DIGIT_STYLES))
    rng = np.random.default_rng([JUDGE_SEED, 0, 7])  # a patch stream of its own
    return torch.cat([colour_digits(x, "train", rng) for _ in range(2)]), torch.cat([y, y])


def train_judge(domain: str, epochs: int) -> Judge:
    torch.manual_seed(JUDGE_SEED)
    x, y = judge_data(domain)
    judge = Judge(x.shape[1])
    opt = torch.optim.Adam(judge.parameters(), 1e-3)
    steps = epochs * (len(x) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=steps)
    judge.train()
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for i in range(0, len(x) - 63, 64):
            idx = order[i:i + 64]
            batch = to_unit_range(x[idx])
            shift = torch.randint(-2, 3, (2,))  # a random shift of up to 2 pixels (the shipped ones: 1)
            batch = torch.roll(batch, (int(shift[0]), int(shift[1])), dims=(2, 3))
            loss = F.cross_entropy(judge(batch), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return judge.eval().requires_grad_(False)


def test_images(seed: int = 0):
    """The test split as a run of this seed is measured on (the seed picks the halves and the photo patches)."""
    d = load_translation("digits2colour", "test", image_size=28, seed=seed)
    return {"digits": (to_unit_range(d.a), d.a_labels), "colour-digits": (to_unit_range(d.b), d.b_labels)}


def judges(args) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.data == "digit-styles":
        return styles_judge(args, out)
    test = test_images()
    report = {}
    for domain in ("digits", "colour-digits"):
        start = time.perf_counter()
        judge = train_judge(domain, args.epochs)
        x, y = test[domain]
        acc = label_preservation(x, y, judge)
        save_file(judge.state_dict(), str(out / f"{domain}-judge.safetensors"))
        report[domain] = {"held_out_accuracy": acc, "train_seconds": time.perf_counter() - start,
                          "epochs": args.epochs, "seed": JUDGE_SEED, "arch": Judge.__doc__.split(":")[1].strip()}
        print(f"{domain} judge: {acc:.1%} on the 500 test images ({report[domain]['train_seconds']:.0f} s)",
              flush=True)
    write_text(out / "judges.json", json.dumps(report, indent=2) + "\n")


def styles_test_images(seed: int = 0):
    d = load_translation("digit-styles", "test", image_size=28, seed=seed)
    return to_unit_range(d.a), d.a_labels, d.a_domain


def styles_judge(args, out: Path) -> None:
    start = time.perf_counter()
    judge = train_judge("digit-styles", args.epochs)
    x, y, domain = styles_test_images()
    report = {"held_out_accuracy": label_preservation(x, y, judge),
              "per_style": {s: label_preservation(x[domain == d], y[domain == d], judge)
                            for d, s in enumerate(DIGIT_STYLES)},
              "train_seconds": time.perf_counter() - start, "epochs": args.epochs, "seed": JUDGE_SEED,
              "arch": Judge.__doc__.split(":")[1].strip()}
    save_file(judge.state_dict(), str(out / "styles-judge.safetensors"))
    write_text(out / "styles-judge.json", json.dumps(report, indent=2) + "\n")
    print(f"styles judge: {report['held_out_accuracy']:.1%} on the {len(x)} test images "
          f"({report['train_seconds']:.0f} s)", flush=True)


def styles_figures(run, judge: Judge, test) -> dict:
    """gankit eval's figures and the styles judge's label preservation per target style, and their mean."""
    metrics = evaluate_translation_run(run)["metrics"]
    x, y, domain = test
    kept = []
    for t, name in enumerate(DIGIT_STYLES):
        source = (domain != t).nonzero().flatten()
        kept.append(label_preservation(run.translate(x[source], to=t), y[source], judge))
        metrics[f"judge_label_preservation_to_{name}"] = kept[-1]
    metrics["judge_label_preservation"] = sum(kept) / len(kept)
    metrics["judge_real_accuracy"] = label_preservation(x, y, judge)
    return metrics


def load_judges(folder: Path) -> dict[str, Judge]:
    out = {}
    for domain, channels in (("digits", 1), ("colour-digits", 3)):
        judge = Judge(channels)
        judge.load_state_dict(load_file(str(folder / f"{domain}-judge.safetensors")))
        out[domain] = judge.eval().requires_grad_(False)
    return out


def figures(run, judge: dict[str, Judge], test) -> dict:
    """gankit eval's figures and the judges' label preservation, both ways, of the run's nets as they are now."""
    metrics = evaluate_translation_run(run)["metrics"]
    for direction, source, target in (("AtoB", "digits", "colour-digits"), ("BtoA", "colour-digits", "digits")):
        x, y = test[source]
        channels = run.recipe.channels[0 if direction == "AtoB" else 1]
        x = x.expand(-1, channels, -1, -1) if x.shape[1] == 1 else x  # data.channels=3: digits as RGB gray
        metrics[f"judge_label_preservation_{direction}"] = label_preservation(run.translate(x, direction=direction),
                                                                             y, judge[target])
        metrics[f"judge_real_accuracy_{direction}"] = label_preservation(*test[target], judge[target])
    return metrics


def score(args) -> None:
    for path in args.runs:
        run = gankit.load(path)
        if run.config.data.name == "digit-styles":
            judge = Judge(3)
            judge.load_state_dict(load_file(str(Path(args.judges) / "styles-judge.safetensors")))
            judge, test, measure = judge.eval(), styles_test_images(run.config.train.seed), styles_figures
        else:
            judge, test, measure = load_judges(Path(args.judges)), test_images(run.config.train.seed), figures
        steps = sorted((p for p in (Path(path) / "checkpoints").glob("step-*") if p.is_dir()),
                       key=lambda p: int(p.name.split("-")[1])) if args.curve else [run.checkpoint]
        curve = []
        for ckpt in steps:
            meta = load_weights(ckpt, run.recipe.modules)
            curve.append({"step": meta["step"], **measure(run, judge, test)})
            m = curve[-1]
            if measure is styles_figures:
                print(f"{path} step {m['step']}: labels {m['label_preservation']:.1%} (judge "
                      f"{m['judge_label_preservation']:.1%}), in the target style {m['domain_accuracy']:.1%}; FID "
                      f"{m['fid']:.1f}", flush=True)
                continue
            print(f"{path} step {m['step']}: labels A->B {m['label_preservation_AtoB']:.1%} "
                  f"(judge {m['judge_label_preservation_AtoB']:.1%}), B->A {m['label_preservation_BtoA']:.1%} "
                  f"(judge {m['judge_label_preservation_BtoA']:.1%}); FID {m['fid_AtoB']:.1f} / {m['fid_BtoA']:.1f}",
                  flush=True)
        console = Path(f"{str(path).rstrip('/')}.log")  # the train command's output, where the queue scripts put it
        trained = [line for line in console.read_text().split("\r")[-1].splitlines() if line.startswith("trained")] \
            if console.is_file() else []
        stopped = Path(path) / "stopped.json"
        result = {"run": str(path), "config": run.config.to_dict(), "final": curve[-1], "curve": curve,
                  "trained": trained[-1] if trained else None,
                  "stopped_by_budget": json.loads(stopped.read_text()) if stopped.is_file() else None,
                  "judges": json.loads((Path(args.judges) / ("styles-judge.json" if measure is styles_figures
                                                             else "judges.json")).read_text()),
                  "machine": args.machine}
        if args.json:
            write_text(Path(args.json) if len(args.runs) == 1 else Path(args.json) / f"{Path(path).name}.json",
                       json.dumps(result, indent=2) + "\n")


def stroke_contrast(images: torch.Tensor, stroke: torch.Tensor) -> torch.Tensor:
    """Per image: mean luma on the stroke minus mean luma off it (stroke: a bool (N, 1, H, W) mask)."""
    y, m = luma(images), stroke.float()
    return (y * m).sum((1, 2, 3)) / m.sum((1, 2, 3)).clamp(min=1) - \
        (y * (1 - m)).sum((1, 2, 3)) / (1 - m).sum((1, 2, 3)).clamp(min=1)


def backgrounds(args) -> None:
    from gankit.metrics.translation import TARGET_CLASSIFIERS, domain_classifier

    reader = domain_classifier(TARGET_CLASSIFIERS["digits2colour"]["BtoA"])
    for path in args.runs:
        run = gankit.load(path)
        channels, seed = run.config.data.channels, run.config.train.seed
        torch.manual_seed(0)  # the codes of a G with a noise input
        print(f"## {path}")
        for split in ("test", "train"):
            d = load_translation("digits2colour", split, image_size=28, channels=channels, seed=seed)
            b, a = to_unit_range(d.b[:1000]), to_unit_range(d.a[:1000])
            brightness = luma(b).mean((1, 2, 3))
            cuts = brightness.quantile(torch.tensor([1 / 3, 2 / 3]))
            thirds = {"dark": brightness < cuts[0], "mid": (brightness >= cuts[0]) & (brightness < cuts[1]),
                      "bright": brightness >= cuts[1]}
            fake_a = run.translate(b, direction="BtoA")
            kept = {k: label_preservation(fake_a[m], d.b_labels[:1000][m], reader) for k, m in thirds.items()}
            line = ", ".join(f"{k} {v:.1%}" for k, v in kept.items())
            print(f"{split}: B -> A labels kept by background third: {line}")
            if split == "test":
                fake_b = run.translate(a)
                g = luma(fake_b).mean((1, 2, 3))
                share = {"dark": (g < cuts[0]).float().mean(), "mid": ((g >= cuts[0]) & (g < cuts[1])).float().mean(),
                         "bright": (g >= cuts[1]).float().mean()}
                print("test: G's colour digits in those thirds: " + ", ".join(f"{k} {float(v):.1%}"
                                                                            for k, v in share.items()))
                # the stroke's polarity: is it darker than its ground? The stroke is where the source digit is
                real_digits = _shuffled_digits(split, seed)[0]
                real_digits = real_digits[len(real_digits) // 2:][:1000]  # the digits B's images were drawn from
                dark_real = float((stroke_contrast(b, real_digits[:, :1] > 127) < 0).float().mean())
                dark_fake = float((stroke_contrast(fake_b, d.a[:1000, :1] > 127) < 0).float().mean())
                print(f"test: colour digits with a stroke darker than its ground: real {dark_real:.1%}, "
                      f"G's {dark_fake:.1%}")
                if args.picture and path == args.runs[0]:
                    g_top, b_top = g.argsort(descending=True)[:16], brightness.argsort(descending=True)[:16]
                    rows = [a[g_top], fake_b[g_top], run.translate(fake_b[g_top], direction="BtoA"), b[b_top],
                            fake_a[b_top]]
                    save_grid(torch.cat([r.expand(-1, 3, -1, -1) for r in rows]), args.picture, nrow=16, scale=3)
                    print(f"picture: {args.picture}")


def plot(args) -> None:
    """Label preservation against the step, one panel per direction: solid the judge's reading, dashed the shipped
    classifier's."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for i, path in enumerate(args.results):
        result = json.loads(Path(path).read_text())
        name = Path(result["run"]).name
        steps = [m["step"] for m in result["curve"]]
        for ax, direction in zip(axes, ("AtoB", "BtoA")):
            colour = f"C{i}"
            ax.plot(steps, [m[f"judge_label_preservation_{direction}"] for m in result["curve"]], "-o", ms=3,
                    color=colour, label=f"{name} (judge)")
            ax.plot(steps, [m[f"label_preservation_{direction}"] for m in result["curve"]], "--", color=colour,
                    alpha=0.6, label=f"{name} (shipped)")
    for ax, title in zip(axes, ("A -> B (digits -> colour digits)", "B -> A (colour digits -> digits)")):
        ax.axhline(0.9, color="grey", lw=0.8)
        ax.set(title=title, xlabel="step", ylim=(0, 1))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("label preservation (500 test images)")
    axes[1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    j = sub.add_parser("judges", help="train the two judge classifiers")
    j.add_argument("--out", default="runs/i25-judges")
    j.add_argument("--epochs", type=int, default=6)
    j.add_argument("--data", choices=("digits2colour", "digit-styles"), default="digits2colour",
                   help="digit-styles: the StarGAN runs' judge (default: CycleGAN's two)")
    s = sub.add_parser("score", help="label preservation (shipped classifiers and judges) and FID of CycleGAN runs")
    s.add_argument("runs", nargs="+")
    s.add_argument("--judges", default="runs/i25-judges")
    s.add_argument("--curve", action="store_true", help="at every checkpoint kept, not only the last")
    s.add_argument("--json", help="a file (one run) or a folder (several)")
    s.add_argument("--machine", default="2-core x86_64 VM, torch threads 1, beside other one-thread jobs",
                   help="how the runs were trained, for the JSON")
    c = sub.add_parser("plot", help="label preservation against the step, from score --curve JSONs")
    c.add_argument("results", nargs="+")
    c.add_argument("--out", default="docs/images/translation/cyclegan-label-curve.png")
    g = sub.add_parser("backgrounds", help="B -> A label preservation by background brightness, and G's share of each")
    g.add_argument("runs", nargs="+")
    g.add_argument("--picture", help="a PNG of the first run: G's 16 brightest colour digits (inputs, G(a), F(G(a)))"
                                     " above the 16 brightest real ones and F(b)")
    args = p.parse_args()
    torch.set_num_threads(1)
    {"judges": judges, "score": score, "plot": plot, "backgrounds": backgrounds}[args.what](args)


if __name__ == "__main__":
    main()
