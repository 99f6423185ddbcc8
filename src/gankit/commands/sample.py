"""`gankit sample`: draw samples from a trained run into one PNG grid, or a folder of PNGs (what `eval --fake` reads).

Conditional runs: --label draws one class (its number or its name); without it, the grid has one row per class.
"""
from __future__ import annotations

from pathlib import Path

from gankit.commands import options
from gankit.errors import GankitError

MAX_SCALE = 16  # a 64-image grid of 28 px at 16x is already 4k pixels wide


def add_parser(subparsers) -> None:
    s = subparsers.add_parser("sample", help="draw samples from a trained run into a PNG grid or a folder of PNGs")
    options.add_run(s)
    options.add_n(s, 64, "images to draw (a conditional run's grid: as many whole rows of one class each as fit)")
    options.add_seed(s)
    options.add_label(s)
    options.add_out(s, "a .png file for one grid (default RUN/samples/sample-seedS.png), or a folder for one PNG "
                       "per sample")
    s.add_argument("--scale", type=options.bounded_int(1, MAX_SCALE), default=1,
                   help="enlarge each pixel this many times (default 1)")
    options.add_force(s)
    options.add_device(s)
    s.set_defaults(func=run)


def run(args) -> None:
    import torch

    import gankit
    from gankit import images

    run = gankit.load(args.run, device=args.device)
    out = Path(args.out or Path(args.run) / "samples" / f"sample-seed{args.seed}.png")
    to_folder = out.suffix.lower() != ".png"
    if to_folder and len(run.data_shape) != 3:
        raise GankitError(f"run {run.path} generates points; --out must be a .png file for a scatter plot")
    if to_folder:
        if out.exists() and (not out.is_dir() or any(out.iterdir())) and not args.force:
            raise GankitError(f"{out} exists and is not an empty folder; choose another --out or pass --force")
    else:
        options.refuse_existing([out], args.force)
    label, nrow = options.label(run, args.label), None
    if run.num_classes and label is None and not to_folder:  # one row per class
        per_class = max(1, args.n // run.num_classes)
        label, nrow = torch.arange(run.num_classes).repeat_interleave(per_class), per_class
    n = len(label) if isinstance(label, torch.Tensor) else args.n
    x = run.sample(n, seed=args.seed, label=label)
    if to_folder:
        for i, image in enumerate(x):
            images.save_png(images.to_uint8(image).transpose(1, 2, 0), out / f"{i:06d}.png")
    elif len(run.data_shape) == 3:
        images.save_grid(x, out, nrow=nrow, scale=args.scale)
    else:
        images.save_points(x, out, title=f"{n} samples, seed {args.seed}")
    print(out)
