"""`gankit prior RUN`: train the learned inpainting prior E(masked image, mask) -> z on a run's frozen G, into
RUN/prior/ (Lahiri et al. 2019; docs/inpainting.md). Run again to continue an interrupted one; `inpaint --method prior`
uses it."""
from __future__ import annotations

import json

from gankit.commands import options


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("prior", help="train a network that predicts z from a masked image, for fast inpainting")
    options.add_run(p)
    p.add_argument("--steps", type=options.bounded_int(1, 10_000_000), default=None,
                   help="Adam steps in all (default 2000); a prior trained fewer steps continues to this many")
    p.add_argument("--batch", type=options.bounded_int(1, 100_000), default=None,
                   help="codes drawn per step (default 64)")
    p.add_argument("--lr", type=float, default=None, help="Adam's learning rate (default 1e-3, with --video 3e-4)")
    p.add_argument("--video", action="store_true",
                   help="the grouped recurrent prior for video inpainting instead, into RUN/prior-video (it starts "
                        "from the run's image prior when there is one; --batch counts frames, 8 per sequence)")
    options.add_seed(p, "of the codes and masks drawn")
    options.add_force(p, "the run's prior, if it has one (RUN/prior/, or RUN/prior-video/ with --video), trained "
                         "again from the start")
    options.add_json(p)
    options.add_device(p)
    p.set_defaults(func=run)


def run(args) -> None:
    import gankit
    from gankit.errors import GankitError
    from gankit.inpainting import prior

    loaded = gankit.load(args.run, device=args.device)
    prior.check_run(loaded)
    if args.lr is not None and not args.lr > 0:
        raise GankitError(f"--lr must be positive, got {args.lr}")
    previous = None if args.force else (loaded.video_prior if args.video else loaded.prior)
    settings = {"steps": args.steps or (previous.meta["steps"] if previous else prior.STEPS),
                "batch": args.batch or (previous.meta["batch"] if previous else prior.BATCH),
                "lr": args.lr or (previous.meta["lr"] if previous else prior.VIDEO_LR if args.video else prior.LR)}
    if previous is not None and previous.step >= settings["steps"]:
        raise GankitError(f"run {args.run} already has a prior trained {previous.step} steps; pass --steps N "
                          f"(more) to continue it or --force to start over")
    try:
        trained = prior.train_prior(loaded, seed=args.seed, force=args.force, progress=not args.json,
                                    video=args.video, **settings)
    except KeyboardInterrupt:
        from gankit.training import Interrupted
        again = f"gankit prior {args.run}{' --video' if args.video else ''}"
        raise Interrupted(f"prior saved in {prior.prior_folder(args.run, args.video)}; continue with `{again}`") \
            from None
    report = {"run": str(args.run), "prior": str(prior.prior_folder(args.run, args.video)), "step": trained.step,
              "seconds": trained.meta["seconds"], "held_out_loss": trained.meta["held_out_loss"]}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"prior trained {trained.step} steps ({trained.meta['seconds']:.0f} s); held-out loss "
          f"{trained.meta['held_out_loss']:.4f}\n{report['prior']}/  (use it: gankit inpaint {args.run} "
          f"{'--video ... ' if args.video else '... '}--method prior)")
