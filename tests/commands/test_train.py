"""`gankit train`: a run folder from a preset, a config file and --set; resume, --force, --json, --nproc; every
mistake one line."""
import gzip
import json
import os
import struct
import subprocess
import sys

import pytest

from commands.command_line import error_line

from gankit.cli import main
from gankit.runlog import read_log

TINY = ["--set", "data.n=320", "--set", "model.width=8", "--set", "train.grid_size=16"]


@pytest.mark.slow
def test_train_sample_info_round_trip(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--quiet", "--set", "train.steps=6", *TINY]) == 0
    assert "trained to step 6" in capsys.readouterr().out
    assert main(["sample", str(run), "--n", "9", "--seed", "3", "--out", str(tmp_path / "s.png")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "s.png")
    assert (tmp_path / "s.png").is_file()
    assert main(["info", str(run), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["step"] == 6 and info["arch"] == "dcgan" and info["data_shape"] == [1, 28, 28]
    # resume extends a finished run when given a longer schedule
    assert main(["train", "--resume", str(run), "--quiet", "--set", "train.steps=10"]) == 0
    assert "trained to step 10" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--preset", "nope"], "unknown preset 'nope'"),
    (["--set", "train.nope=1"], "unknown config key 'train.nope'"),
    (["--set", "train.k=0"], "train.k must be at least 1"),
    (["--set", "train.lr_d=-1"], "train.lr_d must be positive"),
    (["--set", "data.image_size=50"], "image sizes"),
    (["--set", "data.name=folder", "--set", "data.root=/no/such/folder"], "/no/such/folder"),
    (["--resume", "/no/such/run"], "cannot resume"),
    (["--set", "model.conditional=true", "--set", "data.name=ring8"], "model.arch dcgan is for images"),
    (["--set", "train.grid_size=1000000000"], "train.grid_size is 1,000,000,000, above the limit of 10,000"),
    (["--set", "data.n=1000000000"], "data.n is 1,000,000,000, above the limit of 10,000,000"),
    (["--set", "train.batch_size=1000000000"], "train.batch_size is 1,000,000,000, above the limit of 65,536"),
    (["--set", "model.width=10000000"], "model.width is 10,000,000, above the limit of 4,096"),
    (["--set", "data.name=folder", "--set", "data.image_size=100000"], "data.image_size is 100,000, above the limit"),
    (["--preset", "toy-ring", "--config", "x.yaml"], "give --preset or --config, not both"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    if "--resume" not in args:
        args = [*args, "--out", str(tmp_path / "run")]
    assert main(["train", "--quiet", *args]) == 2
    assert message in error_line(capsys)


def _write_truncated_idx(folder):
    folder.mkdir()
    header = struct.pack(">IIII", 0x00000803, 100, 28, 28)
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(header + bytes(28 * 28 * 3))  # 3 images where the header promises 100
    with gzip.open(folder / "train-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 0x00000801, 100) + bytes(100))


def test_empty_and_corrupt_folders(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train", "--quiet", "--out", str(tmp_path / "r1"), "--set", "data.name=folder",
                 "--set", f"data.root={empty}"]) == 2
    assert error_line(capsys) == (f"gankit: error: data folder '{empty}' has no images "
                                   f"(looked for .png, .jpg, .jpeg, .bmp, .webp)")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.png").write_bytes(b"not a png at all")
    assert main(["train", "--quiet", "--out", str(tmp_path / "r2"), "--set", "data.name=folder",
                 "--set", f"data.root={broken}"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (f"gankit: error: data folder '{broken}' has no readable "
                                                       f"images (1 files failed to decode)")


def test_truncated_idx_file(tmp_path, capsys):
    _write_truncated_idx(tmp_path / "idx")
    assert main(["train", "--quiet", "--out", str(tmp_path / "run"), "--set", "data.name=mnist",
                 "--set", f"data.root={tmp_path / 'idx'}"]) == 2
    assert "train-images-idx3-ubyte" in error_line(capsys)


def test_a_folder_holding_another_run_is_left_alone(tmp_path, capsys):
    run = tmp_path / "run"
    main(["train", "--out", str(run), "--quiet", "--set", "train.steps=2", *TINY])
    capsys.readouterr()
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    assert main(["train", "--out", str(run), "--quiet", "--preset", "toy-ring"]) == 2
    assert "already holds a run" in error_line(capsys)
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before


def test_resume_may_not_change_the_architecture(tmp_path, capsys):
    run = tmp_path / "run"
    main(["train", "--out", str(run), "--quiet", "--set", "train.steps=2", *TINY])
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--set", "model.width=16"]) == 2
    assert "cannot change when resuming" in error_line(capsys)


@pytest.mark.slow
def test_train_force_starts_over_in_a_run_folder_but_never_deletes_other_folders(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--quiet", "--set", "train.steps=2", *TINY]) == 0
    assert main(["train", "--out", str(run), "--quiet", "--force", "--set", "train.steps=3", *TINY]) == 0
    assert json.loads((run / "checkpoints" / "latest.json").read_text())["step"] == 3
    assert not (run / "checkpoints" / "step-000002").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    capsys.readouterr()
    assert main(["train", "--out", str(mine), "--quiet", "--force", *TINY]) == 2
    assert "not a gankit run" in error_line(capsys)
    assert (mine / "thesis.tex").read_text() == "precious"


def test_train_prints_its_summary_as_json_with_json(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "run"), "--quiet", "--json", "--set", "train.steps=2", *TINY]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 2 and summary["run"] == str(tmp_path / "run")


def test_a_config_naming_a_path_as_its_preset_is_refused(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("preset: ../../outside\ntrain: {steps: 2}\n")
    assert main(["train", "--quiet", "--config", str(config)]) == 2
    assert "preset '../../outside' is not a name" in error_line(capsys)
    assert not (tmp_path / "outside").exists()


@pytest.fixture
def tiny_run(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--quiet", "--set", "train.steps=4", *TINY]) == 0
    capsys.readouterr()
    return run


def test_a_torn_last_log_line_is_tolerated_and_repaired_on_resume(tiny_run, capsys):
    with open(tiny_run / "metrics.jsonl", "a") as f:
        f.write('{"step": 5, "loss_d": 0.6')  # the power went off mid-append
    assert main(["info", str(tiny_run), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["last_log"]["step"] == 4
    assert main(["train", "--resume", str(tiny_run), "--quiet", "--set", "train.steps=6"]) == 0
    assert [r["step"] for r in read_log(tiny_run)] == [1, 2, 3, 4, 5, 6]


def test_resume_refuses_a_length_below_the_step_and_remembers_a_longer_one(tiny_run, capsys):
    assert main(["train", "--resume", str(tiny_run), "--quiet", "--set", "train.steps=2"]) == 2
    assert "at step 4 already; train.steps=2 would end before it" in error_line(capsys)
    assert main(["train", "--resume", str(tiny_run), "--quiet", "--set", "train.steps=6"]) == 0
    assert "steps: 6" in (tiny_run / "config.yaml").read_text()
    capsys.readouterr()
    assert main(["train", "--resume", str(tiny_run), "--quiet"]) == 0  # a plain resume: the run is done at 6
    assert capsys.readouterr().out.strip().startswith(f"{tiny_run} has finished: it is at step 6 of 6")


def test_a_damaged_newest_checkpoint_falls_back_to_the_one_before(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--quiet", "--set", "train.steps=7", *TINY]) == 0  # epochs of 5
    (run / "checkpoints" / "step-000007" / "G.safetensors").write_bytes(b"")
    capsys.readouterr()
    assert main(["sample", str(run), "--out", str(tmp_path / "s.png")]) == 0
    assert "step-000007" in capsys.readouterr().err
    assert main(["train", "--resume", str(run), "--quiet", "--set", "train.steps=8"]) == 0
    assert json.loads((run / "checkpoints" / "latest.json").read_text())["step"] == 8


@pytest.mark.slow
def test_a_blow_up_stops_the_run_and_a_resume_with_lower_learning_rates_finishes_it(tmp_path, capsys):
    """Seen before: lr 1e6 gave losses of 1e14-1e33 and exit 0. Now the run stops at the first huge loss."""
    run, toy = tmp_path / "run", ["--preset", "toy-ring", "--set", "data.n=1024", "--set", "train.grid_size=100"]
    assert main(["train", "--out", str(run), "--quiet", *toy, "--set", "train.steps=40",
                 "--set", "train.lr_g=1e6", "--set", "train.lr_d=1e6"]) == 3
    assert "(training has diverged)" in capsys.readouterr().err.splitlines()[-1]
    assert main(["train", "--resume", str(run), "--quiet", "--set", "train.lr_g=1e-3", "--set", "train.lr_d=1e-3"]) == 0
    assert all(abs(r["loss_d"]) < 10 for r in read_log(run))


def test_missing_fashion_mnist_names_the_debian_package(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("gankit.data.mnist.SYSTEM_DIRS", {})  # as on a machine without the package
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    assert main(["train", "--quiet", "--out", str(tmp_path / "run"), "--set", "data.name=fashion-mnist"]) == 2
    assert "or `apt-get install dataset-fashion-mnist`, or --set data.download=true" in error_line(capsys)


def test_resume_takes_a_config_file_that_changes_only_what_a_resume_may(tiny_run, tmp_path, capsys):
    """What --nproc hands its processes: the resolved config as a file, with --resume as with --out."""
    config = tmp_path / "longer.yaml"
    config.write_text((tiny_run / "config.yaml").read_text().replace("steps: 4", "steps: 6"))
    assert main(["train", "--resume", str(tiny_run), "--config", str(config), "--quiet"]) == 0
    assert "trained to step 6" in capsys.readouterr().out
    config.write_text((tiny_run / "config.yaml").read_text().replace("width: 8", "width: 16"))
    assert main(["train", "--resume", str(tiny_run), "--config", str(config), "--quiet"]) == 2
    assert "model.width cannot change when resuming" in error_line(capsys)


@pytest.mark.slow
def test_nproc_hands_every_process_the_resolved_config_and_resumes_the_same_way(tmp_path):
    run = tmp_path / "run"
    settings = ["--set=train.steps=4", "--set=train.batch_size=32", "--set=data.n=256", "--set=model.width=8",
                "--set=train.grid_size=16", "--set=train.device=cpu"]
    for argv in (["--preset", "toy-ring", "--out", str(run), *settings], ["--resume", str(run), "--set=train.steps=6"]):
        result = subprocess.run([sys.executable, "-m", "gankit", "train", "--nproc", "2", "--quiet", *argv],
                                capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        assert "2 processes" in result.stderr
    assert [r["step"] for r in read_log(run)][-1] == 6
    assert "steps: 6" in (run / "config.yaml").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("preset, warned", [("digits-dcgan", True), ("vae-digits", False)])
def test_a_gan_on_images_for_few_steps_is_warned_and_a_vae_is_not(tmp_path, capsys, preset, warned):
    assert main(["train", "--preset", preset, "--out", str(tmp_path / "run"), "--quiet", "--set", "train.steps=2",
                 *TINY]) == 0
    assert ("2 steps is little for a GAN" in capsys.readouterr().err) == warned
