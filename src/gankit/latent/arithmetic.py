"""Vector arithmetic on latent codes (Radford et al. 2016, Section 6.3.2): a concept is a direction in z.

  v = mean z of a group with the attribute  -  mean z of a group without it,     then  z' = z + scale * v

DCGAN averaged the codes of three exemplars per concept, because single codes were unstable. The groups can be
  - image files (each encoded; a GAN's by inversion), as DCGAN chose its exemplars by hand;
  - labels of the run's training images (e.g. the digit 7 against the digit 1);
  - a measurable attribute of the model's own samples: the codes whose images score in the top quantile against
    those in the bottom quantile (for digits, `ink`: the mean intensity, i.e. stroke thickness). Ink also differs
    between digits (a 1 has less than an 8), so `per_class` takes the top-minus-bottom difference within each class
    the classifier sees and averages those: the digit's identity cancels out of v.
`attribute_shift` checks such a vector on held-out codes: how often the attribute moves the intended way, and how
often the digit classifier still sees the same digit.
"""
from __future__ import annotations

import torch

from gankit.errors import GankitError
from gankit.images import to_unit_interval
from gankit.latent.codes import decode


def ink(x: torch.Tensor) -> torch.Tensor:
    """Per image: mean intensity in [0, 1], the ink mass of a digit drawn light on dark (stroke thickness)."""
    return to_unit_interval(x.float()).flatten(1).mean(dim=1)


ATTRIBUTES = {"ink": ink}


def attribute(name: str):
    if name not in ATTRIBUTES:
        raise GankitError(f"unknown attribute {name!r}; attributes: {', '.join(ATTRIBUTES)}")
    return ATTRIBUTES[name]


def concept_vector(z_with: torch.Tensor, z_without: torch.Tensor) -> torch.Tensor:
    if len(z_with) == 0 or len(z_without) == 0:
        raise GankitError("a concept vector needs at least one code with the attribute and one without")
    return z_with.mean(dim=0) - z_without.mean(dim=0)


def digit_classifier(run):
    """The data set's classifier from gankit.metrics (an Extractor), or None where it has none."""
    try:
        from gankit.metrics import load_extractor
        from gankit.metrics.evaluate import default_features

        return load_extractor(default_features(run.config.data.name))
    except (ImportError, GankitError):
        return None


def predict(classifier, x: torch.Tensor) -> torch.Tensor:
    return classifier(x, logits=True)[1].argmax(dim=1)


def vector_from_attribute(run, name: str = "ink", n: int = 2000, quantile: float = 0.25, per_class: bool = False,
                          seed: int = 0, label: int | None = None) -> torch.Tensor:
    """v from n prior samples: mean z of the top `quantile` by the attribute minus mean z of the bottom one."""
    if not 0 < quantile <= 0.5:
        raise GankitError(f"quantile must lie in (0, 0.5], got {quantile}")
    run.require_image_generator("find attribute vectors in")
    z = torch.randn(n, run.recipe.z_dim, generator=torch.Generator().manual_seed(seed))
    x = decode(run, z, label)
    score = attribute(name)(x)
    if per_class:
        classifier = digit_classifier(run)
        if classifier is None:
            raise GankitError(f"per-class vectors need a classifier for '{run.config.data.name}', and gankit.metrics "
                              f"has none")
        groups = [predict(classifier, x) == c for c in range(classifier.num_classes)]
    else:
        groups = [torch.ones(n, dtype=torch.bool)]
    vectors = []
    for members in groups:
        if members.sum() < 4:  # too few samples of this class to split into quantiles
            continue
        s, zs = score[members], z[members]
        low, high = torch.quantile(s, quantile), torch.quantile(s, 1 - quantile)
        vectors.append(concept_vector(zs[s >= high], zs[s <= low]))
    return torch.stack(vectors).mean(dim=0)


def attribute_shift(run, v: torch.Tensor, name: str = "ink", n: int = 500, scale: float = 1.0, seed: int = 1,
                    label: int | None = None) -> dict[str, float]:
    """Apply z + scale * v to n held-out prior codes (a seed other than the one v came from). Returns the share whose
    attribute rose (`moved`), the mean change, and, where a classifier exists, the share whose digit is unchanged
    (`same_class`; NaN without a classifier)."""
    z = torch.randn(n, run.recipe.z_dim, generator=torch.Generator().manual_seed(seed))
    before, after = decode(run, z, label), decode(run, z + scale * v, label)
    score = attribute(name)
    s0, s1 = score(before), score(after)
    result = {"n": n, "scale": scale, "moved": (torch.sign(torch.tensor(scale)) * (s1 - s0) > 0).float().mean().item(),
              "mean_before": s0.mean().item(), "mean_after": s1.mean().item(), "same_class": float("nan")}
    classifier = digit_classifier(run)
    if classifier is not None:
        result["same_class"] = (predict(classifier, before) == predict(classifier, after)).float().mean().item()
    return result
