"""pix2pix: the cGAN + L1 step of Isola et al. (2017), its D seeing (input, output) pairs, and a run end to end."""
import pytest
import torch

import gankit
from gankit.errors import GankitError
from gankit.recipes import Pix2PixRecipe
from translation_runs import check_resume_is_bit_identical, tiny_config, tiny_data


def _recipe(*overrides):
    torch.manual_seed(0)
    return Pix2PixRecipe.from_config(tiny_config("pix2pix", *overrides), ((1, 16, 16), (1, 16, 16)), 0)


def test_D_judges_the_input_stacked_with_the_output():
    recipe = _recipe()
    seen = []
    recipe.D.register_forward_hook(lambda module, args, out: seen.append(args[0].shape[1]))
    a, b = tiny_data("paired").batch(torch.arange(4))
    recipe.train_step(a, b, 0)
    assert seen and all(channels == 2 for channels in seen)  # 1 channel of x + 1 of y (or G(x))


def test_L1_alone_leaves_D_untouched_and_G_learns_the_mapping():
    """lambda_gan 0 is Table 1's 'L1' row: no adversarial term, so D is never trained. On inverted blobs (B = 255 - A)
    thirty steps of L1 must bring G's error on the training pairs well down."""
    recipe = _recipe("train.lambda_gan=0", "train.lr_g=2e-3")
    data = tiny_data("paired")
    a, b = data.batch(torch.arange(16))
    d_before = [p.detach().clone() for p in recipe.D.parameters()]
    first = recipe.train_step(a, b, 0)["loss_l1"].item()
    for step in range(1, 30):
        out = recipe.train_step(a, b, step)
    assert "loss_d" not in out and "loss_g_gan" not in out
    assert all(torch.equal(p, q) for p, q in zip(d_before, recipe.D.parameters()))
    assert (recipe.translate(a) - b).abs().mean() < 0.5 * first


def test_the_G_step_trains_G_only_and_reports_the_paper_terms():
    recipe = _recipe()
    a, b = tiny_data("paired").batch(torch.arange(4))
    out = recipe.train_step(a, b, 0)
    assert {"loss_d", "loss_g", "loss_g_gan", "loss_l1"} <= set(out)
    assert out["loss_g"].item() == pytest.approx(out["loss_g_gan"].item() + 100 * out["loss_l1"].item(), rel=1e-5)
    assert all(p.requires_grad for p in recipe.D.parameters())  # unfrozen again after G's step


def test_translation_is_deterministic_and_only_AtoB():
    recipe = _recipe()
    a, _ = tiny_data("paired").batch(torch.arange(4))
    out = recipe.translate(a)
    assert out.shape == a.shape and out.abs().max() <= 1
    assert torch.equal(out, recipe.translate(a))  # eval mode: no dropout noise
    with pytest.raises(GankitError, match="A to B only"):
        recipe.translate(a, direction="BtoA")
    with pytest.raises(GankitError, match="1 channel"):
        recipe.translate(torch.zeros(2, 3, 16, 16))


@pytest.mark.slow
def test_a_few_step_run_saves_resumes_bit_identically_and_translates(tmp_path, assert_same_weights):
    run_dir = check_resume_is_bit_identical(tmp_path, "pix2pix", "paired", assert_same_weights)
    run = gankit.load(run_dir)
    a, _ = tiny_data("paired").batch(torch.arange(3))
    assert run.translate(a).shape == (3, 1, 16, 16)


@pytest.mark.slow
def test_the_rate_stays_constant_for_half_the_run_then_falls_linearly_to_zero(tmp_path):
    """train.lr_constant 0.5 with lr_decay linear: the authors' niter epochs at the full rate, then niter_decay."""
    from gankit.training import Trainer

    cfg = tiny_config("pix2pix", "train.steps=8")
    trainer = Trainer(cfg, tmp_path / "run", progress=False, data=tiny_data("paired"))
    rates, step = [], trainer.recipe.train_step

    def remember_rate(x, y, s):
        rates.append((trainer.recipe.optimizers["G"].param_groups[0]["lr"],
                      trainer.recipe.optimizers["D"].param_groups[0]["lr"]))
        return step(x, y, s)

    trainer.recipe.train_step = remember_rate
    trainer.fit()
    expected = [1 - max(s - 4, 0) / 4 for s in range(8)]  # 1 1 1 1 1 .75 .5 .25
    assert [g for g, _ in rates] == pytest.approx([cfg.train.lr_g * f for f in expected])
    assert [d for _, d in rates] == pytest.approx([cfg.train.lr_d * f for f in expected])
