"""`gankit interpolate`: rows of images between codes of seeds or of image files."""
import numpy as np
import pytest
import torch
from PIL import Image

from commands.command_line import error_line, gankit, pictures, tiles, write_pngs

import gankit.latent as latent
from gankit import load as load_run
from gankit.cli import main
from gankit.errors import GankitError


def test_interpolate_starts_and_ends_each_row_at_the_seeds_samples_and_never_overwrites_silently(gan_run, tmp_path):
    out = tmp_path / "walk.png"
    gankit("interpolate", gan_run, "--seeds", 0, 1, 2, 3, "--steps", 5, "--method", "both", "--out", out)
    run = load_run(gan_run)
    ends = pictures(latent.decode(run, torch.stack([latent.code(run, seed) for seed in range(4)])))
    grid = tiles(out, columns=5)
    assert grid.shape[:2] == (4, 5)  # two pairs, a slerp and a lerp row each
    for row, (start, end) in zip(grid, [(0, 1), (0, 1), (2, 3), (2, 3)]):
        assert np.abs(row[0] - ends[start]).max() <= 1 and np.abs(row[-1] - ends[end]).max() <= 1
        assert np.abs(row[2] - ends[start]).mean() > 1  # the middle is neither end
    with Image.open(out.with_suffix(".gif")) as gif:  # the first row, forth and back: 0 1 2 3 4 3 2 1
        assert gif.n_frames == 8
        frames = []
        for i in (0, 4):
            gif.seek(i)
            frames.append(np.asarray(gif.convert("L")).astype(int)[::4, ::4])
    assert np.abs(frames[0] - ends[0]).max() <= 1 and np.abs(frames[1] - ends[1]).max() <= 1
    with pytest.raises(GankitError, match="exists"):
        gankit("interpolate", gan_run, "--seeds", 0, 1, "--out", out)
    gankit("interpolate", gan_run, "--seeds", 0, 1, "--out", out, "--force")


def test_interpolate_between_two_image_files_runs_between_their_codes(vae_run, digit_files, tmp_path):
    out = tmp_path / "images.png"
    gankit("interpolate", vae_run, "--images", *digit_files[:2], "--steps", 4, "--out", out)
    run = load_run(vae_run)
    x = latent.read_images(digit_files[:2], run)
    reconstructions = pictures(latent.decode(run, latent.encode(run, x)))
    (row,) = tiles(out, columns=6)  # the two images at the ends, four steps between their codes
    assert np.array_equal(row[0], pictures(x)[0]) and np.array_equal(row[-1], pictures(x)[1])
    assert np.abs(row[1] - reconstructions[0]).max() <= 1 and np.abs(row[-2] - reconstructions[1]).max() <= 1


def test_interpolate_on_a_point_run_is_one_line(tmp_path, capsys):
    run = tmp_path / "toy"
    assert main(["train", "--preset", "toy-ring", "--out", str(run), "--quiet", "--set", "train.steps=2",
                 "--set", "data.n=1024", "--set", "train.grid_size=10"]) == 0
    capsys.readouterr()
    assert main(["interpolate", str(run)]) == 2
    assert "generates points, not images" in error_line(capsys)
