import json

from gankit.config import load_config
from gankit.training import Trainer
from gankit.training.trainer import resumed_config


def _config(*overrides):
    return load_config("toy-ring", overrides=["train.batch_size=16", "data.n=1600", "model.width=16",
                                              "train.log_every=5", "train.grid_size=64", *overrides])


def test_train_minutes_stops_with_a_checkpoint_and_pictures_and_the_resume_is_exact(tmp_path, assert_same_weights):
    cut = Trainer(_config("train.steps=1000000", "train.minutes=0.005"), tmp_path / "cut", progress=False)
    summary = cut.fit()
    step = summary["steps"]
    assert summary["cut_by_time"] and 0 < step < 1_000_000
    stopped = json.loads((tmp_path / "cut" / "stopped.json").read_text())
    assert stopped == {"cut_by": "train.minutes", "minutes": 0.005, "step": step, "of_steps": 1_000_000}
    assert (tmp_path / "cut" / "samples" / "final.png").is_file()
    assert (tmp_path / "cut" / "checkpoints" / f"step-{step:06d}").is_dir()
    # Resumed without the budget to a length a few steps on, it ends where an uninterrupted run of that length does.
    length = step + 7
    cfg = resumed_config(tmp_path / "cut", [("train.steps", length), ("train.minutes", 0)])
    resumed = Trainer(cfg, tmp_path / "cut", resume=True, progress=False)
    assert not resumed.fit()["cut_by_time"] and resumed.step == length
    assert not (tmp_path / "cut" / "stopped.json").exists()
    straight = Trainer(_config(f"train.steps={length}"), tmp_path / "straight", progress=False)
    straight.fit()
    assert_same_weights(straight, resumed)


def test_a_budget_longer_than_the_run_changes_nothing(tmp_path):
    summary = Trainer(_config("train.steps=20", "train.minutes=10"), tmp_path / "run", progress=False).fit()
    assert summary["steps"] == 20 and not summary["cut_by_time"] and not (tmp_path / "run" / "stopped.json").exists()
