"""Translation data: the built-ins (deterministic, disjoint splits, unpaired domains that share no digit), the users'
folder layouts that `gankit make-data` writes and `load_translation` reads back, and the one-line errors."""
from importlib import resources

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from gankit.cli import main
from gankit.data import translation
from gankit.data.digits import load_digits
from gankit.data.translation import (BUILTIN_TRANSLATION, DIGIT_STYLES, digit_split, load_translation, mnist_m,
                                     sobel_edges)
from gankit.errors import GankitError


def as_bytes(x: torch.Tensor) -> set[bytes]:
    return {image.numpy().tobytes() for image in x}


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def save(path, size=(20, 20), mode="RGB", colour=(200, 30, 60)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour if mode == "RGB" else colour[0]).save(path)
    return path


# ---------------------------------------------------------------------------------------------------- built-ins --

def test_builtins_are_the_same_for_the_same_seed_and_differ_for_another():
    first, again = load_translation("digits2colour", seed=3), load_translation("digits2colour", seed=3)
    other = load_translation("digits2colour", seed=4)
    assert torch.equal(first.a, again.a) and torch.equal(first.b, again.b)
    assert torch.equal(first.b_labels, again.b_labels)
    assert not torch.equal(first.b, other.b)


def test_test_split_is_the_digits_classifier_held_out_digits_and_shares_none_with_train():
    train, test = load_translation("edges2digits", "train"), load_translation("edges2digits", "test")
    with resources.as_file(resources.files("gankit") / "weights" / "digits-classifier-holdout.safetensors") as path:
        held = load_file(str(path))["index"]
    assert as_bytes(test.b) == as_bytes(load_digits().x[held])
    assert len(train.b) == 4000 and len(test.b) == 1000
    assert not as_bytes(train.b) & as_bytes(test.b)


def test_digits2colour_a_and_b_hold_different_digits(monkeypatch):
    # Black patches make B = |0 - digit| = the digit itself, so B's source digits can be compared with A's.
    monkeypatch.setattr(translation, "photo_patches",
                        lambda n, size, split, rng: np.zeros((n, size, size, 3), np.uint8))
    data = load_translation("digits2colour", "train")
    assert data.a.shape[1] == 1 and data.b.shape[1] == 3 and not data.paired
    assert torch.equal(data.b[:, 0:1], data.b[:, 2:3])
    assert not as_bytes(data.a) & as_bytes(data.b[:, :1].contiguous())
    assert as_bytes(data.a) | as_bytes(data.b[:, :1].contiguous()) == as_bytes(digit_split("train")[0])


def test_colour_digits_are_mnist_m_over_patches_of_real_photographs():
    x = torch.randint(0, 256, (4, 1, 28, 28), dtype=torch.uint8)
    patches = np.random.default_rng(0).integers(0, 256, (4, 28, 28, 3), dtype=np.uint8)
    expected = np.abs(patches.astype(int) - x.permute(0, 2, 3, 1).numpy().astype(int)).transpose(0, 3, 1, 2)
    assert np.array_equal(mnist_m(x, patches).numpy(), expected)
    b = load_translation("colourise", "test", n=200).b
    assert b.float().std(dim=(2, 3)).mean() > 20  # photographs, not flat colour: the patches vary within an image
    assert (b[:, 0] != b[:, 1]).float().mean() > 0.5  # and are in colour


def test_without_scikit_image_the_colour_digits_name_the_extra_to_install(monkeypatch):
    from gankit.data import photos
    find_spec = photos.importlib.util.find_spec
    monkeypatch.setattr(photos.importlib.util, "find_spec", lambda name: None if name == "skimage" else find_spec(name))
    photos.load_photos.cache_clear()
    try:
        with pytest.raises(GankitError, match=r"pip install 'gankit\[photos\]'"):
            load_translation("colourise", "test", n=2)
        assert load_translation("edges2digits", "test", n=2).a.shape == (2, 1, 28, 28)  # no photographs needed
    finally:
        photos.load_photos.cache_clear()


def test_edges_are_the_outline_of_the_shape_not_its_inside():
    square = torch.zeros(1, 1, 28, 28, dtype=torch.uint8)
    square[..., 8:20, 8:20] = 255
    edges = sobel_edges(square)
    assert edges[..., 12:16, 12:16].max() == 0 and edges[..., :5, :].max() == 0  # inside and far outside: none
    assert edges[..., 8, 10:18].min() == 255 and edges[..., 10:18, 19].min() == 255  # the square's sides
    data = load_translation("edges2digits", "test", n=50, seed=1)
    assert torch.equal(data.a, sobel_edges(data.b))  # pairs survive the subset


