"""`gankit eval`: a run's or two folders' metrics as a table and in RUN/eval.json; mistakes one line."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from commands.command_line import error_line

from gankit import load as load_run
from gankit.cli import build_parser, main
from gankit.config import load_config
from gankit.data import load_dataset, toy_modes
from gankit.errors import GankitError
from gankit.metrics import evaluate, mode_stats
from gankit.training import Trainer


def gankit_eval(*argv):
    args = build_parser().parse_args(["eval", *argv])
    args.func(args)


def write_pngs(folder, images):
    folder.mkdir()
    for i, image in enumerate(images):
        Image.fromarray(((image[0].numpy() + 1) * 127.5).round().astype(np.uint8), "L").save(folder / f"{i}.png")


@pytest.mark.slow
def test_eval_of_a_run_prints_a_table_and_writes_eval_json(tmp_path, tiny_digits_config, capsys):
    run = tmp_path / "run"
    Trainer(tiny_digits_config("train.steps=5"), run, progress=False).fit()
    gankit_eval(str(run), "--n", "200", "--metrics", "fid,is,coverage")
    record = json.loads((run / "eval.json").read_text())
    assert record["n"] == 200 and record["features"] == "digits" and record["step"] == 5
    # The numbers are those of evaluate() on the run's first 200 samples of seed 0, against the digits.
    direct = evaluate(load_run(run).sample(200, seed=0), "digits", ["fid", "is", "coverage"], "digits", seed=0)
    assert record["metrics"] == pytest.approx(direct, rel=1e-9)
    table = capsys.readouterr().out
    assert f"{direct['fid']:.4g}" in table and f"{direct['is']:.4g} +- {direct['is_std']:.2g}" in table


def test_eval_of_a_toy_run_reports_mode_statistics(tmp_path):
    run = tmp_path / "ring"
    cfg = load_config("toy-ring", overrides=["train.steps=5", "train.log_every=5", "train.grid_size=16"])
    Trainer(cfg, run, progress=False).fit()
    gankit_eval(str(run), "--n", "500")
    centres, std = toy_modes("ring8")
    direct = mode_stats(load_run(run).sample(500, seed=0), centres, std)
    assert json.loads((run / "eval.json").read_text())["metrics"] == pytest.approx(direct, rel=1e-9)


def test_eval_of_two_image_folders(tmp_path, capsys):
    data = load_dataset("digits")
    digits = data.batch(torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:400])[0]
    write_pngs(tmp_path / "real", digits[:200])
    write_pngs(tmp_path / "fake", digits[200:400])
    gankit_eval("--real", str(tmp_path / "real"), "--fake", str(tmp_path / "fake"), "--metrics", "fid,pr", "--json")
    record = json.loads(capsys.readouterr().out)
    assert record["n_real"] == record["n_fake"] == 200
    # 8-bit PNGs hold the digits exactly, so the numbers are evaluate()'s on the images themselves.
    assert record["metrics"] == pytest.approx(evaluate(digits[200:400], digits[:200], ["fid", "pr"], "digits"),
                                              rel=1e-6)
    assert record["metrics"]["precision"] > 0.8


@pytest.mark.parametrize("argv, message", [
    ([], "needs a run folder"),
    (["somewhere", "--real", "a", "--fake", "b"], "not both"),
    (["no-such-run"], "does not exist"),
    (["--real", "a", "--fake", "b", "--metrics", "fid,bogus"], "unknown metric bogus"),
])
def test_user_mistakes_are_one_line_errors(argv, message):
    with pytest.raises(GankitError, match=message) as error:
        gankit_eval(*argv)
    assert "\n" not in str(error.value)


def test_eval_refuses_the_digits_classifier_for_colour_images_as_it_does_for_runs(tmp_path, capsys):
    """Seen before: 64-px colour shapes were scored with the digits classifier on grey 28x28 copies (FID 61)."""
    import numpy as np
    from PIL import Image

    for folder in ("real", "fake"):
        (tmp_path / folder).mkdir()
        for i in range(4):
            Image.fromarray(np.full((64, 64, 3), 40 * i, np.uint8)).save(tmp_path / folder / f"{i}.png")
    for features in ([], ["--features", "digits"]):
        assert main(["eval", "--real", str(tmp_path / "real"), "--fake", str(tmp_path / "fake"), *features]) == 2
        line = error_line(capsys)
        assert "not fit to measure images of 3x64x64" in line and "inception-2015-12-05.pt" in line
