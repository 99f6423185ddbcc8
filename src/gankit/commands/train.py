"""`gankit train`: train a preset, a config file or both, into a new run folder; or continue one with --resume."""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from gankit.commands import options
from gankit.errors import EXIT_DIVERGED, EXIT_INTERRUPTED, EXIT_SYSTEM_ERROR, GankitError

DEFAULT_PRESET = "digits-dcgan-r1"
FEW_STEPS = 1000  # the default digits run takes 2340 steps to draw recognisable digits of every class


def add_parser(subparsers) -> None:
    t = subparsers.add_parser("train", help="train a model; the default is a DCGAN on the embedded MNIST digits",
                              description="Train a model into a run folder. The length is train.epochs (or "
                                          "train.steps, which wins when set): --set train.epochs=5.")
    t.add_argument("--preset", help=f"a named configuration (see `gankit presets`); default {DEFAULT_PRESET}")
    t.add_argument("--config", help="a YAML file with data/model/train sections (a run's config.yaml repeats it); "
                                    "with --resume, the run's config changed only where a resume may change it")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config key, e.g. train.k=5 or train.steps=2000 (repeatable)")
    options.add_out(t, "the run folder to create (default runs/PRESET-DATE-TIME)")
    options.add_force(t, "a run there is deleted and training starts over (never a folder that is not a run)")
    t.add_argument("--resume", metavar="RUN", help="continue the run in this folder from its last checkpoint")
    t.add_argument("--seed", type=options.bounded_int(0, options.MAX_SEED), help="the seed of the run (train.seed)")
    options.add_device(t, default=None, shown="the config's train.device")
    options.add_json(t)
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--nproc", type=options.bounded_int(1, 1024), default=1, metavar="N",
                   help="train on N processes of this machine (torchrun; one per GPU on CUDA, gloo on CPU), "
                        "each on train.batch_size / N of every batch (default 1)")
    t.set_defaults(func=run)


def run(args) -> None:
    from gankit.training import Interrupted, Trainer, TrainingDiverged
    from gankit.training.distributed import PeerFailed, leave

    cfg, run_dir = _config(args)
    if args.nproc > 1:
        _launch(args, cfg, run_dir)
        return
    trainer = Trainer(cfg, run_dir, resume=bool(args.resume), progress=not args.quiet)
    if not trainer.world.main:  # one of several processes (torchrun): rank 0 does the talking
        try:
            trainer.fit()
        except (Interrupted, TrainingDiverged, PeerFailed) as e:
            # Every process stops at the same step for the same reason, and rank 0 says it once.
            codes = {Interrupted: EXIT_INTERRUPTED, TrainingDiverged: EXIT_DIVERGED, PeerFailed: EXIT_SYSTEM_ERROR}
            raise SystemExit(codes[type(e)]) from None
        leave()
        return
    if trainer.step >= trainer.total_steps:
        print(f"{run_dir} has finished: it is at step {trainer.step} of {trainer.total_steps}; to train longer, "
              f"--set train.steps=N with N above {trainer.step}")
        leave()
        return
    processes = f", {trainer.world.size} processes" if trainer.world.distributed else ""
    print(f"run folder: {run_dir}  ({trainer.total_steps} steps, {trainer.steps_per_epoch} per epoch, "
          f"device {trainer.device}{processes})\ndata: {trainer.data.describe()}", file=sys.stderr)
    if trainer.data.kind == "image" and _draws_with_a_critic(trainer.recipe) and trainer.total_steps < FEW_STEPS:
        print(f"gankit: warning: {trainer.total_steps} steps is little for a GAN: DCGAN needs a few thousand to "
              f"draw more than blobs; set train.steps (e.g. --set train.steps=5000)", file=sys.stderr)
    summary = trainer.fit()
    leave()
    if args.json:
        print(json.dumps({"run": str(run_dir), **summary}, indent=2))
        return
    print(f"trained to step {summary['steps']} in {summary['seconds']:.0f} s "
          f"({summary['images_per_s']:.0f} images/s); final grid: {summary['final_grid']}")
    if summary["cut_by_time"]:
        print(f"gankit: train.minutes={cfg.train.minutes:g} ran out at step {summary['steps']} of "
              f"{trainer.total_steps}; continue with `gankit train --resume {run_dir}`", file=sys.stderr)


