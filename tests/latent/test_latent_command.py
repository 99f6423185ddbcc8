import argparse
import json

import pytest
from PIL import Image

from gankit.errors import GankitError
from gankit.latent import command


def gankit(*argv):
    """The three subcommands as `gankit` registers them (cli.py adds them with the same add_parser)."""
    parser = argparse.ArgumentParser(prog="gankit")
    command.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    args.func(args)


@pytest.fixture
def digit_files(tmp_path):
    from gankit.data import load_dataset

    data = load_dataset("digits", n=4, seed=3)
    paths = []
    for i in range(4):
        paths.append(tmp_path / f"digit{i}.png")
        Image.fromarray(data.x[i, 0].numpy()).save(paths[-1])
    return paths


def test_interpolate_writes_a_grid_and_a_gif_and_never_overwrites_silently(gan_run, tmp_path, capsys):
    out = tmp_path / "walk.png"
    gankit("interpolate", gan_run, "--seeds", 0, 1, 2, 3, "--steps", 5, "--method", "both", "--out", out)
    assert out.is_file() and out.with_suffix(".gif").is_file()
    with Image.open(out) as grid:
        assert grid.size[1] > grid.size[0] * 0.6  # four rows (2 pairs x 2 methods) of five
    with pytest.raises(GankitError, match="exists"):
        gankit("interpolate", gan_run, "--seeds", 0, 1, "--out", out)
    gankit("interpolate", gan_run, "--seeds", 0, 1, "--out", out, "--force")


def test_interpolate_between_two_image_files(vae_run, digit_files, tmp_path):
    out = tmp_path / "images.png"
    gankit("interpolate", vae_run, "--images", *digit_files[:2], "--steps", 4, "--out", out)
    assert out.is_file()


def test_invert_reports_an_error_per_image_and_saves_the_codes(gan_run, digit_files, tmp_path, capsys):
    codes = tmp_path / "z.safetensors"
    gankit("invert", gan_run, *digit_files, "--invert-steps", 20, "--restarts", 2, "--out", tmp_path / "inv.png",
           "--codes", codes, "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["method"] == "optimisation" and len(report["images"]) == 4
    assert all(0 <= item["mse"] <= 1 for item in report["images"])
    from safetensors.torch import load_file

    assert load_file(str(codes))["z"].shape == (4, 8)
    with pytest.raises(GankitError, match="does not exist"):
        gankit("invert", gan_run, tmp_path / "missing.png", "--out", tmp_path / "x.png")


def test_arithmetic_by_attribute_measures_the_shift(gan_run, tmp_path, capsys):
    gankit("arithmetic", gan_run, "--attribute", "ink", "--n", 200, "--apply", 50, "--out", tmp_path / "ink.png",
           "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 50 and 0 <= report["moved"] <= 1 and 0 <= report["same_class"] <= 1
    assert (tmp_path / "ink.png").is_file()


def test_arithmetic_by_labels_encodes_exemplars_of_each_class(vae_run, tmp_path, capsys):
    gankit("arithmetic", vae_run, "--with-label", 7, "--without-label", 1, "--apply", 50,
           "--out", tmp_path / "seven.png", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["concept"] == "label7-minus-label1" and "share_with_label_after" in report
    with pytest.raises(GankitError, match="go together"):
        gankit("arithmetic", vae_run, "--with-label", 7, "--out", tmp_path / "other.png")
