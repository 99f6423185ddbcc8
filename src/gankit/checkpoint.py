"""Checkpoints that never need unpickling, and that survive a crash or a damaged file.

  RUN/checkpoints/step-000780/
      G.safetensors, D.safetensors, [G_ema.safetensors]   weights and buffers (safetensors)
      state.pt        optimizer states, RNG states, step: plain tensors and containers, loaded with weights_only=True
      meta.json       step, epoch, the model config that built the weights, "weights": ["D", "G"] (the files above)
  RUN/checkpoints/latest.json   {"step": 780, "dir": "step-000780"}

A checkpoint is written to `.step-000780.tmp` and renamed when complete; latest.json is replaced atomically after
that. Saving a step again first moves the old folder aside to `.step-000780.old`, and readers take that one until
the new folder is in place. A pruned folder is renamed to `.step-N.del` before it is deleted. So a crash at any moment
leaves a complete checkpoint, and the leftovers are swept by `clean_stale_temp`.

`latest_checkpoint` checks what it returns: if the newest checkpoint (or latest.json) is damaged it warns and falls
back to the newest intact step-* folder.
"""
from __future__ import annotations

import io
import json
import os
import pickle
import re
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file
from safetensors.torch import save as safetensors_bytes

from gankit.config import ModelConfig
from gankit.errors import GankitError
from gankit.files import write_text

_STEP = re.compile(r"step-(\d+)")
_LEFTOVER = re.compile(r"\.(step-\d+)\.(tmp|old|del)")  # folders of an interrupted save or prune
# What a damaged file makes the readers raise (torch.load: RuntimeError for a broken zip, EOFError or
# UnpicklingError for a broken pickle; safetensors: SafetensorError).
_UNREADABLE = (OSError, RuntimeError, EOFError, ValueError, KeyError, pickle.UnpicklingError, SafetensorError)


