"""`evaluate` and `evaluate_run`: every metric of a set of generated images (or of a run) in one call.

Keys of the returned dict, by metric name asked for:
  fid       -> fid                    Frechet distance of the features (lower is better)
  kid       -> kid, kid_std           kernel distance, mean and std over subsets (lower is better)
  is        -> is, is_std             Inception Score, mean and std over 10 splits (higher is better)
  pr        -> precision, recall      Kynkaanniemi et al. 2019, k = 3 (both in 0..1, higher is better)
  coverage  -> classes, class_kl      classes produced, KL(generated || data) of the class histograms
  parzen    -> parzen, parzen_se, parzen_sigma   Parzen-window log-likelihood of test images (nats)
and for runs on 2-D mixtures (ring8, grid25): modes, high_quality, reverse_kl (gankit.metrics.modes).
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
from tqdm import tqdm

from gankit.data import TOY_DATASETS, load_dataset, toy_modes
from gankit.errors import GankitError
from gankit.images import check_images
from gankit.metrics.coverage import class_coverage
from gankit.metrics.distances import frechet_distance, kernel_distance
from gankit.metrics.features import BUILTIN, Extractor, load_extractor
from gankit.metrics.inception_score import inception_score
from gankit.metrics.modes import mode_stats
from gankit.metrics.parzen import parzen_log_likelihood
from gankit.metrics.precision_recall import precision_recall
from gankit.metrics.reference import reference_features, reference_images

DEFAULT_METRICS = ("fid", "kid", "is", "pr", "coverage")
METRICS = DEFAULT_METRICS + ("parzen",)
HAS_TEST_SPLIT = ("mnist", "fashion-mnist", "cifar10")
PARZEN_VALIDATION = 1000  # images held back from the test images to choose sigma


def _metric_list(metrics: str | Iterable[str]) -> list[str]:
    names = [m.strip() for m in (metrics.split(",") if isinstance(metrics, str) else metrics) if m.strip()]
    unknown = [m for m in names if m not in METRICS]
    if unknown or not names:
        raise GankitError(f"unknown metric {', '.join(unknown) or '(none given)'}; choose from {', '.join(METRICS)}")
    return names


def evaluate(fake: torch.Tensor, real: torch.Tensor | str, metrics: str | Iterable[str] = DEFAULT_METRICS,
             features: str | Extractor = "digits", *, root: str | Path | None = None, n_real: int | None = None,
             kid_subsets: int = 100, kid_subset_size: int = 1000, seed: int = 0,
             cache_dir: str | Path | None = None, device: str | torch.device = "cpu") -> dict[str, float]:
    """Metrics of generated images `fake` (N, C, H, W) in [-1, 1] against `real`: images in [-1, 1] of the same
    size, or the name of a built-in data set (its training images, converted to fake's size and channels; their
    features are cached). `features`: an extractor or its spec (see gankit.metrics.features). See the module
    docstring for the keys."""
    names = _metric_list(metrics)
    check_images(fake, None, "generated images")
    extractor = features if isinstance(features, Extractor) else load_extractor(features, device)
    wants_logits = any(m in names for m in ("is", "coverage"))
    channels, size = fake.shape[1], fake.shape[-1]
    needs_real = any(m in names for m in ("fid", "kid", "pr", "coverage"))
    real_features = real_logits = None
    if isinstance(real, str):
        if real not in BUILTIN and real != "cifar10":
            raise GankitError(f"real data '{real}' is not a built-in image data set; pass the images instead")
        if needs_real:
            real_features, real_logits = reference_features(
                real, extractor, image_size=size, channels=channels, root=root, n=n_real, seed=seed,
                logits="coverage" in names, cache_dir=cache_dir)
    else:
        check_images(real, None, "real images")
        if real.shape[1:] != fake.shape[1:]:
            raise GankitError(f"real images are {'x'.join(map(str, real.shape[1:]))} but generated images are "
                              f"{'x'.join(map(str, fake.shape[1:]))}; both sets need the same size and channels")
        if needs_real:
            real_features, real_logits = extractor(real, logits="coverage" in names)
    needs_features = any(m in names for m in ("fid", "kid", "pr"))
    fake_features, fake_logits = (extractor(fake, logits=wants_logits) if needs_features or wants_logits
                                  else (None, None))

    result: dict[str, float] = {}
    if "fid" in names:
        result["fid"] = frechet_distance(real_features, fake_features)
    if "kid" in names:
        result["kid"], result["kid_std"] = kernel_distance(real_features, fake_features, kid_subsets,
                                                           kid_subset_size, seed)
    if "is" in names:
        result["is"], result["is_std"] = inception_score(fake_logits, seed=seed)
    if "pr" in names:
        result["precision"], result["recall"] = precision_recall(real_features, fake_features)
    if "coverage" in names:
        result.update(class_coverage(fake_logits, real_logits))
    if "parzen" in names:
        result.update(_parzen(fake, real, root, seed))
    return result


def _parzen(fake: torch.Tensor, real: torch.Tensor | str, root, seed: int) -> dict[str, float]:
    """Test images: the data set's test split when it has one, else the real images given (or the data set itself,
    which the generator has seen). A seeded tenth of them, at most PARZEN_VALIDATION, choose sigma; the rest are
    scored."""
    if isinstance(real, str):
        split = "test" if real in HAS_TEST_SPLIT else "train"
        real = reference_images(real, split=split, image_size=fake.shape[-1], channels=fake.shape[1], root=root)
    order = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed))
    held = min(PARZEN_VALIDATION, len(real) // 10 or 1)
    return parzen_log_likelihood(fake, real[order[held:]], real[order[:held]])


def check_features_fit(features: str | Extractor, image_shape: tuple[int, ...], dataset: str | None = None) -> None:
    """A built-in classifier measures only the data it was trained on: 28x28 gray images of its own data set."""
    if not isinstance(features, str) or features not in BUILTIN:
        return
    if tuple(image_shape) != (1, 28, 28) or (dataset in BUILTIN and BUILTIN[dataset] != BUILTIN[features]):
        what = f"{dataset} images" if dataset in BUILTIN else "images of {}x{}x{}".format(*image_shape)
        raise GankitError(f"the built-in '{features}' features are a classifier of 28x28 gray {BUILTIN[features]} "
                          f"images, not fit to measure {what}; built-in features exist for digits/mnist and "
                          f"fashion-mnist; otherwise pass --features with the Inception file inception-2015-12-05.pt "
                          f"(see docs/evaluation.md) or an extractor of your own")


def default_features(dataset: str) -> str:
    if dataset in BUILTIN:
        return dataset
    raise GankitError(f"gankit has no built-in feature extractor for '{dataset}'; pass one with --features "
                      f"(e.g. the Inception-v3 file inception-2015-12-05.pt, see docs/evaluation.md)")


@torch.no_grad()
def sample_run(run, n: int, seed: int = 0, batch_size: int = 1000) -> torch.Tensor:
    """n samples of a run, in batches, the same for the same seed."""
    starts = tqdm(range(0, n, batch_size), desc="sampling", unit="batch", disable=None, leave=False)
    return torch.cat([run.sample(min(batch_size, n - start), seed=seed + start) for start in starts])


def evaluate_run(run, n: int = 10_000, metrics: str | Iterable[str] = DEFAULT_METRICS,
                 features: str | Extractor | None = None, *, seed: int = 0, n_real: int | None = None,
                 cache_dir: str | Path | None = None) -> dict[str, float]:
    """Metrics of `n` samples of a trained run (gankit.load(...)) against the data it was trained on.

    Image runs: `evaluate` with the run's data set at the run's image size; features default to the data set's
    built-in classifier. Runs on a 2-D mixture: mode statistics of the n points (metrics and features are ignored).
    """
    if n < 2:
        raise GankitError(f"evaluation needs at least 2 samples, got --n {n}")
    data = run.config.data
    fake = sample_run(run, n, seed)
    if fake.ndim == 2:
        if data.name not in TOY_DATASETS:
            raise GankitError(f"run data '{data.name}' is not a toy distribution")
        centres, std = toy_modes(data.name)
        return mode_stats(fake, centres, std)
    if features is None:
        features = default_features(data.name)
    check_features_fit(features, tuple(fake.shape[1:]), data.name)
    if data.name == "folder":
        real = load_dataset("folder", root=data.root, image_size=fake.shape[-1], channels=fake.shape[1])
        real = real.batch(torch.arange(len(real)))[0]
    else:
        real = data.name
    return evaluate(fake, real, metrics, features, root=data.root, n_real=n_real, seed=seed, cache_dir=cache_dir,
                    device=run.device)
