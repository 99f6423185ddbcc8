import errno
import json
import os
import shutil

import pytest
import torch

import gankit.checkpoint as checkpoint
from gankit.checkpoint import (clean_stale_temp, latest_checkpoint, load_training_state, load_weights,
                               save_checkpoint)
from gankit.errors import GankitError


def nets(seed: int):
    """A G and a D with weights fixed by `seed`, and Adam states that are not empty."""
    torch.manual_seed(seed)
    modules = {"G": torch.nn.Linear(4, 3), "D": torch.nn.Linear(3, 1)}
    optimizers = {k: torch.optim.Adam(m.parameters()) for k, m in modules.items()}
    for m, opt in zip(modules.values(), optimizers.values()):
        m(torch.randn(2, m.in_features)).sum().backward()
        opt.step()
    return modules, optimizers


def save(root, step, seed, keep=2):
    modules, optimizers = nets(seed)
    return save_checkpoint(root, step, modules, optimizers, {"seed": seed}, keep=keep)


def seed_of(ckpt) -> int:
    """Load `ckpt` the way the trainer does and say which nets(seed) it holds; fails unless it is complete."""
    modules, optimizers = nets(12345)
    meta = load_weights(ckpt, modules)
    assert load_training_state(ckpt, optimizers) == meta["step"]
    expected, _ = nets(meta["seed"])
    for key, module in modules.items():
        for name, value in module.state_dict().items():
            assert torch.equal(value, expected[key].state_dict()[name]), f"{ckpt}: {key}.{name}"
    return meta["seed"]


def steps(root):
    return sorted(int(p.name[5:]) for p in root.glob("step-*"))


def test_a_saved_checkpoint_loads_bit_identical_weights_and_training_state(tmp_path):
    ckpt = save(tmp_path, 780, seed=1)
    assert ckpt == tmp_path / "step-000780" == latest_checkpoint(tmp_path)
    assert json.loads((tmp_path / "latest.json").read_text()) == {"step": 780, "dir": "step-000780"}
    assert seed_of(ckpt) == 1
    modules, optimizers = nets(1)
    fresh_modules, fresh_optimizers = nets(2)
    load_training_state(ckpt, fresh_optimizers)
    assert torch.equal(fresh_optimizers["G"].state_dict()["state"][0]["exp_avg"],
                       optimizers["G"].state_dict()["state"][0]["exp_avg"])


# -- a crash at any moment -----------------------------------------------------------------------------------------
class Crash(BaseException):
    """A kill -9: not an Exception, so no `except OSError` in the code under test sees it."""


