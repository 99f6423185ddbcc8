"""`gankit` on the command line. User mistakes end in one line on stderr and a non-zero exit, never a traceback."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from gankit.errors import GankitError

EXIT_USER_ERROR, EXIT_DIVERGED, EXIT_INTERRUPTED = 2, 3, 130


def _train(args) -> None:
    from gankit.config import load_config, parse_set, set_value
    from gankit.runs import read_config
    from gankit.training import RESUMABLE_KEYS, Trainer

    if args.resume:
        if args.preset or args.config or args.out:
            raise GankitError("--resume takes the run's own config; drop --preset, --config and --out")
        run_dir = Path(args.resume)
        if not run_dir.is_dir():
            raise GankitError(f"cannot resume {run_dir}: no such run folder")
        cfg = read_config(run_dir)
        for key, value in parse_set(args.set):
            if key not in RESUMABLE_KEYS:
                raise GankitError(f"{key} cannot change when resuming; only {', '.join(RESUMABLE_KEYS)} can")
            set_value(cfg, key, value)
    else:
        preset = args.preset if (args.preset or args.config) else "digits-dcgan"
        cfg = load_config(preset, args.config, args.set)
        run_dir = Path(args.out or f"runs/{cfg.preset or 'custom'}-{time.strftime('%Y%m%d-%H%M%S')}")
    trainer = Trainer(cfg, run_dir, resume=bool(args.resume), progress=not args.quiet)
    print(f"run folder: {run_dir}  ({trainer.total_steps} steps, {trainer.steps_per_epoch} per epoch, "
          f"device {trainer.device})", file=sys.stderr)
    summary = trainer.fit()
    print(f"trained to step {summary['steps']} in {summary['seconds']:.0f} s "
          f"({summary['images_per_s']:.0f} images/s); final grid: {summary['final_grid']}")


def _sample(args) -> None:
    import gankit
    from gankit import images

    run = gankit.load(args.run)
    out = Path(args.out or Path(args.run) / "samples" / f"sample-seed{args.seed}.png")
    if out.exists() and not args.force:
        raise GankitError(f"{out} exists; choose another --out or pass --force to replace it")
    x = run.sample(args.n, seed=args.seed, label=args.label)
    if len(run.data_shape) == 3:
        nrow = run.num_classes if (run.num_classes and args.label is None) else None
        images.save_grid(x, out, nrow=nrow, scale=args.scale)
    else:
        images.save_points(x, out, title=f"{args.n} samples, seed {args.seed}")
    print(out)


def _info(args) -> None:
    import gankit

    run = gankit.load(args.run)
    n_params = {k: sum(p.numel() for p in m.parameters()) for k, m in run.recipe.modules.items()}
    records = []
    log = Path(args.run) / "metrics.jsonl"
    if log.is_file():
        records = [json.loads(line) for line in log.read_text().splitlines()[-1:]]
    info = {"run": str(run.path), "preset": run.config.preset, "data": run.config.data.name,
            "data_shape": list(run.data_shape), "classes": run.classes, "arch": run.config.model.arch,
            "recipe": run.config.train.recipe, "step": run.step,
            "epoch": round(run.meta.get("epoch", 0), 2), "parameters": n_params,
            **({"loss": run.config.train.loss, "k": run.config.train.k} if run.config.train.recipe == "gan" else {}),
            "checkpoint": str(run.checkpoint), "last_log": records[0] if records else None}
    if args.json:
        print(json.dumps(info, indent=2))
        return
    for key, value in info.items():
        print(f"{key:>11}: {value}")


def _presets(args) -> None:
    from gankit.config import load_config, preset_names

    for name in preset_names():
        c = load_config(name)
        game = f"loss={c.train.loss} k={c.train.k}" if c.train.recipe == "gan" else ""
        print(f"{name:<16} {c.train.recipe:<4} {c.data.name:<8} {c.model.arch:<15} {game}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gankit", description="Train, sample and inspect GANs.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model; the default is a DCGAN on the embedded MNIST digits")
    t.add_argument("--preset", help="a named configuration (see `gankit presets`); default digits-dcgan")
    t.add_argument("--config", help="a YAML file with data/model/train sections")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one key, e.g. train.k=5")
    t.add_argument("--out", help="the run folder to create (default runs/PRESET-DATE-TIME)")
    t.add_argument("--resume", metavar="RUN", help="continue the run in this folder from its last checkpoint")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=_train)

    s = sub.add_parser("sample", help="draw samples from a trained run into a PNG")
    s.add_argument("run")
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--label", type=int, help="the class to draw (conditional runs)")
    s.add_argument("--out", help="PNG file (default RUN/samples/sample-seedS.png)")
    s.add_argument("--scale", type=int, default=1, help="enlarge each pixel this many times")
    s.add_argument("--force", action="store_true", help="replace --out if it exists")
    s.set_defaults(func=_sample)

    i = sub.add_parser("info", help="what a run is and how far it got")
    i.add_argument("run")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=_info)

    pr = sub.add_parser("presets", help="list the named configurations")
    pr.set_defaults(func=_presets)

    # Subcommands that live beside what they run.
    from gankit import compare
    from gankit.lab import command as lab_command
    from gankit.latent import command as latent_command
    from gankit.metrics.command import add_parser as add_eval_parser

    latent_command.add_parser(sub)   # interpolate, invert, arithmetic
    compare.add_parser(sub)          # compare
    lab_command.add_parser(sub)      # lab
    add_eval_parser(sub)             # eval
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from gankit.training import Interrupted, TrainingDiverged

    try:
        args.func(args)
    except Interrupted as e:
        print(f"gankit: {e}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except TrainingDiverged as e:
        print(f"gankit: error: {e}", file=sys.stderr)
        return EXIT_DIVERGED
    except GankitError as e:
        print(f"gankit: error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("gankit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
