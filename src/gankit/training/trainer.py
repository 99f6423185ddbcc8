"""The training loop: data order, the recipe's steps, logging, pictures, checkpoints, resume.

It knows nothing of any model family: a recipe (gankit.recipes) does one step on one real minibatch. Everything here
is written so that a CPU run interrupted and resumed ends with exactly the weights of a run never interrupted: the data
order of epoch e is a function of (seed, e), the RNG state travels in the checkpoint, and sampling the progress grids
uses fixed noise in eval mode, which consumes no randomness and changes no statistics.
"""
from __future__ import annotations

import dataclasses
import json
import math
import signal
import sys
import threading
import time
from pathlib import Path

import torch
from tqdm import tqdm

from gankit import images
from gankit.checkpoint import (clean_stale_temp, latest_checkpoint, load_training_state, load_weights,
                               save_checkpoint)
from gankit.config import Config, TrainConfig, set_value, validate
from gankit.data import Dataset
from gankit.data.stream import StreamedFolder
from gankit.errors import GankitError
from gankit.files import write_text
from gankit.runlog import append_log, repair_log
from gankit.recipes import RECIPES, require
from gankit.recipes.base import Sampler, evaluating, forward
from gankit.runs import CONFIG_FILE, Run, read_config, resolve_device
from gankit.training import distributed


# What may change when a run is resumed: its length, learning rates (after a blow-up), logging, checkpoint interval
# and device; never what its nets were built from.
RESUMABLE_KEYS = ("train.epochs", "train.steps", "train.minutes", "train.lr_g", "train.lr_d", "train.log_every",
                  "train.checkpoint_every", "train.device", "train.timeout", "data.memory_budget")
# A loss this large means training has blown up (seen: 1e14-1e33 at lr 1e6) even while it is still finite. Working
# runs of every loss here stay below 1e3.
DIVERGED_LOSS = 1e6
STOPPED_FILE = "stopped.json"  # written when train.minutes cut a run short
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # Ctrl-C, and what SLURM, docker and systemd send


def resumed_config(run_dir: Path, changes: list[tuple[str, object]]) -> Config:
    """A run's own config with the changes a resume may make (RESUMABLE_KEYS); any other key is a one-line error."""
    cfg = read_config(run_dir)
    for key, value in changes:
        if key not in RESUMABLE_KEYS:
            raise GankitError(f"{key} cannot change when resuming; only {', '.join(RESUMABLE_KEYS)} can")
        set_value(cfg, key, value)
    validate(cfg)
    return cfg


TRAIN_KEYS = {f.name for f in dataclasses.fields(TrainConfig)}


class TrainingDiverged(GankitError):
    pass


class Interrupted(GankitError):
    pass


def load_data(cfg: Config) -> Dataset:
    """The training data of a config, as its recipe loads it."""
    if cfg.data.name == "custom":
        raise GankitError("this run was trained on data passed from Python: pass the same data to gankit.train again")
    return RECIPES[cfg.train.recipe].load_data(cfg)


