"""`gankit interpolate RUN`: walk between two latent codes (seeds, or real images' codes): a grid of rows and a GIF."""
from __future__ import annotations

from pathlib import Path

from gankit.commands import options
from gankit.errors import GankitError



def add_parser(subparsers) -> None:
    i = subparsers.add_parser("interpolate", help="walk between two latent codes (seeds or real images): grid + GIF")
    options.add_run(i)
    ends = i.add_mutually_exclusive_group()
    ends.add_argument("--seeds", type=options.bounded_int(0, options.MAX_SEED), nargs="+", metavar="SEED",
                      help="pairs of seeds, a row each: 0 1 2 3 is two rows (default 0 1 2 3 4 5 6 7)")
    ends.add_argument("--images", nargs=2, metavar="IMAGE", help="two image files: walk between their codes")
    i.add_argument("--steps", type=options.bounded_int(2, 1000), default=10,
                   help="images per row, both ends included (default 10)")
    i.add_argument("--method", choices=("slerp", "lerp", "both"), default="slerp",
                   help="spherical or linear path; both: a row of each per pair (default slerp)")
    options.add_label(i)
    options.add_out(i, "PNG (default RUN/latent/interpolate-....png); the GIF goes beside it")
    i.add_argument("--scale", type=options.bounded_int(1, 16), default=2,
                   help="enlarge each pixel this many times (default 2)")
    options.add_inversion(i)
    options.add_force(i)
    options.add_device(i)
    i.set_defaults(func=run)


def run(args) -> None:
    import torch

    import gankit
    import gankit.latent as latent
    from gankit import images
    from gankit.latent.interpolation import grid_rows

    run = gankit.load(args.run, device=args.device)
    args.label = options.label(run, args.label)
    run.require_image_generator("interpolate")
    methods = ("slerp", "lerp") if args.method == "both" else (args.method,)
    name = "images" if args.images else "seeds"
    out = Path(args.out or Path(args.run) / "latent" / f"interpolate-{name}-{args.method}.png")
    gif = out.with_suffix(".gif")
    options.refuse_existing([out, gif], args.force)
    if args.images:
        x = latent.read_images(args.images, run)
        z = latent.encode(run, x, args.label, **options.inversion_settings(args))
        pairs = [(z[0], z[1])]
    else:
        seeds = args.seeds or list(range(8))
        if len(seeds) % 2:
            raise GankitError(f"--seeds takes pairs (start end ...), got {len(seeds)} seeds")
        pairs = [(latent.code(run, a), latent.code(run, b)) for a, b in zip(seeds[::2], seeds[1::2])]
    rows = [latent.decode(run, latent.path(z0, z1, args.steps, m), args.label) for z0, z1 in pairs for m in methods]
    if args.images:  # the real images at both ends of each row, so the reconstructions can be judged
        rows = [torch.cat([x[:1], r, x[1:]]) for r in rows]
    images.save_png(grid_rows([images.enlarge(r, args.scale) for r in rows]), out)
    latent.save_gif(rows[0][1:-1] if args.images else rows[0], gif, scale=4)
    print(f"{out}\n{gif}")


