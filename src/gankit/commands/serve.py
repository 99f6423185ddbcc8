"""`gankit serve`: the web app over trained runs (FastAPI on uvicorn), or `--results`: the game's stored accuracy.

Loopback only unless --host says otherwise: the pages have no login. Needs `pip install gankit[serve]`.
"""
from __future__ import annotations

import os

from gankit.commands import options
from gankit.errors import GankitError

DEFAULT_DATA = "gankit-serve-data"


def add_parser(subparsers) -> None:
    s = subparsers.add_parser("serve", help="a web app over trained runs: samples, latent walk, 'which is real?', "
                                            "a live GAN lab, inpainting")
    s.add_argument("runs", nargs="*", metavar="RUN", help="run folders made by `gankit train`; pages choose them by "
                                                          "their folder's name")
    s.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 opens it to the "
                        "network, with no login)")
    s.add_argument("--port", type=options.bounded_int(1, 65535), default=8000, help="the port (default 8000)")
    s.add_argument("--data", default=DEFAULT_DATA, metavar="DIR",
                   help=f"the folder of the game's results, results.sqlite3 (default ./{DEFAULT_DATA})")
    s.add_argument("--results", action="store_true",
                   help="print the game's accuracy per run stored in --data, and exit")
    s.add_argument("--workers", type=options.bounded_int(1, 64), default=None,
                   help="threads that run the nets (default: the number of CPU cores)")
    s.add_argument("--lab-sessions", type=options.bounded_int(0, 64), default=4,
                   help="live-lab sessions training at once, at most (default 4)")
    options.add_device(s, default="cpu", shown="cpu")
    options.add_json(s)
    s.set_defaults(func=run)


def run(args) -> None:
    if args.results:
        return print_results(args)
    if not args.runs:
        raise GankitError("name at least one run folder to serve (or pass --results to read the game's results)")
    try:
        import uvicorn  # noqa: F401  (gankit.serve.server runs it)

        from gankit.serve.app import create_app
        from gankit.serve.server import run as serve
    except ImportError as e:
        raise GankitError(f"gankit serve needs FastAPI and uvicorn ({e.name} is missing): "
                          f"pip install gankit[serve]") from None
    import torch

    # Each request's ops run on one thread; the workers run requests side by side (gankit.serve.pool).
    torch.set_num_threads(1)
    workers = args.workers or os.cpu_count() or 1
    app = create_app(args.runs, args.data, workers=workers, max_lab_sessions=args.lab_sessions, device=args.device)
    names = ", ".join(app.state.catalog.runs)
    print(f"gankit: serving {names} at http://{args.host}:{args.port}/ (API: /docs); results in "
          f"{args.data}/results.sqlite3")
    serve(app, args.host, args.port)


def print_results(args) -> None:
    import json

    from gankit.serve.game import CHANCE, HUMAN_BASELINE, read_results

    rows = read_results(args.data)
    if args.json:
        print(json.dumps({"runs": rows, "chance": CHANCE, "human_baseline": HUMAN_BASELINE}, indent=2))
        return
    print(f"{'run':<28} {'games':>5} {'answers':>7} {'accuracy':>8}  {'95% CI (Wilson)':<15}  real images")
    for r in rows:
        low, high = r["ci95"]
        print(f"{r['run']:<28} {r['games']:>5} {r['answered']:>7} {r['accuracy']:>8.1%}  "
              f"{low:>6.1%} - {high:<6.1%}  {'held out' if r['held_out'] else 'seen in training'}")
    print(f"chance: {CHANCE:.0%}; people on StyleGAN2 faces (Nightingale & Farid 2022): "
          f"{HUMAN_BASELINE['untrained']:.1%} untrained, {HUMAN_BASELINE['trained with feedback']:.0%} with feedback")
