"""GAN data augmentation and the Classification Accuracy Score (gankit.lab.fewlabels): generated images carry the class
they were drawn for, mixing keeps the real labelled set whole, the generated-only set holds no real image, and the
classifier learns from the set it is given and nothing else."""
import pytest
import torch
from torch import nn

from gankit.config import load_config
from gankit.data import Dataset
from gankit.data.labels import few_label_split
from gankit.errors import GankitError
from gankit.lab.fewlabels import (augmentation_sets, classifier_accuracy, generate_labelled, keep_most_confident, mix,
                                  repeat_to, train_conditional_gan)
from gankit.models import DCGANGenerator

CLASSES = [str(c) for c in range(10)]


class ClassPainter(nn.Module):
    """A conditional 'G' whose image is one grey level per class: the picture says which y it was asked for."""
    z_dim = 4

    def __init__(self):
        super().__init__()
        self.modes = []

    def forward(self, z, y):
        self.modes.append(self.training)
        return (y.float() / 9 * 2 - 1).view(-1, 1, 1, 1).expand(-1, 1, 8, 8) + 0 * z[:, :1, None, None]


def distinct_images(n, label_of=lambda i: i % 10, seed=0):
    """n different uint8 images (a random pattern each) labelled label_of(i)."""
    x = torch.randint(0, 256, (n, 1, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))
    return Dataset(x, torch.tensor([label_of(i) for i in range(n)]), CLASSES, "test")


def counts(data: Dataset) -> dict[tuple, int]:
    """How often each (image, label) pair occurs."""
    found = {}
    for x, y in zip(data.x, data.y):
        key = (x.numpy().tobytes(), int(y))
        found[key] = found.get(key, 0) + 1
    return found


def test_generated_images_are_labelled_with_the_class_they_were_drawn_for():
    G = ClassPainter().train()
    rng = torch.get_rng_state()
    data = generate_labelled(G, CLASSES, 7, G.z_dim, seed=3)
    assert torch.equal(torch.get_rng_state(), rng)  # z has its own generator: training's RNG is untouched
    assert data.x.dtype == torch.uint8 and data.shape == (1, 8, 8) and data.classes == CLASSES
    assert torch.bincount(data.y, minlength=10).tolist() == [7] * 10
    painted = (data.x[:, 0, 0, 0].float() / 255 * 9).round().long()  # the class each image was drawn for
    assert torch.equal(painted, data.y)
    assert G.modes and not any(G.modes) and G.training  # sampled in eval mode, handed back in train mode


def test_a_conditional_DCGAN_draws_the_same_images_for_the_same_seed():
    torch.manual_seed(0)
    G = DCGANGenerator(16, 28, 1, 8, num_classes=10)
    a, b, c = (generate_labelled(G, CLASSES, 2, 16, seed=s) for s in (0, 0, 1))
    assert a.shape == (1, 28, 28) and torch.equal(a.x, b.x) and not torch.equal(a.x, c.x)


class ZPainter(nn.Module):
    """A conditional 'G' whose image is its z: the picture shows the noise it was given."""
    z_dim = 64

    def forward(self, z, y):
        return (z / 8).clamp(-1, 1).view(-1, 1, 8, 8)


def test_truncation_scales_the_noise_and_must_be_positive():
    full, half = (generate_labelled(ZPainter(), CLASSES, 50, 64, seed=0, truncation=t) for t in (1.0, 0.5))
    spread = [(d.x.float() / 127.5 - 1).std().item() * 8 for d in (full, half)]  # the std of z itself
    assert spread[0] == pytest.approx(1.0, abs=0.02) and spread[1] == pytest.approx(0.5, abs=0.01)
    with pytest.raises(GankitError, match="truncation scales z"):
        generate_labelled(ZPainter(), CLASSES, 1, 64, seed=0, truncation=0)


def judge_module(function):
    class Judge(nn.Module):
        def forward(self, x):
            return function(x)
    return Judge()