def test_colourise_input_is_the_luma_of_its_target_as_pillow_computes_it():
    data = load_translation("colourise", "test", n=5)
    for a, b in zip(data.a, data.b):
        gray = Image.fromarray(b.permute(1, 2, 0).numpy()).convert("L")
        assert np.array_equal(a[0].numpy(), np.asarray(gray))


def test_digit_styles_draws_each_digit_in_one_style_with_balanced_domains():
    data = load_translation("digit-styles", "test")
    assert data.domains == list(DIGIT_STYLES) and data.b is None and data.a.shape == (1000, 3, 28, 28)
    assert torch.bincount(data.a_domain).tolist() == [200] * 5
    digits = digit_split("test")[0]
    plain = data.a[data.a_domain == DIGIT_STYLES.index("plain")]
    inverse = data.a[data.a_domain == DIGIT_STYLES.index("inverse")]
    assert as_bytes(plain[:, :1].contiguous()) <= as_bytes(digits)
    assert as_bytes((255 - inverse[:, :1]).contiguous()) <= as_bytes(digits)
    assert not as_bytes(plain[:, :1].contiguous()) & as_bytes((255 - inverse[:, :1]).contiguous())


def test_make_data_offers_every_built_in():
    from gankit.commands import make_data
    assert make_data.NAMES == BUILTIN_TRANSLATION  # kept apart so `gankit --help` need not import torch


def test_size_channels_and_subset_are_applied():
    data = load_translation("digits2colour", "test", image_size=32, channels=3, n=7, seed=2)
    assert data.a.shape == (7, 3, 32, 32) and data.b.shape == (7, 3, 32, 32) and len(data.b_labels) == 7
    gray = load_translation("colourise", "test", channels=1, n=3)
    assert gray.b.shape == (3, 1, 28, 28) and torch.equal(gray.a, gray.b)


# ------------------------------------------------------------------------------- layouts written and read back --

@pytest.mark.parametrize("name", BUILTIN_TRANSLATION)
def test_make_data_writes_a_layout_that_reads_back_the_same_images(name, tmp_path, capsys):
    assert main(["make-data", name, "--out", str(tmp_path / "data"), "--subset", "6", "--seed", "5"]) == 0
    for split in ("train", "test"):
        built, read = load_translation(name, split, n=6, seed=5), load_translation(str(tmp_path / "data"), split)
        assert read.paired == built.paired and read.name == "folder"
        if built.domains is None:
            assert torch.equal(read.a, built.a) and torch.equal(read.b, built.b)
        else:
            assert sorted(read.domains) == sorted(built.domains)
            for d, domain in enumerate(built.domains):
                assert torch.equal(read.a[read.a_domain == read.domains.index(domain)], built.a[built.a_domain == d])


def test_make_data_force_replaces_what_it_wrote(tmp_path, capsys):
    out = str(tmp_path / "d")
    assert main(["make-data", "digits2colour", "--out", out, "--subset", "3", "--split", "test"]) == 0
    assert main(["make-data", "edges2digits", "--out", out, "--subset", "2", "--split", "train", "--force"]) == 0
    assert listing(tmp_path / "d") == ["A", "A/train", "A/train/00000.png", "A/train/00001.png",
                                       "B", "B/train", "B/train/00000.png", "B/train/00001.png"]


def test_side_by_side_pairs_read_back_with_a_on_the_left(tmp_path):
    assert main(["make-data", "colourise", "--side-by-side", "--split", "test", "--subset", "4", "--out",
                 str(tmp_path / "ab")]) == 0
    assert listing(tmp_path / "ab")[:2] == ["test", "test/00000.png"]
    built, read = load_translation("colourise", "test", n=4), load_translation(str(tmp_path / "ab"), "test")
    assert read.paired and torch.equal(read.b, built.b)
    assert torch.equal(read.a, built.a.expand(-1, 3, -1, -1))  # A written in B's channels, gray in RGB


