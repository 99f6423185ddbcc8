"""The command line as a user meets it: one-line errors, non-zero exits, nothing overwritten."""
import argparse
import gzip
import json
import struct
import subprocess
import sys

import pytest

from gankit.cli import main
from gankit.runlog import read_log

TINY = ["--set", "data.n=320", "--set", "model.width=8", "--set", "train.grid_size=16"]


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


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


def test_sample_refuses_to_overwrite(tmp_path, capsys):
    run = tmp_path / "run"
    main(["train", "--out", str(run), "--quiet", "--set", "train.steps=2", *TINY])
    target = tmp_path / "mine.png"
    target.write_bytes(b"precious")
    capsys.readouterr()
    assert main(["sample", str(run), "--out", str(target)]) == 2
    assert "exists" in _error_line(capsys)
    assert target.read_bytes() == b"precious"


def _write_truncated_idx(folder):
    folder.mkdir()
    header = struct.pack(">IIII", 0x00000803, 100, 28, 28)
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(header + bytes(28 * 28 * 3))  # 3 images where the header promises 100
    with gzip.open(folder / "train-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 0x00000801, 100) + bytes(100))


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
    assert message in _error_line(capsys)


def test_empty_and_corrupt_folders(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train", "--quiet", "--out", str(tmp_path / "r1"), "--set", "data.name=folder",
                 "--set", f"data.root={empty}"]) == 2
    assert _error_line(capsys) == (f"gankit: error: data folder '{empty}' has no images "
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
    assert "train-images-idx3-ubyte" in _error_line(capsys)


def test_a_folder_holding_another_run_is_left_alone(tmp_path, capsys):
    run = tmp_path / "run"
    main(["train", "--out", str(run), "--quiet", "--set", "train.steps=2", *TINY])
    capsys.readouterr()
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    assert main(["train", "--out", str(run), "--quiet", "--preset", "toy-ring"]) == 2
    assert "already holds a run" in _error_line(capsys)
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before


def test_resume_may_not_change_the_architecture(tmp_path, capsys):
    run = tmp_path / "run"
    main(["train", "--out", str(run), "--quiet", "--set", "train.steps=2", *TINY])
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--set", "model.width=16"]) == 2
    assert "cannot change when resuming" in _error_line(capsys)


@pytest.mark.slow
def test_a_user_error_in_a_real_process_prints_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "gankit.cli", "train", "--set", "train.k=0", "--out",
                           str(tmp_path / "r")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "gankit: error: train.k must be at least 1 (D steps per G step), got 0"
    assert not (tmp_path / "r").exists()


def test_importing_the_cli_does_not_import_torch():
    """`gankit --help` answers in a blink: subcommands import torch inside run() (measured: 2.4 s -> 0.07 s)."""
    code = "import sys, gankit.cli; gankit.cli.build_parser(); print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


@pytest.mark.parametrize("argv, message", [
    (["sample", "RUN", "--n", "0"], "argument --n: must lie in 1..1,000,000, got 0"),
    (["sample", "RUN", "--n", "1e9"], "argument --n: expected a whole number, got '1e9'"),
    (["sample", "RUN", "--seed", str(2**70)], "argument --seed: must lie in 0..9,223,372,036,854,775,807"),
    (["sample", "RUN", "--scale", "100000"], "argument --scale: must lie in 1..16"),
    (["sample", "RUN", "--scale", "0"], "argument --scale: must lie in 1..16"),
    (["eval", "RUN", "--n", "2000000"], "argument --n: must lie in 1..1,000,000"),
    (["nosuchcommand"], "invalid choice: 'nosuchcommand'"),
])
def test_usage_mistakes_are_one_line_and_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in _error_line(capsys)


def test_every_command_shares_the_same_options():
    """--n, --seed, --out, --force, --json and --device mean the same wherever they appear: one help text each."""
    from gankit.cli import build_parser

    helps: dict[str, set[str]] = {}
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in sub.choices.items():
        for action in parser._actions:
            for flag in action.option_strings:
                helps.setdefault(flag, set()).add((action.help or "").split(" (default")[0].split(":")[0])
    for flag in ("--force", "--json", "--device", "--n"):
        assert len(helps[flag]) == 1, (flag, helps[flag])
    assert {"sample", "eval", "compare", "arithmetic"} <= {n for n, p in sub.choices.items()
                                                           if any("--n" in a.option_strings for a in p._actions)}
    for name in ("train", "info", "eval", "compare", "invert", "arithmetic", "lab", "presets"):
        assert any("--json" in a.option_strings for a in sub.choices[name]._actions), name


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
    assert "not a gankit run" in _error_line(capsys)
    assert (mine / "thesis.tex").read_text() == "precious"


def test_sample_writes_a_folder_of_pngs_and_conditional_grids_by_class_name(tmp_path, capsys):
    from PIL import Image

    run = tmp_path / "run"
    assert main(["train", "--preset", "digits-cdcgan", "--out", str(run), "--quiet", "--set", "train.steps=2",
                 *TINY]) == 0
    assert main(["sample", str(run), "--n", "5", "--out", str(tmp_path / "pngs")]) == 0
    files = sorted((tmp_path / "pngs").iterdir())
    assert [f.name for f in files] == [f"{i:06d}.png" for i in range(5)]
    assert Image.open(files[0]).size == (28, 28)
    assert main(["sample", str(run), "--label", "7", "--n", "4", "--out", str(tmp_path / "seven.png")]) == 0
    capsys.readouterr()
    assert main(["sample", str(run), "--label", "seven", "--out", str(tmp_path / "x.png")]) == 2
    assert "--label must be a class number 0..9 or a name" in _error_line(capsys)
    assert main(["sample", str(run), "--n", "20", "--out", str(tmp_path / "rows.png")]) == 0
    # One row per class: 10 rows of 2 images, each 28 px with a 2 px border.
    assert Image.open(tmp_path / "rows.png").size == (2 * 30 + 2, 10 * 30 + 2)


@pytest.mark.slow
def test_info_into_a_closed_pipe_ends_quietly(tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--quiet", "--set", "train.steps=2", *TINY]) == 0
    proc = subprocess.run(f"{sys.executable} -m gankit.cli info {run} | head -1", shell=True, capture_output=True,
                          text=True)
    assert proc.stdout.startswith("        run:") and "Traceback" not in proc.stderr and "Broken" not in proc.stderr


def test_train_and_lab_print_json_with_json(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "run"), "--quiet", "--json", "--set", "train.steps=2", *TINY]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 2 and summary["run"] == str(tmp_path / "run")
    assert main(["presets", "--json"]) == 0
    presets = {p["preset"]: p for p in json.loads(capsys.readouterr().out)}
    assert presets["digits-dcgan"]["length"] == "30 epochs"
    assert presets["digits-dcgan"]["description"].startswith("The classic DCGAN (Radford et al. 2016)")
    assert presets["digits-dcgan-r1"]["length"] == "41 epochs"
    assert presets["digits-dcgan-r1"]["description"].startswith("The default: the DCGAN of digits-dcgan")


def test_a_config_naming_a_path_as_its_preset_is_refused(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("preset: ../../outside\ntrain: {steps: 2}\n")
    assert main(["train", "--quiet", "--config", str(config)]) == 2
    assert "preset '../../outside' is not a name" in _error_line(capsys)
    assert not (tmp_path / "outside").exists()


def test_an_output_path_through_a_file_is_one_line_exit_1(tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    assert main(["train", "--quiet", "--out", str(tmp_path / "afile" / "sub"), *TINY]) == 1
    assert _error_line(capsys) == f"gankit: error: Not a directory ({tmp_path / 'afile' / 'sub'})"


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
    assert "at step 4 already; train.steps=2 would end before it" in _error_line(capsys)
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


def test_an_image_too_large_to_decode_safely_is_one_line(tiny_run, tmp_path, capsys, monkeypatch):
    from PIL import Image

    Image.new("L", (40, 40)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 1600 pixels is then a decompression bomb
    assert main(["invert", str(tiny_run), str(tmp_path / "big.png"), "--invert-steps", "1"]) == 2
    assert "cannot be read" in _error_line(capsys)


def test_interpolate_on_a_point_run_is_one_line(tmp_path, capsys):
    run = tmp_path / "toy"
    assert main(["train", "--preset", "toy-ring", "--out", str(run), "--quiet", "--set", "train.steps=2",
                 "--set", "data.n=1024", "--set", "train.grid_size=10"]) == 0
    capsys.readouterr()
    assert main(["interpolate", str(run)]) == 2
    assert "generates points, not images" in _error_line(capsys)


def test_missing_fashion_mnist_names_the_debian_package(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("gankit.data.mnist.SYSTEM_DIRS", {})  # as on a machine without the package
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    assert main(["train", "--quiet", "--out", str(tmp_path / "run"), "--set", "data.name=fashion-mnist"]) == 2
    assert "or `apt-get install dataset-fashion-mnist`, or --set data.download=true" in _error_line(capsys)


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
        line = _error_line(capsys)
        assert "not fit to measure images of 3x64x64" in line and "inception-2015-12-05.pt" in line


def test_a_permission_error_is_one_line_exit_1(tmp_path, capsys, monkeypatch):
    """Tried as a non-root user: a read-only folder. (The tests may run as root, so the refusal is simulated.)"""
    from pathlib import Path

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert main(["train", "--quiet", "--out", str(tmp_path / "ro" / "run"), *TINY]) == 1
    assert _error_line(capsys) == f"gankit: error: Permission denied ({tmp_path / 'ro' / 'run'})"