def crash_at(monkeypatch, n: int) -> list[int]:
    """Make the n-th file-system change of the code under test (a rename, a replace, a delete, a file write) the
    moment the process dies: a write leaves half its file, a delete removes one file of its folder. Returns the
    counter, so a run with n = -1 counts the changes."""
    calls = [0]

    def dying(real, partial=None):
        def wrapper(*args, **kwargs):
            calls[0] += 1
            if calls[0] == n:
                if partial:
                    partial(*args)
                raise Crash
            return real(*args, **kwargs)
        return wrapper

    def half_write(path, data):
        with open(path, "wb") as f:
            f.write(data[:len(data) // 2])

    def delete_one_file(path, *args, **kwargs):
        files = [p for p in sorted(path.rglob("*")) if p.is_file()]
        if files:
            files[0].unlink()

    monkeypatch.setattr(os, "rename", dying(os.rename))
    monkeypatch.setattr(os, "replace", dying(os.replace))
    monkeypatch.setattr(shutil, "rmtree", dying(shutil.rmtree, delete_one_file))
    monkeypatch.setattr(checkpoint, "_write_bytes", dying(checkpoint._write_bytes, half_write))
    return calls


# (what is saved before, the step and keep of the save that crashes): the same step saved again with and without an
# older checkpoint beside it, and a new step where there is nothing else to fall back on (checkpoints/best).
SCENARIOS = {"same step again, keep=2": ([(5, 1), (10, 2)], 10, 2),
             "same step again, keep=1": ([(10, 2)], 10, 1),
             "next step, keep=1": ([(10, 2)], 15, 1),
             "next step, keep=2": ([(5, 1), (10, 2)], 15, 2)}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_crash_at_any_moment_of_a_save_leaves_the_old_or_the_new_checkpoint_loadable(tmp_path, monkeypatch,
                                                                                       scenario, capsys):
    before, step, keep = SCENARIOS[scenario]
    with monkeypatch.context() as m:
        counter = crash_at(m, -1)
        save(tmp_path / "count", step, seed=3, keep=keep)
    changes = counter[0]
    assert changes >= 6  # 3 files, 1-2 renames, latest.json, at least a delete
    for n in range(1, changes + 1):
        root = tmp_path / str(n)
        for old_step, seed in before:
            save(root, old_step, seed, keep=2)
        with monkeypatch.context() as m:
            crash_at(m, n)
            with pytest.raises(Crash):
                save(root, step, seed=3, keep=keep)
        assert seed_of(latest_checkpoint(root)) in (before[-1][1], 3), f"crash at change {n}"
        save(root, 20, seed=4, keep=1)  # the next save sweeps what the crash left
        assert sorted(p.name for p in root.iterdir()) == ["latest.json", "step-000020"], f"crash at change {n}"
        assert seed_of(latest_checkpoint(root)) == 4


# -- pruning -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("keep", [1, 2, 3])
def test_pruning_keeps_the_last_keep_checkpoints_and_leaves_best_alone(tmp_path, keep):
    save(tmp_path / "best", 2, seed=9, keep=1)
    for step in range(1, 6):
        save(tmp_path, step, seed=step, keep=keep)
    assert steps(tmp_path) == list(range(6 - keep, 6))
    assert [seed_of(tmp_path / f"step-{s:06d}") for s in steps(tmp_path)] == list(range(6 - keep, 6))
    assert seed_of(latest_checkpoint(tmp_path / "best")) == 9 and steps(tmp_path / "best") == [2]


def test_pruning_orders_steps_by_number_past_a_million(tmp_path):
    for step in (999_999, 1_000_000, 1_000_001):
        save(tmp_path, step, seed=1, keep=2)
    assert steps(tmp_path) == [1_000_000, 1_000_001]


def test_a_run_resumed_from_an_earlier_checkpoint_prunes_the_abandoned_later_ones(tmp_path):
    for step in (5, 10):
        save(tmp_path, step, seed=step)
    save(tmp_path, 7, seed=7)  # step-10 was damaged, the run went on from step-5
    assert steps(tmp_path) == [5, 7] and seed_of(latest_checkpoint(tmp_path)) == 7


# -- damaged files -------------------------------------------------------------------------------------------------
def truncate(path):
    path.write_bytes(path.read_bytes()[:-7])


# what is spoiled, how, and what the warning says
DAMAGE = {"G.safetensors empty": ("G.safetensors", lambda p: p.write_bytes(b""), "step-000010/G.safetensors"),
          "G.safetensors truncated": ("G.safetensors", truncate, "step-000010/G.safetensors"),
          "D.safetensors zeros": ("D.safetensors", lambda p: p.write_bytes(bytes(300)), "step-000010/D.safetensors"),
          "D.safetensors missing": ("D.safetensors", lambda p: p.unlink(), "step-000010/D.safetensors is missing"),
          "state.pt truncated": ("state.pt", truncate, "step-000010/state.pt"),
          "state.pt empty": ("state.pt", lambda p: p.write_bytes(b""), "step-000010/state.pt"),
          "state.pt missing": ("state.pt", lambda p: p.unlink(), "step-000010/state.pt"),
          "meta.json not JSON": ("meta.json", lambda p: p.write_text('{"step": 1'), "step-000010/meta.json"),
          "meta.json without step": ("meta.json", lambda p: p.write_text("{}"), "step-000010/meta.json"),
          "no weights": ("G.safetensors", lambda p: [w.unlink() for w in p.parent.glob("*.safetensors")],
                         "step-000010 has no .safetensors")}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_one_with_a_warning(tmp_path, capsys, damage):
    save(tmp_path, 5, seed=1)
    save(tmp_path, 10, seed=2)
    name, spoil, said = DAMAGE[damage]
    spoil(tmp_path / "step-000010" / name)
    assert latest_checkpoint(tmp_path) == tmp_path / "step-000005"
    warning = capsys.readouterr().err
    assert warning.count("\n") == 1 and said in warning
    assert warning.rstrip().endswith(f"{tmp_path / 'step-000005'} instead")
    assert seed_of(tmp_path / "step-000005") == 1


LATEST = {"not JSON": '{"step": 10, "di', "no dir": '{"step": 10}', "a number": '{"dir": 10}', "a list": "[]",
          "an absolute path": '{"dir": "/etc"}', "a parent folder": '{"dir": "../elsewhere"}',
          "a path through a step folder": '{"dir": "step-000010/../../elsewhere"}',
          "a missing step": '{"dir": "step-000099"}'}


@pytest.mark.parametrize("content", [*LATEST, "missing"])
def test_a_damaged_or_missing_latest_json_falls_back_to_the_newest_intact_step_folder(tmp_path, capsys, content):
    root = tmp_path / "checkpoints"
    save(tmp_path, 3, seed=3)
    (tmp_path / "step-000003").rename(tmp_path / "elsewhere")  # a complete checkpoint outside the root
    save(root, 5, seed=1)
    save(root, 10, seed=2)
    if content == "missing":
        (root / "latest.json").unlink()
    else:
        (root / "latest.json").write_text(LATEST[content])
    assert latest_checkpoint(root) == root / "step-000010"
    warning = capsys.readouterr().err
    assert warning.count("\n") == 1 and "latest.json" in warning and "step-000010 instead" in warning


def test_without_any_intact_checkpoint_the_error_is_one_line(tmp_path):
    save(tmp_path, 5, seed=1)
    save(tmp_path, 10, seed=2)
    for step in (5, 10):
        (tmp_path / f"step-{step:06d}" / "state.pt").write_bytes(b"")
    with pytest.raises(GankitError, match="no intact checkpoint") as e:
        latest_checkpoint(tmp_path)
    assert "\n" not in str(e.value) and "step-000010/state.pt" in str(e.value)


def test_a_root_without_checkpoints_has_no_latest(tmp_path):
    assert latest_checkpoint(tmp_path / "nowhere") is None
    (tmp_path / "best").mkdir()
    assert latest_checkpoint(tmp_path / "best") is None


@pytest.mark.parametrize("name", ["G.safetensors", "D.safetensors", "meta.json"])
def test_load_weights_names_a_damaged_file_in_one_line(tmp_path, name):
    ckpt = save(tmp_path, 5, seed=1)
    truncate(ckpt / name)
    with pytest.raises(GankitError, match=f"{ckpt / name} is unreadable") as e:
        load_weights(ckpt, nets(1)[0])
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("spoil", [truncate, lambda p: p.write_bytes(b""), lambda p: p.write_bytes(b"PK\x03\x04")])
def test_load_training_state_names_a_damaged_file_in_one_line(tmp_path, spoil):
    ckpt = save(tmp_path, 5, seed=1)
    spoil(ckpt / "state.pt")
    with pytest.raises(GankitError, match=f"{ckpt / 'state.pt'} is unreadable") as e:
        load_training_state(ckpt, nets(1)[1])
    assert "\n" not in str(e.value)


# -- leftovers and failed writes -----------------------------------------------------------------------------------
def test_clean_stale_temp_sweeps_interrupted_writes_and_puts_back_an_interrupted_resave(tmp_path):
    save(tmp_path, 5, seed=1)
    save(tmp_path / "best", 5, seed=1)
    shutil.copytree(tmp_path / "step-000005", tmp_path / ".step-000005.old")  # re-save of 5: done, old not deleted
    shutil.copytree(tmp_path / "step-000005", tmp_path / ".step-000006.old")  # re-save of 6: between its renames
    (tmp_path / ".step-000007.tmp").mkdir()
    (tmp_path / ".step-000007.tmp" / "G.safetensors").write_bytes(b"half")
    (tmp_path / ".step-000004.del").mkdir()
    (tmp_path / ".latest.json.k3j2h1x0.tmp").write_text('{"st')
    (tmp_path / "notes.txt").write_text("mine")
    clean_stale_temp(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best", "latest.json", "notes.txt", "step-000005",
                                                          "step-000006"]
    assert seed_of(tmp_path / "step-000006") == 1 and seed_of(latest_checkpoint(tmp_path / "best")) == 1


def test_a_full_disk_removes_the_half_written_checkpoint_and_is_one_line(tmp_path, monkeypatch):
    save(tmp_path, 5, seed=1)
    save(tmp_path, 10, seed=2)
    writes = [0]

    def fsync(fd):
        writes[0] += 1
        if writes[0] == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", fsync)
    for step in (15, 10):  # a new step, and the same step again
        writes[0] = 0
        with pytest.raises(GankitError) as e:
            save(tmp_path, step, seed=3)
        assert str(e.value) == f"could not write checkpoint to {tmp_path / f'step-{step:06d}'}: No space left on device"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json", "step-000005", "step-000010"]
        assert seed_of(latest_checkpoint(tmp_path)) == 2


def test_a_real_write_failure_is_one_line(tmp_path):
    """Files may grow to 2 kB here (RLIMIT_FSIZE): the write itself fails with EFBIG, as on a full disk."""
    resource, signal = pytest.importorskip("resource"), pytest.importorskip("signal")
    modules = {"G": torch.nn.Linear(64, 64)}  # 16 kB of weights
    handler, limits = signal.signal(signal.SIGXFSZ, signal.SIG_IGN), resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, limits[1]))
    try:
        with pytest.raises(GankitError) as e:
            save_checkpoint(tmp_path, 5, modules, {}, {})
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, handler)
    assert str(e.value) == f"could not write checkpoint to {tmp_path / 'step-000005'}: File too large"
    assert list(tmp_path.iterdir()) == []
