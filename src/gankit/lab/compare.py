"""GAN against VAE, measured: `gankit compare --gan RUN [RUN ...] --vae RUN [RUN ...]`.

Each family may bring several runs (the same preset with different train.seed); a figure is reported as the mean and
the standard deviation over them, so the spread is the family's training stability. Per run:
  - fid, kid, precision, recall, classes, class_kl   gankit.metrics.evaluate on n samples against the training data,
                                                      in the features of the data set's classifier
  - sharpness   mean over images of the variance of the Laplacian (Pech-Pacheco et al. 2000), divided by the same
                figure of the real images: 1 is as sharp as the data, below 1 blurrier (a VAE's mean image is blurry)
  - train_s     seconds spent in training steps, from the throughput the trainer logged (pictures, checkpoints excluded)
  - steps       training steps at the checkpoint
A picture puts the first run of each family beside real images: 64 samples of each, drawn with one seed.
"""
from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from gankit import images
from gankit.data import load_dataset
from gankit.errors import GankitError
from gankit.runlog import read_log
from gankit.runs import Run

METRICS = ("fid", "kid", "pr", "coverage")
# (key, label, which is better); the order of the table.
ROWS = [("fid", "FID", "lower"), ("kid", "KID", "lower"), ("precision", "precision", "higher"),
        ("recall", "recall", "higher"), ("classes", "classes produced (of 10)", "higher"),
        ("class_kl", "class KL(generated || data)", "lower"), ("sharpness", "sharpness / real data's", "near 1"),
        ("train_s", "training time (s)", "lower"), ("steps", "steps", "")]
LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def laplacian_variance(x: torch.Tensor) -> torch.Tensor:
    """Per image: the variance of its Laplacian, on intensities in [0, 1] (gray; colour images are averaged)."""
    gray = images.to_unit_interval(x.float()).mean(dim=1, keepdim=True)
    return F.conv2d(gray, LAPLACIAN.view(1, 1, 3, 3)).flatten(1).var(dim=1)


def training_seconds(run_dir: Path, batch_size: int) -> float:
    """Time in training steps: each logged step took batch_size / images_per_s seconds."""
    records = read_log(run_dir)
    if not records:
        return float("nan")
    return sum(batch_size / r["images_per_s"] for r in records if r.get("images_per_s"))


def real_images(run: Run, n: int) -> torch.Tensor:
    d = run.config.data
    data = load_dataset(d.name, root=d.root, image_size=run.data_shape[-1], channels=run.data_shape[0], n=None)
    index = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:n]
    return data.batch(index)[0]


def measure_run(run: Run, n: int, real_sharpness: float, seed: int = 0) -> dict[str, float]:
    from gankit.metrics import evaluate
    from gankit.metrics.evaluate import default_features, sample_run

    fake = sample_run(run, n, seed)
    figures = evaluate(fake, run.config.data.name, METRICS, default_features(run.config.data.name), seed=seed)
    figures["sharpness"] = laplacian_variance(fake).mean().item() / real_sharpness
    figures["train_s"] = training_seconds(run.path, run.config.train.batch_size)
    figures["steps"] = run.step
    return figures


def summarise(values: list[float]) -> tuple[float, float]:
    """(mean, standard deviation over runs; 0 for one run)."""
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def compare(gan_runs: list[str | Path], vae_runs: list[str | Path], n: int = 2000, seed: int = 0,
            device: str = "cpu") -> dict:
    """Measure every run; returns {"gan": {key: [per run]}, "vae": {...}, "real_sharpness": float, "n": n}."""
    families = {"gan": [Run(r, device) for r in gan_runs], "vae": [Run(r, device) for r in vae_runs]}
    if not families["gan"] or not families["vae"]:
        raise GankitError("compare needs at least one --gan run and one --vae run")
    datasets = {(r.config.data.name, r.data_shape) for runs in families.values() for r in runs}
    if len(datasets) != 1:
        raise GankitError(f"the runs were trained on different data ({', '.join(sorted(str(d) for d in datasets))}); "
                          f"compare runs of one data set")
    if any(len(r.data_shape) != 3 for runs in families.values() for r in runs):
        raise GankitError("compare measures image runs; these runs generate points")
    first = families["gan"][0]
    real_sharpness = laplacian_variance(real_images(first, n)).mean().item()
    result: dict = {"n": n, "real_sharpness": real_sharpness}
    for family, runs in families.items():
        per_run = [measure_run(r, n, real_sharpness, seed) for r in runs]
        result[family] = {key: [p[key] for p in per_run] for key in per_run[0]}
        result[family]["runs"] = [str(r.path) for r in runs]
    return result


def format_table(result: dict) -> str:
    def cell(values: list[float]) -> str:
        mean, std = summarise(values)
        digits = ".0f" if all(isinstance(v, int) for v in values) else ".4f" if abs(mean) < 1 else ".4g"
        return f"{mean:{digits}} +- {std:.2g}" if len(values) > 1 else f"{mean:{digits}}"

    n_gan, n_vae = len(result["gan"]["runs"]), len(result["vae"]["runs"])
    lines = [f"| measure ({result['n']} samples per run) | better | GAN ({n_gan} runs) | VAE ({n_vae} runs) |",
             "| --- | --- | --- | --- |"]
    for key, label, better in ROWS:
        if key in result["gan"] and key in result["vae"]:
            lines.append(f"| {label} | {better} | {cell(result['gan'][key])} | {cell(result['vae'][key])} |")
    return "\n".join(lines)


@torch.no_grad()
def side_by_side(gan_run: str | Path, vae_run: str | Path, path: str | Path, n: int = 64, seed: int = 0) -> None:
    """One PNG: real images | GAN samples | VAE samples (n of each, prior seed `seed`), grids with a caption above."""
    from PIL import Image, ImageDraw

    gan, vae = Run(gan_run), Run(vae_run)
    panels = [("real data", real_images(gan, n)), (f"GAN ({gan.config.model.arch})", gan.sample(n, seed=seed)),
              (f"VAE ({vae.config.model.arch})", vae.sample(n, seed=seed))]
    tiles = [images.grid(x) for _, x in panels]
    caption, gap = 14, 8
    height = max(t.shape[0] for t in tiles) + caption
    width = sum(t.shape[1] for t in tiles) + gap * (len(tiles) - 1)
    canvas = Image.new("L" if tiles[0].shape[-1] == 1 else "RGB", (width, height), color=255)
    draw, x0 = ImageDraw.Draw(canvas), 0
    for (title, _), tile in zip(panels, tiles):
        canvas.paste(Image.fromarray(tile[..., 0] if tile.shape[-1] == 1 else tile), (x0, caption))
        draw.text((x0 + 2, 1), title, fill=0)
        x0 += tile.shape[1] + gap
    images.save_png(np.asarray(canvas)[..., None] if canvas.mode == "L" else np.asarray(canvas), path)
