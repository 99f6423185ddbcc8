"""`gankit interpolate`, `gankit invert`, `gankit arithmetic`: the latent tools on the command line.

    gankit interpolate RUN [--seeds 0 1 2 3 | --images A.png B.png] [--steps 10] [--method slerp|lerp|both]
    gankit invert RUN IMAGE [IMAGE ...] [--steps 300] [--restarts 4]
    gankit arithmetic RUN [--attribute ink [--per-class] | --with-label A --without-label B | --with F.. --without F..]

Each writes a PNG (and interpolate a GIF) and prints what it measured; an existing file is replaced only with --force.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch

from gankit.errors import GankitError


def add_parser(subparsers) -> None:
    i = subparsers.add_parser("interpolate", help="walk between two latent codes (seeds or real images): grid + GIF")
    i.add_argument("run")
    ends = i.add_mutually_exclusive_group()
    ends.add_argument("--seeds", type=int, nargs="+", metavar="SEED",
                      help="pairs of seeds, a row each: 0 1 2 3 is two rows (default 0 1 2 3 4 5 6 7)")
    ends.add_argument("--images", nargs=2, metavar="IMAGE", help="two image files: walk between their codes")
    i.add_argument("--steps", type=int, default=10, help="images per row, both ends included (default 10)")
    i.add_argument("--method", choices=("slerp", "lerp", "both"), default="slerp",
                   help="spherical or linear path; both: a row of each per pair (default slerp)")
    i.add_argument("--label", type=int, help="the class (conditional runs)")
    i.add_argument("--out", help="PNG (default RUN/latent/interpolate-....png); the GIF goes beside it")
    i.add_argument("--scale", type=int, default=2, help="enlarge each pixel this many times (default 2)")
    _inversion_options(i)
    i.add_argument("--force", action="store_true", help="replace existing output files")
    i.set_defaults(func=run_interpolate)

    v = subparsers.add_parser("invert", help="find latent codes for images: encoder (VAE) or optimisation (GAN)")
    v.add_argument("run")
    v.add_argument("images", nargs="+", metavar="IMAGE")
    _inversion_options(v)
    v.add_argument("--label", type=int, help="the class (conditional runs)")
    v.add_argument("--out", help="PNG of each image beside its reconstruction (default RUN/latent/invert.png)")
    v.add_argument("--codes", help="also save the codes here (.safetensors, tensor 'z')")
    v.add_argument("--json", action="store_true", help="print the errors as JSON")
    v.add_argument("--force", action="store_true", help="replace existing output files")
    v.set_defaults(func=run_invert)

    a = subparsers.add_parser("arithmetic", help="concept vectors in z (mean with - mean without), applied to codes")
    a.add_argument("run")
    concept = a.add_mutually_exclusive_group()
    concept.add_argument("--attribute", choices=("ink",), help="groups by a measured attribute of the model's samples "
                                                               "(ink: stroke thickness); the default")
    concept.add_argument("--with-label", type=int, metavar="LABEL", help="training images of this class ...")
    concept.add_argument("--with", dest="with_images", nargs="+", metavar="IMAGE", help="image files with the concept")
    a.add_argument("--without-label", type=int, metavar="LABEL", help="... against training images of this class")
    a.add_argument("--without", dest="without_images", nargs="+", metavar="IMAGE", help="image files without it")
    a.add_argument("--per-class", action="store_true",
                   help="attribute: difference within each class the classifier sees, averaged (keeps the digit)")
    a.add_argument("--quantile", type=float, default=0.25, help="attribute: top vs bottom share (default 0.25)")
    a.add_argument("--n", type=int, default=2000, help="attribute: prior samples to group (default 2000)")
    a.add_argument("--exemplars", type=int, default=3, help="labels: images per group (default 3, as DCGAN)")
    a.add_argument("--scale", type=float, default=1.0, help="z + scale * v (default 1)")
    a.add_argument("--apply", type=int, default=500, help="held-out prior codes to measure on (default 500)")
    a.add_argument("--show", type=int, default=10, help="codes shown in the picture (default 10)")
    a.add_argument("--label", type=int, help="the class (conditional runs)")
    a.add_argument("--out", help="PNG: rows z - v, z, z + v (default RUN/latent/arithmetic-....png)")
    _inversion_options(a)
    a.add_argument("--json", action="store_true", help="print the measurements as JSON")
    a.add_argument("--force", action="store_true", help="replace existing output files")
    a.set_defaults(func=run_arithmetic)


def _inversion_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--invert-steps", type=int, default=300, help="GAN inversion: Adam steps per start (default 300)")
    p.add_argument("--restarts", type=int, default=4, help="GAN inversion: random starts per image (default 4)")
    p.add_argument("--seed", type=int, default=0, help="seed of the inversion's starts and of prior samples")


def _inversion(args) -> dict:
    return {"steps": args.invert_steps, "restarts": args.restarts, "seed": args.seed}


def _free(paths: list[Path], force: bool) -> None:
    for p in paths:
        if p.exists() and not force:
            raise GankitError(f"{p} exists; choose another --out or pass --force to replace it")


def _scaled(x: torch.Tensor, scale: int) -> torch.Tensor:
    return x.repeat_interleave(scale, dim=-1).repeat_interleave(scale, dim=-2) if scale > 1 else x


def run_interpolate(args) -> None:
    import gankit.latent as latent
    from gankit import images
    from gankit.latent.interpolation import grid_rows

    run = latent.as_run(args.run)
    methods = ("slerp", "lerp") if args.method == "both" else (args.method,)
    name = "images" if args.images else "seeds"
    out = Path(args.out or Path(args.run) / "latent" / f"interpolate-{name}-{args.method}.png")
    gif = out.with_suffix(".gif")
    _free([out, gif], args.force)
    if args.images:
        x = latent.read_images(args.images, run)
        z = latent.encode(run, x, args.label, **_inversion(args))
        pairs = [(z[0], z[1])]
    else:
        seeds = args.seeds or list(range(8))
        if len(seeds) % 2:
            raise GankitError(f"--seeds takes pairs (start end ...), got {len(seeds)} seeds")
        pairs = [(latent.code(run, a), latent.code(run, b)) for a, b in zip(seeds[::2], seeds[1::2])]
    rows = [latent.decode(run, latent.path(z0, z1, args.steps, m), args.label) for z0, z1 in pairs for m in methods]
    if args.images:  # the real images at both ends of each row, so the reconstructions can be judged
        rows = [torch.cat([x[:1], r, x[1:]]) for r in rows]
    images.save_png(grid_rows([_scaled(r, args.scale) for r in rows]), out)
    latent.save_gif(rows[0][1:-1] if args.images else rows[0], gif, scale=4)
    print(f"{out}\n{gif}")


def run_invert(args) -> None:
    import gankit.latent as latent
    from gankit import images
    from gankit.files import atomic_path

    run = latent.as_run(args.run)
    out = Path(args.out or Path(args.run) / "latent" / "invert.png")
    _free([out] + ([Path(args.codes)] if args.codes else []), args.force)
    x = latent.read_images(args.images, run)
    inv = latent.invert(run, x, label=args.label, **_inversion(args))
    pairs = torch.stack([x, inv.reconstructions], dim=1).flatten(0, 1)
    images.save_grid(_scaled(pairs, 2), out, nrow=2 * min(len(x), 8))
    if args.codes:
        from safetensors.torch import save_file

        with atomic_path(args.codes) as tmp:
            save_file({"z": inv.z.contiguous()}, str(tmp))
    report = {"method": inv.method, "images": [
        {"image": p, "mse": round(m, 6), "psnr_db": round(s, 2)} for p, m, s in
        zip(args.images, inv.mse.tolist(), inv.psnr.tolist())],
        "mean_mse": inv.mse.mean().item(), "mean_psnr_db": inv.psnr.mean().item(), "picture": str(out)}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for item in report["images"]:
        print(f"{item['image']}: mse {item['mse']:.5f}  psnr {item['psnr_db']:.1f} dB")
    print(f"{inv.method}: mean mse {report['mean_mse']:.5f} (pixels in [0, 1]), "
          f"mean psnr {report['mean_psnr_db']:.1f} dB\n{out}")


def _label_codes(run, label: int, count: int, args) -> torch.Tensor:
    """Codes of the first `count` training images of class `label` (a seeded shuffle of the run's data)."""
    import gankit.latent as latent
    from gankit.data import load_dataset

    d = run.config.data
    data = load_dataset(d.name, root=d.root, image_size=run.data_shape[-1], channels=run.data_shape[0])
    if data.y is None:
        raise GankitError(f"the data of run {run.path} has no labels; use --with/--without image files")
    if not 0 <= label < data.num_classes:
        raise GankitError(f"label must lie in 0..{data.num_classes - 1}, got {label}")
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(args.seed))
    index = order[data.y[order] == label][:count]
    return latent.encode(run, data.batch(index)[0], args.label, **_inversion(args))


