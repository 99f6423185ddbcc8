"""Translation metrics against direct computations: label preservation of real held-out images is the shipped
classifier's held-out accuracy, PSNR is 10 log10(range^2 / MSE) per image, SSIM of identical images is 1, and FID in a
domain's classifier separates that domain from another."""
import json

import pytest
import torch

import gankit
from gankit.cli import main
from gankit.config import load_config
from gankit.data import translation
from gankit.data.translation import load_translation
from gankit.errors import GankitError
from gankit.metrics.distances import frechet_distance
from gankit.metrics.translation import (DOMAIN_CLASSIFIERS, classifier_metadata, domain_classifier, domain_fid,
                                        label_preservation, paired_scores)
from gankit.training import Trainer


def scaled(x: torch.Tensor) -> torch.Tensor:
    return x.float() / 127.5 - 1  # uint8 -> [-1, 1], as the trainer feeds images


@pytest.mark.parametrize("name, source, images, labels", [
    ("digits", "edges2digits", "b", "b_labels"),
    ("colour-digits", "colourise", "b", "b_labels"),
    ("digit-styles", "digit-styles", "a", "a_labels"),
    ("digit-styles-domain", "digit-styles", "a", "a_domain"),
])
def test_label_preservation_of_real_test_images_is_the_classifiers_held_out_accuracy(name, source, images, labels):
    test = load_translation(source, "test")
    accuracy = label_preservation(scaled(getattr(test, images)), getattr(test, labels), domain_classifier(name))
    assert accuracy == pytest.approx(classifier_metadata(name)["held_out_accuracy"], abs=1e-4)


def test_shipped_colour_digits_classifier_reaches_its_goal_and_wrong_labels_score_chance():
    assert classifier_metadata("colour-digits")["held_out_accuracy"] >= 0.97
    test = load_translation("colourise", "test")
    shuffled = test.b_labels[torch.randperm(len(test.b_labels), generator=torch.Generator().manual_seed(0))]
    assert label_preservation(scaled(test.b), shuffled, domain_classifier("colour-digits")) < 0.2


def test_classifiers_take_any_size_and_channel_count_of_their_domain():
    test = load_translation("edges2digits", "test", n=300)
    digits = domain_classifier("digits")
    at_32 = label_preservation(scaled(load_translation("edges2digits", "test", n=300, image_size=32).b),
                               test.b_labels, digits)
    in_rgb = label_preservation(scaled(test.b).expand(-1, 3, -1, -1), test.b_labels, digits)
    assert at_32 > 0.9 and in_rgb == label_preservation(scaled(test.b), test.b_labels, digits)
    assert domain_classifier("colour-digits")(scaled(test.b[:4])).shape == (4, 10)  # gray into the colour one


def test_paired_scores_of_identical_images_are_perfect_and_psnr_is_the_per_image_formula():
    torch.manual_seed(0)
    target = torch.rand(6, 3, 28, 28) * 2 - 1
    assert paired_scores(target, target) == {"psnr": float("inf"), "ssim": pytest.approx(1.0)}
    noisy = (target + 0.1 * torch.randn_like(target)).clamp(-1, 1)
    noisier = (target + 0.3 * torch.randn_like(target)).clamp(-1, 1)
    mse = (noisy - target).pow(2).mean(dim=(1, 2, 3))
    scores = paired_scores(noisy, target)
    assert scores["psnr"] == pytest.approx(float((10 * torch.log10(4 / mse)).mean()), rel=1e-5)
    assert 0 < paired_scores(noisier, target)["ssim"] < scores["ssim"] < 1


def test_domain_fid_is_the_frechet_distance_of_the_classifiers_features():
    test = load_translation("edges2digits", "test")
    digits, edges = scaled(test.b), scaled(test.a)
    classifier = domain_classifier("digits")
    same_domain = domain_fid(digits[:500], digits[500:], classifier)
    other_domain = domain_fid(edges[:500], digits[500:], classifier)
    with torch.no_grad():
        direct = frechet_distance(classifier.features(digits[500:]), classifier.features(edges[:500]))
    assert other_domain == pytest.approx(direct, rel=1e-4)
    assert other_domain > 10 * same_domain