def test_filtering_keeps_each_classes_images_the_classifier_is_surest_of():
    data = distinct_images(200)  # 20 random images of each class
    judge = lambda x: torch.stack([20 * x.mean((1, 2, 3)) * (c == 0) for c in range(10)], 1)  # class 0: brightness
    kept = keep_most_confident(data, judge_module(judge), 5)
    assert torch.bincount(kept.y, minlength=10).tolist() == [5] * 10
    pairs = counts(data)
    assert all(key in pairs for key in counts(kept))  # only images of the set, with the labels they were drawn for
    brightness = data.x.float().mean((1, 2, 3))
    zeros = (data.y == 0).nonzero().squeeze(1)
    want = set(zeros[brightness[zeros].topk(5).indices].tolist())  # class 0: the 5 brightest of its 20
    got = {i for i in zeros.tolist() if (data.x[i].numpy().tobytes(), 0) in counts(kept)}
    assert got == want
    with pytest.raises(GankitError, match="has 20 generated images; 21 wanted"):
        keep_most_confident(data, judge_module(judge), 21)


def test_mixing_keeps_every_real_image_with_its_label_drawn_equally_often():
    real, generated = distinct_images(20), distinct_images(100, seed=1)
    mixed = mix(real, generated, real_fraction=0.5)
    found = counts(mixed)
    assert all(found[key] == 5 for key in counts(real))  # 5 whole copies of the 20 real images: half of 200 draws
    assert all(found[key] == 1 for key in counts(generated))
    assert len(mixed) == 200 and sum(found.values()) == 200
    union = mix(real, generated, real_fraction=None)
    assert counts(union) == {**counts(real), **counts(generated)}


def test_the_generated_only_set_holds_no_real_image_and_the_real_set_no_generated_one():
    real, generated = distinct_images(30), distinct_images(50, seed=1)
    sets = augmentation_sets(real, generated)
    real_images = {x.numpy().tobytes() for x in real.x}
    assert not any(x.numpy().tobytes() in real_images for x in sets["generated"].x)
    assert counts(sets["real"]) == counts(real)
    assert set(counts(sets["real+generated"])) == set(counts(real)) | set(counts(generated))


def test_mixing_sets_of_other_classes_or_a_bad_fraction_is_a_one_line_error():
    real = distinct_images(10)
    other = Dataset(real.x, real.y, [f"c{i}" for i in range(10)], "other")
    with pytest.raises(GankitError, match="cannot mix"):
        mix(real, other)
    with pytest.raises(GankitError, match="strictly between 0 and 1"):
        mix(real, real, real_fraction=1.0)


def test_repeat_to_repeats_the_whole_set():
    data = distinct_images(30)
    repeated = repeat_to(data, 100)
    assert len(repeated) == 120 and set(counts(repeated).values()) == {4}
    assert repeat_to(data, 10) is not data and len(repeat_to(data, 10)) == 30


def test_only_a_conditional_gan_and_the_supervised_baseline_are_accepted(tmp_path):
    data = distinct_images(10)
    with pytest.raises(GankitError, match="conditional GAN"):
        train_conditional_gan(load_config("digits-dcgan"), data, tmp_path / "gan")
    with pytest.raises(GankitError, match="unsupervised_weight=0"):
        classifier_accuracy(load_config("digits-ssl"), data, data, tmp_path / "ssl")


@pytest.mark.slow
def test_the_classifier_learns_the_labels_of_the_set_it_is_given_and_no_others(tmp_path):
    """Trained on 100 digits, it beats chance by far; trained on the same digits labelled c+1, it names c+1: so the
    labels it learns are train_set's alone (a generated-only run sees no real label)."""
    _, labelled, test = few_label_split("digits", 10, seed=0)
    shifted = Dataset(labelled.x, (labelled.y + 1) % 10, labelled.classes, labelled.name)
    cfg = load_config("digits-supervised", overrides=["model.width=8", "train.steps=120", "train.grid_size=10"])
    assert classifier_accuracy(cfg, labelled, test, tmp_path / "true") > 0.5
    shifted_test = Dataset(test.x, (test.y + 1) % 10, test.classes, test.name)
    assert classifier_accuracy(cfg, shifted, shifted_test, tmp_path / "shifted") > 0.5
