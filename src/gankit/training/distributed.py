"""Data-parallel training on many processes with PyTorch's own engine: torchrun starts the processes and sets
RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT, torch.distributed connects them, DistributedDataParallel
(DDP) averages the gradients in each backward pass.

What this module holds, so that the trainer stays a loop and the recipes stay one step each:
  setup(...)          the process group: gloo on CPU, NCCL on CUDA, each process on its LOCAL_RANK device, and a
                      timeout, so a process that waits for a crashed or hung one stops with an error instead of hanging
  wrap(recipe, ...)   G and D in one DDP each (one module per DDP: wrapping the whole GAN in one DDP fails, since G's
                      and D's backward passes are separate)
  mean(...), any_rank(...), check_consistent(...)   the few collectives the trainer needs

Nothing here runs when the process was not started by torchrun (WORLD_SIZE unset or 1): one process trains exactly as
it always has.
"""
from __future__ import annotations

import atexit
import inspect
import os
import re
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from gankit.errors import GankitError

ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")  # what torchrun sets for every process


class PeerFailed(GankitError):
    """Another process of the run stopped (crashed, was killed, or timed out); it has said why on its own stderr."""


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def main(self) -> bool:
        """Rank 0 alone writes the run folder: config, log, TensorBoard, pictures, checkpoints."""
        return self.rank == 0


SINGLE = World()


def launched() -> bool:
    """True in a process that torchrun started with more than one process in all."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def setup(device: torch.device, timeout_s: int) -> tuple[World, torch.device]:
    """Join the process group torchrun describes in the environment (once per process), and the device this process
    trains on: cuda:LOCAL_RANK on CUDA (whatever cuda device the config names), else the configured device."""
    if not launched():
        return SINGLE, device
    missing = [name for name in ENV if name not in os.environ]
    if missing:
        raise GankitError(f"WORLD_SIZE is set but {', '.join(missing)} is not: start several processes with torchrun "
                          f"(or gankit train --nproc N)")
    world = World(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ["LOCAL_RANK"]))
    if device.type == "cuda":
        if world.local_rank >= torch.cuda.device_count():
            raise GankitError(f"process {world.rank} has LOCAL_RANK {world.local_rank} but this machine has "
                              f"{torch.cuda.device_count()} CUDA devices: start at most that many per machine")
        device = torch.device("cuda", world.local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        # The timeout bounds every collective: a process whose peer crashed or hangs raises instead of waiting forever.
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=timedelta(seconds=timeout_s),
                                device_id=device if device.type == "cuda" else None)
        # Leave the group before the interpreter exits: a gloo group still alive at exit can abort the process
        # ("terminate called without an active exception", seen once in CI) after training has finished.
        atexit.register(_leave_group)
    return world, device


def _leave_group() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def leave() -> None:
    """End a run that every process finished: wait until all have (rank 0 draws the final pictures after the last
    checkpoint), then leave the group together. A process that left while its peer was still connected could abort
    the peer or itself ("terminate called without an active exception", seen in CI on a --nproc 2 resume)."""
    if dist.is_initialized():
        barrier()
        dist.destroy_process_group()


def per_rank_batch(batch_size: int, world: World) -> int:
    """train.batch_size is the global batch: each of the N processes takes batch_size / N items of it."""
    if batch_size % world.size:
        raise GankitError(f"train.batch_size ({batch_size}) must divide among the {world.size} processes; "
                          f"choose a multiple of {world.size}")
    return batch_size // world.size


def shard(index: torch.Tensor, world: World) -> torch.Tensor:
    """This process's share of the global batch `index`: the world.rank-th of world.size equal slices."""
    n = len(index) // world.size
    return index[world.rank * n:(world.rank + 1) * n]


def _ddp(module: nn.Module, device: torch.device) -> nn.Module:
    ids = [device] if device.type == "cuda" else None
    # Buffers (BatchNorm's running statistics) stay per process: broadcasting rank 0's at every forward would make
    # the other processes' statistics meaningless. train.sync_bn instead makes the batch statistics global.
    # torch >= 2.13 names the option forward_sync_buffers; older releases broadcast_buffers.
    if "forward_sync_buffers" in inspect.signature(DistributedDataParallel.__init__).parameters:
        return DistributedDataParallel(module, device_ids=ids, forward_sync_buffers=False)
    return DistributedDataParallel(module, device_ids=ids, broadcast_buffers=False)


