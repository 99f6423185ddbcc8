"""Feature extractors: the networks whose layers FID, KID, precision/recall, IS and class coverage are measured in.

`load_extractor(spec)` understands
- a built-in name: `digits` (also used for `mnist`) or `fashion-mnist`: the small classifiers shipped in
  gankit/weights/ (see gankit.metrics.classifier), 128-d features and 10 class probabilities;
- a TorchScript file with the interface of StyleGAN2-ADA's / clean-fid's `inception-2015-12-05.pt`:
  `model(uint8 images (N, 3, H, W) in 0..255, return_features=True)` gives the 2048-d pool3 features of the
  TensorFlow Inception-v3 of Salimans et al. 2016 / Heusel et al. 2017 (it resizes to 299 itself), and
  `model(images, no_output_bias=True)` its 1008 class probabilities, as StyleGAN2-ADA's IS uses it;
- any other TorchScript file (`*.pt`, `*.pth`, `*.ts`), or a Python object `package.module:name` or
  `path/to/file.py:name` (an nn.Module, or a callable that returns one): it takes float images in [-1, 1]
  (N, C, H, W) and returns features (N, D). It may say D in `num_features`; with a method `logits(images)` and
  `num_classes` it also serves IS and class coverage.

Every extractor has a digest (sha256 of its weights) that keys the cache of reference statistics.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import torch
from tqdm import tqdm
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

from gankit.errors import GankitError
from gankit.images import luma
from gankit.metrics.classifier import IMAGE_SHAPE, Classifier

BUILTIN = {"digits": "digits", "mnist": "digits", "fashion-mnist": "fashion-mnist"}  # name -> weights
TORCHSCRIPT_SUFFIXES = (".pt", ".pth", ".ts", ".jit")


@dataclass
class Extractor:
    """A feature network, ready to measure images in [-1, 1]. `classes` is None when it has no class output."""
    name: str
    module: nn.Module
    num_features: int | None  # None: learnt from the first images measured
    digest: str
    classes: list[str] | None = None
    kind: str = "module"  # builtin | inception | module
    image_shape: tuple[int, int, int] | None = None  # what images are converted to first; None: passed as given

    @property
    def num_classes(self) -> int:
        return len(self.classes) if self.classes else 0

    @torch.no_grad()
    def __call__(self, images: torch.Tensor, logits: bool = False,
                 batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(features (N, D), class logits (N, K) or None) of images in [-1, 1], computed in batches."""
        if logits and not self.classes:
            raise GankitError(f"features '{self.name}' give no class probabilities; the Inception Score and class "
                              f"coverage need a classifier (digits, fashion-mnist or the Inception file)")
        device = next(self.module.parameters(), torch.empty(0)).device
        features, class_logits = [], []
        # A progress bar on a terminal only (disable=None): eval of 10k images against a data set takes minutes.
        for chunk in tqdm(images.split(batch_size), desc=f"features ({self.name})", unit="batch", disable=None,
                          leave=False):
            chunk = self._prepare(chunk.to(device, torch.float32))
            if self.kind == "builtin":
                f = self.module.features(chunk)
                class_logits.append(self.module.logits_from_features(f) if logits else None)
            elif self.kind == "inception":
                f = self.module(chunk, return_features=True)
                if logits:  # its no_output_bias head gives probabilities; log p are logits of the same softmax
                    class_logits.append(self.module(chunk, no_output_bias=True).clamp_min(1e-30).log())
            else:
                f = self.module(chunk)
                if logits:
                    class_logits.append(self.module.logits(chunk))
            features.append(f.reshape(len(chunk), -1).float().cpu())
        out = torch.cat(features)
        if self.num_features is None:
            self.num_features = out.shape[1]
        if out.shape[1] != self.num_features:
            raise GankitError(f"features '{self.name}' gave {out.shape[1]} features per image, "
                              f"not the {self.num_features} its num_features says")
        return out, (torch.cat(class_logits).float().cpu() if logits else None)

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "inception":
            # StyleGAN2-ADA's conversion of generator output: [-1, 1] -> uint8, gray repeated to RGB.
            x = (x * 127.5 + 128).clamp(0, 255).to(torch.uint8)
            return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
        if self.image_shape is None:
            return x
        channels, height, width = self.image_shape
        if x.shape[1] == 3 and channels == 1:
            x = luma(x)
        elif x.shape[1] != channels:
            raise GankitError(f"features '{self.name}' take {channels}-channel images, got {x.shape[1]} channels")
        if x.shape[-2:] != (height, width):
            x = F.interpolate(x, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
        return x


def builtin_metadata(name: str) -> dict:
    """The JSON written beside a built-in classifier's weights: its data, split, epochs and held-out accuracy."""
    return json.loads(resources.files("gankit").joinpath("weights", f"{BUILTIN[name]}-classifier.json").read_text())


def load_extractor(spec: str, device: str | torch.device = "cpu") -> Extractor:
    """The extractor named by `spec`: a built-in name, a TorchScript file, or `module:attribute`."""
    if spec in BUILTIN:
        return _builtin(spec, device)
    path = Path(spec)
    if path.suffix.lower() in TORCHSCRIPT_SUFFIXES or (path.is_file() and ":" not in spec):
        return _torchscript(path, device)
    if ":" in spec:
        return _python(spec, device)
    raise GankitError(f"unknown features '{spec}'; use {', '.join(sorted(set(BUILTIN)))}, a TorchScript file "
                      f"(.pt), or a Python module:attribute")


def _builtin(name: str, device) -> Extractor:
    weights = resources.files("gankit").joinpath("weights", f"{BUILTIN[name]}-classifier.safetensors")
    meta = builtin_metadata(name)
    with resources.as_file(weights) as path:
        if not path.is_file():
            raise GankitError(f"the {name} classifier weights are missing from the package; "
                              f"train them with scripts/train_feature_classifier.py {BUILTIN[name]}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        model = Classifier(meta["num_classes"], meta["num_features"])
        model.load_state_dict(load_file(str(path)))
    classes = meta.get("classes") or [str(i) for i in range(model.num_classes)]
    return Extractor(BUILTIN[name], model.eval().to(device), model.num_features, digest, classes, "builtin",
                     IMAGE_SHAPE)


def _torchscript(path: Path, device) -> Extractor:
    if not path.is_file():
        raise GankitError(f"feature file {path} does not exist")
    try:
        module = torch.jit.load(str(path), map_location=device).eval()
    except Exception as e:  # torch raises many kinds for a file that is not TorchScript
        raise GankitError(f"feature file {path} is not a TorchScript module ({type(e).__name__}); "
                          f"save one with torch.jit.script(model).save(path)") from None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    arguments = {a.name for a in module.forward.schema.arguments}
    if "return_features" in arguments:  # the StyleGAN2-ADA / clean-fid Inception-v3
        probe = torch.zeros(1, 3, 32, 32, dtype=torch.uint8, device=device)
        num_features = int(module(probe, return_features=True).shape[-1])
        num_classes = int(module(probe, no_output_bias=True).shape[-1]) if "no_output_bias" in arguments else 0
        classes = [str(i) for i in range(num_classes)] or None
        return Extractor(path.name, module, num_features, digest, classes, "inception")
    return _plain(path.name, module, digest, device)


def _python(spec: str, device) -> Extractor:
    where, _, attribute = spec.rpartition(":")
    try:
        if where.endswith(".py"):
            loader = importlib.util.spec_from_file_location(Path(where).stem, where)
            if loader is None or not Path(where).is_file():
                raise FileNotFoundError(where)
            source = importlib.util.module_from_spec(loader)
            loader.loader.exec_module(source)
        else:
            source = importlib.import_module(where)
        obj = getattr(source, attribute)
    except Exception as e:  # an import can fail in any way the user's code does
        raise GankitError(f"cannot load features '{spec}': {type(e).__name__}: {e}") from None
    module = obj() if not isinstance(obj, nn.Module) and callable(obj) else obj
    if not isinstance(module, nn.Module):
        raise GankitError(f"features '{spec}' is not a torch.nn.Module (nor a callable that returns one)")
    # The digest of a Python module is that of its weights: the same weights give the same reference statistics.
    digest = hashlib.sha256()
    for key, tensor in sorted(module.state_dict().items()):
        digest.update(key.encode())
        digest.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return _plain(spec, module.eval().to(device), digest.hexdigest(), device)


def _plain(name: str, module: nn.Module, digest: str, device) -> Extractor:
    num_features = getattr(module, "num_features", None)
    num_classes = int(getattr(module, "num_classes", 0) or 0) if hasattr(module, "logits") else 0
    classes = [str(i) for i in range(num_classes)] or None
    return Extractor(name, module, None if num_features is None else int(num_features), digest, classes, "module")
