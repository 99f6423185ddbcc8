"""Measures of image-to-image translation, on images in [-1, 1]: does a translated image keep its class, does it look
like the target domain, and (paired data) how close is it to the truth.

- label_preservation: the accuracy of a classifier of the target domain on translated images, against the labels of
  the images they were translated from. Isola et al. 2017 (the "FCN score", section 4.2) and Zhu et al. 2017 score
  translations the same way, with a net trained on the target domain's real images.
- domain_fid: FID (Heusel et al. 2017) in the target domain, with that domain's classifier as the feature extractor,
  as `gankit eval` uses the digits classifier in place of Inception-v3.
- paired_scores: PSNR and SSIM (Wang et al. 2004) against the ground truth, from torchmetrics.

`domain_classifier(name)` loads the shipped classifiers (gankit/weights/, trained by
scripts/train_feature_classifier.py): digits, colour-digits (MNIST-M), digit-styles (the digit, in any of the five
styles of gankit.data.translation) and digit-styles-domain (the style).
"""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

from gankit.data.dataset import to_unit_range
from gankit.images import check_images, luma
from gankit.errors import GankitError
from gankit.metrics.classifier import IMAGE_SHAPE, Classifier
from gankit.metrics.distances import frechet_distance

DOMAIN_CLASSIFIERS = ("digits", "colour-digits", "digit-styles", "digit-styles-domain")
# The target domain's classifier of each built-in translation data set, by direction (StarGAN's data: "to").
TARGET_CLASSIFIERS = {
    "edges2digits": {"AtoB": "digits"},
    "digits2colour": {"AtoB": "colour-digits", "BtoA": "digits"},
    "colourise": {"AtoB": "colour-digits"},
    "digit-styles": {"to": "digit-styles"},
}


