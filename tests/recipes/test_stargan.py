"""StarGAN (Choi et al. 2018): one G for every target domain, D's domain head, n_critic, and a run end to end."""
import pytest
import torch

import gankit
from gankit.errors import GankitError
from gankit.recipes import StarGANRecipe
from translation_runs import check_resume_is_bit_identical, tiny_config, tiny_data


def _recipe(*overrides):
    torch.manual_seed(0)
    return StarGANRecipe.from_config(tiny_config("stargan", *overrides), (3, 16, 16), 3)


def test_G_moves_on_every_kth_step_and_D_learns_to_name_the_domains():
    recipe = _recipe("train.k=2", "train.lr_d=3e-3")
    x, c = tiny_data("domains").batch(torch.arange(12))
    x = x * 0.2 + torch.tensor([[1.0, -1, -1], [-1, 1, -1], [-1, -1, 1]])[c].view(-1, 3, 1, 1) * 0.8  # tint = domain
    g_moved = []
    first = None
    for step in range(30):
        before = [p.detach().clone() for p in recipe.G.parameters()]
        out = recipe.train_step(x, c, step)
        first = first if first is not None else out["loss_cls_real"].item()
        g_moved.append(any(not torch.equal(p, q) for p, q in zip(before, recipe.G.parameters())))
        assert ("loss_g" in out) == g_moved[-1]
    assert g_moved == [False, True] * 15
    assert {"gp", "loss_rec", "loss_cls_fake"} <= set(out)
    assert out["loss_cls_real"].item() < 0.5 * first  # D_cls learns to tell the tinted domains apart
    assert torch.equal(recipe.D(x)[1].argmax(1), c)


def test_translation_takes_a_domain_by_number_or_name():
    recipe = _recipe()
    recipe.domains = ["red", "green", "blue"]
    x, _ = tiny_data("domains").batch(torch.arange(2))
    assert torch.equal(recipe.translate(x, to="green"), recipe.translate(x, to=1))
    assert not torch.equal(recipe.translate(x, to=0), recipe.translate(x, to=1))  # the code reaches G's output
    with pytest.raises(GankitError, match="--to"):
        recipe.translate(x)
    with pytest.raises(GankitError, match="red, green, blue"):
        recipe.translate(x, to="purple")


@pytest.mark.slow
def test_a_few_step_run_saves_resumes_bit_identically_and_translates(tmp_path, assert_same_weights):
    run_dir = check_resume_is_bit_identical(tmp_path, "stargan", "domains", assert_same_weights)
    run = gankit.load(run_dir)
    x, _ = tiny_data("domains").batch(torch.arange(3))
    assert run.translate(x, to="blue").shape == (3, 3, 16, 16)
