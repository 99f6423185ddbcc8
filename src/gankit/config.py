"""Run configuration: the sections data, model and train, and the training recipe's own section (named as the recipe,
e.g. `cyclegan:`), YAML in and out, `key=value` overrides, validation.

A config is resolved in this order: dataclass defaults < preset < --config FILE < --set key=value. The resolved config
is what the run folder records, so `gankit train --config RUN/config.yaml` repeats a run.

This module is a leaf: it imports nothing else of gankit but the error type. Recipes register themselves
(`register_recipe`: their name, their section's dataclass, their model.arch names, their validation) when
gankit.recipes is imported; `train:` holds only what every family shares. Configs and run folders written before the
per-recipe sections existed still load: their family-only `train.` keys are moved on read (MOVED).
The names a fixed field may take are its `Literal[...]` type; tests/test_config.py checks that they equal the
registries (LOSSES, DATASETS).
"""
from __future__ import annotations

import dataclasses
import importlib
import re
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Literal

import yaml

from gankit.errors import GankitError

# "custom" names what was passed from Python (gankit.train), not built from this config.
DatasetName = Literal["digits", "mnist", "fashion-mnist", "cifar10", "folder",
                      "gaussian1d", "gaussian-mixture1d", "ring8", "grid25", "spiral",
                      "edges2digits", "digits2colour", "colourise", "digit-styles",  # translation pairs and domains
                      "custom"]
Loss = Literal["minimax", "nonsaturating", "wgan-gp", "hinge", "lsgan"]


@dataclass
class DataConfig:
    name: DatasetName = "digits"
    root: str | None = None          # a folder of images, or where IDX / CIFAR files lie
    image_size: int | None = None    # None: the data set's own size
    channels: int | None = None      # 1 or 3; None: the data set's own
    download: bool = False           # fetch MNIST / Fashion-MNIST / CIFAR-10 from their official locations
    n: int | None = None             # use a seeded subset of n items
    memory_budget: float = 4.0       # GiB of decoded images held in memory; a larger folder streams from disk
    labels_per_class: int = 0        # few-label runs: labels seen per class; the test split is held out


@dataclass
class ModelConfig:
    arch: str = "dcgan"              # one of the training recipe's architectures (its `archs`), or custom
    z_dim: int = 100
    width: int = 64                  # DCGAN: channels next to the image; toy-mlp: hidden units
    depth: int = 3                   # toy-mlp hidden layers
    conditional: bool = False        # label embedding into G and D
    acgan: bool = False              # D gets an auxiliary classifier head (implies conditional G)
    # layer for WGAN-GP's critic; spectral: spectral normalisation of every D layer (Miyato et al. 2018), no BatchNorm
    d_norm: Literal["batch", "layer", "none", "spectral"] = "batch"
    pack: int = 1                    # PacGAN: D judges `pack` samples at once (toy-mlp)
    blocks: int = 6                  # residual blocks of the resnet (CycleGAN) and stargan generators


@dataclass
class TrainConfig:
    """What every run shares: the loop, its length and schedule, the optimisers' rates, devices, logging, checkpoints,
    and the adversarial game's loss and k (a family without a game, the VAE, ignores those two)."""
    recipe: str = "gan"              # the model family (gankit.recipes.RECIPES)
    loss: Loss = "nonsaturating"
    k: int = 1                       # D steps per G step (Algorithm 1); n_critic for WGAN-GP
    batch_size: int = 64
    epochs: int = 10
    steps: int | None = None         # total D steps; overrides epochs when set
    minutes: float = 0.0             # a wall-clock budget: stop (checkpoint, final pictures) when it runs out; 0 = none
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    lambda_gp: float = 10.0          # WGAN-GP's gradient penalty weight (the gan and stargan recipes)
    lr_decay: Literal["none", "linear"] = "none"  # linear: to 0 at the last step, for every optimizer
    lr_constant: float = 0.0         # share of the run at the full rate before train.lr_decay begins (pix2pix: 0.5)
    seed: int = 0
    device: str = "auto"             # auto | cpu | cuda | cuda:N
    amp: bool = False                # bf16 autocast: CUDA, and CPUs with native bf16 (else off)
    compile: bool = False            # torch.compile the nets
    channels_last: bool = True
    threads: int = 0                 # CPU threads for torch; 0 keeps torch's default (tiny nets run best on 1)
    eval_every: int = 0              # evaluate FID/KID every this many steps, keep checkpoints/best; 0 = off
    eval_n: int = 2000               # samples per evaluation during training
    log_every: int = 10
    grid_size: int = 64              # images in the fixed-noise progress grid
    keep_checkpoints: int = 2
    checkpoint_every: int = 0        # also checkpoint every this many steps; 0 = at epoch ends (and at the end) only
    sync_bn: bool = False            # several processes (torchrun): BatchNorm statistics over the global batch (CUDA)
    timeout: int = 600               # several processes: seconds one waits for the others before the run stops


