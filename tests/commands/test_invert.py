"""`gankit invert`: the codes of image files, their reconstructions and errors."""
import json

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from commands.command_line import error_line, gankit, write_pngs

import gankit.latent as latent
from gankit import load as load_run
from gankit.cli import main
from gankit.errors import GankitError
from gankit.latent.inversion import pixel_mse


def test_invert_recovers_the_models_own_samples_far_better_than_an_unrelated_sample(gan_run, tmp_path, capsys):
    run = load_run(gan_run)
    files = write_pngs(tmp_path, run.sample(4, seed=5), "sample")
    codes = tmp_path / "z.safetensors"
    gankit("invert", gan_run, *files, "--invert-steps", 100, "--restarts", 3, "--out", tmp_path / "inv.png",
           "--codes", codes, "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["method"] == "optimisation" and [item["image"] for item in report["images"]] == list(map(str, files))
    x = latent.read_images(files, run)
    mse = torch.tensor([item["mse"] for item in report["images"]])
    # docs/vae-and-latent.md: a sample of the model's own is recovered almost exactly; another sample is the baseline.
    unrelated = pixel_mse(run.sample(4, seed=6), x)
    assert (mse < 0.1 * unrelated).all(), (mse, unrelated)
    z = load_file(str(codes))["z"]
    assert z.shape == (4, 8)
    assert torch.allclose(mse, pixel_mse(latent.decode(run, z), x), atol=2e-6)  # the errors are those of the codes
    with pytest.raises(GankitError, match="does not exist"):
        gankit("invert", gan_run, tmp_path / "missing.png", "--out", tmp_path / "x.png")


def test_invert_of_real_digits_beats_an_unrelated_sample(gan_run, digit_files, tmp_path, capsys):
    gankit("invert", gan_run, *digit_files, "--invert-steps", 20, "--restarts", 2, "--out", tmp_path / "inv.png",
           "--json")
    report = json.loads(capsys.readouterr().out)
    run = load_run(gan_run)
    unrelated = pixel_mse(run.sample(4, seed=6), latent.read_images(digit_files, run))
    assert all(item["mse"] < baseline for item, baseline in zip(report["images"], unrelated.tolist()))


def test_an_image_too_large_to_decode_safely_is_one_line(gan_run, tmp_path, capsys, monkeypatch):
    from PIL import Image

    Image.new("L", (40, 40)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 1600 pixels is then a decompression bomb
    assert main(["invert", str(gan_run), str(tmp_path / "big.png"), "--invert-steps", "1"]) == 2
    assert "cannot be read" in error_line(capsys)
