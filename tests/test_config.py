import ast
import typing
from pathlib import Path

import pytest

import gankit.config
from gankit.config import DataConfig, ModelConfig, TrainConfig, load_config, preset_names
from gankit.errors import GankitError


def test_every_preset_loads_and_validates():
    names = preset_names()
    for required in ("digits-dcgan", "mnist-mlp", "digits-cdcgan", "digits-wgan-gp", "toy-ring"):
        assert required in names
    for name in names:
        assert load_config(name).preset == name


def test_wgan_gp_preset_has_gulrajani_defaults():
    t = load_config("digits-wgan-gp").train
    assert (t.loss, t.k, t.lambda_gp, t.lr_d, t.beta1, t.beta2) == ("wgan-gp", 5, 10.0, 1e-4, 0.0, 0.9)


def test_set_overrides_and_types(tmp_path):
    cfg = load_config("digits-dcgan", overrides=["train.k=3", "train.lr_d=1e-3", "model.conditional=true",
                                                  "data.n=null"])
    assert cfg.train.k == 3 and cfg.train.lr_d == 1e-3 and cfg.model.conditional is True and cfg.data.n is None


def test_config_file_round_trip(tmp_path):
    cfg = load_config("toy-ring", overrides=["train.seed=7"])
    path = tmp_path / "c.yaml"
    path.write_text(cfg.to_yaml())
    again = load_config(config_file=path)
    assert again == cfg


@pytest.mark.parametrize("override, message", [
    ("train.k=0", "train.k must be at least 1"),
    ("train.lr_g=-0.1", "train.lr_g must be positive"),
    ("train.batch_size=abc", "train.batch_size must be int"),
    ("train.nope=1", "unknown config key 'train.nope'"),
    ("nosection.k=1", "unknown config key"),
    ("train.loss=wasserstein", "train.loss must be one of"),
    ("train.loss=1", "train.loss must be one of"),
    ("model.arch=stylegan", "model.arch must be one of dcgan"),
    ("data.name=celeba", "data.name must be one of digits"),
    ("train.steps=1e400", "train.steps must be int"),
    ("data.channels=2", "data.channels must be 1 or 3"),
    ("train.k", "--set takes key=value"),
])
def test_invalid_values_are_one_line_errors(override, message):
    with pytest.raises(GankitError, match=message) as info:
        load_config("digits-dcgan", overrides=[override])
    assert "\n" not in str(info.value)


def test_unknown_preset_lists_the_presets():
    with pytest.raises(GankitError, match="digits-dcgan"):
        load_config("cifar-stylegan")


def test_bad_config_files(tmp_path):
    with pytest.raises(GankitError, match="does not exist"):
        load_config(config_file=tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [1, 2")
    with pytest.raises(GankitError, match="not valid YAML"):
        load_config(config_file=bad)
    bad.write_text("optimizer: {lr: 1}")
    with pytest.raises(GankitError, match="unknown config section 'optimizer'"):
        load_config(config_file=bad)


def test_the_allowed_names_are_the_registries():
    """config.py names what a field may take as Literal types; they must be exactly what gankit can build."""
    from gankit.data import DATASETS
    from gankit.losses import LOSSES
    from gankit.recipes import ARCHS, RECIPES

    allowed = lambda cls, key: typing.get_args(typing.get_type_hints(cls)[key])
    assert allowed(TrainConfig, "loss") == LOSSES
    # Recipes and their architectures are registered by gankit.recipes, not listed in config.py.
    assert tuple(gankit.config.registered_recipes()) == tuple(RECIPES)
    assert {a for entry in gankit.config.registered_recipes().values() for a in entry.archs} | {"custom"} == set(ARCHS)
    from gankit.data.translation import BUILTIN_TRANSLATION
    # custom: data passed from Python; the built-in translation data sets are read by gankit.data.translation
    assert allowed(DataConfig, "name") == (*DATASETS, *BUILTIN_TRANSLATION, "custom")


def test_config_is_a_leaf_module():
    """config.py imports nothing of gankit but the error type, so every other module may import it."""
    tree = ast.parse(Path(gankit.config.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
               {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert {m for m in imported if m and m.startswith("gankit")} == {"gankit.errors"}
