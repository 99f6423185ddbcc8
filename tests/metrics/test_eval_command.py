import json

import numpy as np
import pytest
from PIL import Image

from gankit.cli import build_parser
from gankit.config import load_config
from gankit.errors import GankitError
from gankit.training import Trainer


def gankit_eval(*argv):
    args = build_parser().parse_args(["eval", *argv])
    args.func(args)


def write_pngs(folder, images):
    folder.mkdir()
    for i, image in enumerate(images):
        Image.fromarray(((image[0].numpy() + 1) * 127.5).round().astype(np.uint8), "L").save(folder / f"{i}.png")


def test_eval_of_a_run_prints_a_table_and_writes_eval_json(tmp_path, tiny_digits_config, capsys):
    run = tmp_path / "run"
    Trainer(tiny_digits_config("train.steps=5"), run, progress=False).fit()
    gankit_eval(str(run), "--n", "200", "--metrics", "fid,is,coverage")
    record = json.loads((run / "eval.json").read_text())
    assert record["n"] == 200 and record["features"] == "digits" and record["step"] == 5
    assert set(record["metrics"]) == {"fid", "is", "is_std", "classes", "class_kl"}
    table = capsys.readouterr().out
    assert "fid" in table and "+-" in table


def test_eval_of_a_toy_run_reports_mode_statistics(tmp_path):
    run = tmp_path / "ring"
    cfg = load_config("toy-ring", overrides=["train.steps=5", "train.log_every=5", "train.grid_size=16"])
    Trainer(cfg, run, progress=False).fit()
    gankit_eval(str(run), "--n", "500")
    assert set(json.loads((run / "eval.json").read_text())["metrics"]) == {"modes", "high_quality", "reverse_kl"}


def test_eval_of_two_image_folders(tmp_path, digits, capsys):
    write_pngs(tmp_path / "real", digits[:200])
    write_pngs(tmp_path / "fake", digits[200:400])
    gankit_eval("--real", str(tmp_path / "real"), "--fake", str(tmp_path / "fake"), "--metrics", "fid,pr", "--json")
    record = json.loads(capsys.readouterr().out)
    assert record["n_real"] == record["n_fake"] == 200
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