def test_user_folders_keep_each_domains_channels_and_are_resized(tmp_path):
    for i in range(3):
        save(tmp_path / "trainA" / f"{i}.png", size=(40, 30), mode="L")
        save(tmp_path / "trainB" / f"{i}.jpg", size=(50, 50))
    data = load_translation(str(tmp_path))
    assert data.a.shape == (3, 1, 30, 30) and data.b.shape == (3, 3, 30, 30) and not data.paired
    data = load_translation(str(tmp_path), image_size=16, channels=3)
    assert data.a.shape == (3, 3, 16, 16) and data.b.shape == (3, 3, 16, 16)


def test_paired_a_and_b_folders_pair_by_name_and_have_splits(tmp_path):
    for split, colour in (("train", (255, 0, 0)), ("test", (0, 0, 255))):
        for name in ("x", "y"):
            save(tmp_path / "A" / split / f"{name}.png", colour=colour)
            save(tmp_path / "B" / split / f"{name}.jpg", colour=(0, 255, 0))
    test = load_translation(str(tmp_path), "test")
    assert test.paired and test.a.shape == (2, 3, 20, 20) and (test.a[:, 2] == 255).all()


def test_domain_sub_folders_make_many_domain_data(tmp_path):
    for domain, count in (("blond", 2), ("black", 3), ("brown", 1)):
        for i in range(count):
            save(tmp_path / "train" / domain / f"{i}.png", size=(24, 24))
            save(tmp_path / "test" / domain / f"{i}.png", size=(24, 24))
    data = load_translation(str(tmp_path), image_size=16)
    assert data.domains == ["black", "blond", "brown"] and data.b is None
    assert data.a_domain.tolist() == [0, 0, 0, 1, 1, 2] and data.a.shape == (6, 3, 16, 16)


# ------------------------------------------------------------------------------------------------- bad input --

def bad_trainB_missing(root):
    save(root / "trainA" / "1.png")


def bad_unpaired_names(root):
    for name in ("1", "2"):
        save(root / "A" / f"{name}.png")
    save(root / "B" / "1.png")
    save(root / "B" / "3.png")


def bad_mixed_channels(root):
    save(root / "trainA" / "gray.png", mode="L")
    save(root / "trainA" / "colour.png")
    save(root / "trainB" / "b.png")


def bad_too_small(root):
    save(root / "trainA" / "1.png", size=(16, 16))
    save(root / "trainB" / "1.png", size=(16, 16))


def bad_no_layout(root):
    save(root / "loose.png")


@pytest.mark.parametrize("make, message", [
    (bad_trainB_missing, "has trainA/ but no trainB/"),
    (bad_unpaired_names, "do not pair up: 1 of the 2 files in A/ have no file of the same name in B/ (e.g. '2.png')"),
    (bad_mixed_channels, "mixes gray and colour images (1 gray, 1 colour)"),
    (bad_too_small, "are 16x16 but the nets need at least 32x32; set data.image_size to 32 or more"),
    (bad_no_layout, "is in no translation layout"),
])
def test_each_bad_layout_gives_its_one_line_error_and_writes_nothing(make, message, tmp_path):
    root = tmp_path / "data"
    make(root)
    before = listing(tmp_path)
    with pytest.raises(GankitError) as error:
        load_translation(str(root), min_size=32)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert listing(tmp_path) == before


def test_make_data_refuses_a_full_folder_and_leaves_nothing_when_it_fails(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    save(out / "mine.png")
    assert main(["make-data", "edges2digits", "--out", str(out), "--subset", "2"]) == 2
    assert "exists and is not empty" in capsys.readouterr().err and listing(tmp_path) == ["out", "out/mine.png"]
    assert main(["make-data", "edges2digits", "--out", str(out), "--subset", "2", "--force"]) == 2
    assert "holds more than make-data writes (e.g. 'mine.png')" in capsys.readouterr().err
    assert listing(tmp_path) == ["out", "out/mine.png"]  # --force never deletes a folder of other things
    assert main(["make-data", "digits2colour", "--out", str(tmp_path / "new"), "--subset", "501",
                 "--split", "test"]) == 2
    assert "only 500" in capsys.readouterr().err.strip() and listing(tmp_path) == ["out", "out/mine.png"]

    from gankit.commands import make_data
    calls = []

    def fail_on_second(*args):
        calls.append(args)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
    monkeypatch.setattr(make_data, "_write", fail_on_second)
    assert main(["make-data", "edges2digits", "--out", str(tmp_path / "new"), "--subset", "2"]) == 1
    assert listing(tmp_path) == ["out", "out/mine.png"]  # no half-written folder, no temporary one
