"""`gankit sample`: a grid or a folder of PNGs from a run, never over a file unasked."""
from commands.command_line import error_line

from gankit.cli import main

TINY = ["--set", "data.n=320", "--set", "model.width=8", "--set", "train.grid_size=16"]


def test_sample_refuses_to_overwrite(tmp_path, capsys):
    run = tmp_path / "run"
    main(["train", "--out", str(run), "--quiet", "--set", "train.steps=2", *TINY])
    target = tmp_path / "mine.png"
    target.write_bytes(b"precious")
    capsys.readouterr()
    assert main(["sample", str(run), "--out", str(target)]) == 2
    assert "exists" in error_line(capsys)
    assert target.read_bytes() == b"precious"


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
    assert "--label must be a class number 0..9 or a name" in error_line(capsys)
    assert main(["sample", str(run), "--n", "20", "--out", str(tmp_path / "rows.png")]) == 0
    # One row per class: 10 rows of 2 images, each 28 px with a 2 px border.
    assert Image.open(tmp_path / "rows.png").size == (2 * 30 + 2, 10 * 30 + 2)
