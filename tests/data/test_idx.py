"""The IDX reader and the MNIST / Fashion-MNIST loaders built on it."""
import gzip

import numpy as np
import pytest
import torch

from datafiles import write_idx, write_mnist
from gankit.data import load_dataset
from gankit.data.idx import read_idx
from gankit.errors import GankitError


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
def test_idx_round_trip_raw_and_gzip(tmp_path, suffix, dtype):
    array = (np.arange(2 * 3 * 5) - 7).astype(dtype).reshape(2, 3, 5)
    read = read_idx(write_idx(tmp_path / f"values{suffix}", array))
    assert read.dtype == array.dtype and read.dtype.isnative and np.array_equal(read, array)


def test_truncated_idx_is_an_error_naming_the_file(tmp_path):
    path = write_idx(tmp_path / "images", np.zeros((4, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(GankitError, match=r"images is truncated"):
        read_idx(path)


def test_idx_with_trailing_bytes_is_an_error(tmp_path):
    path = write_idx(tmp_path / "labels", np.zeros(4, np.uint8))
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(GankitError, match="longer than its header"):
        read_idx(path)


@pytest.mark.parametrize("content", [b"", b"\x00\x00", b"\x00\x00\x08", b"\x00\x00\x08\x03\x00\x00"])
def test_idx_header_cut_short_is_an_error(tmp_path, content):
    (tmp_path / "short").write_bytes(content)
    with pytest.raises(GankitError, match="short (is truncated|is not an IDX file)"):
        read_idx(tmp_path / "short")


@pytest.mark.parametrize("magic", [b"\x01\x00\x08\x01", b"\x00\x00\x07\x01", b"PK\x03\x04"])
def test_bad_magic_number_is_an_error(tmp_path, magic):
    (tmp_path / "bad").write_bytes(magic + b"\x00\x00\x00\x01\x05")
    with pytest.raises(GankitError, match="bad is not an IDX file"):
        read_idx(tmp_path / "bad")


def test_truncated_gzip_is_an_error_naming_the_file(tmp_path):
    path = write_idx(tmp_path / "images.gz", np.zeros((4, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(GankitError, match="images.gz is a damaged gzip file"):
        read_idx(path)


@pytest.mark.parametrize("compressed", [True, False])
def test_mnist_loads_from_root_compressed_or_not(tmp_path, compressed):
    arrays = write_mnist(tmp_path)
    if not compressed:
        for gz in tmp_path.glob("*.gz"):
            gz.with_suffix("").write_bytes(gzip.decompress(gz.read_bytes()))
            gz.unlink()
    train = load_dataset("mnist", root=tmp_path)
    test = load_dataset("mnist", root=tmp_path, split="test")
    assert train.x.shape == (30, 1, 28, 28) and train.x.dtype == torch.uint8 and test.x.shape == (10, 1, 28, 28)
    assert np.array_equal(train.x[:, 0].numpy(), arrays["train-images-idx3-ubyte.gz"])
    assert train.y.dtype == torch.int64 and train.y.tolist() == [i % 10 for i in range(30)]
    assert train.classes == [str(d) for d in range(10)]


def test_mnist_in_a_torchvision_root_is_found(tmp_path):
    write_mnist(tmp_path / "MNIST" / "raw")
    assert len(load_dataset("mnist", root=tmp_path)) == 30


def test_fashion_mnist_has_the_clothing_classes(tmp_path):
    write_mnist(tmp_path)
    data = load_dataset("fashion-mnist", root=tmp_path, split="test")
    assert data.classes[0] == "T-shirt/top" and data.classes[9] == "Ankle boot" and len(data.classes) == 10
    assert data.name == "fashion-mnist"


def test_missing_mnist_files_say_how_to_get_them(tmp_path):
    with pytest.raises(GankitError) as error:
        load_dataset("mnist", root=tmp_path / "nowhere")
    message = str(error.value)
    assert "data.download=true" in message and "data.root" in message and "nowhere" in message
    assert "\n" not in message


def test_images_and_labels_that_do_not_pair_up_are_an_error(tmp_path):
    write_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(29, np.uint8))
    with pytest.raises(GankitError, match="not a pair"):
        load_dataset("mnist", root=tmp_path)
