"""The recipe contract in code: what every recipe is (`Recipe`), what some can do (the capabilities), and the one
owner of the step mechanics (`update`, `frozen`, `evaluating`, `adam`).

A recipe is one model family's training step. The trainer owns the loop and knows no family: it builds the recipe
from the config (`from_config`), asks it for its data (`load_data`), calls `train_step` once per real minibatch,
checkpoints `modules` and `optimizers`, and saves the `progress_pictures` it draws. Everything a caller may want
beyond that is a capability, a class the recipe inherits, so a caller asks `isinstance(recipe, Translator)` and a run
without the capability refuses in one line (`gankit.recipes.require`), never a `hasattr` probe.

A recipe's own settings live in its config section, named as the recipe (`cyclegan:`, `ssl:`): the dataclass
`Recipe.settings`, read as `cfg.section(name)`; `train:` keeps what every run shares (gankit.config).

The step mechanics follow stylegan2-ada's training loop (module, optimizer, one block for zero_grad -> backward ->
step) and pytorch/examples' "(1) Update D ... (2) Update G": a recipe computes its losses in named phases (d_step,
g_step) and hands each to `update`; the other player is `frozen` while a loss flows through it; library calls that
need eval mode use `evaluating`, which puts every net back in the mode it found it.
"""
from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from typing import ClassVar

import torch
from torch import nn

from gankit.config import Config
from gankit.errors import GankitError
from gankit.images import check_images  # noqa: F401  (re-exported for the recipes)


