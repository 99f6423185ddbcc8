import pytest
import torch
import torch.nn.functional as F

from gankit.errors import GankitError
from gankit.metrics import evaluate, load_extractor
from gankit.metrics.distances import frechet_distance


class InceptionStandIn(torch.nn.Module):
    """The call interface of StyleGAN2-ADA's inception-2015-12-05.pt, with 16 features and 8 classes: uint8 RGB in,
    features with return_features=True, probabilities with no_output_bias=True."""

    def __init__(self):
        super().__init__()
        self.project = torch.nn.Linear(48, 16)
        self.classify = torch.nn.Linear(16, 8)

    def forward(self, img: torch.Tensor, return_features: bool = False, no_output_bias: bool = False):
        assert img.dtype == torch.uint8 and img.shape[1] == 3
        x = F.adaptive_avg_pool2d(img.float() / 255, 4).flatten(1)  # the real one resizes to 299 here
        features = torch.relu(self.project(x))
        if return_features:
            return features
        return torch.softmax(self.classify(features), dim=1)


@pytest.fixture
def inception_file(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "inception-2015-12-05.pt"
    torch.jit.script(InceptionStandIn()).save(str(path))
    return path


def test_the_inception_file_is_called_as_stylegan2_ada_calls_it(inception_file, digits):
    extractor = load_extractor(str(inception_file))
    assert (extractor.kind, extractor.num_features, extractor.num_classes) == ("inception", 16, 8)
    real, fake = digits[:300], digits[300:600]
    stand_in = torch.jit.load(str(inception_file))
    as_uint8 = lambda x: (x * 127.5 + 128).clamp(0, 255).to(torch.uint8).expand(-1, 3, -1, -1)  # noqa: E731
    expected = frechet_distance(stand_in(as_uint8(real), return_features=True),
                                stand_in(as_uint8(fake), return_features=True))
    result = evaluate(fake, real, ["fid", "is"], str(inception_file))
    assert result["fid"] == pytest.approx(expected, rel=1e-6)
    assert 1 <= result["is"] <= 8


class TinyFeatures(torch.nn.Module):
    num_features = 8

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(28 * 28, 8)

    def forward(self, x):
        return self.linear(x.flatten(1))


def test_any_torchscript_module_with_num_features_plugs_in(tmp_path, digits):
    path = tmp_path / "tiny.pt"
    torch.jit.script(TinyFeatures()).save(str(path))
    result = evaluate(digits[:200], digits[200:400], ["fid", "kid", "pr"], str(path))
    assert set(result) == {"fid", "kid", "kid_std", "precision", "recall"}
    with pytest.raises(GankitError, match="no class probabilities"):
        evaluate(digits[:200], digits[200:400], ["is"], str(path))


def test_a_python_module_plugs_in_by_module_and_name(digits):
    result = evaluate(digits[:200], digits[200:400], ["fid"], f"{__name__}:TinyFeatures")
    assert result["fid"] >= 0


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


def test_the_shipped_classifiers_are_accurate_and_their_metadata_says_how_they_were_made():
    from gankit.metrics.features import builtin_metadata
    for name, floor in (("digits", 0.97), ("fashion-mnist", 0.88)):
        meta = builtin_metadata(name)
        assert meta["held_out_accuracy"] >= floor and meta["seed"] == 0 and meta["epochs"] > 0
        assert load_extractor(name).num_features == 128
