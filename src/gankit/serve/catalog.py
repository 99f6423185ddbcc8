"""The runs a server offers, by name, and the real images each has that it never trained on.

Requests name a run; they never carry a path. A run's name is its folder's name, so `gankit serve runs/a runs/b`
serves "a" and "b".

Real images for the game and the inpaint page are held out wherever the data allows it:
  - MNIST, Fashion-MNIST, CIFAR-10: the test split (when its files can be found offline);
  - the embedded digits trained on a subset (data.n): the digits not in the subset, found by comparing pixels (the
    trainer's subset is rebuilt exactly: it is a function of data.n and train.seed);
  - otherwise (the embedded digits trained on all 5000, an image folder): the training images themselves, and
    `held_out` is False, which the pages say.
The real images are split in two by parity: the game draws only the even ones and the inpaint page only the odd
ones, so nothing the inpaint page shows can be matched against a game image.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import torch

from gankit.errors import GankitError
from gankit.recipes.base import Sampler
from gankit.serve.errors import BadValue, NotFound

MAX_REAL = 2000  # real images kept per run (28x28 gray: 1.5 MB); plenty for a class's games
MAX_SIDE = 2048  # pixels a side of any picture served: n and scale are bounded together, not only apart


@dataclass
class ServedRun:
    name: str
    run: object                     # gankit.runs.Run
    real: torch.Tensor | None       # uint8 (N, C, H, W) at the run's size, or None for point runs
    held_out: bool                  # whether `real` is data the run never trained on
    real_source: str                # one line saying where `real` came from
    fingerprint: str = ""           # of the checkpoint loaded: what a sample's bytes depend on besides the request

    @property
    def kind(self) -> str:
        return "image" if len(self.run.data_shape) == 3 else "points"

    def describe(self) -> dict:
        r = self.run
        return {"name": self.name, "kind": self.kind, "shape": list(r.data_shape), "step": r.step,
                "z_dim": r.recipe.z_dim, "recipe": r.config.train.recipe, "arch": r.config.model.arch,
                "data": r.config.data.name, "num_classes": r.num_classes,
                "classes": [str(c) for c in (r.classes or [])] if r.num_classes else [],
                "held_out": self.held_out, "real_source": self.real_source}

    def check_label(self, label: int | None) -> None:
        n = self.run.num_classes
        if label is not None and not n:
            raise BadValue(f"run {self.name!r} is not conditional: it takes no label")
        if label is not None and label >= n:
            raise BadValue(f"label must lie in 0..{n - 1} for run {self.name!r}, got {label}")

    def check_side(self, n: int, scale: int) -> None:
        """A picture of n images (a grid when n > 1) at `scale` stays within MAX_SIDE pixels a side."""
        per_row = 1 if n == 1 else math.ceil(math.sqrt(n))
        side = self.run.data_shape[-1] * scale * per_row
        if side > MAX_SIDE:
            raise BadValue(f"that picture would be {side} pixels wide, above {MAX_SIDE}: ask for a smaller scale "
                           f"or fewer samples")

    def game_images(self) -> torch.Tensor:
        return self._real()[0::2]

    def inpaint_images(self) -> torch.Tensor:
        real = self._real()
        return real[1::2] if len(real) > 1 else real

    def _real(self) -> torch.Tensor:
        if self.real is None or not len(self.real):
            raise BadValue(f"run {self.name!r} has no real images to show: {self.real_source}")
        return self.real


def real_images(run) -> tuple[torch.Tensor | None, bool, str]:
    """(uint8 images at the run's size, held out?, where they came from) for a loaded run."""
    from gankit.data import load_dataset
    from gankit.data.stream import StreamedFolder
    from gankit.training.trainer import load_data

    if len(run.data_shape) != 3:
        return None, False, "a point run has no real images to show"
    d = run.config.data
    channels, size = run.data_shape[0], run.data_shape[-1]
    if d.name in ("mnist", "fashion-mnist", "cifar10"):
        try:
            test = load_dataset(d.name, root=d.root, image_size=size, channels=channels, split="test")
            return _spread(test.x), True, f"{d.name} test split: never seen in training"
        except GankitError:
            pass  # the test files are not here: fall back to the training data below
    if d.name == "digits" and d.n is not None:
        full = load_dataset("digits", image_size=d.image_size, channels=d.channels)
        seen = {image.numpy().tobytes() for image in load_data(run.config).x}
        keep = [i for i in range(len(full)) if full.x[i].numpy().tobytes() not in seen]
        if keep:
            return _spread(full.x[torch.tensor(keep)]), True, \
                f"{len(keep)} embedded digits outside the run's training subset (data.n={d.n})"
    if d.name == "custom":
        return None, False, "trained on data passed from Python: no real images to show"
    train = load_data(run.config)
    if isinstance(train, StreamedFolder):  # a folder above data.memory_budget streams from disk: decode a spread of it
        index = torch.linspace(0, len(train) - 1, min(MAX_REAL, len(train))).long()
        return ((train.batch(index)[0] + 1) * 127.5).round().to(torch.uint8), False, (
            f"the run's own training images ({d.name}): it trained on every image there is, so none is held out")
    return _spread(train.x), False, (f"the run's own training images ({d.name}): it trained on every image there is, "
                                     f"so none is held out")


def _spread(x: torch.Tensor) -> torch.Tensor:
    """At most MAX_REAL images, evenly spaced over the set (files are often sorted by class)."""
    if len(x) <= MAX_REAL:
        return x.contiguous()
    return x[torch.linspace(0, len(x) - 1, MAX_REAL).long()].contiguous()


def checkpoint_fingerprint(checkpoint: Path) -> str:
    """Names the weights loaded: a checkpoint folder's path and its files' sizes and times (no reading of them)."""
    files = sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in checkpoint.iterdir() if f.is_file())
    return hashlib.sha256(repr((str(checkpoint.resolve()), files)).encode()).hexdigest()[:16]


class Catalog:
    """The runs given on the command line, loaded once, by name."""

    def __init__(self, paths: list[str | Path], device: str = "cpu"):
        import gankit

        self.runs: dict[str, ServedRun] = {}
        for path in paths:
            path = Path(path)
            name = path.resolve().name
            if name in self.runs:
                raise GankitError(f"two runs are named {name!r}; serve runs whose folders have different names")
            run = gankit.load(path, device=device)
            if not isinstance(run.recipe, Sampler):  # pix2pix, CycleGAN, StarGAN: nothing to sample, walk or play
                raise GankitError(f"run {path} is a {run.config.train.recipe} run: it translates images and has no "
                                  f"samples to serve; use `gankit translate`")
            real, held_out, source = real_images(run)
            self.runs[name] = ServedRun(name, run, real, held_out, source, checkpoint_fingerprint(run.checkpoint))

    def get(self, name: str, kind: str | None = None) -> ServedRun:
        served = self.runs.get(name)
        if served is None:
            raise NotFound(f"no run named {name!r} is served; runs: {', '.join(self.runs) or 'none'}")
        if kind is not None and served.kind != kind:
            made = "images" if served.kind == "image" else "points"
            raise BadValue(f"run {name!r} makes {made}; this needs a run that makes {kind}s")
        return served
