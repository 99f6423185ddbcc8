import pytest
import torch
import torch.nn.functional as F

from gankit import compare
from gankit.cli import build_parser
from gankit.config import load_config
from gankit.errors import GankitError
from gankit.training import Trainer


def test_blurring_lowers_the_variance_of_the_laplacian():
    torch.manual_seed(0)
    sharp = (torch.rand(4, 1, 28, 28) > 0.7).float() * 2 - 1
    blurred = F.avg_pool2d(sharp, 3, stride=1, padding=1)
    assert (compare.laplacian_variance(blurred) < 0.5 * compare.laplacian_variance(sharp)).all()


def test_compare_reports_every_measure_for_both_families(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    small = ["data.n=320", "model.z_dim=8", "model.width=8", "train.log_every=5", "train.grid_size=16",
             "train.batch_size=32", "train.steps=3"]
    for name, preset in (("gan", "digits-dcgan"), ("vae", "vae-digits")):
        Trainer(load_config(preset, overrides=small), tmp_path / name, progress=False).fit()
    result = compare.compare([tmp_path / "gan"], [tmp_path / "vae"], n=200)
    for family in ("gan", "vae"):
        assert {"fid", "kid", "precision", "recall", "classes", "sharpness", "train_s", "steps"} <= set(result[family])
        assert result[family]["steps"] == [3] and result[family]["train_s"][0] > 0
    table = compare.format_table(result)
    assert "| FID | lower |" in table and "sharpness" in table
    compare.side_by_side(tmp_path / "gan", tmp_path / "vae", tmp_path / "grids.png", n=16)
    assert (tmp_path / "grids.png").is_file()


def test_compare_command_refuses_to_overwrite_earlier_results(tmp_path):
    parser = build_parser()
    (tmp_path / "compare.md").write_text("earlier\n")
    args = parser.parse_args(["compare", "--gan", "a", "--vae", "b", "--out", str(tmp_path)])
    with pytest.raises(GankitError, match="exists"):
        args.func(args)
    assert (tmp_path / "compare.md").read_text() == "earlier\n"
