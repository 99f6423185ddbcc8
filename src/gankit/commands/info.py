"""`gankit info`: what a run is and how far it got."""
from __future__ import annotations

import json

from gankit.commands import options


def add_parser(subparsers) -> None:
    i = subparsers.add_parser("info", help="what a run is and how far it got")
    options.add_run(i)
    options.add_json(i)
    i.set_defaults(func=run)


def run(args) -> None:
    import gankit
    from gankit.recipes import Recipe
    from gankit.runlog import read_log

    run = gankit.load(args.run)
    n_params = {k: sum(p.numel() for p in m.parameters()) for k, m in run.recipe.modules.items()}
    records = read_log(run.path)
    c = run.config
    info = {"run": str(run.path), "preset": c.preset, "data": c.data.name, "data_shape": list(run.data_shape),
            "classes": run.classes, "arch": c.model.arch, "recipe": c.train.recipe, "step": run.step,
            "epoch": round(run.meta.get("epoch", 0), 2), "parameters": n_params,
            "objective": type(run.recipe).objective(c) if isinstance(run.recipe, Recipe) else None,
            "checkpoint": str(run.checkpoint), "last_log": records[-1] if records else None}
    if args.json:
        print(json.dumps(info, indent=2))
        return
    for key, value in info.items():
        print(f"{key:>11}: {value}")
