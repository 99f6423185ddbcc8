"""The recipe contract (gankit.recipes.base), stated once for every registered recipe: it trains a few steps through
the trainer, checkpoints, resumes bit-identically, loads as a run, does what its capabilities promise, refuses in one
line what it cannot do, and leaves every net in the mode it found it."""
import shutil
from pathlib import Path

import pytest
import torch

import gankit
from gankit.config import load_config, preset_names
from gankit.errors import GankitError
from gankit.recipes import RECIPES, Recipe
from gankit.recipes.base import CAPABILITIES, Classifier, Encoder, Sampler, Translator
from gankit.runlog import read_log
from gankit.training import Trainer

FIXTURES = Path(__file__).parent.parent / "fixtures" / "pre_contract"


def preset_of(recipe: str) -> str:
    """The first preset that trains `recipe` on its own (a fine-tune preset needs a GAN run first): every registered
    recipe ships one."""
    return next(name for name in preset_names()
                if load_config(name).train.recipe == recipe and not name.endswith("-finetune"))


def tiny(recipe: str, *overrides: str):
    cfg = load_config(preset_of(recipe))
    few_labels = ["data.labels_per_class=3"] if cfg.data.labels_per_class else []
    return load_config(preset_of(recipe), overrides=[
        "data.n=300", "model.width=8", "train.batch_size=8", "train.steps=4", "train.grid_size=4", "train.threads=1",
        "train.log_every=1", "train.device=cpu", *few_labels, *overrides])


def inputs(trainer: Trainer) -> torch.Tensor:
    """A few real images of the run's data (a translation run's held-out inputs of A)."""
    if isinstance(trainer.recipe, Translator):
        return trainer.data.preview(2)[0].float().cpu()
    return trainer.data.batch(torch.arange(2))[0].float().cpu()


def test_every_recipe_has_a_preset_settings_and_a_capability():
    for name, recipe in RECIPES.items():
        assert issubclass(recipe, Recipe) and recipe.name == name and recipe.archs
        assert load_config(preset_of(name)).train.recipe == name
        assert any(issubclass(recipe, c) for c in CAPABILITIES), name


@pytest.mark.parametrize("name", list(RECIPES))
def test_the_recipe_trains_resumes_bit_identically_and_loads(name, tmp_path, assert_same_weights):
    cfg = tiny(name, "train.checkpoint_every=2")
    straight = Trainer(cfg, tmp_path / "straight", progress=False)
    straight.fit()
    first = Trainer(cfg, tmp_path / "resumed", progress=False)
    first.fit(until_step=2)
    resumed = Trainer(cfg, tmp_path / "resumed", resume=True, progress=False)
    assert resumed.step == 2
    resumed.fit()
    assert_same_weights(straight, resumed)
    drop_rate = lambda records: [{k: v for k, v in r.items() if k != "images_per_s"} for r in records]
    assert drop_rate(read_log(tmp_path / "straight")) == drop_rate(read_log(tmp_path / "resumed"))
    assert (tmp_path / "resumed" / "samples" / "final.png").is_file()
    run = gankit.load(tmp_path / "resumed")
    assert type(run.recipe) is RECIPES[name] and run.step == 4


@pytest.mark.parametrize("name", list(RECIPES))
def test_the_run_does_what_its_capabilities_promise_and_refuses_the_rest(name, tmp_path):
    trainer = Trainer(tiny(name), tmp_path / "run", progress=False)
    trainer.fit()
    run = gankit.load(tmp_path / "run")
    images = inputs(trainer)
    nets = list(run.recipe.modules.values())
    for net in nets:
        net.train()
    uses = {
        Sampler: lambda: run.sample(3, seed=0).shape[0] == 3,
        Translator: lambda: run.translate(images, to=0 if run.num_classes else None).shape[0] == len(images),
        Classifier: lambda: run.classify(images).shape == (len(images), len(run.classes)),
        Encoder: lambda: run.encode(images).shape == (len(images), run.recipe.z_dim),
    }
    for capability, use in uses.items():
        if isinstance(run.recipe, capability):
            assert use(), capability.__name__
        else:
            with pytest.raises(GankitError) as info:
                use()
            assert "\n" not in str(info.value) and name in str(info.value)
    # A library call leaves the caller's nets in the mode it found them in.
    assert all(net.training for net in nets), name


def test_a_config_naming_another_recipes_section_is_a_one_line_error():
    with pytest.raises(GankitError, match="cyclegan.lambda_cycle is a setting of recipe cyclegan; this config trains "
                                          "recipe gan"):
        load_config("digits-dcgan", overrides=["cyclegan.lambda_cycle=3"])


def test_old_flat_train_keys_still_set_the_recipes_section(tmp_path):
    cfg = load_config("digits-dcgan", overrides=["train.r1=0.5"])
    assert cfg.gan.r1 == 0.5 and "r1" not in cfg.to_dict()["train"] and cfg.to_dict()["gan"]["r1"] == 0.5


@pytest.mark.parametrize("run", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_a_checkpoint_made_before_the_recipe_contract_resumes_to_the_old_codes_updates(run, tmp_path):
    """Run folders written by the code before per-recipe sections (a flat train: section, step-2 checkpoints) resume
    to step 4 and move every weight the way the old code did: the sign of each weight's change from step 2 to 4
    (recorded by contract_fixtures.py with the code of 1cf2136, whose weights matched the old code's digests bit for bit).
    Signs, not bits: the same code gives last-bit-different weights on another CPU (AVX2 against AVX-512, so the
    digests recorded on one machine failed on the other), while halving one loss weight (ssl.unsupervised_weight
    1 -> 0.5) turns 5 % of the updates another way; at most 1 % may differ."""
    import numpy as np
    from contract_fixtures import resume, update_signs

    assert "r1" in (FIXTURES / run / "config.yaml").read_text()  # the old layout: every family's keys under train:
    folder = resume(FIXTURES / run, tmp_path)
    got = update_signs(folder)
    with np.load(FIXTURES / run / "expected-step-4-signs.npz", allow_pickle=False) as expected:
        assert sorted(got) == sorted(expected.files)
        differing = sum(int((got[k] != expected[k]).sum()) for k in got)
    total = sum(v.size for v in got.values())
    assert differing <= 0.01 * total, f"{differing} of {total} updates point another way than the old code's"
