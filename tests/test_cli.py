"""The command line as a user meets it: one-line errors, non-zero exits, nothing overwritten."""
import gzip
import json
import struct
import subprocess
import sys

import pytest

from gankit.cli import main

TINY = ["--set", "data.n=320", "--set", "model.width=8", "--set", "train.grid_size=16"]


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


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
    assert "no images" in _error_line(capsys).lower() or "empty" in _error_line(capsys).lower()
    junk = tmp_path / "junk"
    junk.mkdir()
    capsys.readouterr()
    (junk / "a.png").write_bytes(b"not a png at all")
    assert main(["train", "--quiet", "--out", str(tmp_path / "r2"), "--set", "data.name=folder",
                 "--set", f"data.root={junk}"]) == 2
    assert "junk" in capsys.readouterr().err


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


def test_a_user_error_in_a_real_process_prints_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "gankit.cli", "train", "--set", "train.k=0", "--out",
                           str(tmp_path / "r")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "gankit: error: train.k must be at least 1 (D steps per G step), got 0"
    assert not (tmp_path / "r").exists()
