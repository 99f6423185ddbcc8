"""`gankit make-data`: write a built-in translation data set as image files, in the folder layout users' own data
has, so the layout is there to see and copy, and `load_translation(DIR)` (or `--set data.root=DIR`) reads it back.

    gankit make-data digits2colour --out DIR    # DIR/trainA trainB testA testB          (CycleGAN's layout)
    gankit make-data edges2digits --out DIR     # DIR/A/train B/train A/test B/test       (pix2pix's, before combining)
    gankit make-data colourise --side-by-side --out DIR   # DIR/train, DIR/test of AB images (pix2pix's combined)
    gankit make-data digit-styles --out DIR     # DIR/train/<style>/, DIR/test/<style>/  (StarGAN's)

The folder is written beside --out under a temporary name and renamed into place when complete: an interrupted or
failed run leaves nothing behind.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from gankit.commands import options
from gankit.errors import GankitError

NAMES = ("edges2digits", "digits2colour", "colourise", "digit-styles")  # = gankit.data.translation's built-ins
LAYOUT_FOLDERS = ("trainA", "trainB", "testA", "testB", "A", "B", "train", "test")  # all that make-data writes


def add_parser(subparsers) -> None:
    m = subparsers.add_parser("make-data", help="write a built-in translation data set as PNG files in a user layout")
    m.add_argument("name", choices=NAMES, help="the built-in data set")
    m.add_argument("--out", metavar="DIR", required=True, help="the folder to create (must not exist, or be empty)")
    m.add_argument("--split", choices=("train", "test", "both"), default="both", help="which split (default both)")
    # Not --n: that is the number of samples a command draws from a model, the same in every command.
    m.add_argument("--subset", type=options.bounded_int(1, options.MAX_SAMPLES), metavar="N",
                   help="a seeded N images of each domain per split (paired: N pairs), as data.n; default all")
    m.add_argument("--side-by-side", action="store_true",
                   help="paired data: one AB image per pair (A left) in train/ and test/, instead of A/ and B/")
    options.add_seed(m, "of the built-in's rendering and of the --subset")
    options.add_force(m)
    m.set_defaults(func=run)


def run(args) -> None:
    from gankit.data.translation import load_translation

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise GankitError(f"{out} exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()):
        if not args.force:
            raise GankitError(f"{out} exists and is not empty; choose another --out or pass --force to replace it")
        # --force replaces what make-data wrote, never a folder of other things named by mistake (a home folder).
        foreign = sorted(p.name for p in out.iterdir() if p.name not in LAYOUT_FOLDERS or not p.is_dir())
        if foreign:
            raise GankitError(f"{out} holds more than make-data writes (e.g. '{foreign[0]}'); --force replaces only "
                              f"a folder of {', '.join(LAYOUT_FOLDERS)}: choose another --out")
    splits = ("train", "test") if args.split == "both" else (args.split,)
    data = {split: load_translation(args.name, split, n=args.subset, seed=args.seed) for split in splits}
    if args.side_by_side and not data[splits[0]].paired:
        raise GankitError(f"{args.name} is not paired data; --side-by-side is for edges2digits and colourise")
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        for split, d in data.items():
            _write(building, split, d, args.side_by_side)
        if out.is_dir():
            shutil.rmtree(out)  # empty, or --force
        building.rename(out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    for split, d in data.items():
        print(f"{split}: {d.describe()}", file=sys.stderr)
    print(out)


def _write(root: Path, split: str, data, side_by_side: bool) -> None:
    import torch

    if data.domains is not None:
        for d, name in enumerate(data.domains):
            _save_all(data.a[data.a_domain == d], root / split / name)
    elif side_by_side:  # one file per pair: A beside B, A in B's channels when they differ
        a = data.a.expand(-1, data.b.shape[1], -1, -1) if data.a.shape[1] < data.b.shape[1] else data.a
        _save_all(torch.cat([a, data.b], dim=-1), root / split)
    elif data.paired:
        _save_all(data.a, root / "A" / split)
        _save_all(data.b, root / "B" / split)
    else:
        _save_all(data.a, root / f"{split}A")
        _save_all(data.b, root / f"{split}B")


def _save_all(images, folder: Path) -> None:
    from PIL import Image

    folder.mkdir(parents=True)
    pixels = images.permute(0, 2, 3, 1).numpy()
    for i, image in enumerate(pixels):
        Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(folder / f"{i:05d}.png")
