"""`gankit` on the command line. User mistakes end in one line on stderr and a non-zero exit, never a traceback.

Every subcommand is one module of gankit.commands with `add_parser(subparsers)` and `run(args)`; the options they
share are added by gankit.commands.options, so each means the same everywhere. Modules import torch and the rest of
gankit inside `run`, so `gankit --help` stays fast.
"""
from __future__ import annotations

import argparse
import os
import sys

from gankit.commands import (arithmetic, compare, eval, info, inpaint, interpolate, invert, lab, make_data, presets,
                             prior, sample, serve, train, translate)
from gankit.errors import EXIT_DIVERGED, EXIT_INTERRUPTED, EXIT_SYSTEM_ERROR, EXIT_USER_ERROR, GankitError

# In the order `gankit --help` lists them: train and use a model, measure it, its latent space, applications, the lab.
COMMANDS = (train, sample, info, presets, make_data, eval, compare, interpolate, invert, arithmetic, prior, inpaint,
            translate, lab, serve)


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """A usage mistake in one line (argparse prints the whole usage first), exit 2."""
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="gankit", description="Train, sample, measure and look inside GANs (and VAEs).")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from gankit.training import Interrupted, TrainingDiverged

    try:
        args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:  # `gankit info RUN | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Interrupted as e:
        print(f"gankit: {e}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except TrainingDiverged as e:
        print(f"gankit: error: {e}", file=sys.stderr)
        return EXIT_DIVERGED
    except GankitError as e:
        print(f"gankit: error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as e:  # a full disk, a read-only folder, a path through a file: the system's reason, in one line
        where = f" ({e.filename})" if e.filename else ""
        print(f"gankit: error: {e.strerror or e}{where}", file=sys.stderr)
        return EXIT_SYSTEM_ERROR
    except KeyboardInterrupt:
        print("gankit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
