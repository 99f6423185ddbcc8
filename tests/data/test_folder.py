"""A folder of images: decoded once, shorter side resized then center-cropped, sub-folders as classes."""
import numpy as np
import pytest
import torch
from PIL import Image

from gankit.data import load_dataset
from gankit.errors import GankitError


def save(path, size=(40, 30), color=(200, 30, 60)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


def test_first_level_sub_folders_become_sorted_class_labels(tmp_path):
    save(tmp_path / "dog" / "a.png")
    save(tmp_path / "cat" / "b.jpg")
    save(tmp_path / "cat" / "nested" / "c.webp")
    save(tmp_path / "dog" / "d.bmp")
    data = load_dataset("folder", root=tmp_path)
    assert data.x.shape == (4, 3, 64, 64) and data.x.dtype == torch.uint8
    assert data.classes == ["cat", "dog"] and sorted(data.y.tolist()) == [0, 0, 1, 1]


def test_images_directly_in_the_folder_make_it_unlabelled(tmp_path):
    save(tmp_path / "top.png")
    save(tmp_path / "cat" / "b.png")
    data = load_dataset("folder", root=tmp_path, image_size=16)
    assert data.y is None and data.classes is None and data.x.shape == (2, 3, 16, 16)


def test_shorter_side_is_resized_then_center_cropped(tmp_path):
    # 80x40, black left and right quarters, a white square in the middle: the crop keeps only the white.
    pixels = np.zeros((40, 80, 3), np.uint8)
    pixels[:, 20:60] = 255
    Image.fromarray(pixels).save(tmp_path / "wide.png")
    data = load_dataset("folder", root=tmp_path, image_size=20)
    assert data.x.shape == (1, 3, 20, 20) and data.x[:, :, :, 1:-1].min() >= 250


def test_grayscale_by_channels(tmp_path):
    save(tmp_path / "a.png", color=(255, 255, 255))
    data = load_dataset("folder", root=tmp_path, image_size=8, channels=1)
    assert data.x.shape == (1, 1, 8, 8) and data.x.min() == 255


def test_corrupt_files_are_skipped_with_a_count(tmp_path, capsys):
    save(tmp_path / "good.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (tmp_path / "text.jpg").write_text("hello")
    (tmp_path / "notes.txt").write_text("not an image extension: ignored, not counted")
    data = load_dataset("folder", root=tmp_path, image_size=8)
    assert len(data) == 1
    assert f"skipped 2 unreadable files in {tmp_path}" in capsys.readouterr().err


def test_a_folder_of_only_corrupt_files_is_an_error(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"nope")
    with pytest.raises(GankitError, match="no readable images"):
        load_dataset("folder", root=tmp_path)


def test_an_empty_folder_names_the_folder_and_the_extensions(tmp_path):
    (tmp_path / "readme.txt").write_text("no images here")
    with pytest.raises(GankitError, match=rf"'{tmp_path}' has no images \(looked for .png, .jpg"):
        load_dataset("folder", root=tmp_path)


def test_a_missing_folder_is_an_error_naming_it(tmp_path):
    with pytest.raises(GankitError, match=rf"data folder '{tmp_path / 'absent'}' does not exist"):
        load_dataset("folder", root=tmp_path / "absent")
