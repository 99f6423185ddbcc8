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


@pytest.mark.parametrize("n", [10, 100, 320])
def test_a_subset_of_the_digits_has_every_class_equally(n):
    for seed in range(3):
        assert load_dataset("digits", n=n, seed=seed).y.bincount().tolist() == [n // 10] * 10


LABEL_COUNTS = [200, 150, 40, 6, 4]  # an uneven labelled set: two classes too small for an equal share of 100


@pytest.fixture
def uneven_mnist(tmp_path):
    """An MNIST-format set of 400 images whose first two pixels spell the image's index, labels in uneven classes."""
    labels = np.random.default_rng(0).permutation(np.repeat(np.arange(5), LABEL_COUNTS)).astype(np.uint8)
    images = np.zeros((400, 28, 28), dtype=np.uint8)
    images[:, 0, 0], images[:, 0, 1] = np.arange(400) % 256, np.arange(400) // 256
    write_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)
    return tmp_path, labels


def index_of(data):
    return (data.x[:, 0, 0, 0].long() + 256 * data.x[:, 0, 0, 1].long()).tolist()


def test_a_subset_shares_out_what_small_classes_cannot_take_and_keeps_the_original_order(uneven_mnist):
    root, labels = uneven_mnist
    data = load_dataset("mnist", root=root, n=100, seed=0)
    assert data.y.bincount().tolist() == [30, 30, 30, 6, 4]  # the two small classes give all they have
    index = index_of(data)
    assert index == sorted(index) and len(set(index)) == 100
    assert (labels[index] == data.y.numpy()).all()
    # One left over: it goes to one of the classes that still have items, chosen by the seed.
    counts = {tuple(load_dataset("mnist", root=root, n=101, seed=seed).y.bincount().tolist()) for seed in range(8)}
    assert counts <= {(31, 30, 30, 6, 4), (30, 31, 30, 6, 4), (30, 30, 31, 6, 4)} and len(counts) > 1
    # Within a class the choice is random, not the first items of the class.
    first = [i for i in range(400) if labels[i] == 0][:30]
    assert [i for i in index if labels[i] == 0] != first


def test_a_subset_of_unlabelled_images_is_a_plain_seeded_random_choice(tmp_path):
    for i in range(20):
        Image.fromarray(np.full((8, 8), 10 * i, dtype=np.uint8)).save(tmp_path / f"image{i:02d}.png")
    for seed in (0, 1):
        data = load_dataset("folder", root=tmp_path, image_size=8, channels=1, n=5, seed=seed)
        assert data.y is None
        expected = torch.randperm(20, generator=torch.Generator().manual_seed(seed))[:5].sort().values
        assert (data.x[:, 0, 0, 0] // 10).tolist() == expected.tolist()


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