@dataclass(frozen=True)
class RecipeEntry:
    """What config needs to know of a recipe: its section's dataclass (None: no settings of its own), the
    model.arch names it builds, and its validation (one-line errors)."""
    settings: type | None
    archs: tuple[str, ...]
    validate: Callable[["Config"], None]


_RECIPES: dict[str, RecipeEntry] = {}


def register_recipe(name: str, settings: type | None, archs: tuple[str, ...],
                    validate: Callable[["Config"], None]) -> None:
    _RECIPES[name] = RecipeEntry(settings, tuple(archs), validate)


def registered_recipes() -> dict[str, RecipeEntry]:
    """The recipes gankit.recipes registered; importing it is what registers them (each recipe file is a plugin
    of this leaf module, which never imports a recipe by name)."""
    if not _RECIPES:
        importlib.import_module("gankit.recipes")
    return _RECIPES


# Where the family-only keys of the old flat `train:` section live now. Read when loading configs, presets and run
# folders written before the per-recipe sections existed, and for `--set train.r1=...` typed from old habits.
MOVED = {f"train.{key}": f"{section}.{key}" for section, keys in {
    "gan": ("r1", "ema", "label_smoothing", "acgan_weight", "augment", "augment_policy", "ada_target", "ada_kimg"),
    "vae": ("likelihood",),
    "ssl": ("unsupervised_weight", "init_from", "classify_every", "dropout"),
    "pix2pix": ("lambda_l1", "lambda_gan"),
    "cyclegan": ("lambda_cycle", "lambda_identity", "pool_size"),
    "stargan": ("lambda_cls", "lambda_rec"),
}.items() for key in keys}


@dataclass(eq=False)
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    preset: str | None = None
    sections: dict[str, Any] = field(default_factory=dict, repr=False)  # recipe name -> its settings

    def section(self, name: str | None = None) -> Any:
        """The settings of recipe `name` (default: this config's recipe), at their defaults until set."""
        name = name or self.train.recipe
        entry = registered_recipes().get(name)
        if entry is None or entry.settings is None:
            raise GankitError(f"recipe {name} has no settings of its own (no {name}: section)")
        if name not in self.sections:
            self.sections[name] = entry.settings()
        return self.sections[name]

    def __getattr__(self, name: str) -> Any:
        """cfg.gan, cfg.cyclegan, ...: a recipe's section, as cfg.section(name)."""
        if name.startswith("_") or name == "sections":
            raise AttributeError(name)
        entry = registered_recipes().get(name)
        if entry is None or entry.settings is None:
            raise AttributeError(f"Config has no section {name!r}")
        return self.section(name)

    def to_dict(self) -> dict[str, Any]:
        out = {name: dataclasses.asdict(getattr(self, name)) for name in SECTIONS}
        entry = registered_recipes().get(self.train.recipe)
        if entry is not None and entry.settings is not None:
            out[self.train.recipe] = dataclasses.asdict(self.section())
        out["preset"] = self.preset
        return out

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and self.to_dict() == other.to_dict()


SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}


def preset_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("gankit.presets").iterdir() if p.name.endswith(".yaml"))


def preset_description(name: str) -> str:
    """The first sentence of the comment that opens a preset's YAML file."""
    text = resources.files("gankit.presets").joinpath(f"{name}.yaml").read_text()
    comment = " ".join(line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("#"))
    return re.split(r"(?<! al)\.\s", comment)[0].rstrip(".")  # a sentence ends at a full stop, not at "et al."


def _read_yaml(text: str, where: str) -> dict:
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        raise GankitError(f"{where} is not valid YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise GankitError(f"{where} must be a mapping of sections (data, model, train)")
    return raw


def _coerce(value: Any, ftype: Any, key: str) -> Any:
    """Turn a YAML / command-line value into the field's type (read with typing.get_type_hints), or say which key is
    wrong. Literal fields name their allowed values in the message."""
    args = typing.get_args(ftype)
    optional = type(None) in args
    if optional:
        (ftype,) = [a for a in args if a is not type(None)]
    if value is None or (isinstance(value, str) and value.lower() in ("null", "none") and optional):
        if optional:
            return None
        raise GankitError(f"{key} cannot be empty")
    if typing.get_origin(ftype) is Literal:
        allowed = typing.get_args(ftype)
        if value not in allowed:
            raise GankitError(f"{key} must be one of {', '.join(allowed)}, got {value!r}")
        return value
    try:
        if ftype is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "yes", "1", "on"):
                return True
            if str(value).lower() in ("false", "no", "0", "off"):
                return False
            raise ValueError
        if ftype is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if ftype is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        return str(value)
    except (TypeError, ValueError, OverflowError):
        raise GankitError(f"{key} must be {ftype.__name__}, got {value!r}") from None


