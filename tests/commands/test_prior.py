"""`gankit prior RUN`: trains the learned inpainting prior into RUN/prior/, continues it, and refuses in one line."""
import json
import shutil

import pytest
from commands.command_line import error_line, write_pngs

import gankit
from gankit.cli import main


@pytest.fixture
def run_copy(gan_run, tmp_path):
    shutil.copytree(gan_run, tmp_path / "gan")
    return tmp_path / "gan"


@pytest.mark.slow
def test_prior_trains_into_the_run_continues_and_inpaint_uses_it(run_copy, tmp_path, capsys):
    assert main(["prior", str(run_copy), "--steps", "20", "--batch", "8", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["step"] == 20 and (run_copy / "prior" / "latest.json").is_file()
    assert gankit.load(run_copy).prior.step == 20
    assert main(["prior", str(run_copy), "--steps", "20"]) == 2  # nothing left to train: says so
    assert "already has a prior trained 20 steps" in error_line(capsys)
    assert main(["prior", str(run_copy), "--steps", "30", "--json"]) == 0  # continues from step 20, batch 8 kept
    assert json.loads(capsys.readouterr().out)["step"] == 30
    assert gankit.load(run_copy).prior.meta["batch"] == 8
    files = write_pngs(tmp_path, gankit.load(run_copy).sample(2, seed=1), "d")
    assert main(["inpaint", str(run_copy), *map(str, files), "--method", "prior", "--iters", "0", "--json",
                 "--out", str(tmp_path / "out")]) == 0
    assert json.loads(capsys.readouterr().out)["method"] == "prior"


def test_bad_input_is_one_line_and_a_run_without_a_prior_is_refused(gan_run, tmp_path, capsys):
    files = write_pngs(tmp_path, gankit.load(gan_run).sample(1, seed=1), "d")
    assert main(["inpaint", str(gan_run), str(files[0]), "--method", "prior", "--out", str(tmp_path / "o")]) == 2
    assert error_line(capsys) == (f"gankit: error: run {gan_run} has no learned prior; train one with "
                                  f"`gankit prior {gan_run}`")
    assert not (tmp_path / "o").exists()
    assert main(["inpaint", str(gan_run), "--video", "builtin", "--method", "prior", "--out", str(tmp_path / "o")]) == 2
    assert error_line(capsys) == (f"gankit: error: run {gan_run} has no learned video prior; train one with "
                                  f"`gankit prior {gan_run} --video`")
    assert main(["prior", str(gan_run), "--lr", "-1"]) == 2
    assert "--lr must be positive" in error_line(capsys)
    assert main(["prior", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in error_line(capsys)
    assert not (gan_run / "prior").exists()
