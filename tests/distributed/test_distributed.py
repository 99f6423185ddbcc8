"""Data-parallel training (gankit.training.distributed) on two CPU processes with gloo, as torchrun would start them:
the same weights as one process, resume on one and on two processes, one synchronisation per step, a crashed process
ending the others."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from safetensors.torch import load_file

import gankit
from gankit.config import load_config
from gankit.errors import GankitError
from gankit.runlog import read_log
from gankit.training import Interrupted, Trainer
from gankit.training import distributed

# R1 makes every D step a double backward under DDP; k=2 has two D steps per G step. No BatchNorm in toy-mlp, so one
# process and two must agree up to the order of floating-point sums.
OVERRIDES = ["train.steps=8", "train.k=2", "train.r1=1.0", "train.batch_size=32", "model.width=16", "data.n=512",
             "train.grid_size=16", "train.log_every=2", "train.checkpoint_every=4", "train.device=cpu",
             "train.timeout=60"]


def config(*extra):
    return load_config("toy-ring", overrides=[*OVERRIDES, *extra])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def join_world(rank: int, port: int) -> None:
    """What torchrun sets for each process."""
    os.environ.update(RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    torch.set_num_threads(1)


def count_reductions(module, counts: dict, name: str) -> None:
    """A DDP communication hook that counts the all-reduces of `module`'s gradients, then does the usual average."""
    def hook(state, bucket):
        counts[name] += 1
        return dist.all_reduce(bucket.buffer().div_(dist.get_world_size()), async_op=True).get_future().then(
            lambda fut: fut.value()[0])
    module.register_comm_hook(None, hook)


def two_process_runs(rank: int, port: int, tmp: str) -> None:
    join_world(rank, port)
    # (a) 8 steps on two processes, counting the gradient reductions.
    trainer = Trainer(config(), f"{tmp}/two", progress=False)
    counts = {"G": 0, "D": 0}
    count_reductions(trainer.recipe.G_fwd, counts, "G")
    count_reductions(trainer.recipe.D_fwd, counts, "D")
    trainer.fit()
    # (b) the same run stopped at step 4, copied there, and resumed on two processes.
    Trainer(config(), f"{tmp}/stopped", progress=False).fit(until_step=4)
    if rank == 0:
        shutil.copytree(f"{tmp}/stopped", f"{tmp}/stopped-copy")
        json.dump(counts, open(f"{tmp}/counts.json", "w"))
    distributed.barrier()
    Trainer(config(), f"{tmp}/stopped", resume=True, progress=False).fit()
    # (c) WGAN-GP's penalty, the other double backward, keeps the processes' nets equal (checked at each checkpoint).
    Trainer(config("train.loss=wgan-gp", "train.r1=0", "train.steps=4"), f"{tmp}/gp", progress=False).fit()
    # (d) the consistency check notices nets that differ.
    G = torch.nn.Linear(2, 2)
    torch.nn.init.constant_(G.weight, float(rank))
    try:
        distributed.check_consistent({"G": G}, torch.device("cpu"))
    except GankitError as e:
        if rank == 0:
            open(f"{tmp}/inconsistent.txt", "w").write(str(e))
    # (e) a stop request (Ctrl-C, SIGTERM) reaching process 1 alone stops both after the same step.
    trainer = Trainer(config(), f"{tmp}/stop", progress=False)
    if rank == 1:
        step = trainer.recipe.train_step

        def stop_after(x, y, i):
            out = step(x, y, i)
            if i == 2:
                trainer._request_stop(signal.SIGINT, None)
            return out
        trainer.recipe.train_step = stop_after
    try:
        trainer.fit()
    except Interrupted:
        open(f"{tmp}/stopped-at-{rank}.txt", "w").write(str(trainer.step))
    # (f) last, as it ends the process group: process 1 dies at step 3 of a run; process 0 must not hang.
    crashing_run(rank, tmp)


