"""`gankit eval`: measure a run (or two folders of images), print a table, keep the numbers in RUN/eval.json.

    gankit eval RUN [--n 10000] [--metrics fid,kid,is,pr,coverage] [--features NAME|FILE]
    gankit eval --real DIR_A --fake DIR_B [--features NAME|FILE] [--image-size 28] [--channels 1]
    gankit eval TRANSLATION_RUN [--n N]   # pix2pix/CycleGAN/StarGAN: label preservation, FID, PSNR/SSIM (test split)
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from gankit.commands import options
from gankit.errors import GankitError

EVAL_FILE = "eval.json"


def add_parser(subparsers) -> None:
    e = subparsers.add_parser("eval", help="FID, KID, IS, precision/recall, class coverage of a run or image folders")
    e.add_argument("run", nargs="?", help="the run folder to measure (its eval.json receives the numbers)")
    options.add_n(e, 10_000, "measured against the real data")
    e.add_argument("--metrics", default="fid,kid,is,pr,coverage",
                   help="comma-separated: fid, kid, is, pr, coverage, parzen (default fid,kid,is,pr,coverage)")
    e.add_argument("--features", metavar="NAME|FILE",
                   help="digits, fashion-mnist, a TorchScript file (e.g. inception-2015-12-05.pt) or module:name; "
                        "default: the run's data set's classifier")
    e.add_argument("--real", metavar="DIR", help="a folder of real images (with --fake instead of a run)")
    e.add_argument("--fake", metavar="DIR", help="a folder of generated images (with --real)")
    e.add_argument("--image-size", type=options.bounded_int(8, 1024),
                   help="folders: images are scaled to this size (default 28 for the built-in classifiers, else 64)")
    e.add_argument("--channels", type=int, choices=(1, 3), help="folders: 1 (gray) or 3 (RGB); default as --image-size")
    e.add_argument("--n-real", type=options.bounded_int(2, options.MAX_SAMPLES),
                   help="reference images: a seeded subset of this many (default all)")
    options.add_seed(e, "of the samples and of KID's subsets")
    options.add_json(e)
    options.add_device(e)
    e.set_defaults(func=run)


def run(args) -> None:
    from gankit.metrics.evaluate import _metric_list

    metrics = _metric_list(args.metrics)
    if args.run and (args.real or args.fake):
        raise GankitError("give either a run folder or --real DIR --fake DIR, not both")
    if args.run:
        record = _eval_run(args, metrics)
        out = Path(args.run) / EVAL_FILE
    elif args.real and args.fake:
        record, out = _eval_folders(args, metrics), None
    else:
        raise GankitError("gankit eval needs a run folder, or --real DIR and --fake DIR")
    if out is not None:
        from gankit.files import write_text
        write_text(out, json.dumps(record, indent=2) + "\n")
    if args.json:
        print(json.dumps(record, indent=2))
        return
    print(format_table(record["metrics"]))
    if out is not None:
        print(f"written to {out}", file=sys.stderr)


def _eval_run(args, metrics: list[str]) -> dict:
    import gankit
    from gankit.metrics.evaluate import default_features, evaluate_run
    from gankit.metrics.features import load_extractor
    from gankit.recipes.base import Classifier, Sampler, Translator

    run = gankit.load(args.run, device=args.device)
    if isinstance(run.recipe, Translator):  # translation figures, not samples of z
        return _eval_translation(run, args)
    run.require(Sampler)
    extractor = None
    if len(run.data_shape) == 3:
        extractor = load_extractor(args.features or default_features(run.config.data.name), run.device)
    start = time.time()
    values = evaluate_run(run, n=args.n, metrics=metrics, features=extractor, seed=args.seed, n_real=args.n_real)
    if isinstance(run.recipe, Classifier):  # its accuracy on the held-out test split
        values["test_accuracy"] = run.recipe.accuracy(run.recipe.test)
    return {"run": str(run.path), "step": run.step, "data": run.config.data.name, "n": args.n,
            "features": extractor.name if extractor else None,
            "features_sha256": extractor.digest if extractor else None,
            "metrics": values, "seconds": round(time.time() - start, 1),
            "date": time.strftime("%Y-%m-%d %H:%M:%S")}


def _eval_translation(run, args) -> dict:
    """Label preservation, FID in the target domain, PSNR/SSIM (paired) on the test split: --n caps the test images
    of each domain; --features replaces the domain's classifier for FID; --metrics does not apply."""
    from gankit.metrics.features import load_extractor
    from gankit.metrics.translation import evaluate_translation_run

    extractor = load_extractor(args.features, run.device) if args.features else None
    start = time.time()
    record = evaluate_translation_run(run, n=args.n, features=extractor)
    return {"run": str(run.path), "step": run.step, "data": run.config.data.name, "recipe": run.config.train.recipe,
            "split": record["split"], "features": extractor.name if extractor else "the target domain's classifier",
            "metrics": record["metrics"], "seconds": round(time.time() - start, 1),
            "date": time.strftime("%Y-%m-%d %H:%M:%S")}


def _eval_folders(args, metrics: list[str]) -> dict:
    import torch

    from gankit.data import load_dataset
    from gankit.metrics.evaluate import check_features_fit, evaluate
    from gankit.metrics.features import BUILTIN, load_extractor
    from gankit.runs import resolve_device

    native = _native_shape(args.real)
    features = args.features or "digits"
    builtin = features in BUILTIN
    size = args.image_size or (28 if builtin else 64)
    channels = args.channels or (1 if builtin else 3)
    if builtin:  # a built-in classifier only on the 28x28 gray images it was made for, as `gankit eval RUN`
        check_features_fit(features, native)
    sets = []
    for folder in (args.real, args.fake):
        data = load_dataset("folder", root=folder, image_size=size, channels=channels)
        sets.append(data.batch(torch.arange(len(data)))[0])
    extractor = load_extractor(features, resolve_device(args.device))
    start = time.time()
    values = evaluate(sets[1], sets[0], metrics, extractor, seed=args.seed)
    return {"real": args.real, "fake": args.fake, "n_real": len(sets[0]), "n_fake": len(sets[1]),
            "features": extractor.name, "features_sha256": extractor.digest, "metrics": values,
            "seconds": round(time.time() - start, 1), "date": time.strftime("%Y-%m-%d %H:%M:%S")}


def _native_shape(folder: str) -> tuple[int, int, int]:
    """(channels, height, width) of the first image of a folder, as stored (before any resizing)."""
    from PIL import Image

    from gankit.data.folder import EXTENSIONS, list_images

    root = Path(folder)
    first = next(iter(list_images(root)), None) if root.is_dir() else None
    if first is None:
        raise GankitError(f"folder '{folder}' has no images (looked for {', '.join(EXTENSIONS)})")
    try:
        with Image.open(first) as image:
            return (1 if image.mode in ("L", "1", "I", "I;16") else 3, image.height, image.width)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise GankitError(f"image {first} cannot be read") from None


def format_table(values: dict[str, float]) -> str:
    """One line per metric; a value and its spread (std or standard error) share a line as `mean +- spread`."""
    spreads = {"kid": "kid_std", "is": "is_std", "parzen": "parzen_se"}
    lines, width = [], max([14, *map(len, values)])  # translation runs have longer names (label_preservation_AtoB)
    for key, value in values.items():
        if key in spreads.values():
            continue
        text = f"{value:.4g}"
        if key in spreads and spreads[key] in values:
            text += f" +- {values[spreads[key]]:.2g}"
        lines.append(f"{key:>{width}}  {text}")
    return "\n".join(lines)
