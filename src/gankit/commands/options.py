"""Options that mean the same in every subcommand: each is added by one function here, with one help text.

  --n N        how many samples the command draws from the model (the default suits the command)
  --seed S     the seed of everything random the command does
  --out PATH   where the command writes; an existing file or run is replaced only with --force
  --force      replace what the command would write (what --out names, or a run's prior)
  --json       print the figures as JSON instead of a table
  --device D   where the nets run: auto (a GPU if there is one), cpu, cuda or cuda:N
"""
from __future__ import annotations

import argparse

MAX_SAMPLES = 1_000_000   # more would take gigabytes (a million 28x28 images are 3 GB as float32)
MAX_SEED = 2**63 - 1      # torch's generators take seeds below 2^63 (and above -2^63)


def bounded_int(low: int, high: int):
    """An argparse type: an integer in [low, high], else argparse's one-line error naming the limit."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must lie in {low}..{high:,}, got {value:,}")
        return value
    return parse


def add_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", help="a run folder made by `gankit train`")


def add_n(p: argparse.ArgumentParser, default: int, purpose: str) -> None:
    p.add_argument("--n", type=bounded_int(1, MAX_SAMPLES), default=default, metavar="N",
                   help=f"samples drawn from the model: {purpose} (default {default})")


def add_seed(p: argparse.ArgumentParser, purpose: str = "of the samples") -> None:
    p.add_argument("--seed", type=bounded_int(0, MAX_SEED), default=0, help=f"the seed {purpose} (default 0)")


def add_out(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--out", metavar="PATH", help=what)


def add_force(p: argparse.ArgumentParser, detail: str = "") -> None:
    p.add_argument("--force", action="store_true", help="replace what the command writes" + (f": {detail}" if detail else ""))


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")


def add_device(p: argparse.ArgumentParser, default: str | None = "auto", shown: str = "auto") -> None:
    p.add_argument("--device", default=default,
                   help=f"where the nets run: auto (a GPU if there is one), cpu, cuda or cuda:N (default {shown})")


def add_inversion(p: argparse.ArgumentParser) -> None:
    """How a GAN is inverted (a VAE uses its encoder), and the seed of the starts and of prior samples."""
    p.add_argument("--invert-steps", type=bounded_int(1, 100_000), default=300,
                   help="GAN inversion: Adam steps per start (default 300)")
    p.add_argument("--restarts", type=bounded_int(1, 1000), default=4,
                   help="GAN inversion: random starts per image (default 4)")
    add_seed(p, "of the inversion's starts and of prior samples")


def inversion_settings(args) -> dict:
    return {"steps": args.invert_steps, "restarts": args.restarts, "seed": args.seed}


def add_label(p: argparse.ArgumentParser) -> None:
    p.add_argument("--label", help="the class, by number or by name (conditional runs)")


def label(run, text: str | None) -> int | None:
    """A class given by number or by name; None when not given."""
    from gankit.errors import GankitError

    if text is None:
        return None
    if not run.num_classes:
        raise GankitError(f"run {run.path} is not conditional: it takes no --label")
    names = [str(c) for c in (run.classes or [])]
    if text in names:
        return names.index(text)
    if text.isdigit() and int(text) < run.num_classes:
        return int(text)
    raise GankitError(f"--label must be a class number 0..{run.num_classes - 1} or a name ({', '.join(names)}), "
                      f"got {text!r}")


def refuse_existing(paths, force: bool) -> None:
    """An existing output file is replaced only with --force."""
    from pathlib import Path

    from gankit.errors import GankitError

    for p in map(Path, paths):
        if p.exists() and not force:
            raise GankitError(f"{p} exists; choose another --out or pass --force to replace it")
        if p.is_dir():
            raise GankitError(f"{p} is a folder; --out names a file here")
