"""`gankit compare --gan RUN... --vae RUN...`: GAN runs against VAE runs, measured (gankit.lab.compare)."""
from __future__ import annotations

import json
from pathlib import Path

from gankit.commands import options
from gankit.errors import GankitError

NAMES = ("compare.md", "compare.json", "grids.png")


def add_parser(subparsers) -> None:
    c = subparsers.add_parser("compare", help="GAN runs against VAE runs: FID, KID, coverage, sharpness, stability, "
                                              "time, and a picture of both")
    c.add_argument("--gan", nargs="+", required=True, metavar="RUN", help="GAN run folders (several seeds: spread)")
    c.add_argument("--vae", nargs="+", required=True, metavar="RUN", help="VAE run folders")
    options.add_n(c, 2000, "measured per run")
    options.add_seed(c)
    options.add_out(c, "folder for compare.md, compare.json and grids.png (default: print only)")
    options.add_force(c, "compare.md, compare.json, grids.png")
    options.add_json(c)
    options.add_device(c)
    c.set_defaults(func=run)


def run(args) -> None:
    from gankit.lab.compare import compare, format_table, side_by_side
    from gankit.files import write_text

    out = Path(args.out) if args.out else None
    if out is not None:
        options.refuse_existing([out / name for name in NAMES], args.force)
    if args.n < 2:
        raise GankitError(f"--n must be at least 2, got {args.n}")
    result = compare(args.gan, args.vae, n=args.n, seed=args.seed, device=args.device)
    table = format_table(result)
    print(json.dumps(result, indent=2) if args.json else table)
    if out is not None:
        write_text(out / "compare.md", table + "\n")
        write_text(out / "compare.json", json.dumps(result, indent=2) + "\n")
        side_by_side(args.gan[0], args.vae[0], out / "grids.png", seed=args.seed)
        print(f"wrote {out / 'compare.md'}, {out / 'compare.json'}, {out / 'grids.png'}")
