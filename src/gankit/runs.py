"""A run folder, and loading a trained run to sample from it: `gankit.load(run).sample(64)`.

  RUN/config.yaml        the resolved config
  RUN/metrics.jsonl      one JSON record per logged step
  RUN/samples/           fixed-noise grid per epoch (epoch-0001.png ...) and final.png
  RUN/curves.png         losses and D outputs against the step
  RUN/tensorboard/       TensorBoard events
  RUN/checkpoints/       see gankit.checkpoint
  RUN/prior/             the learned inpainting prior, when `gankit prior RUN` made one (gankit.inpainting.prior)
  RUN/prior-video/       the video prior, when `gankit prior RUN --video` made one
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

import torch
import yaml

from gankit.checkpoint import latest_checkpoint, load_weights
from gankit.config import Config, config_from_dict
from gankit.errors import GankitError
from gankit.recipes import RECIPES, require
from gankit.recipes.base import Classifier, Encoder, Sampler, Translator, forward

CONFIG_FILE = "config.yaml"


def read_config(run_dir: Path) -> Config:
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise GankitError(f"{run_dir} is not a gankit run (no {CONFIG_FILE}); train one with `gankit train`")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        raise GankitError(f"{path} is not valid YAML") from None
    return config_from_dict(raw or {}, str(path))


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise GankitError(f"train.device is {name} but this machine has no CUDA device")
    return torch.device(name)


class Run:
    """A trained run: its config, its nets at the latest checkpoint, and sampling.

    Only what sampling needs is built: the nets, with no optimizers. A run trained on your own nets (model.arch
    custom) is loaded with the recipe you built them into: gankit.load(path, recipe=GANRecipe(G, D))."""

    def __init__(self, path: str | Path, device: str = "cpu", recipe=None):
        self.path = Path(path)
        if not self.path.is_dir():
            raise GankitError(f"run folder {self.path} does not exist")
        self.config = read_config(self.path)
        ckpt = latest_checkpoint(self.path / "checkpoints")
        if ckpt is None:
            raise GankitError(f"run {self.path} has no checkpoint yet")
        self.checkpoint = ckpt
        meta = yaml.safe_load((ckpt / "meta.json").read_text())  # JSON is YAML
        self.data_shape, self.classes = tuple(meta["data_shape"]), meta.get("classes")
        self.device = resolve_device(device)
        if recipe is None:
            if self.config.model.arch == "custom":
                raise GankitError(f"run {self.path} was trained on nets passed from Python; load it with "
                                  f"gankit.load(path, recipe=GANRecipe(G, D)) built from the same nets")
            recipe = RECIPES[self.config.train.recipe].from_config(self.config, self.data_shape, meta["num_classes"],
                                                                   self.device)
        self.meta = load_weights(ckpt, recipe.modules, self.config.to_dict()["model"])
        self.step = self.meta["step"]
        self.recipe = recipe
        self.G = recipe.sampler.eval() if isinstance(recipe, Sampler) else None
        if isinstance(recipe, Translator) and recipe.domains is None:  # its domains' names, as training found them
            recipe.domains = self.classes

    @cached_property
    def prior(self):
        """The learned inpainting prior, if `gankit prior RUN` made one (else None). Loaded on first use, so a damaged
        prior stops only what uses it (a one-line error there), never sampling or evaluation."""
        return self._prior(video=False)

    @cached_property
    def video_prior(self):
        """The video prior, if `gankit prior RUN --video` made one (else None); loaded on first use, like `prior`."""
        return self._prior(video=True)

    def _prior(self, video: bool):
        if self.G is None:
            return None
        from gankit.inpainting.prior import load_prior

        return load_prior(self, video=video)

    def __repr__(self) -> str:
        c = self.config
        return (f"Run({str(self.path)!r}: {c.train.recipe} {c.model.arch} on {c.data.name} {list(self.data_shape)}, "
                f"step {self.step})")

    @property
    def num_classes(self) -> int:
        """The classes a sampler is conditioned on (0: unconditional), or a StarGAN run's domains."""
        return len(self.recipe.domains or []) if isinstance(self.recipe, Translator) else self.recipe.num_classes

    def require(self, capability: type) -> None:
        """A one-line error unless this run's recipe has `capability` (gankit.recipes.base)."""
        require(self.recipe, capability, f"run {self.path}")

    def require_image_generator(self, action: str) -> None:
        """A one-line error unless this run draws images from z: what `action` (interpolate, invert, ...) needs."""
        if not isinstance(self.recipe, Sampler):
            raise GankitError(f"run {self.path} is a {self.config.train.recipe} run: it has no latent space to "
                              f"{action}{'; use `gankit translate`' if isinstance(self.recipe, Translator) else ''}")
        if len(self.data_shape) != 3:
            raise GankitError(f"run {self.path} generates points, not images: {action} needs images")

    @torch.no_grad()
    def sample(self, n: int = 64, seed: int | None = None, label: int | torch.Tensor | None = None,
               z: torch.Tensor | None = None) -> torch.Tensor:
        """n samples (images in [-1, 1], or points). Conditional runs take a class `label` (int or one per sample);
        without one they cycle through the classes."""
        if n < 1:
            raise GankitError(f"the number of samples must be positive, got {n}")
        if not isinstance(self.recipe, Sampler):
            raise GankitError(f"run {self.path} is a {self.config.train.recipe} run: it draws no samples"
                              f"{'; use `gankit translate` (run.translate in Python)' if isinstance(self.recipe, Translator) else ''}")
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        if z is None:
            z = torch.randn(n, self.recipe.z_dim, generator=gen)
        y = None
        if self.num_classes:
            if label is None:
                y = torch.arange(n) % self.num_classes
            else:
                y = torch.as_tensor(label).long().expand(n).clone()
                if y.min() < 0 or y.max() >= self.num_classes:
                    raise GankitError(f"label must lie in 0..{self.num_classes - 1}, got {label}")
        elif label is not None:
            raise GankitError(f"run {self.path} is not conditional: it takes no label")
        y = None if y is None else y.to(self.device)
        return forward(self.G, z.to(self.device), y).float().cpu()

    def classify(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits (N, K) of images (N, C, H, W) in [-1, 1] from a run whose D is a classifier (recipe ssl);
        `.argmax(1)` gives the predicted classes, indices into `run.classes`."""
        self.require(Classifier)
        return self.recipe.classify(images.float()).cpu()

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """The latent codes (N, z_dim) of images (N, C, H, W) in [-1, 1] from a run with an encoder (a VAE)."""
        self.require(Encoder)
        return self.recipe.encode(images.float()).cpu()

    def translate(self, images: torch.Tensor, direction: str = "AtoB", to: int | str | None = None) -> torch.Tensor:
        """Images (N, C, H, W) in [-1, 1] translated by a pix2pix, CycleGAN or StarGAN run, in [-1, 1]: `direction`
        AtoB or BtoA (CycleGAN; pix2pix AtoB only), `to` the target domain's index or name (StarGAN)."""
        self.require(Translator)
        return self.recipe.translate(images, direction=direction, to=to)

    def inpaint(self, images: torch.Tensor, masks: torch.Tensor, method: str = "yeh", **settings):
        """Fill the holes (mask 0) of images (N, C, H, W) in [-1, 1] by a search over z (gankit.inpainting.inpaint:
        Yeh et al. 2017, method="fast", or method="prior" from the run's learned prior); settings as there (iters,
        restarts, seed, blend, originals, ...)."""
        from gankit.inpainting import inpaint

        return inpaint(self, images, masks, method=method, **settings)


def load(path: str | Path, device: str = "cpu", recipe=None) -> Run:
    """A trained run folder, ready to sample: `gankit.load("runs/digits-dcgan-...").sample(64, seed=0)`.

    device: where its nets run (cpu, cuda, cuda:N, auto). recipe: only for runs trained on your own nets."""
    return Run(path, device, recipe)
