"""The semi-supervised GAN of Salimans et al. (2016, Section 5): a K-class D learns from few labels, from unlabelled
real images and from G's images at once, and G learns by feature matching.

D's K logits l(x) stand for K+1 classes, the (K+1)-th, "generated", with its logit fixed at 0. With Z(x) = sum exp l(x):

  p(y | x, real) = softmax(l(x))_y                      the classifier
  D(x) = Z(x) / (Z(x) + 1) = sigmoid(logsumexp l(x))    the probability that x is real

  L_D = L_supervised + w L_unsupervised
  L_supervised   = -E_{x,y labelled} log p(y | x, real)                     cross-entropy on the K logits
  L_unsupervised = -1/2 E_{x unlabelled} log D(x) - 1/2 E_z log(1 - D(G(z)))
                 =  1/2 E softplus(-logsumexp l(x)) + 1/2 E softplus(logsumexp l(G(z)))   on logits, stably
  L_G = || E_x f(x) - E_z f(G(z)) ||^2 / F        feature matching (Section 3.1), f: D's last hidden layer (F units)

(The halves are the paper's code, improved-gan/mnist_svhn_cifar10/train_mnist_feature_matching.py.)

The trainer hands the recipe unlabelled minibatches of the training split and never their labels: the labelled set
(data.labels_per_class per class, drawn from that same split) and the test set are the recipe's own, loaded on first
use, and a labelled batch is drawn each step from torch's global RNG, whose state the checkpoint holds, so a resumed
run stays bit-identical.

Two more routes share this recipe and network (its settings are the config's `ssl:` section, SSLSettings):
  ssl.unsupervised_weight=0   the supervised baseline: the same D on the labelled images alone (G is never trained)
  ssl.init_from=GAN_RUN       the fine-tune route: D's trunk starts from a GAN's D trained without labels

model.arch picks the nets: "dcgan" (SSLDiscriminator, DCGAN's G) or "improved-gan-mlp", the paper's own MNIST nets
(ImprovedGANDiscriminator, a weight-normalised MLP with Gaussian noise, data-dependently initialised on the first
unlabelled batch; ImprovedGANGenerator). ssl.labelled_batches, ssl.init_images, ssl.init_noise and ssl.g_batch switch
on three more details of their code, one at a time (docs/few-labels.md measures each as a row). ssl.ema > 0 classifies
with an exponential moving average of D's weights, as their code reads its test error from averaged weights.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import cached_property
from typing import Literal
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from gankit.config import Config, TrainConfig
from gankit.data import Dataset
from gankit.errors import GankitError
from gankit.models import DCGANDiscriminator, DCGANGenerator
from gankit.models.ssl import ImprovedGANDiscriminator, ImprovedGANGenerator, SSLDiscriminator
from gankit.recipes.base import (Classifier, Recipe, Sampler, adam_pair, check, evaluating, frozen, sample_pictures,
                                 update)
from gankit.recipes.ema import ema_model

ARCHS = ("dcgan", "improved-gan-mlp")
TEST_BATCH = 1000  # test images classified at a time


@dataclass
class SSLSettings:
    """The config's `ssl:` section."""
    unsupervised_weight: float = 1.0  # weight of the unlabelled/generated loss; 0 = the supervised baseline
    init_from: str | None = None     # a GAN run whose D trunk starts the classifier (the fine-tune route)
    classify_every: int = 0          # log the test accuracy every this many steps; 0 = off
    dropout: float = 0.0             # dropout after each of D's blocks (Salimans et al. 2016)
    ema: float = 0.0                 # decay of a moving average of D's weights, the classifier's; 0 = D itself
    adam_eps: float = 1e-8           # Adam's epsilon for both players; openai/improved-gan's Adam adds 1e-8 under the
    #                                  square root, sqrt(v + 1e-8), about eps 1e-4 in PyTorch's sqrt(v) + eps
    # Three details of openai/improved-gan's train_mnist_feature_matching.py, each off by default (the measured preset):
    labelled_batches: Literal["random", "permutations"] = "random"
    #                                  "random": drawn with replacement; "permutations": consecutive slices of a stream
    #                                  of permutations of the labelled set, theirs (100 labels, batch 100: all 100)
    init_images: int = 0             # improved-gan-mlp's data-dependent init on this many training images drawn at
    #                                  random (theirs: 500); 0 = on the first unlabelled batch
    init_noise: bool = False         # that init with the Gaussian noise drawn (theirs: their init pass is not
    #                                  deterministic)
    g_batch: Literal["same", "fresh"] = "same"
    #                                  G's step on "same": D's unlabelled batch and G's images; "fresh": a second
    #                                  unlabelled batch and new z (theirs: trainx_unl2, and noise drawn anew per call)


