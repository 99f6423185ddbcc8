"""GAN data augmentation for few labels, and the Classification Accuracy Score.

A conditional GAN (Mirza & Osindero 2014; or ACGAN) trained on the labelled images draws extra images of each class;
the few-label baseline's classifier (the `ssl` recipe's D with ssl.unsupervised_weight=0, docs/few-labels.md) is
then trained on

  real             the labelled images alone                                        the baseline
  real+generated   the labelled images and G's, every real image kept               augmentation (DAGAN's question)
  generated        G's images alone, each labelled with the class it was drawn for  the Classification Accuracy Score
                                                                                    (Ravuri & Vinyals 2019)

and scored on the held-out test split. Everything here is built from the real trainer and recipes; the benchmark that
prints the table is benchmarks/augmentation.py.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from gankit.config import Config
from gankit.data import Dataset
from gankit.errors import GankitError
from gankit.images import to_uint8
from gankit.models import DCGANGenerator
from gankit.models.ssl import SSLDiscriminator
from gankit.recipes import GANRecipe, SSLRecipe, forward
from gankit.recipes.base import evaluating
from gankit.runs import resolve_device
from gankit.training import Trainer

SETS = ("real", "real+generated", "generated")
# The trainer checkpoints and draws pictures once an epoch: a set of 100 labelled images would be one step long, so
# training sets are repeated whole until an epoch has at least this many steps.
MIN_STEPS_PER_EPOCH = 64
GENERATE_BATCH = 500


def repeat_to(data: Dataset, n: int) -> Dataset:
    """`data` repeated whole until it holds at least n items (each item equally often)."""
    copies = max(1, -(-n // len(data)))
    y = None if data.y is None else data.y.repeat(copies)
    return Dataset(data.x.repeat(copies, *[1] * (data.x.dim() - 1)), y, data.classes, data.name)


def generate_labelled(G: nn.Module, classes: list[str], per_class: int, z_dim: int, *, seed: int,
                      device: torch.device | str = "cpu", truncation: float = 1.0) -> Dataset:
    """`per_class` images of each class from a conditional G(z, y), each labelled y, the class it was drawn for, as
    uint8 like real data. z comes from its own seeded generator (the global RNG is untouched), scaled by `truncation`
    (z ~ N(0, truncation^2 I): below 1 trades variety for typical images, as BigGAN's truncation does); G runs in
    eval mode, as for sampling, and is left in the mode it was in."""
    if truncation <= 0:
        raise GankitError(f"truncation scales z: it must be positive, got {truncation}")
    y = torch.arange(len(classes)).repeat_interleave(per_class)
    z = truncation * torch.randn(len(y), z_dim, generator=torch.Generator().manual_seed(seed))
    with evaluating(G):
        x = torch.cat([forward(G, z[i:i + GENERATE_BATCH].to(device), y[i:i + GENERATE_BATCH].to(device)).float().cpu()
                       for i in range(0, len(y), GENERATE_BATCH)])
    return Dataset(torch.from_numpy(to_uint8(x)), y, list(classes), "generated")


def keep_most_confident(generated: Dataset, classifier: nn.Module, per_class: int) -> Dataset:
    """Of each class's generated images, the `per_class` that `classifier` (images in [-1, 1] -> class logits, e.g.
    the shipped data-set classifier, trained on real images) gives the highest probability of the class they were
    drawn for: rejection of the images whose class is in doubt (classifier filtering of generated data). Draw
    several times per_class and keep per_class."""
    with evaluating(classifier):
        probs = torch.cat([classifier(chunk.float() / 127.5 - 1).softmax(1)
                           for chunk in generated.x.split(GENERATE_BATCH)])
    confidence = probs.gather(1, generated.y[:, None]).squeeze(1)
    keep = []
    for c in range(len(generated.classes)):
        mine = (generated.y == c).nonzero().squeeze(1)
        if len(mine) < per_class:
            raise GankitError(f"class {generated.classes[c]} has {len(mine)} generated images; {per_class} wanted")
        keep.append(mine[confidence[mine].topk(per_class).indices.sort().values])
    keep = torch.cat(keep)
    return Dataset(generated.x[keep], generated.y[keep], generated.classes, generated.name)


def mix(real: Dataset, generated: Dataset, real_fraction: float | None = 0.5) -> Dataset:
    """The real and the generated set as one labelled set. real_fraction: the share of draws that should fall on real
    images, met (to the nearest whole copy) by repeating the real set whole, so every real image keeps its label and
    is drawn equally often; None: the plain union. With 10 labels per class and 100 generated, the union would leave
    the real images 9 % of every batch."""
    if real.classes != generated.classes or real.shape != generated.shape:
        raise GankitError(f"cannot mix {real.name} ({real.shape}, classes {real.classes}) with generated images "
                          f"({generated.shape}, classes {generated.classes})")
    copies = 1
    if real_fraction is not None:
        if not 0 < real_fraction < 1:
            raise GankitError(f"the real fraction must lie strictly between 0 and 1, got {real_fraction}")
        copies = max(1, round(real_fraction / (1 - real_fraction) * len(generated) / len(real)))
    return Dataset(torch.cat([real.x.repeat(copies, 1, 1, 1), generated.x]),
                   torch.cat([real.y.repeat(copies), generated.y]), real.classes, real.name)


def augmentation_sets(real: Dataset, generated: Dataset, real_fraction: float | None = 0.5) -> dict[str, Dataset]:
    """The three training sets of the table, named as SETS: the generated-only set holds no real image."""
    return {"real": real, "real+generated": mix(real, generated, real_fraction), "generated": generated}


def train_conditional_gan(cfg: Config, labelled: Dataset, run_dir: str | Path) -> GANRecipe:
    """Train the conditional GAN `cfg` describes (e.g. preset digits-cdcgan or digits-acgan) on the labelled images
    alone, with the real trainer, into run_dir; its recipe, whose `sampler` draws G(z, y)."""
    if cfg.train.recipe != "gan" or not (cfg.model.conditional or cfg.model.acgan):
        raise GankitError("augmentation needs a conditional GAN: train.recipe gan with model.conditional or "
                          "model.acgan (presets digits-cdcgan, digits-acgan)")
    trainer = Trainer(cfg, run_dir, progress=False,
                      data=repeat_to(labelled, MIN_STEPS_PER_EPOCH * cfg.train.batch_size))
    trainer.fit()
    return trainer.recipe


def classifier_accuracy(cfg: Config, train_set: Dataset, test: Dataset, run_dir: str | Path) -> float:
    """Train the few-label baseline's classifier `cfg` describes (the ssl recipe with ssl.unsupervised_weight=0:
    presets digits-supervised, fashion-supervised) on train_set alone, and return its accuracy on test. The trainer's
    data is train_set too (the baseline never reads it: its batches are drawn from the labelled set), so nothing but
    train_set reaches the classifier."""
    m, t = cfg.model, cfg.train
    if t.recipe != "ssl" or cfg.ssl.unsupervised_weight:
        raise GankitError("the classifier is the few-label baseline: train.recipe ssl with ssl.unsupervised_weight=0 "
                          "(presets digits-supervised, fashion-supervised)")
    if not train_set.num_classes or train_set.classes != test.classes:
        raise GankitError("the classifier needs labelled training and test sets with the same classes")
    channels, size, _ = train_set.shape
    torch.manual_seed(t.seed)
    # The nets SSLRecipe.from_config builds; G is never trained by the baseline.
    G = DCGANGenerator(m.z_dim, size, channels, m.width)
    D = SSLDiscriminator(size, channels, m.width, train_set.num_classes, norm=m.d_norm, dropout=cfg.ssl.dropout)
    recipe = SSLRecipe(G, D, labelled=train_set, test=test, train=t, device=resolve_device(t.device),
                       settings=cfg.ssl)
    trainer = Trainer(cfg, run_dir, progress=False, data=repeat_to(train_set, MIN_STEPS_PER_EPOCH * t.batch_size),
                      recipe=recipe)
    trainer.fit()
    return recipe.accuracy(recipe.test)