def _apply(cfg: Config, raw: dict, where: str) -> None:
    for section, values in raw.items():
        if section == "preset":
            continue
        if section not in SECTIONS and section not in registered_recipes():
            raise GankitError(f"unknown config section {section!r} in {where}; sections are data, model, train and "
                              f"the recipe's own ({', '.join(registered_recipes())})")
        if not isinstance(values, dict):
            raise GankitError(f"section {section!r} in {where} must be a mapping")
        recipe = values.get("recipe", cfg.train.recipe) if section == "train" else None
        for key, value in values.items():
            moved = MOVED.get(f"{section}.{key}")
            if moved is not None and moved.partition(".")[0] != recipe:
                continue  # an old flat train: section lists every family's settings; only its own recipe's count
            set_value(cfg, f"{section}.{key}", value)


def _field_types(cfg: Config, section: str, dotted: str) -> dict[str, Any]:
    if section in SECTIONS:
        return typing.get_type_hints(SECTIONS[section])
    entry = registered_recipes().get(section)
    if entry is None or entry.settings is None:
        raise GankitError(f"unknown config key {dotted!r}; keys look like train.k or data.name (or a recipe's own, "
                          f"e.g. cyclegan.lambda_cycle)")
    return typing.get_type_hints(entry.settings)


def set_value(cfg: Config, dotted: str, value: Any) -> None:
    dotted = MOVED.get(dotted, dotted)
    section, _, key = dotted.partition(".")
    types = _field_types(cfg, section, dotted)
    if not key:
        raise GankitError(f"unknown config key {dotted!r}; keys look like train.k or data.name")
    if key not in types:
        raise GankitError(f"unknown config key {dotted!r}; {section} has: {', '.join(types)}")
    target = getattr(cfg, section) if section in SECTIONS else cfg.section(section)
    setattr(target, key, _coerce(value, types[key], dotted))


def parse_set(items: list[str]) -> list[tuple[str, Any]]:
    pairs = []
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise GankitError(f"--set takes key=value, got {item!r}")
        pairs.append((key.strip(), yaml.safe_load(text) if text else text))
    return pairs


def load_config(preset: str | None = None, config_file: str | Path | None = None,
                overrides: list[str] | None = None) -> Config:
    cfg = Config()
    if preset is not None and config_file is not None:
        raise GankitError("give --preset or --config, not both: a config file is a whole configuration (a run's "
                          "config.yaml names its preset); change a preset with --set KEY=VALUE")
    if preset is not None:
        if preset not in preset_names():
            raise GankitError(f"unknown preset {preset!r}; presets: {', '.join(preset_names())}")
        text = resources.files("gankit.presets").joinpath(f"{preset}.yaml").read_text()
        _apply(cfg, _read_yaml(text, f"preset {preset}"), f"preset {preset}")
        cfg.preset = preset
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise GankitError(f"config file {path} does not exist")
        raw = _read_yaml(path.read_text(), str(path))
        if cfg.preset is None and isinstance(raw.get("preset"), str):
            cfg.preset = raw["preset"]
        _apply(cfg, raw, str(path))
    for key, value in parse_set(overrides or []):
        set_value(cfg, key, value)
    validate(cfg)
    return cfg


def config_from_dict(raw: dict, where: str) -> Config:
    cfg = Config(preset=raw.get("preset"))
    _apply(cfg, raw, where)
    validate(cfg)
    return cfg


# Upper bounds, so a slip of the keyboard (1e9 for 1e3) is refused at once with the limit named, instead of
# allocating gigabytes and ending in a traceback or a hang.
LIMITS = {"data.n": 10_000_000, "data.image_size": 1024, "train.batch_size": 65_536, "train.grid_size": 10_000,
          "train.eval_n": 1_000_000, "model.width": 4096, "model.z_dim": 65_536, "model.depth": 64,
          "model.pack": 64, "train.k": 1000, "train.seed": 2**63 - 1, "train.keep_checkpoints": 1000,
          "model.blocks": 64, "train.timeout": 7 * 86_400}
PRESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def validate(cfg: Config) -> None:
    """Ranges and relations between fields; the allowed names were checked when each field was set."""
    t, m, d = cfg.train, cfg.model, cfg.data
    for key, limit in LIMITS.items():
        section, _, name = key.partition(".")
        value = getattr(getattr(cfg, section), name)
        if value is not None and value > limit:
            raise GankitError(f"{key} is {value:,}, above the limit of {limit:,}")
    if cfg.preset is not None and not PRESET_NAME.fullmatch(cfg.preset):
        raise GankitError(f"preset {cfg.preset!r} is not a name (letters, digits, - _ .): it names the run folder")
    checks = [
        (t.k >= 1, f"train.k must be at least 1 (D steps per G step), got {t.k}"),
        (t.batch_size >= 1, f"train.batch_size must be positive, got {t.batch_size}"),
        (t.epochs >= 1, f"train.epochs must be at least 1, got {t.epochs}"),
        (t.steps is None or t.steps >= 1, f"train.steps must be positive, got {t.steps}"),
        (t.minutes >= 0, f"train.minutes must not be negative, got {t.minutes}"),
        (t.lr_g > 0, f"train.lr_g must be positive, got {t.lr_g}"),
        (t.lr_d > 0, f"train.lr_d must be positive, got {t.lr_d}"),
        (0 <= t.beta1 < 1 and 0 <= t.beta2 < 1, "train.beta1 and train.beta2 must lie in [0, 1)"),
        (t.lambda_gp >= 0, f"train.lambda_gp must not be negative, got {t.lambda_gp}"),
        (t.eval_every >= 0, f"train.eval_every must not be negative, got {t.eval_every}"),
        (t.eval_n >= 10, f"train.eval_n must be at least 10, got {t.eval_n}"),
        (t.threads >= 0, f"train.threads must not be negative, got {t.threads}"),
        (t.log_every >= 1, f"train.log_every must be positive, got {t.log_every}"),
        (t.grid_size >= 1, f"train.grid_size must be positive, got {t.grid_size}"),
        (t.keep_checkpoints >= 1, f"train.keep_checkpoints must be at least 1, got {t.keep_checkpoints}"),
        (t.checkpoint_every >= 0, f"train.checkpoint_every must not be negative, got {t.checkpoint_every}"),
        (t.seed >= 0, f"train.seed must not be negative, got {t.seed}"),
        (m.z_dim >= 1 and m.width >= 1 and m.depth >= 0, "model.z_dim and model.width must be positive"),
        (m.pack >= 1, f"model.pack must be at least 1, got {m.pack}"),
        (t.batch_size % m.pack == 0, f"train.batch_size ({t.batch_size}) must be a multiple of model.pack"),
        (d.image_size is None or d.image_size >= 1, f"data.image_size must be positive, got {d.image_size}"),
        (d.channels in (None, 1, 3), f"data.channels must be 1 or 3, got {d.channels}"),
        (d.n is None or d.n >= 1, f"data.n must be positive, got {d.n}"),
        (d.memory_budget >= 0, f"data.memory_budget must not be negative (GiB), got {d.memory_budget}"),
        (t.timeout >= 1, f"train.timeout must be at least 1 second, got {t.timeout}"),
        (d.labels_per_class >= 0, f"data.labels_per_class must not be negative, got {d.labels_per_class}"),
        (0 <= t.lr_constant < 1, f"train.lr_constant is a share of the run in [0, 1), got {t.lr_constant}"),
        (m.blocks >= 0, f"model.blocks must not be negative, got {m.blocks}"),
        (t.device == "auto" or t.device == "cpu" or t.device.startswith("cuda"),
         f"train.device must be auto, cpu or cuda[:N], got {t.device!r}"),
    ]
    for ok, message in checks:
        if not ok:
            raise GankitError(message)
    _validate_recipe(cfg)


def _validate_recipe(cfg: Config) -> None:
    """The recipe and architecture exist, no other recipe's section was set, and the recipe accepts its settings."""
    recipes, t = registered_recipes(), cfg.train
    if t.recipe not in recipes:
        raise GankitError(f"train.recipe must be one of {', '.join(recipes)}, got {t.recipe!r}")
    archs = [a for entry in recipes.values() for a in entry.archs] + ["custom"]
    if cfg.model.arch not in archs:
        raise GankitError(f"model.arch must be one of {', '.join(dict.fromkeys(archs))}, got {cfg.model.arch!r}")
    for name, settings in cfg.sections.items():
        if name == t.recipe:
            continue
        default = recipes[name].settings()
        changed = [f.name for f in dataclasses.fields(settings) if getattr(settings, f.name) != getattr(default, f.name)]
        if changed:
            raise GankitError(f"{name}.{changed[0]} is a setting of recipe {name}; this config trains recipe "
                              f"{t.recipe} (set train.recipe={name}, or leave it out)")
    recipes[t.recipe].validate(cfg)
