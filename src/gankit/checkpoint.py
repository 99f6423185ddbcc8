"""Checkpoints that never need unpickling.

  RUN/checkpoints/step-000780/
      G.safetensors, D.safetensors, [G_ema.safetensors]   weights and buffers (safetensors)
      state.pt        optimizer states, RNG states, step: plain tensors and containers, loaded with weights_only=True
      meta.json       step, epoch, the model config that built the weights
  RUN/checkpoints/latest.json   {"step": 780, "dir": "step-000780"}

A checkpoint folder is written under a temporary name and renamed when complete; latest.json is replaced atomically
after that. So a crash at any moment leaves the last good checkpoint readable.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from gankit.errors import GankitError
from gankit.files import write_text


def _state_for_safetensors(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    # safetensors needs contiguous, unshared tensors; channels-last weights are re-laid out here, not in the model.
    return {k: v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()}


def save_checkpoint(ckpt_root: Path, step: int, modules: dict[str, torch.nn.Module],
                    optimizers: dict[str, torch.optim.Optimizer], meta: dict, keep: int = 2) -> Path:
    ckpt_root.mkdir(parents=True, exist_ok=True)
    name = f"step-{step:06d}"
    final, tmp = ckpt_root / name, ckpt_root / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for key, module in modules.items():
        save_file(_state_for_safetensors(module), str(tmp / f"{key}.safetensors"))
    state = {"step": step, "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
             "rng_cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["rng_cuda"] = torch.cuda.get_rng_state_all()
    torch.save(state, tmp / "state.pt")
    (tmp / "meta.json").write_text(json.dumps({"step": step, **meta}, indent=2))
    if final.exists():  # the same step saved again (e.g. an interrupt right after an epoch's checkpoint)
        shutil.rmtree(final)
    tmp.rename(final)
    write_text(ckpt_root / "latest.json", json.dumps({"step": step, "dir": name}))
    old = sorted(p for p in ckpt_root.glob("step-*") if p.is_dir() and p != final)
    for path in old[: max(0, len(old) - (keep - 1))]:
        shutil.rmtree(path, ignore_errors=True)
    return final


def latest_checkpoint(ckpt_root: Path) -> Path | None:
    pointer = ckpt_root / "latest.json"
    if not pointer.is_file():
        return None
    try:
        path = ckpt_root / json.loads(pointer.read_text())["dir"]
    except (ValueError, KeyError):
        raise GankitError(f"{pointer} is damaged; delete it to fall back to the newest step-* folder") from None
    if not path.is_dir():
        raise GankitError(f"{pointer} points at {path.name}, which is missing")
    return path


def load_weights(ckpt: Path, modules: dict[str, torch.nn.Module], model_config: dict | None = None) -> dict:
    """Load each module's safetensors file; a checkpoint of another architecture is a one-line error."""
    meta = json.loads((ckpt / "meta.json").read_text())
    if model_config is not None and meta.get("model") not in (None, model_config):
        diff = sorted(k for k in model_config if meta["model"].get(k) != model_config.get(k))
        raise GankitError(f"checkpoint {ckpt} was written for another architecture (model.{', model.'.join(diff)} "
                          f"differ from the config)")
    for key, module in modules.items():
        path = ckpt / f"{key}.safetensors"
        if not path.is_file():
            raise GankitError(f"checkpoint {ckpt} has no {key}.safetensors")
        try:
            module.load_state_dict(load_file(str(path)))
        except RuntimeError as e:
            first = str(e).splitlines()[1].strip() if len(str(e).splitlines()) > 1 else str(e)
            raise GankitError(f"checkpoint {path} does not fit this architecture: {first}") from None
    return meta


def load_training_state(ckpt: Path, optimizers: dict[str, torch.optim.Optimizer]) -> int:
    """Optimizer and RNG states; returns the step to continue from. weights_only=True: no code is unpickled."""
    state = torch.load(ckpt / "state.pt", map_location="cpu", weights_only=True)
    for key, opt in optimizers.items():
        opt.load_state_dict(state["optimizers"][key])
    torch.set_rng_state(state["rng_cpu"])
    if "rng_cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng_cuda"])
    return int(state["step"])
