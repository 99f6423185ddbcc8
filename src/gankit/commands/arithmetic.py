"""`gankit arithmetic RUN`: concept vectors in z (mean code with a concept minus mean code without), applied to codes.

    --attribute ink [--per-class]            a measured attribute of the model's own samples (stroke thickness)
    --with-label A --without-label B         training images of two classes
    --with FILES --without FILES             image files
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from gankit.commands import options
from gankit.errors import GankitError



def add_parser(subparsers) -> None:
    a = subparsers.add_parser("arithmetic", help="concept vectors in z (mean with - mean without), applied to codes")
    options.add_run(a)
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
    options.add_n(a, 2000, "prior samples grouped by the attribute")
    a.add_argument("--exemplars", type=options.bounded_int(1, 10_000), default=3,
                   help="labels: images per group (default 3, as DCGAN)")
    a.add_argument("--scale", type=float, default=1.0, help="z + scale * v (default 1)")
    a.add_argument("--apply", type=options.bounded_int(1, options.MAX_SAMPLES), default=500,
                   help="held-out prior codes to measure on (default 500)")
    a.add_argument("--show", type=options.bounded_int(1, 100), default=10, help="codes shown in the picture (default 10)")
    options.add_label(a)
    options.add_out(a, "PNG: rows z - v, z, z + v (default RUN/latent/arithmetic-....png)")
    options.add_inversion(a)
    options.add_json(a)
    options.add_force(a)
    options.add_device(a)
    a.set_defaults(func=run)


def _label_codes(run, label: int, count: int, args):
    """Codes of the first `count` training images of class `label` (a seeded shuffle of the run's data)."""
    import torch

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
    return latent.encode(run, data.batch(index)[0], args.label, **options.inversion_settings(args))


def run(args) -> None:
    import torch

    import gankit
    import gankit.latent as latent
    from gankit import images
    from gankit.latent.arithmetic import digit_classifier, predict

    run = gankit.load(args.run, device=args.device)
    args.label = options.label(run, args.label)
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
    options.refuse_existing([out], args.force)

    report: dict = {"concept": concept, "scale": args.scale}
    if args.with_label is not None:
        v = latent.concept_vector(_label_codes(run, args.with_label, args.exemplars, args),
                                  _label_codes(run, args.without_label, args.exemplars, args))
    elif args.with_images:
        v = latent.concept_vector(latent.encode(run, latent.read_images(args.with_images, run), args.label,
                                                **options.inversion_settings(args)),
                                  latent.encode(run, latent.read_images(args.without_images, run), args.label,
                                                **options.inversion_settings(args)))
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
    images.save_grid(images.enlarge(torch.cat(rows), 2), out, nrow=len(shown))
    report["picture"] = str(out)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        text = f"{value:.4g}" if isinstance(value, float) and not math.isnan(value) else str(value)
        print(f"{key:>24}: {text}")
