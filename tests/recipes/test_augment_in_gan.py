"""DiffAugment, ADA and spectral normalisation inside the GAN recipe and the trainer (issue 14)."""
import pytest
import torch
from torch import nn

import gankit
from gankit.config import load_config
from gankit.data import load_dataset
from gankit.errors import GankitError
from gankit.recipes import GANRecipe
from gankit.runlog import read_log
from gankit.training import Trainer


def _digits(n=64):
    x, y = load_dataset("digits", n=n, seed=0).batch(torch.arange(n))
    return x, y


def _recipe(*overrides, preset="digits-dcgan", classes=0):
    cfg = load_config(preset, overrides=["model.width=8", "model.z_dim=16", *overrides])
    return GANRecipe.from_config(cfg, (1, 28, 28), classes)


def _record_D_inputs(recipe):
    seen = []
    recipe.D.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    return seen


@pytest.mark.parametrize("extra", [[], ["train.r1=1"], ["model.acgan=true"]])
def test_diffaugment_cuts_out_real_and_fake_in_both_steps_and_G_still_gets_a_gradient(extra):
    """Cutout sets a square to exactly 0; neither the digits (shifted off 0 here) nor G's tanh output hold a 0. So a
    0 in every image D sees shows that T was applied to reals and fakes, in D's step and in G's step. It composes with
    R1 (taken through T) and with ACGAN's class head."""
    acgan = "model.acgan=true" in extra
    recipe = _recipe("train.augment=diffaugment", "train.augment_policy=cutout", *extra,
                     preset="digits-acgan" if acgan else "digits-dcgan", classes=10 if acgan else 0)
    x, y = _digits(32)
    x = x.clamp(-0.9, 1.0)
    x = torch.where(x == 0, torch.full_like(x, 0.5), x)
    seen = _record_D_inputs(recipe)
    g_before = [p.detach().clone() for p in recipe.G.parameters()]
    out = recipe.train_step(x, y, 0)
    assert len(seen) == 3  # D step: T(x) and T(G(z)); G step: T(G(z)) again
    for images in seen:
        assert (images == 0).flatten(1).any(1).all()
    assert not torch.equal(seen[1], seen[2])  # a fresh draw of T in G's step
    grads = [p.grad for p in recipe.G.parameters()]
    assert all(g is not None for g in grads) and sum(g.abs().sum() for g in grads) > 0
    assert any(not torch.equal(a, b) for a, b in zip(g_before, recipe.G.parameters()))
    if "train.r1=1" in extra:
        assert out["r1"] > 0


def test_without_augment_D_sees_the_images_as_they_are():
    recipe = _recipe()
    x, y = _digits(32)
    seen = _record_D_inputs(recipe)
    recipe.train_step(x, y, 0)
    assert torch.equal(seen[0], x)


def test_augment_is_refused_for_point_data():
    cfg = load_config("toy-ring", overrides=["train.augment=diffaugment"])
    with pytest.raises(GankitError, match="gan.augment diffaugment transforms images"):
        GANRecipe.from_config(cfg, (2,), 0)


@pytest.mark.slow
def test_ada_p_rises_when_D_overfits_a_tiny_data_set():
    """32 digits and a D with a high learning rate: D soon tells its few reals from anything G makes, r_t goes above
    the target 0.6, and p climbs from 0 (gankit.augment's unit tests check that it also falls back)."""
    x, y = _digits(32)
    torch.manual_seed(0)
    recipe = _recipe("train.augment=ada", "train.ada_kimg=0.5", "train.lr_d=1e-3", "train.label_smoothing=0")
    steps = [recipe.train_step(x, y, step) for step in range(40)]
    ps, rts = [out["ada_p"].item() for out in steps], [out["ada_rt"].item() for out in steps]
    assert ps[0] == 0 and ps[-1] > 0.5
    assert max(rts[-8:]) > 0.6
    assert all(b >= a for a, b in zip(ps, ps[1:]))  # while D overfits, p only rises


def _largest_singular_values(D: nn.Module) -> list[float]:
    D.eval()  # the weight as the last training step left it, without a further power iteration
    with torch.no_grad():
        values = [torch.linalg.matrix_norm(m.weight.reshape(m.weight.shape[0], -1), ord=2).item()
                  for m in D.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    D.train()
    return values


@pytest.mark.slow
def test_spectral_norm_keeps_every_layer_of_D_near_a_largest_singular_value_of_1():
    x, y = _digits(64)
    found = {}
    for norm in ("spectral", "none"):
        torch.manual_seed(0)
        recipe = _recipe(f"model.d_norm={norm}", "train.loss=hinge", "train.label_smoothing=0", "train.lr_d=2e-3")
        before = _largest_singular_values(recipe.D)
        for step in range(40):
            recipe.train_step(x[step % 2 * 32:][:32], None, step)
        found[norm] = before, _largest_singular_values(recipe.D)
    for sigma in found["spectral"][0] + found["spectral"][1]:
        assert abs(sigma - 1) < 0.05
    # Without it the same training leaves the layers' scales where N(0, 0.02) and the steps put them, far from 1.
    assert max(abs(sigma - 1) for sigma in found["none"][1]) > 0.5


@pytest.mark.slow
def test_spectral_norm_and_ada_resume_bit_exact_and_load_to_sample(tmp_path, tiny_digits_config, assert_same_weights):
    """The power iteration's u and v (spectral norm) and ADA's p with its half-gathered signs travel in the
    checkpoint: a run stopped mid-epoch (and mid ADA interval) and resumed ends with the weights of a run never
    stopped."""
    cfg = tiny_digits_config("train.epochs=2", "train.batch_size=32", "model.z_dim=16", "model.d_norm=spectral",
                             "train.loss=hinge", "train.label_smoothing=0", "train.augment=ada", "train.ada_kimg=1",
                             "train.r1=1")
    straight = Trainer(cfg, tmp_path / "a", progress=False)
    straight.fit()
    first = Trainer(cfg, tmp_path / "b", progress=False)
    first.fit(until_step=13)  # mid-epoch; 13 is not a multiple of ADA's interval of 4
    resumed = Trainer(cfg, tmp_path / "b", resume=True, progress=False)
    resumed.fit()
    assert_same_weights(straight, resumed)
    assert [r["loss_d"] for r in read_log(tmp_path / "b")] == [r["loss_d"] for r in read_log(tmp_path / "a")]
    assert 0 < straight.recipe.augment.p < 1  # p moved, so the comparison above covers it
    run = gankit.load(tmp_path / "b")
    assert torch.equal(run.sample(4, seed=1), gankit.load(tmp_path / "a").sample(4, seed=1))
    assert all(torch.equal(a, b) for a, b in zip(run.recipe.D.state_dict().values(),
                                                 straight.recipe.D.state_dict().values()))
