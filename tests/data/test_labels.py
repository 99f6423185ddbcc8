"""Few-label splits: balanced, seeded, the labelled set inside the unlabelled one, the test set apart from both."""
from importlib import resources

import pytest
import torch
from safetensors.torch import load_file

from gankit.data.labels import digits_test_index, few_label_split, labelled_index
from gankit.errors import GankitError


def _images(x: torch.Tensor) -> set[bytes]:
    return {image.numpy().tobytes() for image in x}


def test_the_digits_test_split_is_the_one_the_shipped_feature_classifier_held_out():
    path = resources.files("gankit.weights").joinpath("digits-classifier-holdout.safetensors")
    assert torch.equal(digits_test_index(), load_file(str(path))["index"].sort().values)


def test_the_labelled_set_is_balanced_inside_the_unlabelled_set_and_the_test_set_is_disjoint_from_both():
    unlabelled, labelled, test = few_label_split("digits", 10, seed=3)
    assert len(unlabelled) == 4000 and len(test) == 1000
    assert torch.equal(labelled.y.bincount(minlength=10), torch.full((10,), 10))
    seen = _images(unlabelled.x)
    assert _images(labelled.x) <= seen
    assert not _images(test.x) & seen
    # The labels travel with their images: each labelled image carries its label in the unlabelled set.
    label_of = {image.numpy().tobytes(): int(y) for image, y in zip(unlabelled.x, unlabelled.y)}
    assert all(label_of[image.numpy().tobytes()] == int(y) for image, y in zip(labelled.x, labelled.y))


def test_the_labelled_choice_is_seeded():
    y = torch.arange(10).repeat_interleave(50)
    first, again, other = labelled_index(y, 5, seed=1), labelled_index(y, 5, seed=1), labelled_index(y, 5, seed=2)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert torch.equal(y[first].bincount(), torch.full((10,), 5))


def test_a_class_with_too_few_items_is_a_one_line_error():
    y = torch.tensor([0] * 20 + [1] * 3)
    with pytest.raises(GankitError, match="class 1 has only 3"):
        labelled_index(y, 5, seed=0)


def test_data_without_a_test_split_is_refused():
    with pytest.raises(GankitError, match="test split"):
        few_label_split("ring8", 10)


def test_the_split_takes_the_configured_size_and_channels():
    unlabelled, labelled, test = few_label_split("digits", 2, image_size=16, channels=3)
    assert unlabelled.shape == labelled.shape == test.shape == (3, 16, 16)
