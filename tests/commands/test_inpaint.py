"""`gankit inpaint`: image files with a hole filled by a run's generator, side by side, and a report."""
import json

import numpy as np
import pytest
from PIL import Image

from commands.command_line import gankit as gankit_command

import gankit
from gankit.errors import GankitError
from gankit.images import to_uint8


def gankit_inpaint(*argv):
    gankit_command("inpaint", *argv)


@pytest.fixture
def digit_files(gan_run, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i, image in enumerate(to_uint8(gankit.load(gan_run).sample(2, seed=3))):
        Image.fromarray(image[0]).save(folder / f"d{i}.png")
    return folder


def test_inpaint_writes_each_image_filled_and_side_by_side_and_a_report(gan_run, digit_files, tmp_path, capsys):
    out = tmp_path / "out"
    gankit_inpaint(gan_run, digit_files, "--mask", "random", "--iters", 30, "--out", out, "--json")
    report = json.loads(capsys.readouterr().out)
    assert sorted(p.name for p in out.iterdir()) == ["d0-compare.png", "d0-filled.png", "d1-compare.png",
                                                     "d1-filled.png", "inpainting.json"]
    assert json.loads((out / "inpainting.json").read_text()) == report
    assert [item["image"] for item in report["images"]] == [str(digit_files / "d0.png"), str(digit_files / "d1.png")]
    assert all(item["psnr_db"] > 10 and 0 < item["ssim"] <= 1 for item in report["images"])
    with Image.open(out / "d0-filled.png") as filled, Image.open(digit_files / "d0.png") as original:
        filled, original = np.asarray(filled), np.asarray(original)
    known = gankit.inpainting.masks.make("random", 28, seed=0).numpy() == 1
    assert filled.shape == (28, 28) and (filled[known] == original[known]).all()  # known pixels untouched
    with Image.open(out / "d0-compare.png") as compare:
        assert compare.size[0] > 4 * 28 * 4  # four panels, enlarged 4x


def test_inpaint_refuses_to_overwrite_without_force(gan_run, digit_files, tmp_path):
    out = tmp_path / "out"
    gankit_inpaint(gan_run, digit_files / "d0.png", "--iters", 2, "--out", out)
    before = (out / "d0-filled.png").read_bytes()
    with pytest.raises(GankitError, match="exists; choose another --out or pass --force"):
        gankit_inpaint(gan_run, digit_files / "d0.png", "--iters", 2, "--out", out, "--seed", 5)
    assert (out / "d0-filled.png").read_bytes() == before
    gankit_inpaint(gan_run, digit_files / "d0.png", "--iters", 2, "--out", out, "--force", "--mask", "half")
    assert json.loads((out / "inpainting.json").read_text())["mask"] == "half"


def test_a_user_mask_image_is_white_known(gan_run, digit_files, tmp_path):
    mask = np.full((28, 28), 255, dtype=np.uint8)
    mask[5:12, 5:12] = 0
    mask[18:24, 15:25] = 0  # two holes
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out = tmp_path / "out"
    gankit_inpaint(gan_run, digit_files / "d1.png", "--mask", tmp_path / "mask.png", "--iters", 2, "--out", out)
    with Image.open(out / "d1-filled.png") as filled, Image.open(digit_files / "d1.png") as original:
        assert (np.asarray(filled)[mask == 255] == np.asarray(original)[mask == 255]).all()


def bad_inputs(tmp_path):
    Image.fromarray(np.zeros((32, 32), dtype=np.uint8)).save(tmp_path / "big.png")
    Image.fromarray(np.zeros((28, 28, 3), dtype=np.uint8)).save(tmp_path / "color.png")
    Image.fromarray(np.zeros((20, 20), dtype=np.uint8)).save(tmp_path / "small-mask.png")
    Image.fromarray(np.full((28, 28), 255, dtype=np.uint8)).save(tmp_path / "empty-mask.png")
    Image.fromarray(np.zeros((28, 28), dtype=np.uint8)).save(tmp_path / "full-mask.png")
    (tmp_path / "notes.png").write_text("not an image")
    return [(["big.png"], "center", "32x32 with 1 channel.*pass --resize"),
            (["color.png"], "center", "with 3 channel.*pass --resize"),
            (["notes.png"], "center", "not an image file"),
            (["missing.png"], "center", "does not exist"),
            (["ok.png"], "small-mask.png", "mask .* is 20x20"),
            (["ok.png"], "empty-mask.png", "hides nothing"),
            (["ok.png"], "full-mask.png", "hides everything"),
            (["ok.png"], "star", "does not exist \\(or name a mask")]


def test_bad_inputs_are_one_line_errors_and_nothing_is_written(gan_run, digit_files, tmp_path):
    (digit_files / "d0.png").rename(tmp_path / "ok.png")
    for images, mask, message in bad_inputs(tmp_path):
        out = tmp_path / "out"
        mask = str(tmp_path / mask) if mask.endswith(".png") else mask
        with pytest.raises(GankitError, match=message) as error:
            gankit_inpaint(gan_run, *[tmp_path / i for i in images], "--mask", mask, "--iters", 1, "--out", out)
        assert "\n" not in str(error.value)
        assert not out.exists(), (images, mask)


def test_resize_fits_an_image_of_another_size(gan_run, tmp_path):
    Image.fromarray(np.zeros((32, 32, 3), dtype=np.uint8)).save(tmp_path / "big.png")
    gankit_inpaint(gan_run, tmp_path / "big.png", "--resize", "--iters", 1, "--out", tmp_path / "out")
    with Image.open(tmp_path / "out" / "big-filled.png") as filled:
        assert filled.size == (28, 28)
