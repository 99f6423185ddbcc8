"""`gankit lab`: list the experiments, or run one into a folder and print the numbers that check its claim."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from gankit.commands import options
from gankit.errors import GankitError
from gankit.lab import EXPERIMENTS, experiment


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("lab", help="regenerate a result of GAN theory on a toy distribution (figures + numbers)")
    p.add_argument("name", nargs="?", help="the experiment (see --list)")
    p.add_argument("--list", action="store_true", help="list the experiments and the claim each one checks")
    options.add_out(p, "folder for the figures (default lab/NAME); must be empty or new, unless --force")
    options.add_force(p, "a non-empty folder is written into, replacing only the lab's own files there")
    p.add_argument("--quick", action="store_true", help="a smaller, faster version (what the tests run)")
    options.add_seed(p, "of the experiment's nets and data")
    options.add_json(p)
    p.set_defaults(func=run)


def run(args) -> None:
    if args.list:
        width = max(map(len, EXPERIMENTS))
        for name in EXPERIMENTS:
            print(f"{name:<{width}}  {experiment(name).CLAIM}")
        return
    if not args.name:
        raise GankitError(f"name an experiment: gankit lab NAME, one of {', '.join(EXPERIMENTS)} (or --list)")
    import torch  # here, not at the top: `gankit --help` should not pay for importing torch and matplotlib

    from gankit.files import write_text
    from gankit.lab.output import prepare_out_dir

    module = experiment(args.name)
    torch.set_num_threads(1)  # the lab's nets are tiny: one thread is faster than several, and leaves the others free
    out = prepare_out_dir(args.out or Path("lab") / args.name, force=args.force)
    print(f"{args.name}: {module.CLAIM}", file=sys.stderr)
    start, cpu_start = time.perf_counter(), time.process_time()
    numbers = module.run(out, quick=args.quick, seed=args.seed)
    numbers = {**numbers, "wall seconds": round(time.perf_counter() - start, 1),
               "CPU seconds": round(time.process_time() - cpu_start, 1)}
    write_text(out / "numbers.json", json.dumps(numbers, indent=2, default=float) + "\n")
    if args.json:
        print(json.dumps(numbers, indent=2, default=float))
        return
    for key, value in numbers.items():
        if key != "files":
            print(f"{key}: {_format(value)}")
    print("wrote " + ", ".join(str(out / f) for f in numbers["files"] + ["numbers.json"]))


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (tuple, list)) and value and all(isinstance(v, (int, float)) for v in value):
        return ", ".join(_format(v) for v in value)
    if isinstance(value, list) and value and isinstance(value[0], dict):  # a table: one row per line
        return "".join("\n  " + "  ".join(f"{k} {_format(v)}" for k, v in row.items()) for row in value)
    return str(value)