def test_bad_arguments_are_one_line_errors():
    with pytest.raises(GankitError, match="no shipped classifier for domain 'horses'"):
        domain_classifier("horses")
    with pytest.raises(GankitError, match="differ in shape"):
        paired_scores(torch.zeros(2, 1, 28, 28), torch.zeros(2, 3, 28, 28))
    with pytest.raises(GankitError, match="3 images but 2 labels"):
        label_preservation(torch.zeros(3, 1, 28, 28), torch.zeros(2, dtype=torch.long), domain_classifier("digits"))
    assert set(DOMAIN_CLASSIFIERS) == {"digits", "colour-digits", "digit-styles", "digit-styles-domain"}
    assert translation.BUILTIN_TRANSLATION == ("edges2digits", "digits2colour", "colourise", "digit-styles")


# ------------------------------------------------------------------------------------------- gankit eval on runs --

def tiny_run(tmp_path, preset: str, *overrides: str):
    """Two steps of a preset on 16 images with width-8 nets: untrained, but a real run folder to measure."""
    cfg = load_config(preset, overrides=["data.n=16", "model.width=8", "train.steps=2", "train.batch_size=8",
                                         "train.grid_size=4", *overrides])
    Trainer(cfg, tmp_path / preset, progress=False).fit()
    return tmp_path / preset


def eval_json(run, capsys, *options: str) -> dict:
    assert main(["eval", str(run), "--json", *options]) == 0
    record = json.loads(capsys.readouterr().out)
    assert json.loads((run / "eval.json").read_text()) == record
    return record


@pytest.mark.slow
def test_eval_of_a_pix2pix_run_measures_its_translations_of_the_test_split(tmp_path, capsys):
    run_dir = tiny_run(tmp_path, "edges2digits-pix2pix")
    record = eval_json(run_dir, capsys, "--n", "200")
    assert record["recipe"] == "pix2pix" and record["split"] == "test"
    test = load_translation("edges2digits", "test")
    edges, digits, labels = scaled(test.a[:200]), scaled(test.b[:200]), test.a_labels[:200]
    fake = gankit.load(run_dir).translate(edges)
    classifier = domain_classifier("digits")
    assert record["metrics"] == pytest.approx({
        "label_preservation_AtoB": label_preservation(fake, labels, classifier),
        "real_accuracy_AtoB": label_preservation(digits, labels, classifier),
        "fid_AtoB": domain_fid(fake, digits, classifier),
        **{f"{key}_AtoB": value for key, value in paired_scores(fake, digits).items()}}, rel=1e-4)


@pytest.mark.slow
def test_eval_measures_both_directions_of_cyclegan_and_every_target_domain_of_stargan(tmp_path, capsys):
    cyclegan = eval_json(tiny_run(tmp_path, "digits2colour-cyclegan", "model.blocks=1"), capsys, "--n", "150")
    assert set(cyclegan["metrics"]) == {f"{key}_{direction}" for key in ("label_preservation", "real_accuracy", "fid")
                                        for direction in ("AtoB", "BtoA")}
    assert cyclegan["metrics"]["real_accuracy_AtoB"] > 0.9 and cyclegan["metrics"]["real_accuracy_BtoA"] > 0.9
    stargan = eval_json(tiny_run(tmp_path, "digit-styles-stargan", "model.blocks=1"), capsys, "--n", "40")
    metrics = stargan["metrics"]
    for style in translation.DIGIT_STYLES:
        assert 0 <= metrics[f"label_preservation_to_{style}"] <= 1 and 0 <= metrics[f"domain_accuracy_to_{style}"] <= 1
    assert metrics["label_preservation"] == pytest.approx(
        sum(metrics[f"label_preservation_to_{s}"] for s in translation.DIGIT_STYLES) / 5)
    assert "fid" not in metrics  # 40 images per domain are too few for 128-d features: left out, not made up


