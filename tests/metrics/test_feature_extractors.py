import hashlib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from gankit.data import load_dataset
from gankit.errors import GankitError
from gankit.metrics import evaluate, load_extractor
from gankit.metrics.features import builtin_metadata

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")  # apt-get install dataset-fashion-mnist


def numpy_fid(a: np.ndarray, b: np.ndarray) -> float:
    """Heusel et al. 2017: |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2), in NumPy and scipy alone."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))


def numpy_inception_score(p: np.ndarray, order: np.ndarray, splits: int = 10) -> float:
    """Salimans et al. 2016: exp(E_x KL(p(y|x) || p(y))) per split of the rows in `order`, averaged over splits."""
    scores = []
    for part in np.array_split(p[order], splits):
        p_y = part.mean(0)
        scores.append(np.exp((part * (np.log(part) - np.log(p_y))).sum(1).mean()))
    return float(np.mean(scores))


# Row k: the class probabilities the stand-in gives an image whose mean gray level (0..255) lies in [32k, 32k + 32).
PROBABILITY_TABLE = torch.full((8, 8), 0.04) + 0.68 * torch.eye(8)  # 0.72 on class k, 0.04 on the seven others
COUNTS = [60, 40, 30, 30, 20, 10, 10, 0]  # images per gray level: an uneven p(y), with one class never produced


class InceptionStandIn(torch.nn.Module):
    """The call interface of StyleGAN2-ADA's inception-2015-12-05.pt, with 16 features and 8 classes: uint8 RGB in,
    features with return_features=True, probabilities with no_output_bias=True (here a row of PROBABILITY_TABLE
    picked by the image's mean gray level, so the Inception Score can be worked out by hand)."""

    def __init__(self):
        super().__init__()
        self.project = torch.nn.Linear(48, 16)
        self.register_buffer("table", PROBABILITY_TABLE.clone())

    def forward(self, img: torch.Tensor, return_features: bool = False, no_output_bias: bool = False):
        assert img.dtype == torch.uint8 and img.shape[1] == 3
        x = F.adaptive_avg_pool2d(img.float() / 255, 4).flatten(1)  # the real one resizes to 299 here
        if return_features:
            return F.softplus(self.project(x))  # pool3 features are >= 0; softplus leaves none dead
        level = img[:, 0].float().mean(dim=(1, 2))
        return self.table[(level / 32).long().clamp(0, 7)]


@pytest.fixture
def inception_file(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "inception-2015-12-05.pt"
    torch.jit.script(InceptionStandIn()).save(str(path))
    return path


def as_uint8(x):
    """StyleGAN2-ADA's conversion of generator output for Inception, gray repeated to RGB."""
    return (x * 127.5 + 128).clamp(0, 255).to(torch.uint8).expand(-1, 3, -1, -1)


def test_the_inception_file_is_called_as_stylegan2_ada_calls_it(inception_file, digits):
    extractor = load_extractor(str(inception_file))
    assert (extractor.kind, extractor.num_features, extractor.num_classes) == ("inception", 16, 8)
    real, fake = digits[:300], digits[300:600]
    stand_in = torch.jit.load(str(inception_file))
    expected = numpy_fid(stand_in(as_uint8(real), return_features=True).detach().numpy(),
                         stand_in(as_uint8(fake), return_features=True).detach().numpy())
    assert evaluate(fake, real, ["fid"], str(inception_file))["fid"] == pytest.approx(expected, rel=1e-4)


def test_the_inception_score_of_the_inception_file_is_that_of_its_probabilities(inception_file):
    # Flat gray images, COUNTS[k] of them at the middle of gray-level band k: image i gets row k of the table.
    classes = torch.repeat_interleave(torch.arange(8), torch.tensor(COUNTS))
    fake = ((32 * classes + 16 - 128) / 127.5).view(-1, 1, 1, 1).expand(-1, 1, 8, 8)
    # The splits: torchmetrics shuffles with torch.randperm from the global RNG, which gankit seeds with `seed`.
    torch.manual_seed(3)
    order = torch.randperm(len(fake)).numpy()
    expected = numpy_inception_score(PROBABILITY_TABLE[classes].double().numpy(), order)
    result = evaluate(fake, fake, ["is"], str(inception_file), seed=3)
    assert result["is"] == pytest.approx(expected, rel=1e-6)
    # A sanity check of the hand computation: all of one class gives exactly 1.
    ones = fake[:COUNTS[0]]
    assert evaluate(ones, ones, ["is"], str(inception_file))["is"] == pytest.approx(1.0, abs=1e-9)


class TinyFeatures(torch.nn.Module):
    num_features = 8

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(28 * 28, 8)
        with torch.no_grad():  # the same weights on every construction, so two ways of loading it can be compared
            generator = torch.Generator().manual_seed(0)
            self.linear.weight.copy_(torch.randn(8, 28 * 28, generator=generator) / 28)
            self.linear.bias.copy_(torch.randn(8, generator=generator))

    def forward(self, x):
        return self.linear(x.flatten(1))


def test_any_torchscript_module_with_num_features_plugs_in(tmp_path, digits):
    path = tmp_path / "tiny.pt"
    torch.jit.script(TinyFeatures()).save(str(path))
    result = evaluate(digits[:200], digits[200:400], ["fid", "kid", "pr"], str(path))
    assert set(result) == {"fid", "kid", "kid_std", "precision", "recall"}
    with pytest.raises(GankitError, match="no class probabilities"):
        evaluate(digits[:200], digits[200:400], ["is"], str(path))


def test_a_python_module_plugs_in_by_module_and_name_and_measures_as_its_torchscript_file(tmp_path, digits):
    fake, real = digits[:200], digits[200:400]
    by_name = evaluate(fake, real, ["fid", "kid", "pr"], f"{__name__}:TinyFeatures")
    with torch.no_grad():
        expected = numpy_fid(TinyFeatures()(real).numpy(), TinyFeatures()(fake).numpy())
    assert by_name["fid"] == pytest.approx(expected, rel=1e-4)
    path = tmp_path / "tiny.pt"
    torch.jit.script(TinyFeatures()).save(str(path))
    by_file = evaluate(fake, real, ["fid", "kid", "pr"], str(path))
    assert by_file == pytest.approx(by_name, rel=1e-6)


def test_a_feature_file_that_does_not_load_is_a_one_line_error(tmp_path):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"not a torchscript archive")
    with pytest.raises(GankitError, match="is not a TorchScript module") as error:
        load_extractor(str(bad))
    assert "\n" not in str(error.value)
    with pytest.raises(GankitError, match="does not exist"):
        load_extractor(str(tmp_path / "missing.pt"))
    with pytest.raises(GankitError, match="cannot load features"):
        load_extractor("no_such_module:Net")


def accuracy(name: str, x: torch.Tensor, y: torch.Tensor) -> float:
    """The share of images whose most probable class, through gankit's extractor, is their label."""
    return float((load_extractor(name)(x, logits=True)[1].argmax(1) == y).double().mean())


def test_the_digits_classifier_is_accurate_on_the_digits_it_never_saw():
    meta = builtin_metadata("digits")
    with resources.as_file(resources.files("gankit").joinpath("weights", "digits-classifier-holdout.safetensors")) \
            as path:
        held = load_file(str(path))["index"]
    # "Held out", as scripts/train_feature_classifier.py defines it: the first 1000 of a seed-0 permutation.
    data = load_dataset("digits")
    permutation = torch.randperm(len(data), generator=torch.Generator().manual_seed(meta["seed"]))
    assert torch.equal(held, permutation[:meta["held_out_size"]].sort().values)
    held_out = accuracy("digits", *data.batch(held))
    assert held_out >= 0.97
    assert held_out == pytest.approx(meta["held_out_accuracy"], abs=0.003)  # what the JSON says, to a few images
    assert meta["train_size"] + meta["held_out_size"] == len(data) and meta["epochs"] > 0


@pytest.mark.slow
def test_the_fashion_mnist_classifier_is_accurate_on_the_test_split():
    if not (FASHION_MNIST / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"Fashion-MNIST is not in {FASHION_MNIST} (apt-get install dataset-fashion-mnist)")
    meta = builtin_metadata("fashion-mnist")
    test = load_dataset("fashion-mnist", root=FASHION_MNIST, split="test")
    assert len(test) == meta["held_out_size"] == 10_000
    held_out = accuracy("fashion-mnist", *test.batch(torch.arange(len(test))))
    assert held_out >= 0.88
    assert held_out == pytest.approx(meta["held_out_accuracy"], abs=0.003)
    assert load_extractor("fashion-mnist").num_features == 128


def test_the_metadata_says_how_each_classifier_was_made():
    for name in ("digits", "fashion-mnist"):
        meta = builtin_metadata(name)
        assert meta["seed"] == 0 and meta["epochs"] > 0 and meta["num_features"] == 128
        weights = resources.files("gankit").joinpath("weights", f"{name}-classifier.safetensors").read_bytes()
        assert hashlib.sha256(weights).hexdigest() == meta["sha256"]