def crashing_run(rank: int, tmp: str) -> None:
    trainer = Trainer(config("train.steps=50"), f"{tmp}/crash", progress=False)
    if rank == 1:
        step = trainer.recipe.train_step

        def crash(x, y, i):
            if i == 3:
                os._exit(7)  # as a killed or segfaulted process: no goodbye to the others
            return step(x, y, i)
        trainer.recipe.train_step = crash
    started = time.monotonic()
    try:
        trainer.fit()
    except GankitError as e:
        open(f"{tmp}/rank{rank}.txt", "w").write(json.dumps({"error": str(e), "s": time.monotonic() - started}))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One pair of processes does every two-process run (starting processes is the slow part)."""
    tmp = tmp_path_factory.mktemp("ddp")
    context = mp.spawn(two_process_runs, args=(free_port(), str(tmp)), nprocs=2, join=False)
    for process in context.processes:
        process.join(timeout=300)
    (tmp / "exitcodes.json").write_text(json.dumps([p.exitcode for p in context.processes]))
    return tmp


def weights(run, name):
    ckpt = json.loads((run / "checkpoints" / "latest.json").read_text())["dir"]
    return load_file(str(run / "checkpoints" / ckpt / f"{name}.safetensors"))


def assert_close_weights(a, b, **tolerance):
    for name in ("G", "D"):
        wa, wb = weights(a, name), weights(b, name)
        for key in wa:
            torch.testing.assert_close(wa[key], wb[key], msg=f"{name}.{key}", **tolerance)


@pytest.mark.slow
def test_two_processes_reach_the_weights_of_one_with_the_same_global_batch(runs, tmp_path):
    Trainer(config(), tmp_path / "one", progress=False).fit()
    # Not bit-identical: DDP averages two half-batch gradients, one process takes the mean over the whole batch.
    assert_close_weights(runs / "two", tmp_path / "one", rtol=1e-4, atol=1e-5)
    # The logged losses are the global batch's, as one process logs them.
    one, two = read_log(tmp_path / "one"), read_log(runs / "two")
    assert [r["step"] for r in two] == list(range(1, 9))
    assert [r["loss_d"] for r in two] == pytest.approx([r["loss_d"] for r in one], rel=1e-4)
    # ... and training moved the nets: equal weights are not just the untouched initial ones.
    start = Trainer(config(), tmp_path / "untrained", progress=False).recipe.modules["G"].state_dict()
    moved = weights(runs / "two", "G")
    assert max((moved[k] - start[k]).abs().max().item() for k in start) > 1e-3


@pytest.mark.slow
def test_each_D_step_and_each_G_step_synchronise_exactly_once(runs):
    counts = json.loads((runs / "counts.json").read_text())
    assert counts == {"D": 8, "G": 4}  # 8 steps with k=2: eight D steps, four G steps; tiny nets fill one bucket


@pytest.mark.slow
def test_two_process_run_resumes_on_two_processes_bit_identically(runs):
    for name in ("G", "D"):
        a, b = weights(runs / "two", name), weights(runs / "stopped", name)
        assert all(torch.equal(a[k], b[k]) for k in a), name


@pytest.mark.slow
def test_two_process_run_resumes_on_one_process(runs, tmp_path):
    shutil.copytree(runs / "stopped-copy", tmp_path / "run")
    trainer = Trainer(config(), tmp_path / "run", resume=True, progress=False)
    assert trainer.step == 4
    trainer.fit()
    # The data order and z are those of the global batch, whatever the number of processes: only float sums differ.
    assert_close_weights(runs / "two", tmp_path / "run", rtol=1e-4, atol=1e-5)
    # The checkpoints hold the plain nets: the run samples as any run.
    assert gankit.load(tmp_path / "run").sample(5, seed=0).shape == (5, 2)


@pytest.mark.slow
def test_gradient_penalty_trains_under_ddp_and_the_consistency_check_catches_differing_nets(runs):
    assert read_log(runs / "gp")[-1]["step"] == 4 and "gp" in read_log(runs / "gp")[-1]
    assert "differ" in (runs / "inconsistent.txt").read_text()


@pytest.mark.slow
def test_a_stop_request_to_one_process_stops_all_after_the_same_step(runs):
    assert [(runs / f"stopped-at-{rank}.txt").read_text() for rank in (0, 1)] == ["3", "3"]
    assert json.loads((runs / "stop" / "checkpoints" / "latest.json").read_text())["step"] == 3


@pytest.mark.slow
def test_a_crashed_process_ends_the_others_with_a_clear_error(runs):
    assert json.loads((runs / "exitcodes.json").read_text()) == [0, 7]
    report = json.loads((runs / "rank0.txt").read_text())
    assert "another process of this distributed run stopped" in report["error"] and "\n" not in report["error"]
    assert report["s"] < 30  # well before train.timeout (60 s): the closed connection is noticed at once


def test_global_batch_must_divide_among_the_processes():
    with pytest.raises(GankitError, match="must divide among the 3 processes"):
        distributed.per_rank_batch(64, distributed.World(0, 3, 0))
    index = torch.arange(8)
    assert torch.equal(torch.cat([distributed.shard(index, distributed.World(r, 4, r)) for r in range(4)]), index)


def test_sync_bn_on_cpu_is_a_clear_error():
    from gankit.recipes import GANRecipe
    recipe = GANRecipe.from_config(config(), (2,), 0)
    with pytest.raises(GankitError, match="sync_bn needs CUDA"):
        distributed.wrap(recipe, distributed.World(0, 2, 0), torch.device("cpu"), sync_bn=True)


def test_augmentation_on_several_processes_is_a_clear_error():
    from gankit.recipes import GANRecipe
    from gankit.config import load_config
    cfg = load_config(overrides=["train.augment=diffaugment", "train.batch_size=8", "model.width=8"])
    recipe = GANRecipe.from_config(cfg, (1, 28, 28), 10)
    with pytest.raises(GankitError, match="gan.augment does not train on several processes"):
        distributed.wrap(recipe, distributed.World(0, 2, 0), torch.device("cpu"), sync_bn=False)


@pytest.mark.slow
def test_nproc_trains_on_two_processes_into_one_run_folder(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "gankit", "train", "--nproc", "2", "--preset", "toy-ring",
                             "--quiet", "--out", str(out), *(f"--set={o}" for o in OVERRIDES)],
                            capture_output=True, text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    assert "2 processes" in result.stderr and "Traceback" not in result.stderr
    meta = json.loads((out / "checkpoints" / "step-000008" / "meta.json").read_text())
    assert meta["processes"] == 2
    assert [r["step"] for r in read_log(out)] == list(range(1, 9))  # one log, written once


def test_nproc_refuses_a_batch_that_does_not_divide(tmp_path):
    from gankit.cli import main
    assert main(["train", "--nproc", "3", "--preset", "toy-ring", "--out", str(tmp_path / "r"),
                 "--set", "train.batch_size=32"]) == 2
    assert not (tmp_path / "r").exists()
