import json

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

import gankit.latent as latent
from gankit import load as load_run
from gankit.cli import build_parser
from gankit.data import load_dataset
from gankit.errors import GankitError
from gankit.images import to_uint8
from gankit.latent.inversion import pixel_mse


def gankit(*argv):
    """A subcommand as `gankit` parses it; errors are raised, not printed (cli.main does that)."""
    args = build_parser().parse_args([str(a) for a in argv])
    args.func(args)


def write_pngs(folder, x, name):
    """Images in [-1, 1] as 8-bit gray PNG files; returns their paths."""
    paths = []
    for i, image in enumerate(to_uint8(x)):
        paths.append(folder / f"{name}{i}.png")
        Image.fromarray(image[0]).save(paths[-1])
    return paths


@pytest.fixture
def digit_files(tmp_path):
    data = load_dataset("digits", n=4, seed=3)
    return write_pngs(tmp_path, data.batch(torch.arange(4))[0], "digit")


def tiles(path, columns: int, size: int = 28, scale: int = 2) -> np.ndarray:
    """The cells of a grid picture as (rows, columns, size, size) at 1:1, whatever border gankit.images.grid draws."""
    with Image.open(path) as picture:
        pixels = np.asarray(picture.convert("L")).astype(int)
    pad = (pixels.shape[1] - columns * size * scale) // (columns + 1)
    cell = size * scale + pad
    rows = (pixels.shape[0] - pad) // cell
    return np.stack([np.stack([pixels[pad + r * cell: (r + 1) * cell: scale, pad + c * cell: (c + 1) * cell: scale]
                               for c in range(columns)]) for r in range(rows)])


def pictures(x: torch.Tensor) -> np.ndarray:
    """Images in [-1, 1] (N, 1, H, W) as the uint8 pixels (N, H, W) a PNG of them holds."""
    return to_uint8(x)[:, 0].astype(int)


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


def test_arithmetic_by_attribute_moves_the_ink_of_nearly_every_held_out_code(vae_run, tmp_path, capsys):
    gankit("arithmetic", vae_run, "--attribute", "ink", "--n", 200, "--apply", 50, "--scale", 0.25,
           "--out", tmp_path / "ink.png", "--json")
    report = json.loads(capsys.readouterr().out)
    # docs/vae-and-latent.md: the ink rose for every held-out code at every scale; the claim checked is >= 90 %.
    assert report["n"] == 50 and report["moved"] >= 0.9
    assert report["mean_after"] > report["mean_before"]
    assert 0 <= report["same_class"] <= 1
    with Image.open(tmp_path / "ink.png") as picture:  # rows z - v, z, z + v of the ten codes shown
        assert picture.size[1] > 0.2 * picture.size[0]


def test_arithmetic_by_labels_adds_the_difference_of_the_classes_mean_codes(vae_run, tmp_path, capsys):
    gankit("arithmetic", vae_run, "--with-label", 0, "--without-label", 1, "--apply", 200,
           "--out", tmp_path / "zero.png", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["concept"] == "label0-minus-label1"
    # v = mean code of three 0s minus mean code of three 1s (DCGAN's three exemplars), the first of a seeded shuffle.
    run = load_run(vae_run)
    data = load_dataset("digits")
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))
    exemplars = [data.batch(order[data.y[order] == label][:3])[0] for label in (0, 1)]
    with_, without = (latent.encode(run, x) for x in exemplars)
    v = with_.mean(dim=0) - without.mean(dim=0)
    assert report["norm_v"] == pytest.approx(v.norm().item(), rel=1e-5)
    # Adding v makes the classifier read a 0 far more often.
    assert report["share_with_label_after"] > report["share_with_label_before"] + 0.3
    with pytest.raises(GankitError, match="go together"):
        gankit("arithmetic", vae_run, "--with-label", 7, "--out", tmp_path / "other.png")