class Trainer:
    """Trains a recipe on a data set into a run folder.

    cfg: the resolved config, recorded in the run folder. data: a Dataset (default: loaded as cfg.data says).
    recipe: a recipe built from your own nets (default: built from cfg). It must live on the configured device."""

    def __init__(self, cfg: Config, run_dir: str | Path, resume: bool = False, progress: bool = True,
                 data: Dataset | None = None, recipe=None):
        self.cfg, self.run_dir, self.progress = cfg, Path(run_dir), progress
        t = cfg.train
        # Under torchrun: join the other processes, each on its own device. Alone: nothing changes.
        self.world, self.device = distributed.setup(resolve_device(t.device), t.timeout)
        if self.world.main:  # only rank 0 touches the run folder; the others wait until it has checked it
            self._check_run_dir(resume)
        if self.world.distributed:
            distributed.barrier()
        torch.manual_seed(t.seed)  # the same seed in every process: their RNG states stay equal (GANRecipe.noise)
        self.data = (data if data is not None else load_data(cfg)).to(self.device)
        if len(self.data) < t.batch_size:
            raise GankitError(f"the data set has {len(self.data)} items, fewer than train.batch_size={t.batch_size}")
        if recipe is None:
            recipe = RECIPES[t.recipe].from_config(cfg, self.data.shape, self.data.num_classes, self.device)
        self.recipe = recipe
        if self.world.distributed:
            distributed.per_rank_batch(t.batch_size, self.world)  # an error unless the global batch divides
            distributed.wrap(recipe, self.world, self.device, t.sync_bn)
        self.steps_per_epoch = len(self.data) // t.batch_size  # the last partial batch is dropped, as DCGAN does
        self.total_steps = t.steps or t.epochs * self.steps_per_epoch
        self.ckpt_root = self.run_dir / "checkpoints"
        self.best_fid = float("inf")
        if t.eval_every:
            require(recipe, Sampler, f"run {self.run_dir}")
            from gankit.metrics.evaluate import default_features
            self.eval_features = default_features(cfg.data.name)  # fails now, not after an hour, if there is none
        self.records: list[dict] = []
        self.step = 0
        if resume:
            self._resume()
        elif self.world.main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.world.main:
            write_text(self.run_dir / CONFIG_FILE, cfg.to_yaml())  # on resume: a new length, say, is remembered
        self._perm_epoch, self._perm = -1, None
        self._stop_requested = False
        self.cut_by_time = False  # train.minutes ran out before the configured length
        self._saved_step = self.step if resume else -1

    # -- run folder ------------------------------------------------------------------------------------------------
    def _check_run_dir(self, resume: bool) -> None:
        d = self.run_dir
        if resume:
            if not (d / CONFIG_FILE).is_file():
                raise GankitError(f"cannot resume {d}: no run there (no {CONFIG_FILE})")
            return
        if (d / CONFIG_FILE).exists():
            raise GankitError(f"{d} already holds a run; continue it with --resume {d} or choose another --out")
        if d.exists() and (not d.is_dir() or any(d.iterdir())):
            raise GankitError(f"{d} exists and is not an empty folder; choose another --out")

    def _resume(self) -> None:
        if self.world.main:
            clean_stale_temp(self.ckpt_root)
        if self.world.distributed:  # the others read the checkpoint once rank 0 has tidied the folder
            distributed.barrier()
        ckpt = latest_checkpoint(self.ckpt_root)
        if ckpt is None:  # killed before its first checkpoint: start again from step 0 in the same folder
            if self.world.main:
                print(f"gankit: {self.run_dir} has no checkpoint yet; training starts from step 0", file=sys.stderr)
                self.records = repair_log(self.run_dir, up_to_step=0)
            return
        load_weights(ckpt, self.recipe.modules, self.cfg.to_dict()["model"])
        configured = {name: [g["lr"] for g in opt.param_groups] for name, opt in self.recipe.optimizers.items()}
        self.step = load_training_state(ckpt, self.recipe.optimizers)
        for name, opt in self.recipe.optimizers.items():  # a resume may lower the learning rates (train.lr_g/lr_d)
            for group, lr in zip(opt.param_groups, configured[name]):
                group["lr"] = group["initial_lr"] = lr
        if self.cfg.train.steps is not None and self.cfg.train.steps < self.step:
            raise GankitError(f"{self.run_dir} is at step {self.step} already; train.steps={self.cfg.train.steps} "
                              f"would end before it (give more steps, or sample the run as it is)")
        best = latest_checkpoint(self.ckpt_root / "best")
        if best is not None:
            self.best_fid = json.loads((best / "meta.json").read_text()).get("fid", float("inf"))
        # Keep the log up to the checkpoint (steps after it will be trained again), without a line torn by a crash.
        if self.world.main:
            self.records = repair_log(self.run_dir, up_to_step=self.step)

    # -- data order ------------------------------------------------------------------------------------------------
    def _batch_index(self, step: int) -> torch.Tensor:
        epoch, i = divmod(step, self.steps_per_epoch)
        if epoch != self._perm_epoch:
            gen = torch.Generator().manual_seed(self.cfg.train.seed * 1_000_003 + epoch)
            self._perm, self._perm_epoch = torch.randperm(len(self.data), generator=gen).to(self.device), epoch
        b = self.cfg.train.batch_size
        index = self._perm[i * b:(i + 1) * b]
        # Every process computes the same global batch and takes its own share: N processes see one process's data.
        return distributed.shard(index, self.world) if self.world.distributed else index

    def _batches(self, end: int):
        """The real minibatches of the steps from self.step to `end`, in _batch_index's order. A folder streamed
        from disk is decoded ahead by DataLoader workers; an in-memory data set is indexed where it lies."""
        if isinstance(self.data, StreamedFolder):
            yield from self.data.stream((self._batch_index(step) for step in range(self.step, end)), self.device)
            return
        for step in range(self.step, end):
            yield self.data.batch(self._batch_index(step))

    # -- the loop --------------------------------------------------------------------------------------------------
    def fit(self, until_step: int | None = None) -> dict:
        """Train to the configured length (or stop after `until_step` steps, for tests and schedules)."""
        end = min(self.total_steps, until_step or self.total_steps)
        threads = torch.get_num_threads()
        if self.cfg.train.threads:
            torch.set_num_threads(self.cfg.train.threads)
        # Ctrl-C finishes the current step, saves a checkpoint and stops (signals reach only the main thread).
        in_main = threading.current_thread() is threading.main_thread()
        previous = {sig: signal.signal(sig, self._request_stop) for sig in STOP_SIGNALS} if in_main else {}
        writer = self._tensorboard()
        bar = tqdm(total=self.total_steps, initial=self.step, unit="step", disable=not self.progress or
                   not self.world.main, dynamic_ncols=True, desc=self.cfg.preset or "train")
        batches = self._batches(end)
        t_start, start_step = time.perf_counter(), self.step
        deadline = t_start + 60 * self.cfg.train.minutes if self.cfg.train.minutes else None
        try:
            for model in self.recipe.modules.values():
                model.train()
            self._loop(batches, end, writer, bar, deadline)
            done = self.step >= self.total_steps
            self._checkpoint()
            if done or self.cut_by_time:
                self._pictures("final", writer)
            self._record_stop(done)
        except RuntimeError as e:  # several processes: DDP's collectives found a peer gone; say so in one line
            failure = distributed.peer_failure(e) if self.world.distributed else None
            if failure is None:
                raise
            raise failure from None
        finally:
            batches.close()  # a streaming loader's workers stop
            bar.close()
            if writer is not None:
                writer.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            torch.set_num_threads(threads)
        elapsed = time.perf_counter() - t_start
        trained = self.step - start_step
        return {"steps": self.step, "seconds": elapsed,
                "images_per_s": trained * self.cfg.train.batch_size / max(elapsed, 1e-9),
                "final_grid": str(self.run_dir / "samples" / "final.png")
                if self.step >= self.total_steps or self.cut_by_time else None,
                "cut_by_time": self.cut_by_time}

    def _record_stop(self, done: bool) -> None:
        """RUN/stopped.json says that, and where, train.minutes cut the run; a run that reaches its length drops it."""
        if not self.world.main:
            return
        marker = self.run_dir / STOPPED_FILE
        if self.cut_by_time:
            write_text(marker, json.dumps({"cut_by": "train.minutes", "minutes": self.cfg.train.minutes,
                                           "step": self.step, "of_steps": self.total_steps}) + "\n")
        elif done and marker.exists():
            marker.unlink()

    def _loop(self, batches, end: int, writer, bar, deadline: float | None) -> None:
        """The steps up to `end` (or to the `deadline` of train.minutes): one recipe step per real minibatch; logs,
        pictures and checkpoints as they fall due."""
        t = self.cfg.train
        pending: list[dict] = []
        t_window = time.perf_counter()
        while self.step < end:
            x, y = next(batches)
            self._set_learning_rates()
            pending.append(self.recipe.train_step(x, y, self.step))
            self.step += 1
            time_up = deadline is not None and time.perf_counter() >= deadline
            if self.world.distributed:  # Ctrl-C or SIGTERM reaching any process stops all after this step
                self._stop_requested = distributed.any_rank(self._stop_requested, self.device)
                time_up = deadline is not None and distributed.any_rank(time_up, self.device)  # all stop together
            epoch_done = self.step % self.steps_per_epoch == 0
            eval_due = t.eval_every and self.step % t.eval_every == 0
            if (len(pending) >= t.log_every or epoch_done or eval_due or self.step == end or self._stop_requested
                    or time_up):
                now = time.perf_counter()
                self._flush(pending, len(pending) * t.batch_size / max(now - t_window, 1e-9), writer, bar)
                pending, t_window = [], now
            if epoch_done:
                self._epoch_end(writer)
            elif t.checkpoint_every and self.step % t.checkpoint_every == 0:
                self._checkpoint()
            if self._stop_requested:
                self._checkpoint()
                raise Interrupted(f"interrupted at step {self.step}; continue with "
                                  f"`gankit train --resume {self.run_dir}`")
            if time_up and self.step < end:
                self.cut_by_time = True
                return

    def _set_learning_rates(self) -> None:
        """train.lr_decay: linear brings every optimizer's learning rate from its configured value down to 0 over the
        run. The rate is a function of the step alone, so a resumed run follows the same schedule."""
        if self.cfg.train.lr_decay == "none":
            return
        # train.lr_constant: the rate stays put for that share of the run first (pix2pix, CycleGAN, StarGAN: half).
        constant = int(self.cfg.train.lr_constant * self.total_steps)
        factor = 1.0 - max(self.step - constant, 0) / (self.total_steps - constant)
        for opt in self.recipe.optimizers.values():
            for group in opt.param_groups:
                group["lr"] = group.setdefault("initial_lr", group["lr"]) * factor

    def _request_stop(self, signum, frame) -> None:
        self._stop_requested = True

    def _flush(self, pending: list[dict], rate: float, writer, bar) -> None:
        """Bring the pending steps' figures to the host, stop on the first non-finite loss, log every step."""
        first = self.step - len(pending) + 1
        keys = sorted({k for p in pending for k in p})
        if self.world.distributed:  # every process logs, and checks, the global batch's figures
            values = distributed.mean_of_steps(pending, keys, self.device)
        else:
            values = {k: [p[k].item() if k in p else None for p in pending] for k in keys}
        epoch = (self.step - 1) // self.steps_per_epoch + 1
        new: list[dict] = []
        for i in range(len(pending)):
            record = {"step": first + i, "epoch": epoch, "images_per_s": round(rate, 1)}
            record.update({k: values[k][i] for k in keys if values[k][i] is not None})
            bad = [k for k in keys if k.startswith("loss") and k in record
                   and not (math.isfinite(record[k]) and abs(record[k]) < DIVERGED_LOSS)]
            if bad:
                self._append_log(new)  # the steps before the bad one stay in the log
                last = latest_checkpoint(self.ckpt_root)
                kept = (f"the last good checkpoint, {last}, is intact: resume it with a lower learning rate, e.g. "
                        f"gankit train --resume {self.run_dir} --set train.lr_g=... --set train.lr_d=..."
                        if last else "no checkpoint was written yet: start again with a lower learning rate")
                raise TrainingDiverged(f"{bad[0]} became {record[bad[0]]:.3g} at step {first + i} (training has "
                                       f"diverged); training stopped and {kept}")
            new.append(record)
            if writer is not None:
                for k, v in record.items():
                    if k not in ("step", "epoch"):
                        writer.add_scalar(k, v, record["step"])
        if self.cfg.train.eval_every and self.step % self.cfg.train.eval_every == 0 and self.world.main:
            scores = self._evaluate()
            new[-1].update(scores)
            if writer is not None:
                for k, v in scores.items():
                    writer.add_scalar(k, v, self.step)
        self._append_log(new)
        labels = {k: label for _, panel in self.recipe.curve_panels for k, label in panel.items()}
        last = self.records[-1]
        shown = " ".join(f"{labels[k]} {last[k]:.3g}" for k in labels if k in last)
        bar.update(len(pending))
        bar.set_postfix_str(f"{shown} {rate:.0f} img/s", refresh=False)

    @torch.no_grad()
    def _evaluate(self) -> dict[str, float]:
        """FID and KID of train.eval_n samples against the training data; the best G so far goes to checkpoints/best.
        The global RNG state is put back afterwards, so evaluating changes nothing about the training itself."""
        from gankit.metrics import evaluate

        t = self.cfg.train
        rng = torch.get_rng_state()
        G = self.recipe.sampler
        gen = torch.Generator().manual_seed(t.seed + 2)  # the same z at every evaluation
        z = torch.randn(t.eval_n, self.recipe.z_dim, generator=gen).to(self.device)
        y = torch.arange(t.eval_n, device=self.device) % self.recipe.num_classes if self.recipe.num_classes else None
        with evaluating(G):
            fake = torch.cat([forward(G, z[i:i + 500], None if y is None else y[i:i + 500]).float().cpu()
                              for i in range(0, t.eval_n, 500)])
        scores = evaluate(fake, self.cfg.data.name, ("fid", "kid"), self.eval_features, root=self.cfg.data.root,
                          kid_subsets=20, kid_subset_size=min(1000, t.eval_n), seed=t.seed)
        torch.set_rng_state(rng)
        scores = {"fid": scores["fid"], "kid": scores["kid"]}
        if scores["fid"] < self.best_fid:
            self.best_fid = scores["fid"]
            save_checkpoint(self.ckpt_root / "best", self.step, self.recipe.modules, self.recipe.optimizers,
                            {**self._meta(), **scores}, keep=1)
        return scores

    def _append_log(self, records: list[dict]) -> None:
        self.records.extend(records)
        if self.world.main:
            append_log(self.run_dir, records)

    def _epoch_end(self, writer) -> None:
        epoch = self.step // self.steps_per_epoch
        self._pictures(f"epoch-{epoch:04d}", writer)
        self._checkpoint()

    def _checkpoint(self) -> None:
        if self._saved_step == self.step:
            return
        self._saved_step = self.step
        if self.world.distributed:  # StyleGAN2-ADA checks before each snapshot that every process holds the same nets
            distributed.check_consistent(self.recipe.modules, self.device)
        if self.world.main:
            save_checkpoint(self.ckpt_root, self.step, self.recipe.modules, self.recipe.optimizers, self._meta(),
                            keep=self.cfg.train.keep_checkpoints)
        if self.world.distributed:  # the others go on once it is complete (or once rank 0's failure has ended the run)
            distributed.barrier()

    def _meta(self) -> dict:
        return {"epoch": self.step / self.steps_per_epoch, "model": self.cfg.to_dict()["model"],
                "data_shape": list(self.data.shape), "num_classes": self.data.num_classes,
                "classes": self.data.classes, "data": self.cfg.data.name, "processes": self.world.size}

    @torch.no_grad()
    def _pictures(self, name: str, writer) -> None:
        """The recipe's progress pictures as samples/{name}.png (and samples/{picture}-{name}.png), and curves.png."""
        if not self.world.main:
            return
        t = self.cfg.train
        pictures = self.recipe.progress_pictures(self.data, t.grid_size, t.seed)
        for picture, (items, nrow) in pictures.items():
            out = self.run_dir / "samples" / (f"{picture}-{name}.png" if picture else f"{name}.png")
            if self.data.kind != "image":
                images.save_points(items, out, real=self.data.x[: len(items)].cpu(), title=f"step {self.step}")
                continue
            images.save_grid(items, out, nrow=nrow)
            if writer is not None and not picture:
                writer.add_image("samples", images.grid(items, nrow), self.step, dataformats="HWC")
        if self.records:
            quality = [("sample quality (FID, lower is better)", {"fid": "FID"})] if t.eval_every else []
            images.save_curves(self.records, self.run_dir / "curves.png", self.recipe.curve_panels + quality)

    def _tensorboard(self):
        if not self.world.main:
            return None
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # TensorBoard is optional at run time; everything else is logged regardless
            return None
        return SummaryWriter(str(self.run_dir / "tensorboard"), purge_step=self.step or None)


