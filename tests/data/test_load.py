"""load_dataset itself: names, splits, subsets, and the resize and channel conversions every image set shares."""
import numpy as np
import pytest
import torch
from PIL import Image

from datafiles import write_cifar_batch, write_idx, write_mnist
from gankit.data import DATASETS, load_dataset
from gankit.errors import GankitError


def test_digits_resized_to_32_stay_uint8():
    data = load_dataset("digits", image_size=32)
    assert data.x.shape == (5000, 1, 32, 32) and data.x.dtype == torch.uint8
    assert data.y.bincount().tolist() == [500] * 10


def test_gray_to_rgb_repeats_the_gray_channel():
    gray = load_dataset("digits", n=50)
    rgb = load_dataset("digits", n=50, channels=3)
    assert rgb.x.shape == (50, 3, 28, 28) and rgb.x.dtype == torch.uint8
    assert all(torch.equal(rgb.x[:, c], gray.x[:, 0]) for c in range(3))


def test_resize_and_channels_together():
    data = load_dataset("digits", n=10, image_size=64, channels=3)
    assert data.x.shape == (10, 3, 64, 64) and data.x.dtype == torch.uint8


def test_rgb_to_gray_matches_pillow(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (4, 3072), dtype=np.uint8)
    write_cifar_batch(tmp_path / "test_batch", pixels, [0, 1, 2, 3])
    gray = load_dataset("cifar10", root=tmp_path, split="test", channels=1).x
    images = pixels.reshape(4, 3, 32, 32).transpose(0, 2, 3, 1)
    expected = np.stack([np.asarray(Image.fromarray(image).convert("L")) for image in images])
    assert gray.shape == (4, 1, 32, 32) and np.array_equal(gray[:, 0].numpy(), expected)


def test_downscale_is_antialiased(tmp_path):
    # A one-pixel checkerboard shrunk by a non-integer factor must average to mid-gray; point sampling would give
    # a moire of dark and light pixels.
    board = ((np.indices((28, 28)).sum(0) % 2) * 255).astype(np.uint8)
    write_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.stack([board] * 30))
    small = load_dataset("mnist", root=tmp_path, image_size=10).x
    assert small.shape == (30, 1, 10, 10)
    assert (small[:, :, 2:-2, 2:-2].float() - 127.5).abs().max() < 8


def test_subset_is_seeded_and_reproducible():
    a = load_dataset("digits", n=100, seed=1)
    b = load_dataset("digits", n=100, seed=1)
    c = load_dataset("digits", n=100, seed=2)
    assert len(a) == 100 and torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, c.x)
    assert len(a.y.unique()) == 10  # a random subset, not the first 100 (which are all zeros)


def test_subset_larger_than_the_data_set_is_an_error():
    with pytest.raises(GankitError, match="only 5000"):
        load_dataset("digits", n=6000)


def test_unknown_name_lists_the_valid_names():
    with pytest.raises(GankitError) as error:
        load_dataset("imagenet")
    assert all(name in str(error.value) for name in DATASETS)


@pytest.mark.parametrize("arguments, message", [
    (dict(name="digits", channels=2), "channels"),
    (dict(name="digits", image_size=0), "image_size"),
    (dict(name="digits", split="valid"), "split"),
    (dict(name="digits", split="test"), "no test split"),
    (dict(name="digits", n=0), "n must be"),
    (dict(name="ring8", image_size=32), "toy data set of points"),
    (dict(name="folder"), "data.root"),
])
def test_unsupported_combinations_are_one_line_errors(arguments, message):
    with pytest.raises(GankitError, match=message) as error:
        load_dataset(**arguments)
    assert "\n" not in str(error.value)