def run_arithmetic(args) -> None:
    import gankit.latent as latent
    from gankit import images
    from gankit.latent.arithmetic import digit_classifier, predict

    run = latent.as_run(args.run)
    if (args.with_label is None) != (args.without_label is None):
        raise GankitError("--with-label and --without-label go together")
    if bool(args.with_images) != bool(args.without_images):
        raise GankitError("--with and --without go together")
    if args.apply < 1 or args.show < 1:
        raise GankitError("--apply and --show must be positive")
    if args.with_label is not None:
        concept = f"label{args.with_label}-minus-label{args.without_label}"
    elif args.with_images:
        concept = "files"
    else:
        concept = "ink-per-class" if args.per_class else "ink"
    out = Path(args.out or Path(args.run) / "latent" / f"arithmetic-{concept}.png")
    _free([out], args.force)

    report: dict = {"concept": concept, "scale": args.scale}
    if args.with_label is not None:
        v = latent.concept_vector(_label_codes(run, args.with_label, args.exemplars, args),
                                  _label_codes(run, args.without_label, args.exemplars, args))
    elif args.with_images:
        v = latent.concept_vector(latent.encode(run, latent.read_images(args.with_images, run), args.label,
                                                **_inversion(args)),
                                  latent.encode(run, latent.read_images(args.without_images, run), args.label,
                                                **_inversion(args)))
    else:
        v = latent.vector_from_attribute(run, "ink", args.n, args.quantile, args.per_class, args.seed, args.label)
        report.update(latent.attribute_shift(run, v, "ink", args.apply, args.scale, args.seed + 1, args.label))
    report["norm_v"] = v.norm().item()
    z = torch.randn(max(args.apply, args.show), run.recipe.z_dim,
                    generator=torch.Generator().manual_seed(args.seed + 1))
    if args.with_label is not None:  # does adding v make the classifier see the "with" digit more often?
        classifier = digit_classifier(run)
        if classifier is not None:
            before = predict(classifier, latent.decode(run, z[:args.apply], args.label))
            after = predict(classifier, latent.decode(run, z[:args.apply] + args.scale * v, args.label))
            report.update({"n": args.apply, "share_with_label_before": (before == args.with_label).float().mean().item(),
                           "share_with_label_after": (after == args.with_label).float().mean().item()})
    shown = z[:args.show]
    rows = [latent.decode(run, shown + s * args.scale * v, args.label) for s in (-1, 0, 1)]
    images.save_grid(_scaled(torch.cat(rows), 2), out, nrow=len(shown))
    report["picture"] = str(out)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        text = f"{value:.4g}" if isinstance(value, float) and not math.isnan(value) else str(value)
        print(f"{key:>24}: {text}")