@pytest.mark.slow
def test_eval_of_a_run_on_an_unlabelled_unpaired_folder_says_what_it_needs(tmp_path, capsys):
    assert main(["make-data", "digits2colour", "--out", str(tmp_path / "mine"), "--subset", "8"]) == 0
    run_dir = tiny_run(tmp_path, "digits2colour-cyclegan", "model.blocks=1", "data.n=null", "data.name=folder",
                       f"data.root={tmp_path / 'mine'}")
    capsys.readouterr()
    assert main(["eval", str(run_dir)]) == 2
    error = capsys.readouterr().err
    assert "has no labels, no shipped classifier and no pairs; pass --features" in error and error.count("\n") == 1
    assert not (run_dir / "eval.json").exists()


class Translating:
    """A stand-in for a loaded run whose translations are a function of ours: what `gankit eval` measures is then
    known exactly."""

    def __init__(self, preset, data_shape, translate, directions=("AtoB", "BtoA")):
        from types import SimpleNamespace
        self.config, self.data_shape, self.path = load_config(preset), data_shape, preset
        self.recipe = SimpleNamespace(directions=directions)
        self._translate = translate

    def translate(self, images, direction="AtoB", to=None):
        return self._translate(images, direction if to is None else to)


def _cyclegan_like(images, direction):
    """AtoB: the gray digit in colour (its three channels alike); BtoA: the colour digit's mean channel, inverted."""
    return images.expand(-1, 3, -1, -1).clone() if direction == "AtoB" else -images.mean(1, keepdim=True)


def test_the_eval_of_a_cyclegan_run_scores_the_runs_own_translations_each_way():
    from gankit.metrics.translation import evaluate_translation_run

    run = Translating("digits2colour-cyclegan", ((1, 28, 28), (3, 28, 28)), _cyclegan_like)
    metrics = evaluate_translation_run(run, n=200)["metrics"]
    test = load_translation("digits2colour", "test")
    a, b = scaled(test.a[:200]), scaled(test.b[:200])
    colour, digits = domain_classifier("colour-digits"), domain_classifier("digits")
    expected = {"label_preservation_AtoB": label_preservation(_cyclegan_like(a, "AtoB"), test.a_labels[:200], colour),
                "label_preservation_BtoA": label_preservation(_cyclegan_like(b, "BtoA"), test.b_labels[:200], digits),
                "real_accuracy_AtoB": label_preservation(b, test.b_labels[:200], colour),
                "real_accuracy_BtoA": label_preservation(a, test.a_labels[:200], digits),
                "fid_AtoB": domain_fid(_cyclegan_like(a, "AtoB"), b, colour),
                "fid_BtoA": domain_fid(_cyclegan_like(b, "BtoA"), a, digits)}
    assert metrics == pytest.approx(expected, rel=1e-4)
    assert metrics["label_preservation_BtoA"] < metrics["real_accuracy_BtoA"] - 0.05  # the figures are the run's


def _stargan_like(images, to):
    """Into domain t: the image darkened by t / 5 (a translation that keeps some digits and loses others)."""
    return images - 2 * to / 5 * (images + 1) / 2


def test_the_eval_of_a_stargan_run_scores_its_translations_into_every_target_domain():
    from gankit.metrics.translation import evaluate_translation_run

    run = Translating("digit-styles-stargan", (3, 28, 28), _stargan_like, directions=())
    metrics = evaluate_translation_run(run, n=40)["metrics"]
    test = load_translation("digit-styles", "test")
    digits, styles = domain_classifier("digit-styles"), domain_classifier("digit-styles-domain")
    for t, name in enumerate(translation.DIGIT_STYLES):
        source = (test.a_domain != t).nonzero().flatten()[:40]
        fake = _stargan_like(scaled(test.a[source]), t)
        assert metrics[f"label_preservation_to_{name}"] == pytest.approx(
            label_preservation(fake, test.a_labels[source], digits), abs=1e-6)
        assert metrics[f"domain_accuracy_to_{name}"] == pytest.approx(
            label_preservation(fake, torch.full((len(fake),), t), styles), abs=1e-6)
    assert len({metrics[f"domain_accuracy_to_{name}"] for name in translation.DIGIT_STYLES}) > 1
