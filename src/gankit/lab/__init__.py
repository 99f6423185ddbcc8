"""The theory lab: each experiment regenerates one result of the lectures on a toy distribution, in seconds to a few
minutes on a CPU, writes its figures to a folder and returns the numbers that check the claim.

An experiment is one module here with `CLAIM` (one line) and `run(out_dir, quick=False, seed=0) -> dict`. Beside the
experiments sit the studies that measure trained runs against each other: `compare` (GAN against VAE) and `fewlabels`
(GAN data augmentation and the Classification Accuracy Score). The lab sits beside the CLI, above training: it uses
gankit's data, models, losses, recipes and trainer; only the CLI and the benchmarks use it.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from gankit.errors import GankitError

# name -> module; in the order of the lectures.
EXPERIMENTS = {
    "figure1": "gankit.lab.figure1",
    "optimal-d": "gankit.lab.optimal_d",
    "value-function": "gankit.lab.value_function",
    "saturation": "gankit.lab.saturation",
    "mode-collapse": "gankit.lab.mode_collapse",
    "mode-collapse-grid": "gankit.lab.mode_collapse_grid",
    "balance": "gankit.lab.balance",
}


def experiment(name: str) -> ModuleType:
    if name not in EXPERIMENTS:
        raise GankitError(f"unknown lab experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}")
    return importlib.import_module(EXPERIMENTS[name])