class DomainClassifier(nn.Module):
    """A shipped classifier that takes any images of its domain: images in [-1, 1] of any size, 1 or 3 channels, are
    first converted to what it was trained on (28x28, gray or RGB). forward gives class logits."""

    def __init__(self, classifier: Classifier, name: str, classes: list[str], held_out_accuracy: float):
        super().__init__()
        self.classifier, self.name, self.classes = classifier, name, classes
        self.held_out_accuracy = held_out_accuracy
        self.num_classes, self.num_features = classifier.num_classes, classifier.num_features

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        if x.shape[1] == 3 and self.classifier.in_channels == 1:
            x = luma(x)
        elif x.shape[1] == 1 and self.classifier.in_channels == 3:  # a gray image is a colour image with R = G = B
            x = x.expand(-1, 3, -1, -1)
        elif x.shape[1] != self.classifier.in_channels:
            raise GankitError(f"the {self.name} classifier takes 1- or 3-channel images, got {x.shape[1]} channels")
        if x.shape[-2:] != IMAGE_SHAPE[1:]:
            x = F.interpolate(x, size=IMAGE_SHAPE[1:], mode="bilinear", antialias=True, align_corners=False)
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier.features(self.prepare(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.prepare(x))


def classifier_metadata(name: str) -> dict:
    """The JSON beside a shipped classifier's weights: its data, split, epochs and held-out accuracy."""
    _check_name(name)
    return json.loads(resources.files("gankit").joinpath("weights", f"{name}-classifier.json").read_text())


def domain_classifier(name: str) -> DomainClassifier:
    """The shipped classifier of a domain (one of DOMAIN_CLASSIFIERS), in eval mode on the CPU."""
    meta = classifier_metadata(name)
    weights = resources.files("gankit").joinpath("weights", f"{name}-classifier.safetensors")
    with resources.as_file(weights) as path:
        if not path.is_file():
            raise GankitError(f"the {name} classifier weights are missing from the package; train them with "
                              f"scripts/train_feature_classifier.py {name}")
        model = Classifier(meta["num_classes"], meta["num_features"], meta.get("in_channels", 1))
        model.load_state_dict(load_file(str(path)))
    classes = meta.get("classes") or [str(i) for i in range(model.num_classes)]
    return DomainClassifier(model, name, classes, meta["held_out_accuracy"]).eval()


def load_classifier(spec: str) -> DomainClassifier:
    """A frozen classifier by name or file: one of DOMAIN_CLASSIFIERS, or a `.safetensors` file of
    gankit.metrics.classifier.Classifier (as scripts/train_feature_classifier.py writes it; a JSON of the same name
    beside it may give its classes). Eval mode, no parameter takes a gradient."""
    if spec in DOMAIN_CLASSIFIERS:
        model = domain_classifier(spec)
    else:
        path = Path(spec)
        if not path.is_file():
            raise GankitError(f"classifier '{spec}' is neither a file nor a shipped classifier "
                              f"({', '.join(DOMAIN_CLASSIFIERS)})")
        try:
            state = load_file(str(path))
            num_classes, num_features = state["head.weight"].shape
            classifier = Classifier(num_classes, num_features, state["body.0.weight"].shape[1])
            classifier.load_state_dict(state)
        except Exception as e:  # a wrong or broken file: one line that names it
            raise GankitError(f"classifier file {path} is not a gankit Classifier's safetensors "
                              f"({str(e).splitlines()[0]})") from None
        meta_path = path.with_suffix(".json")
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        classes = meta.get("classes") or [str(i) for i in range(num_classes)]
        model = DomainClassifier(classifier, path.stem, classes, meta.get("held_out_accuracy", float("nan"))).eval()
    return model.requires_grad_(False)


def _check_name(name: str) -> None:
    if name not in DOMAIN_CLASSIFIERS:
        raise GankitError(f"no shipped classifier for domain '{name}'; choose from {', '.join(DOMAIN_CLASSIFIERS)}")


@torch.no_grad()
def _batched(function, images: torch.Tensor, batch_size: int) -> torch.Tensor:
    return torch.cat([function(chunk.float()).float().cpu() for chunk in images.split(batch_size)])


def label_preservation(images: torch.Tensor, labels: torch.Tensor, classifier: nn.Module,
                       batch_size: int = 500) -> float:
    """The share of translated images (N, C, H, W) in [-1, 1] whose class, as the target domain's classifier reads
    it, is the label of the image they were made from."""
    check_images(images, None, "translated images")
    if len(labels) != len(images):
        raise GankitError(f"{len(images)} images but {len(labels)} labels")
    predicted = _batched(classifier, images, batch_size).argmax(1)
    return float((predicted == labels.cpu()).float().mean())


def domain_fid(fake: torch.Tensor, real: torch.Tensor, classifier: nn.Module, batch_size: int = 500) -> float:
    """FID between translated images and real images of the target domain, in the classifier's feature layer
    (`classifier.features`; a module without one is measured in its logits). Each side needs more images than
    there are features (128 for the shipped classifiers)."""
    check_images(fake, None, "translated images")
    check_images(real, None, "real images")
    extract = getattr(classifier, "features", classifier)
    return frechet_distance(_batched(extract, real, batch_size), _batched(extract, fake, batch_size))


def paired_scores(fake: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """{"psnr": dB, "ssim": 0..1} of translated images against their ground truth, both (N, C, H, W) in [-1, 1].
    PSNR is the mean of the per-image PSNRs (inf when every image is exact); SSIM uses the 11x11 Gaussian window
    (sigma 1.5) of Wang et al. 2004, averaged over images and channels."""
    from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

    check_images(fake, None, "translated images")
    check_images(target, None, "target images")
    if fake.shape != target.shape:
        raise GankitError(f"translated images {tuple(fake.shape)} and targets {tuple(target.shape)} differ in shape")
    fake, target = fake.float().cpu(), target.float().cpu()
    psnr = peak_signal_noise_ratio(fake, target, data_range=(-1.0, 1.0), dim=(1, 2, 3))
    ssim = structural_similarity_index_measure(fake, target, data_range=(-1.0, 1.0))
    return {"psnr": float(psnr), "ssim": float(ssim)}


# ---------------------------------------------------------------------------------------- a trained run's figures --

def evaluate_translation_run(run, n: int | None = None, features=None) -> dict:
    """The figures of a pix2pix, CycleGAN or StarGAN run (gankit.load(...)) on its data's test split: per direction
    (AtoB, BtoA) or target domain, label preservation and FID in the target domain with the domain's shipped
    classifier (built-in data: a user's folder has no labels and no classifier), PSNR and SSIM against the truth
    (paired data). Also the classifier's accuracy on the real target images, the ceiling of label preservation.
    n: at most this many test images of each domain. features: an Extractor (gankit.metrics.features, e.g. the
    Inception file) to measure FID in instead of the classifier; a user's folder has FID only with one.
    Returns {"split": ..., "metrics": {name: value}}."""
    from gankit.data.translation import load_translation

    data_config = run.config.data
    source = data_config.root if data_config.name == "folder" else data_config.name
    size = run.data_shape[0][-1] if isinstance(run.data_shape[0], (tuple, list)) else run.data_shape[-1]
    split = "test"
    try:
        data = load_translation(source, "test", image_size=size, channels=data_config.channels,
                                seed=run.config.train.seed)
    except GankitError:
        if data_config.name != "folder":
            raise
        split = "train"  # a folder without a test split: measured on what the run trained on, and said so
        data = load_translation(source, "train", image_size=size, channels=data_config.channels,
                                seed=run.config.train.seed)
    classifiers = TARGET_CLASSIFIERS.get(data_config.name, {})
    measure = None if features is None else _ExtractorFeatures(features)
    if data.domains is not None:
        metrics = _many_domains(run, data, classifiers.get("to"), n, measure)
    else:
        metrics = {}
        for direction in run.recipe.directions:
            metrics.update(_one_direction(run, data, direction, classifiers.get(direction), n, measure))
    if not metrics and measure is not None:
        raise GankitError(f"nothing to measure in run {run.path}: FID in the {measure.num_features}-d features of "
                          f"'{features.name}' needs more than {measure.num_features} {split} images of each domain")
    if not metrics:
        raise GankitError(f"nothing to measure in run {run.path}: its data ({source}) has no labels, no shipped "
                          f"classifier and no pairs; pass --features (e.g. inception-2015-12-05.pt) for FID")
    return {"split": split, "metrics": metrics}


class _ExtractorFeatures:
    """An Extractor (`--features NAME|FILE`) in the shape domain_fid reads: a `features` method."""

    def __init__(self, extractor):
        self.extractor, self.num_features = extractor, extractor.num_features

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.extractor(images)[0]


def _fid(fake: torch.Tensor, real: torch.Tensor, measure) -> float | None:
    """FID, or None when either side has no more images than there are features (its covariance is singular)."""
    dim = getattr(measure, "num_features", None)
    if dim is not None and min(len(fake), len(real)) <= dim:
        return None
    return domain_fid(fake, real, measure)


def _one_direction(run, data, direction: str, classifier_name: str | None, n: int | None,
                   measure) -> dict[str, float]:
    source, target = (data.a, data.b) if direction == "AtoB" else (data.b, data.a)
    labels, target_labels = (data.a_labels, data.b_labels) if direction == "AtoB" else (data.b_labels, data.a_labels)
    source, target = to_unit_range(source[:n]), to_unit_range(target[:n])
    fake = run.translate(source, direction=direction)
    out = {}
    classifier = None if classifier_name is None else domain_classifier(classifier_name)
    if classifier is not None and labels is not None:
        out[f"label_preservation_{direction}"] = label_preservation(fake, labels[:n], classifier)
        out[f"real_accuracy_{direction}"] = label_preservation(target, target_labels[:n], classifier)
    if (measure or classifier) is not None and (fid := _fid(fake, target, measure or classifier)) is not None:
        out[f"fid_{direction}"] = fid
    if data.paired:
        out.update({f"{key}_{direction}": value for key, value in paired_scores(fake, target).items()})
    return out


def _many_domains(run, data, classifier_name: str | None, n: int | None, measure) -> dict[str, float]:
    """Each test image translated into every other domain. Per target domain: label preservation, the share the
    style classifier places in the target domain (StarGAN's classification accuracy, Choi et al. 2018 section 5.4),
    and FID against the real images of that domain; then their means."""
    labelled = classifier_name is not None and data.a_labels is not None
    digits = domain_classifier(classifier_name) if labelled else None
    styles = domain_classifier(f"{classifier_name}-domain") if labelled else None
    out = {}
    for t, name in enumerate(data.domains):
        source = (data.a_domain != t).nonzero().flatten()[:n]
        real = to_unit_range(data.a[data.a_domain == t][:n])
        fake = run.translate(to_unit_range(data.a[source]), to=t)
        if labelled:
            out[f"label_preservation_to_{name}"] = label_preservation(fake, data.a_labels[source], digits)
            out[f"domain_accuracy_to_{name}"] = label_preservation(fake, torch.full((len(fake),), t), styles)
        if (measure or digits) is not None and (fid := _fid(fake, real, measure or digits)) is not None:
            out[f"fid_to_{name}"] = fid
    for key in ("label_preservation", "domain_accuracy", "fid"):
        values = [v for k, v in out.items() if k.startswith(f"{key}_to_")]
        if values:
            out[key] = sum(values) / len(values)
    if labelled:
        out["real_accuracy"] = label_preservation(to_unit_range(data.a[:n]), data.a_labels[:n], digits)
    return out