def wrap(recipe, world: World, device: torch.device, sync_bn: bool) -> None:
    """Make the recipe's steps run through DDP (the Distributable capability: gankit.recipes.base), one wrapper per
    net; `recipe.modules` (what checkpoints hold) stay the plain nets, so a run trained on N processes resumes on M
    and samples like any run. train.sync_bn turns each wrapped net's BatchNorm layers into SyncBatchNorm in place."""
    from gankit.recipes import require
    from gankit.recipes.base import Distributable

    require(recipe, Distributable, "this run")
    if sync_bn and device.type != "cuda":
        raise GankitError("train.sync_bn needs CUDA (PyTorch's SyncBatchNorm runs on GPUs only); on CPU use "
                          "per-process BatchNorm (the default) or model.d_norm=layer")

    def ddp(net: nn.Module) -> nn.Module:
        if sync_bn:
            nn.SyncBatchNorm.convert_sync_batchnorm(net)  # in place: the same parameters, global batch statistics
        return _ddp(net, device)

    recipe.distribute(ddp, world.rank, world.size)


def peer_failure(e: BaseException) -> PeerFailed | None:
    """The one-line error for a collective that failed because a peer crashed (gloo: connection reset or closed) or
    hung (the process group's timeout), or None if `e` is something else. Collectives also run inside DDP's forward
    and backward passes, so the trainer asks this of the errors of a step too."""
    text = str(e).strip()
    if not (isinstance(e, dist.DistError) or any(mark in text for mark in ("gloo", "NCCL", "Connection", "timed out"))):
        return None
    # gloo's messages open with a source path in brackets and go on with advice: keep the reason between them.
    first = re.sub(r"^\[[^\]]*\]\s*", "", text.splitlines()[0] if text else type(e).__name__).split(". ")[0]
    return PeerFailed(f"another process of this distributed run stopped or stopped answering ({first[:160]}); "
                      f"see its message")


def _collective(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except RuntimeError as e:  # dist.DistError is one
        failure = peer_failure(e)
        if failure is None:
            raise
        raise failure from None


def mean(values: torch.Tensor) -> torch.Tensor:
    """The mean over processes of a tensor of per-process means of equal-sized shards: the global batch's mean."""
    values = values.clone()
    _collective(dist.all_reduce, values, op=dist.ReduceOp.SUM)
    return values / dist.get_world_size()


def any_rank(flag: bool, device: torch.device) -> bool:
    """True on every process if it is true on any: Ctrl-C or SIGTERM reaching one process stops all at one step."""
    t = torch.tensor([int(flag)], device=device)
    _collective(dist.all_reduce, t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def mean_of_steps(pending: list[dict], keys: list[str], device: torch.device) -> dict[str, list[float | None]]:
    """The figures of the logged steps (a recipe's train_step outputs), averaged over processes. Each process's figure
    is a mean over its equal share of the global batch, so the average is the global batch's: what one process logs,
    and the same on every process, so a NaN on any process stops all at the same step."""
    zero = torch.zeros((), device=device)
    table = torch.stack([torch.stack([p[k].float().to(device) if k in p else zero for k in keys]) for p in pending])
    rows = mean(table).tolist()
    return {k: [row[j] if k in p else None for row, p in zip(rows, pending)] for j, k in enumerate(keys)}


def barrier() -> None:
    _collective(dist.barrier)


def check_consistent(modules: dict[str, nn.Module], device: torch.device) -> None:
    """Every process holds the same parameters (StyleGAN2-ADA's check_ddp_consistency, before each snapshot).

    Buffers are left out on purpose: per-process BatchNorm statistics differ by design."""
    for name, module in modules.items():
        params = [p.detach().flatten().float() for p in module.parameters()]
        if not params:
            continue
        mine = torch.cat(params).to(device)
        lowest, highest = mine.clone(), mine.clone()
        _collective(dist.all_reduce, lowest, op=dist.ReduceOp.MIN)
        _collective(dist.all_reduce, highest, op=dist.ReduceOp.MAX)
        # NaN compares unequal to itself; a diverged run is caught by the loss check, not here.
        if not torch.equal(lowest.nan_to_num(), highest.nan_to_num()):
            worst = (highest - lowest).abs().nan_to_num().max().item()
            raise GankitError(f"the processes' copies of {name} differ (by up to {worst:.3g}): gradients were not "
                              f"synchronised; this is a bug in gankit or in a custom net with parameters outside "
                              f"its forward pass")