def train(G: torch.nn.Module, D: torch.nn.Module, data: Dataset | torch.Tensor, out: str | Path, *,
          labels: torch.Tensor | None = None, resume: bool = False, progress: bool = True, z_dim: int | None = None,
          **settings) -> Run:
    """Train your own G and D with the full trainer (run folder, logs, pictures, checkpoints, resume); returns the Run.

    data: a gankit Dataset, or a tensor of images (N, C, H, W), uint8 or float in [-1, 1], or points (N, D); with
    `labels` (N,) for conditional nets. settings: train config fields, e.g. steps=2000, loss="hinge", k=2, lr_d=1e-4,
    or the gan recipe's own (gankit.recipes.GANSettings), e.g. r1=0.2, ema=0.999.
    resume=True continues the run in `out` with the same nets and data (settings may then change only its length,
    logging and device)."""
    from gankit.recipes import GANRecipe

    if not isinstance(data, Dataset):
        classes = None if labels is None else [str(c) for c in range(int(labels.max()) + 1)]
        data = Dataset(data, labels, classes, "custom")
    # A setting is the train config's, or the gan recipe's own (r1=0.2, ema=0.999: the config's gan: section).
    changes = [(f"train.{key}" if key in TRAIN_KEYS else f"gan.{key}", value) for key, value in settings.items()]
    if resume:
        cfg = resumed_config(Path(out), changes)
    else:
        cfg = Config()
        cfg.data.name, cfg.model.arch = "custom", "custom"
        for key, value in changes:
            set_value(cfg, key, value)
        validate(cfg)
    device = distributed.setup(resolve_device(cfg.train.device), cfg.train.timeout)[1]  # under torchrun: LOCAL_RANK's
    recipe = GANRecipe(G, D, cfg.train, device, z_dim=z_dim, settings=cfg.section("gan"))
    Trainer(cfg, out, resume=resume, progress=progress, data=data, recipe=recipe).fit()
    return Run(out, cfg.train.device, recipe=recipe)
