import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.signal import convolve2d

from gankit.lab import compare
from gankit import load as load_run
from gankit.config import load_config
from gankit.data import load_dataset
from gankit.metrics import evaluate
from gankit.training import Trainer


def test_blurring_lowers_the_variance_of_the_laplacian():
    torch.manual_seed(0)
    sharp = (torch.rand(4, 1, 28, 28) > 0.7).float() * 2 - 1
    blurred = F.avg_pool2d(sharp, 3, stride=1, padding=1)
    assert (compare.laplacian_variance(blurred) < 0.5 * compare.laplacian_variance(sharp)).all()


def laplacian_variance(x: torch.Tensor) -> float:
    """Pech-Pacheco et al. 2000, written out with scipy: per image (intensities in [0, 1]) the variance of its
    4-neighbour Laplacian over the pixels where the 3x3 kernel fits, averaged over images."""
    kernel = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    images = ((x.double() + 1) / 2).mean(dim=1).numpy()
    return float(np.mean([convolve2d(image, kernel, mode="valid").var(ddof=1) for image in images]))


@pytest.mark.slow  # two trainings and five evaluations against the digits: about 5 s
def test_compare_reports_every_measure_for_both_families(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    small = ["data.n=320", "model.z_dim=8", "model.width=8", "train.log_every=5", "train.grid_size=16",
             "train.batch_size=32", "train.steps=3"]
    for name, preset in (("gan", "digits-dcgan"), ("vae", "vae-digits")):
        Trainer(load_config(preset, overrides=small), tmp_path / name, progress=False).fit()
    result = compare.compare([tmp_path / "gan"], [tmp_path / "vae"], n=200)
    real = load_dataset("digits").batch(torch.randperm(5000, generator=torch.Generator().manual_seed(0))[:200])[0]
    for family in ("gan", "vae"):
        assert {"fid", "kid", "precision", "recall", "classes", "sharpness", "train_s", "steps"} <= set(result[family])
        assert result[family]["steps"] == [3] and result[family]["train_s"][0] > 0
        # Each figure is evaluate()'s on the run's 200 samples of seed 0 against the digits, in the digits features.
        fake = load_run(tmp_path / family).sample(200, seed=0)
        direct = evaluate(fake, "digits", ["fid", "kid", "pr", "coverage"], "digits", seed=0)
        assert {key: result[family][key][0] for key in direct} == pytest.approx(direct, rel=1e-9)
        # (The tiny runs' samples vary little from seed to seed, but enough for the check to tell seeds apart.)
        other_seed = evaluate(load_run(tmp_path / family).sample(200, seed=1), "digits", ["fid"], "digits")
        assert other_seed["fid"] != pytest.approx(direct["fid"], rel=1e-9)
        # sharpness: the mean variance of the Laplacian of the samples over that of 200 real digits
        assert result[family]["sharpness"][0] == pytest.approx(laplacian_variance(fake) / laplacian_variance(real),
                                                               rel=1e-5)
    table = compare.format_table(result)
    assert "| FID | lower |" in table and "sharpness" in table
    compare.side_by_side(tmp_path / "gan", tmp_path / "vae", tmp_path / "grids.png", n=16)
    assert (tmp_path / "grids.png").is_file()
