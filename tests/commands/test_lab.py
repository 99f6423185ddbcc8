"""`gankit lab`: the theory lab's experiments by name, into a fresh folder, their numbers printed."""
import json
from types import SimpleNamespace

import pytest

from gankit.commands.lab import run as run_lab
from gankit.errors import GankitError
from gankit.lab import EXPERIMENTS, experiment


def args(**kw):
    defaults = {"name": None, "list": False, "out": None, "force": False, "quick": True, "seed": 0, "json": False}
    return SimpleNamespace(**(defaults | kw))


def test_every_experiment_has_a_claim_and_a_run():
    for name in EXPERIMENTS:
        module = experiment(name)
        assert module.CLAIM and callable(module.run)


def test_list_names_every_experiment(capsys):
    run_lab(args(list=True))
    out = capsys.readouterr().out
    assert all(name in out for name in EXPERIMENTS)


def test_unknown_experiment_is_one_line_naming_the_valid_ones():
    with pytest.raises(GankitError) as e:
        run_lab(args(name="figure2"))
    assert "\n" not in str(e.value) and all(name in str(e.value) for name in EXPERIMENTS)


@pytest.mark.slow
def test_runs_into_a_fresh_folder_and_prints_the_numbers(tmp_path, capsys):
    out = tmp_path / "vf"
    run_lab(args(name="value-function", out=str(out)))
    printed = capsys.readouterr().out
    assert "largest |V - (-log 4 + 2 JSD)|" in printed
    assert (out / "value-function.png").is_file()
    assert json.loads((out / "numbers.json").read_text())["largest |V - (-log 4 + 2 JSD)|"] < 1e-3


def test_refuses_a_non_empty_folder_unless_forced_and_keeps_other_files(tmp_path, monkeypatch):
    def run(out_dir, quick=False, seed=0):
        (out_dir / "picture.png").write_text("new")
        return {"answer": 42.0, "files": ["picture.png"]}

    monkeypatch.setattr("gankit.commands.lab.experiment", lambda name: SimpleNamespace(CLAIM="a claim", run=run))
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(GankitError, match="--force"):
        run_lab(args(name="value-function", out=str(tmp_path)))
    assert not (tmp_path / "picture.png").exists()
    run_lab(args(name="value-function", out=str(tmp_path), force=True))
    assert (tmp_path / "picture.png").read_text() == "new" and (tmp_path / "notes.txt").read_text() == "mine"


def test_name_is_required_unless_listing():
    with pytest.raises(GankitError, match="--list"):
        run_lab(args())


def test_refuses_a_file_as_the_out_folder(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(GankitError, match="not a folder"):
        run_lab(args(name="value-function", out=str(target)))