def real_probability(logits: torch.Tensor) -> torch.Tensor:
    """D(x) = Z/(Z+1) with Z = sum_k exp(logit_k): sigmoid(logsumexp(logits)), finite for any logits."""
    return torch.sigmoid(torch.logsumexp(logits, dim=1))


def ssl_d_losses(labelled_logits: torch.Tensor, y: torch.Tensor, real_logits: torch.Tensor,
                 fake_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(L_supervised, L_unsupervised) of Salimans et al. Section 5, on logits. -log D(x) = softplus(-logsumexp) and
    -log(1 - D(x)) = softplus(logsumexp): no probability is ever formed, so neither term saturates to inf."""
    supervised = F.cross_entropy(labelled_logits, y)
    unsupervised = 0.5 * (F.softplus(-torch.logsumexp(real_logits, dim=1)).mean() +
                          F.softplus(torch.logsumexp(fake_logits, dim=1)).mean())
    return supervised, unsupervised


def feature_matching_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """|| E f(x) - E f(G(z)) ||^2 over the minibatch, averaged over the features (Salimans et al. 3.1)."""
    return (real_features.mean(0) - fake_features.mean(0)).pow(2).mean()


class SSLRecipe(Recipe, Sampler, Classifier):
    """Build it from your own nets, `SSLRecipe(G, D, labelled, test, train_config, device, settings=SSLSettings())`:
    D maps images to (class logits (N, K), features (N, F)); labelled and test are Datasets with labels (and
    unlabelled=, the training split, for ssl.init_images and ssl.g_batch fresh). Or from a config,
    `SSLRecipe.from_config(...)`, which loads the labelled, test and training splits on first use."""

    name = "ssl"
    settings = SSLSettings
    archs = ARCHS

    def __init__(self, G: nn.Module, D: nn.Module, labelled: Dataset | None = None, test: Dataset | None = None,
                 train: TrainConfig | None = None, device: torch.device | str = "cpu", z_dim: int | None = None,
                 splits=None, settings: SSLSettings | None = None, unlabelled: Dataset | None = None):
        self.train = train if train is not None else TrainConfig()
        self.ssl = settings if settings is not None else SSLSettings()
        self.device = torch.device(device)
        self.z_dim = z_dim or getattr(G, "z_dim", None)
        if not self.z_dim:
            raise GankitError("G has no attribute z_dim: pass z_dim= to SSLRecipe")
        self.G, self.D = G.to(self.device), D.to(self.device)
        self.num_classes = 0  # the sampler is unconditional; the K classes are D's
        self._splits = splits if labelled is None else (lambda: (labelled, test, unlabelled))
        self._labelled: Dataset | None = None
        self._test: Dataset | None = None
        self._unlabelled: Dataset | None = None
        self.init_from = self.ssl.init_from
        self.D_ema = ema_model(self.D, self.ssl.ema) if self.ssl.ema > 0 else None

    @classmethod
    def objective(cls, cfg: Config) -> str:
        return "K+1, feature match" if cfg.section("ssl").unsupervised_weight else "supervised"

    @classmethod
    def from_config(cls, cfg: Config, data_shape: tuple[int, ...], num_classes: int,
                    device: torch.device | str = "cpu") -> "SSLRecipe":
        m, d = cfg.model, cfg.data
        if m.arch not in ARCHS or len(data_shape) != 3:
            raise GankitError(f"the ssl recipe builds nets for images ({', '.join(ARCHS)}), not model.arch "
                              f"{m.arch} on data of shape {data_shape}")
        if m.conditional or m.acgan:
            raise GankitError("the ssl recipe's G is unconditional and its D is the classifier: unset "
                              "model.conditional and model.acgan")
        if not num_classes:
            raise GankitError("the ssl recipe needs a labelled data set, and this one has no labels")
        if not d.labels_per_class:
            raise GankitError("the ssl recipe needs data.labels_per_class (the labels it may see, per class)")
        if (cfg.preset or "").endswith("-finetune") and not cfg.ssl.init_from:
            raise GankitError(f"preset {cfg.preset} fine-tunes a GAN's D: name the GAN run with "
                              f"--set ssl.init_from=RUN (see the preset's comment: gankit presets)")
        channels, size, _ = data_shape
        if m.arch == "improved-gan-mlp":
            G = ImprovedGANGenerator(m.z_dim, size, channels)
            D = ImprovedGANDiscriminator(size, channels, num_classes)
        else:
            G = DCGANGenerator(m.z_dim, size, channels, m.width)
            D = SSLDiscriminator(size, channels, m.width, num_classes, norm=m.d_norm, dropout=cfg.ssl.dropout)

        def splits():
            from gankit.data.labels import few_label_split
            train, labelled, test = few_label_split(d.name, d.labels_per_class, root=d.root, download=d.download,
                                                    n=d.n, seed=cfg.train.seed, image_size=d.image_size,
                                                    channels=d.channels)
            needed = cfg.ssl.init_images or cfg.ssl.g_batch == "fresh"
            return labelled, test, (Dataset(train.x, None, train.classes, train.name) if needed else None)

        return cls(G, D, train=cfg.train, device=device, splits=splits, settings=cfg.section("ssl"))

    @classmethod
    def validate(cls, cfg: Config) -> None:
        super().validate(cfg)
        s = cfg.section("ssl")
        check((0 <= s.dropout < 1, f"ssl.dropout must lie in [0, 1), got {s.dropout}"),
              (s.unsupervised_weight >= 0, f"ssl.unsupervised_weight must not be negative, got {s.unsupervised_weight}"),
              (s.classify_every >= 0, f"ssl.classify_every must not be negative, got {s.classify_every}"),
              (0 <= s.ema < 1, f"ssl.ema is a decay in [0, 1), got {s.ema}"),
              (s.adam_eps > 0, f"ssl.adam_eps must be positive, got {s.adam_eps}"),
              (s.init_images >= 0, f"ssl.init_images must not be negative, got {s.init_images}"),
              (not ((s.init_images or s.init_noise) and cfg.model.arch != "improved-gan-mlp"),
               "ssl.init_images and ssl.init_noise set the data-dependent init of model.arch improved-gan-mlp"),
              (not (s.dropout and cfg.model.arch == "improved-gan-mlp"),
               "model.arch improved-gan-mlp regularises with Gaussian noise, not dropout: unset ssl.dropout"))

    # -- what the trainer and the run folder see --------------------------------------------------------------------
    @property
    def modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "D": self.D} | ({"D_ema": self.D_ema} if self.D_ema is not None else {})

    @cached_property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return adam_pair(self.train, self.G.parameters(), self.D.parameters(), eps=self.ssl.adam_eps)

    @property
    def sampler(self) -> nn.Module:
        return self.G

    def progress_pictures(self, data, grid_size: int, seed: int):
        return sample_pictures(self, grid_size, seed, self.device)

    @property
    def curve_panels(self) -> list[tuple[str, dict[str, str]]]:
        panels = [("losses", {"loss_supervised": "supervised (D)", "loss_unsupervised": "unsupervised (D)",
                              "loss_g": "feature matching (G)"}),
                  ("classifier accuracy", {"accuracy_labelled": "labelled batch", "test_accuracy": "test set"})]
        if self.ssl.unsupervised_weight:
            panels.insert(1, ("D(x) = Z/(Z+1), as probability", {"d_real": "D(x)", "d_fake": "D(G(z))"}))
        return panels

    # -- data ---------------------------------------------------------------------------------------------------------
    @property
    def labelled(self) -> Dataset:
        self._load()
        return self._labelled

    @property
    def test(self) -> Dataset:
        self._load()
        return self._test

    @property
    def unlabelled(self) -> Dataset:
        self._load()
        if self._unlabelled is None:
            raise GankitError("ssl.init_images and ssl.g_batch fresh draw from the training split: pass unlabelled=")
        return self._unlabelled

    def _load(self) -> None:
        if self._labelled is None:
            if self._splits is None:
                raise GankitError("this SSLRecipe was built without labelled data: pass labelled= and test=")
            labelled, test, unlabelled = self._splits()
            self._labelled, self._test = labelled.to(self.device), test.to(self.device)
            self._unlabelled = unlabelled.to(self.device) if unlabelled is not None else None

    def labelled_index(self, step: int) -> torch.Tensor:
        """The labelled batch's indices at this step. "random": drawn with replacement from torch's global RNG (the
        checkpoint holds its state). "permutations": positions step*B .. step*B+B-1 of an endless stream of
        permutations of the labelled set, each seeded from (train.seed, its number), so a resumed run draws the same."""
        n, size = len(self.labelled), self.train.batch_size
        if self.ssl.labelled_batches == "random":
            return torch.randint(n, (size,), device=self.device)
        positions = torch.arange(step * size, (step + 1) * size)
        perms = {k: torch.randperm(n, generator=torch.Generator().manual_seed(self.train.seed * 1_000_003 + k))
                 for k in (positions // n).unique().tolist()}
        return torch.stack([perms[p // n][p % n] for p in positions.tolist()]).to(self.device)

    # -- one step -----------------------------------------------------------------------------------------------------
    def train_step(self, real: torch.Tensor, y: torch.Tensor | None, step: int) -> dict[str, torch.Tensor]:
        """One D step on a labelled and an unlabelled batch (and G's images), then one G step. `y`, the labels of the
        unlabelled batch, is never read."""
        if step == 0 and self.init_from:
            load_gan_trunk(self.D, self.init_from)
        s = self.ssl
        if step == 0 and isinstance(self.D, ImprovedGANDiscriminator):
            self.D.data_dependent_init(self.init_batch(real), noise=s.init_noise)
        x_labelled, y_labelled = self.labelled.batch(self.labelled_index(step))
        if not s.unsupervised_weight:  # the supervised baseline: D alone, on the labelled batch alone
            out = self.d_step(x_labelled, y_labelled, None, None)
        else:
            fresh = s.g_batch == "fresh"
            with torch.no_grad() if fresh else contextlib.nullcontext():
                fake = self.G(torch.randn(real.shape[0], self.z_dim, device=self.device))
            with self.weights_once():
                out = self.d_step(x_labelled, y_labelled, real, fake.detach())
            if fresh:
                index = torch.randint(len(self.unlabelled), (real.shape[0],), device=self.device)
                real, _ = self.unlabelled.batch(index)
                fake = self.G(torch.randn(real.shape[0], self.z_dim, device=self.device))
            with self.weights_once():
                out |= self.g_step(real, fake)
        if self.D_ema is not None:
            self.D_ema.update_parameters(self.D)
        if s.classify_every and (step + 1) % s.classify_every == 0:
            out["test_accuracy"] = torch.tensor(self.accuracy(self.test))
        return out

    def init_batch(self, real: torch.Tensor) -> torch.Tensor:
        """The images of the data-dependent init: the first unlabelled batch, or ssl.init_images drawn at random."""
        if not self.ssl.init_images:
            return real
        n = self.ssl.init_images
        if n > len(self.unlabelled):
            raise GankitError(f"ssl.init_images is {n}, and the training split holds {len(self.unlabelled)} images")
        return self.unlabelled.batch(torch.randperm(len(self.unlabelled), device=self.device)[:n])[0]

    def weights_once(self):
        """The weight-normalised D's weights computed once per phase, not once per forward pass (it has three)."""
        return parametrize.cached() if isinstance(self.D, ImprovedGANDiscriminator) else contextlib.nullcontext()

    def d_step(self, x_labelled: torch.Tensor, y_labelled: torch.Tensor, real: torch.Tensor | None,
               fake: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """(1) Update D: descend L_supervised + w L_unsupervised."""
        labelled_logits, _ = self.D(x_labelled)
        out = {"accuracy_labelled": (labelled_logits.detach().argmax(1) == y_labelled).float().mean()}
        if real is None:
            loss = F.cross_entropy(labelled_logits, y_labelled)
            out["loss_supervised"] = loss.detach()
        else:
            real_logits, _ = self.D(real)
            fake_logits, _ = self.D(fake)
            supervised, unsupervised = ssl_d_losses(labelled_logits, y_labelled, real_logits, fake_logits)
            loss = supervised + self.ssl.unsupervised_weight * unsupervised
            out |= {"loss_supervised": supervised.detach(), "loss_unsupervised": unsupervised.detach(),
                    "d_real": real_probability(real_logits.detach()).mean(),
                    "d_fake": real_probability(fake_logits.detach()).mean()}
        out["loss_d"] = update(self.optimizers["D"], loss)
        return out

    def g_step(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """(2) Update G: match the mean of D's features on G's images to their mean on real images."""
        with frozen(self.D):
            with torch.no_grad():
                _, real_features = self.D(real)
            _, fake_features = self.D(fake)
            return {"loss_g": update(self.optimizers["G"], feature_matching_loss(real_features, fake_features))}

    # -- the classifier -----------------------------------------------------------------------------------------------
    def classify(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits (N, K) of images in [-1, 1], D (or its average, ssl.ema) in eval mode (no dropout or noise;
        no randomness consumed)."""
        D = self.D_ema.module if self.D_ema is not None else self.D
        with evaluating(D):
            return torch.cat([D(chunk.to(self.device))[0].float() for chunk in images.split(TEST_BATCH)])

    def accuracy(self, data: Dataset) -> float:
        """The share of `data` whose class D's classifier names correctly."""
        correct = 0
        for start in range(0, len(data), TEST_BATCH):
            x, y = data.batch(torch.arange(start, min(start + TEST_BATCH, len(data)), device=data.x.device))
            correct += int((self.classify(x).argmax(1) == y.to(self.device)).sum())
        return correct / len(data)


def load_gan_trunk(D: SSLDiscriminator, run_dir: str | Path) -> None:
    """Copy the convolutional trunk of a GAN run's DCGAN D into D (the fine-tune route). The GAN must share D's
    width and normalisation; its real/fake head is left behind, D's class layer keeps its fresh weights."""
    import json

    from gankit.checkpoint import latest_checkpoint, load_weights

    ckpt = latest_checkpoint(Path(run_dir) / "checkpoints")
    if ckpt is None:
        raise GankitError(f"ssl.init_from: {run_dir} has no checkpoint (it should be a GAN run folder)")
    meta = json.loads((ckpt / "meta.json").read_text())
    m = meta.get("model") or {}
    if m.get("arch") != "dcgan" or m.get("conditional") or m.get("acgan"):
        raise GankitError(f"ssl.init_from: {run_dir} is not an unconditional DCGAN run")
    channels, size, _ = meta["data_shape"]
    gan_D = DCGANDiscriminator(size, channels, m["width"], norm=m["d_norm"])
    load_weights(ckpt, {"D": gan_D})
    source, target = list(gan_D.features.state_dict().values()), list(D.features.state_dict().values())
    if len(source) != len(target) or any(a.shape != b.shape for a, b in zip(source, target)):
        raise GankitError(f"ssl.init_from: {run_dir}'s D (model.width {m['width']}, model.d_norm {m['d_norm']}) "
                          f"does not have this run's D trunk; train the GAN with the same width and d_norm")
    with torch.no_grad():
        for a, b in zip(source, target):
            b.copy_(a)