class Recipe(ABC):
    """One model family's training step. Subclasses set `name` (its registry name and config section) and, if it
    has settings of its own, `settings` (a dataclass: its config section's fields with their defaults)."""

    name: ClassVar[str]
    settings: ClassVar[type | None] = None
    # Progress pictures: "image" data as grids (or tables), "points" as scatter plots; the trainer saves them.

    @classmethod
    @abstractmethod
    def from_config(cls, cfg: Config, data_shape: tuple, num_classes: int, device) -> "Recipe":
        """The recipe with its nets built as cfg says, for data items of data_shape with num_classes labels."""

    @classmethod
    def load_data(cls, cfg: Config):
        """The training data this recipe's config names (a gankit.data.Dataset)."""
        from gankit.data import load_training_data
        return load_training_data(cfg)

    @classmethod
    def objective(cls, cfg: Config) -> str:
        """What it optimises, in a few words, for listings (gankit presets, gankit info)."""
        return f"loss={cfg.train.loss}, k={cfg.train.k}"

    @classmethod
    def validate(cls, cfg: Config) -> None:
        """One-line errors for settings this family cannot train with (ranges of its own section, relations).
        Subclasses extend it (calling super().validate(cfg) first)."""
        if cfg.train.eval_every and not issubclass(cls, Sampler):
            raise GankitError(f"train.eval_every measures samples of z; recipe {cls.name} has none: use "
                              f"`gankit eval RUN` after training")

    @property
    @abstractmethod
    def modules(self) -> dict[str, nn.Module]:
        """Everything whose weights a checkpoint holds."""

    @property
    @abstractmethod
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Everything whose state a checkpoint holds (made on first use)."""

    @property
    @abstractmethod
    def curve_panels(self) -> list[tuple[str, dict[str, str]]]:
        """What the progress bar shows and curves.png draws: (panel title, {metric: label})."""

    @abstractmethod
    def train_step(self, x: torch.Tensor, y: torch.Tensor | None, step: int) -> dict[str, torch.Tensor]:
        """One step on one real minibatch; the values are detached 0-d tensors, logged under their keys."""

    @abstractmethod
    def progress_pictures(self, data, grid_size: int, seed: int) -> dict[str, tuple[torch.Tensor, int | None]]:
        """The pictures of the current nets, {name: (images (N, C, H, W) or points (N, D), images per row)}; the
        empty name is the main picture (samples/{epoch}.png), others are saved as samples/{name}-{epoch}.png. The same
        inputs every time (seeded by `seed`, from their own generator): drawing consumes no training randomness."""


# -- capabilities ---------------------------------------------------------------------------------------------------
class Sampler(ABC):
    """Draws data from noise: `sampler` maps z (N, z_dim) (and labels y, if num_classes) to data."""

    z_dim: int
    num_classes: int
    can = "sample from a latent space"

    @property
    @abstractmethod
    def sampler(self) -> nn.Module:
        """The net that sampling, grids and the latent tools use (G, its moving average, a VAE's decoder)."""


class Encoder(ABC):
    """Maps data to its latent code: `encode(x) -> z` (a VAE's posterior mean)."""

    can = "encode images into the latent space"

    @abstractmethod
    def encode(self, x: torch.Tensor) -> torch.Tensor: ...


class Translator(ABC):
    """Maps images to images: `translate(images, direction, to)`; `directions` are what it accepts."""

    can = "translate images"
    directions: tuple[str, ...] = ("AtoB",)
    domains: list[str] | None = None  # the target domains' names, where it has several (set from the run folder)

    @abstractmethod
    def translate(self, images: torch.Tensor, direction: str = "AtoB", to=None) -> torch.Tensor: ...


class Classifier(ABC):
    """Names the class of images: `classify(images) -> logits (N, K)`; `accuracy(data)` on a labelled Dataset, and
    `test`, the held-out labelled set it is scored on."""

    can = "classify images"
    test: object

    @abstractmethod
    def classify(self, images: torch.Tensor) -> torch.Tensor: ...

    @abstractmethod
    def accuracy(self, data) -> float: ...


class HasDiscriminator(ABC):
    """Has a discriminator `D` over the data (logits), trained with loss `loss`: what inpainting's perceptual term
    (Yeh et al. 2017) and the lab's pictures of D read."""

    can = "judge images with a discriminator"
    D: nn.Module
    loss: str


class Distributable(ABC):
    """Trains on several processes (torchrun): `distribute(wrap, rank, size)` routes its forward passes through the
    wrapped nets that `wrap(net)` returns (DDP), while `modules` stay the plain nets a checkpoint holds."""

    can = "train on several processes"

    @abstractmethod
    def distribute(self, wrap, rank: int, size: int, sync_bn: bool) -> None: ...


CAPABILITIES = (Sampler, Encoder, Translator, Classifier, HasDiscriminator, Distributable)


def check(*conditions: tuple[bool, str]) -> None:
    """The first failed (condition, message) as a one-line error: what a recipe's `validate` is made of."""
    for ok, message in conditions:
        if not ok:
            raise GankitError(message)


# -- what Samplers share ----------------------------------------------------------------------------------------------
def forward(net: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None):
    """A net's output for x, given the labels y only when there are some: users' own nets may take x alone."""
    return net(x) if y is None else net(x, y)


def fixed_noise(recipe: Sampler, n: int, seed: int, device) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The z (and labels, cycling through the classes) of the progress grids: the same at every epoch, from their own
    generator, so drawing them never disturbs training."""
    z = torch.randn(n, recipe.z_dim, generator=torch.Generator().manual_seed(seed + 1)).to(device)
    y = torch.arange(n, device=device) % recipe.num_classes if recipe.num_classes else None
    return z, y


def fixed_items(data, n: int, seed: int) -> torch.Tensor:
    """A fixed, seeded choice of n real items' indices for a recipe's pictures (data sets may be sorted by class)."""
    return torch.randperm(len(data), generator=torch.Generator().manual_seed(seed + 3))[:n]


def sample_pictures(recipe: Sampler, grid_size: int, seed: int, device) -> dict[str, tuple[torch.Tensor, int | None]]:
    """The fixed-noise grid of a Sampler, in eval mode: one class per column for conditional samplers."""
    z, y = fixed_noise(recipe, grid_size, seed, device)
    with evaluating(recipe.sampler):
        fake = forward(recipe.sampler, z, y).float()
    return {"": (fake, recipe.num_classes or None)}


def autocast(enabled: bool, device: torch.device):
    """bf16 autocast when enabled (train.amp) on CUDA, or on a CPU with native bf16 (AVX-512 BF16 / AMX, as oneDNN
    reports it; emulated bf16 would be slower than float32); a no-op context otherwise."""
    if enabled and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if enabled and device.type == "cpu" and torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


# -- step mechanics -------------------------------------------------------------------------------------------------
def update(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> torch.Tensor:
    """One optimiser step on `loss`: zero_grad -> backward -> step. Returns the loss, detached, for the log."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


@contextlib.contextmanager
def frozen(*nets: nn.Module):
    """The nets' parameters take no gradient inside (the other player while a loss flows through it: stylegan2-ada's
    phases); each parameter's requires_grad is restored afterwards, as it was."""
    params = [p for net in nets for p in net.parameters()]
    was = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, was):
            p.requires_grad_(flag)


@contextlib.contextmanager
def evaluating(*nets: nn.Module, grad: bool = False):
    """Eval mode (dropout off, BatchNorm's running statistics) and, unless grad, no autograd; every net is put back
    in the mode it was found in. Consumes no randomness."""
    was = [net.training for net in nets]
    for net in nets:
        net.eval()
    try:
        with torch.set_grad_enabled(grad and torch.is_grad_enabled()):
            yield
    finally:
        for net, mode in zip(nets, was):
            net.train(mode)


def adam(params, lr: float, betas: tuple[float, float], device=None, eps: float = 1e-8) -> torch.optim.Optimizer:
    """Adam as every family here uses it: fused (one kernel for all parameters) when a device is named where the
    build has it, PyTorch's default implementation otherwise."""
    fused = {"fused": True} if device is not None and torch.device(device).type in ("cuda", "cpu") else {}
    return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps, **fused)


def adam_pair(train, g_params, d_params, device=None, eps: float = 1e-8) -> dict[str, torch.optim.Optimizer]:
    """The two players' optimizers: Adam for G at train.lr_g and for D at train.lr_d, betas (beta1, beta2)."""
    betas = (train.beta1, train.beta2)
    return {"G": adam(g_params, train.lr_g, betas, device, eps), "D": adam(d_params, train.lr_d, betas, device, eps)}