def _config(args):
    """The run's config and folder, as the options give them."""
    from gankit.config import load_config, parse_set
    from gankit.runs import read_config
    from gankit.training import resumed_config

    shorthand = [f"train.{key}={getattr(args, key)}" for key in ("seed", "device") if getattr(args, key) is not None]
    if args.resume:
        if args.preset or args.out or args.force:
            raise GankitError("--resume takes the run's own config; drop --preset, --out and --force")
        run_dir = Path(args.resume)
        if not run_dir.is_dir():
            raise GankitError(f"cannot resume {run_dir}: no such run folder")
        changes = _differences(read_config(run_dir), load_config(None, args.config)) if args.config else []
        cfg = resumed_config(run_dir, changes + parse_set(args.set + shorthand))
    else:
        preset = args.preset if (args.preset or args.config) else DEFAULT_PRESET
        cfg = load_config(preset, args.config, args.set + shorthand)
        run_dir = Path(args.out or f"runs/{cfg.preset or 'custom'}-{time.strftime('%Y%m%d-%H%M%S')}")
        if args.force and os.environ.get("RANK", "0") == "0":  # under torchrun, one process clears the folder
            _clear_run(run_dir)
    return cfg, run_dir


def _differences(old, new) -> list[tuple[str, object]]:
    """(section.key, new value) for every key whose value differs between two configs."""
    a, b = old.to_dict(), new.to_dict()
    return [(f"{section}.{key}", value) for section, values in b.items() if isinstance(values, dict)
            for key, value in values.items() if (a.get(section) or {}).get(key) != value]


def _draws_with_a_critic(recipe) -> bool:
    """A sampler trained against a discriminator (the gan recipe and its variants): what the few-steps warning is about."""
    from gankit.recipes.base import HasDiscriminator, Sampler

    return isinstance(recipe, Sampler) and isinstance(recipe, HasDiscriminator)


def _launch(args, cfg, run_dir: Path) -> None:
    """--nproc N: `gankit train --config FILE` in N processes started by torchrun (torch.distributed.run) on this
    machine. FILE is the config resolved and checked here, and the run folder is named here, so every process trains
    the same config into the same folder without parsing the options again."""
    import logging

    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args
    from torch.distributed.run import run as torchrun

    from gankit.training.distributed import World, per_rank_batch

    if "WORLD_SIZE" in os.environ:
        raise GankitError("--nproc starts the processes itself: leave it out under torchrun")
    per_rank_batch(cfg.train.batch_size, World(0, args.nproc, 0))  # an error now rather than in every process
    handle, resolved = tempfile.mkstemp(prefix="gankit-config-", suffix=".yaml")
    with os.fdopen(handle, "w") as f:
        f.write(cfg.to_yaml())
    child = ["--config", resolved, *(["--resume", str(run_dir)] if args.resume else ["--out", str(run_dir)])]
    child += [flag for flag in ("--json", "--quiet") if getattr(args, flag[2:])]
    # Each process gets its share of the cores (torchrun would set 1 and print a warning about it).
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // args.nproc)))
    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)  # it repeats what processes said
    try:
        torchrun(parse_args(["--standalone", f"--nproc_per_node={args.nproc}", "--module", "gankit", "train",
                             *child]))
    except ChildFailedError as e:
        # Each process has said why on its own stderr; torchrun's report would repeat it as a traceback.
        codes = [failure.exitcode for failure in e.failures.values() if failure.exitcode and failure.exitcode > 0]
        raise SystemExit(codes[0] if codes else EXIT_SYSTEM_ERROR) from None
    finally:
        os.remove(resolved)


def _clear_run(run_dir: Path) -> None:
    """--force: delete a gankit run in run_dir so training starts over there; never a folder that holds anything else."""
    import shutil

    from gankit.runs import CONFIG_FILE

    if not run_dir.exists():
        return
    if not (run_dir / CONFIG_FILE).is_file():
        if run_dir.is_dir() and not any(run_dir.iterdir()):
            return
        raise GankitError(f"{run_dir} is not a gankit run (no {CONFIG_FILE}); --force deletes only runs")
    shutil.rmtree(run_dir)
