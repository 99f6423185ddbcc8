"""`gankit presets`: the named configurations, each with what it trains and its budget."""
from __future__ import annotations

import json

from gankit.commands import options


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("presets", help="list the named configurations, what each trains and for how long")
    options.add_json(p)
    p.set_defaults(func=run)


def run(args) -> None:
    from gankit.config import load_config, preset_description, preset_names
    from gankit.recipes import RECIPES

    rows = []
    for name in preset_names():
        c = load_config(name)
        length = f"{c.train.steps} steps" if c.train.steps else f"{c.train.epochs} epochs"
        rows.append({"preset": name, "recipe": c.train.recipe, "data": c.data.name, "arch": c.model.arch,
                     "objective": RECIPES[c.train.recipe].objective(c),
                     "length": length,
                     "description": preset_description(name)})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        print(f"{r['preset']:<18} {r['recipe']:<4} {r['data']:<7} {r['arch']:<15} {r['objective']:<22} "
              f"{r['length']:<12} "
              f"{r['description']}")