def _state_for_safetensors(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    # safetensors needs contiguous, unshared tensors; channels-last weights are re-laid out here, not in the model.
    return {k: v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()}


def _write_bytes(path: Path, data: bytes) -> None:
    # Serialised in memory, then written by Python: a full disk is an OSError naming its cause (torch.save streaming
    # to a file says only "unexpected pos"). fsync, so the rename that follows never publishes unwritten data.
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _first_line(e: BaseException) -> str:
    text = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return text.strip().splitlines()[0]


def clean_stale_temp(ckpt_root: Path) -> None:
    """Remove what interrupted saves left in `ckpt_root`: `.step-*.tmp` / `.step-*.del` folders, `.step-*.old` folders
    whose step was saved again, and atomic-write temp files (`.latest.json.*.tmp`). A `.step-N.old` whose `step-N` is
    missing is the only complete copy of that step (the crash came between the two renames of a re-save): it is put
    back."""
    if not ckpt_root.is_dir():
        return
    for path in ckpt_root.iterdir():
        leftover = _LEFTOVER.fullmatch(path.name)
        if leftover and leftover[2] == "old" and not (ckpt_root / leftover[1]).exists():
            os.rename(path, ckpt_root / leftover[1])
        elif leftover:
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(".") and path.name.endswith(".tmp") and path.is_file():
            path.unlink(missing_ok=True)


def save_checkpoint(ckpt_root: Path, step: int, modules: dict[str, torch.nn.Module],
                    optimizers: dict[str, torch.optim.Optimizer], meta: dict, keep: int = 2) -> Path:
    """Write step-N, point latest.json at it, and keep it and the `keep - 1` newest checkpoints before it.
    A failed write (full disk, no permission) removes the half-written folder and is a one-line GankitError."""
    name = f"step-{step:06d}"
    final, tmp, old = ckpt_root / name, ckpt_root / f".{name}.tmp", ckpt_root / f".{name}.old"
    state = {"step": step, "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
             "rng_cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["rng_cuda"] = torch.cuda.get_rng_state_all()
    try:
        ckpt_root.mkdir(parents=True, exist_ok=True)
        clean_stale_temp(ckpt_root)
        tmp.mkdir()
        for key, module in modules.items():
            _write_bytes(tmp / f"{key}.safetensors", safetensors_bytes(_state_for_safetensors(module)))
        buffer = io.BytesIO()
        torch.save(state, buffer)
        _write_bytes(tmp / "state.pt", buffer.getvalue())
        meta = {"step": step, **meta, "weights": sorted(modules)}
        _write_bytes(tmp / "meta.json", json.dumps(meta, indent=2).encode())
        if final.exists():  # the same step saved again (e.g. an interrupt right after an epoch's checkpoint)
            os.rename(final, old)
        os.rename(tmp, final)
        write_text(ckpt_root / "latest.json", json.dumps({"step": step, "dir": name}))
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not final.exists():
            os.rename(old, final)
        raise GankitError(f"could not write checkpoint to {final}: {_first_line(e)}") from None
    shutil.rmtree(old, ignore_errors=True)
    _prune(ckpt_root, final, keep)
    return final


def _prune(ckpt_root: Path, final: Path, keep: int) -> None:
    # Folders of steps after `final` belong to a timeline the run has left (it resumed from an earlier checkpoint).
    folders = _step_folders(ckpt_root)
    kept = [final] + [p for p in folders if _step_of(p) < _step_of(final)][:max(keep - 1, 0)]
    for path in folders:
        if path not in kept:
            doomed = ckpt_root / f".{path.name}.del"  # renamed first: a crash mid-delete never leaves half a step-N
            os.rename(path, doomed)
            shutil.rmtree(doomed, ignore_errors=True)


def _step_of(path: Path) -> int:
    return int(re.search(r"\d+", path.name)[0])


def _step_folders(ckpt_root: Path) -> list[Path]:
    """The step-N folders, newest first."""
    found = [p for p in ckpt_root.iterdir() if _STEP.fullmatch(p.name) and p.is_dir()] if ckpt_root.is_dir() else []
    return sorted(found, key=_step_of, reverse=True)


def checkpoint_problem(ckpt: Path) -> str | None:
    """What is wrong with the checkpoint folder `ckpt` (one phrase), or None if it is complete and readable.
    Cheap: safetensors headers only, and state.pt memory-mapped."""
    if not ckpt.is_dir():
        return f"{ckpt.name} is missing"
    try:
        meta = json.loads((ckpt / "meta.json").read_text())
        if not isinstance(meta, dict) or "step" not in meta:
            return f"{ckpt.name}/meta.json has no step"
    except (OSError, ValueError) as e:
        return f"{ckpt.name}/meta.json is unreadable ({_first_line(e)})"
    weights = sorted(ckpt.glob("*.safetensors"))
    if not weights:
        return f"{ckpt.name} has no .safetensors weights"
    missing = [f"{key}.safetensors" for key in meta.get("weights", []) if not (ckpt / f"{key}.safetensors").is_file()]
    if missing:
        return f"{ckpt.name}/{missing[0]} is missing"
    for path in weights:
        try:
            with safe_open(str(path), "pt"):
                pass
        except _UNREADABLE as e:
            return f"{ckpt.name}/{path.name} is unreadable ({_first_line(e)})"
    try:
        state = torch.load(ckpt / "state.pt", map_location="cpu", weights_only=True, mmap=True)
        if not isinstance(state, dict) or "step" not in state:
            return f"{ckpt.name}/state.pt has no step"
    except _UNREADABLE as e:
        return f"{ckpt.name}/state.pt is unreadable ({_first_line(e)})"
    return None


def _pointed_at(ckpt_root: Path) -> tuple[Path | None, str | None]:
    """The folder latest.json names, or why it names none. The name must be a step-N folder inside ckpt_root."""
    pointer = ckpt_root / "latest.json"
    try:
        name = json.loads(pointer.read_text())["dir"]
    except FileNotFoundError:
        return None, f"{pointer} is missing"
    except (OSError, ValueError, KeyError, TypeError):
        return None, f"{pointer} is damaged"
    if not isinstance(name, str) or not _STEP.fullmatch(name):
        return None, f"{pointer} names {name!r}, which is not a step-N folder"
    if not (ckpt_root / name).is_dir():
        return None, f"{pointer} names {name}, which is missing"
    return ckpt_root / name, None


def _interrupted_resaves(ckpt_root: Path) -> list[Path]:
    # A `.step-N.old` without its step-N: a re-save of step N is between its two renames.
    found = [p for p in ckpt_root.glob(".step-*.old") if _LEFTOVER.fullmatch(p.name)] if ckpt_root.is_dir() else []
    return [p for p in found if not (ckpt_root / _LEFTOVER.fullmatch(p.name)[1]).exists()]


def latest_checkpoint(ckpt_root: Path) -> Path | None:
    """The newest intact checkpoint: the one latest.json names, or, when that one or latest.json is damaged, the
    newest intact step-N folder, with a one-line warning on stderr. None if `ckpt_root` holds no checkpoint at all;
    a GankitError if it holds some but none is intact."""
    named, problem = _pointed_at(ckpt_root)
    candidates = [named] if named is not None else []
    others = sorted(_step_folders(ckpt_root) + _interrupted_resaves(ckpt_root), key=_step_of, reverse=True)
    candidates += [p for p in others if p != named]
    if not candidates and not (ckpt_root / "latest.json").exists():
        return None
    problems = [problem] if problem else []
    for path in candidates:
        damage = checkpoint_problem(path)
        if damage is None:
            if problems:
                print(f"gankit: {'; '.join(problems)}; using {path} instead", file=sys.stderr)
            return path
        problems.append(damage if path.name in damage else f"{path.name}: {damage}")
    raise GankitError(f"no intact checkpoint in {ckpt_root}: {'; '.join(problems)}")


def load_weights(ckpt: Path, modules: dict[str, torch.nn.Module], model_config: dict | None = None) -> dict:
    """Load each module's safetensors file; a checkpoint of another architecture, or a damaged file, is a one-line
    error."""
    try:
        meta = json.loads((ckpt / "meta.json").read_text())
    except (OSError, ValueError) as e:
        raise GankitError(f"checkpoint file {ckpt / 'meta.json'} is unreadable: {_first_line(e)}") from None
    # A field added to ModelConfig after the checkpoint was written is absent from its meta: the run was built with
    # that field's default, so a run from an older gankit still loads.
    saved = None if meta.get("model") is None else {**asdict(ModelConfig()), **meta["model"]}
    if model_config is not None and saved not in (None, model_config):
        diff = sorted(k for k in model_config if saved.get(k) != model_config.get(k))
        raise GankitError(f"checkpoint {ckpt} was written for another architecture (model.{', model.'.join(diff)} "
                          f"differ from the config)")
    for key, module in modules.items():
        path = ckpt / f"{key}.safetensors"
        if not path.is_file():
            raise GankitError(f"checkpoint {ckpt} has no {key}.safetensors")
        try:
            weights = load_file(str(path))
        except _UNREADABLE as e:
            raise GankitError(f"checkpoint file {path} is unreadable: {_first_line(e)}") from None
        try:
            module.load_state_dict(weights)
        except RuntimeError as e:
            first = str(e).splitlines()[1].strip() if len(str(e).splitlines()) > 1 else str(e)
            raise GankitError(f"checkpoint {path} does not fit this architecture: {first}") from None
    return meta


def load_training_state(ckpt: Path, optimizers: dict[str, torch.optim.Optimizer]) -> int:
    """Optimizer and RNG states; returns the step to continue from. weights_only=True: no code is unpickled."""
    path = ckpt / "state.pt"
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except _UNREADABLE as e:
        raise GankitError(f"checkpoint file {path} is unreadable: {_first_line(e)}") from None
    for key, opt in optimizers.items():
        if key not in state.get("optimizers", {}):
            raise GankitError(f"checkpoint file {path} holds no optimizer state for {key}")
        opt.load_state_dict(state["optimizers"][key])
    torch.set_rng_state(state["rng_cpu"])
    if "rng_cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng_cuda"])
    return int(state["step"])
