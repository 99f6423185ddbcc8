"""The GAN recipe: Algorithm 1's schedule of D and G steps, and recipes built from a user's own nets."""
import pytest
import torch
from torch import nn

import gankit
from gankit.config import TrainConfig, load_config
from gankit.data import sample_toy
from gankit.errors import GankitError
from gankit.recipes import GANRecipe, GANSettings


def _params(module: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _changed(before: list[torch.Tensor], module: nn.Module) -> bool:
    return any(not torch.equal(a, b) for a, b in zip(before, module.parameters()))


def test_with_k_3_G_moves_on_every_third_step_and_the_G_step_leaves_Ds_gradient_alone():
    cfg = load_config("toy-ring", overrides=["train.k=3", "model.width=16"])
    torch.manual_seed(0)
    recipe = GANRecipe.from_config(cfg, (2,), 0)
    d_step = recipe.d_step
    d_grads = {}

    def d_step_then_remember_grads(*args):
        out = d_step(*args)
        d_grads["after D step"] = [p.grad.clone() for p in recipe.D.parameters()]
        return out

    recipe.d_step = d_step_then_remember_grads
    x = sample_toy("ring8", 64, seed=0).x
    g_moved, d_moved = [], []
    for step in range(9):
        g_before, d_before = _params(recipe.G), _params(recipe.D)
        out = recipe.train_step(x, None, step)
        g_moved.append(_changed(g_before, recipe.G))
        d_moved.append(_changed(d_before, recipe.D))
        assert ("loss_g" in out) == g_moved[-1]
        # The G step's backward pass reaches G through D, but leaves D's gradients as the D step left them.
        for after_d, now in zip(d_grads["after D step"], recipe.D.parameters()):
            assert torch.equal(after_d, now.grad)
    assert g_moved == [False, False, True] * 3  # steps 3, 6, 9 counted from 1
    assert all(d_moved)


def test_the_G_step_reuses_the_D_steps_G_of_z():
    """One forward pass of G per call, whether or not a G step follows (pytorch/examples' DCGAN does the same)."""
    cfg = load_config("toy-ring", overrides=["train.k=1", "model.width=16"])
    recipe = GANRecipe.from_config(cfg, (2,), 0)
    calls = []
    recipe.G.register_forward_hook(lambda *_: calls.append(1))
    recipe.train_step(sample_toy("ring8", 64, seed=0).x, None, 0)
    assert len(calls) == 1


class PlainG(nn.Module):
    """A user's generator: takes z alone, knows nothing of gankit."""
    z_dim = 4

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))

    def forward(self, z):
        return self.net(z)


@pytest.mark.slow
def test_own_nets_train_with_the_full_trainer_resume_and_load(tmp_path):
    torch.manual_seed(0)
    G = PlainG()
    D = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
    x = sample_toy("ring8", 8192, seed=0).x
    distance = lambda points: (points.norm(dim=1) - 2).abs().mean().item()  # the modes sit on the circle of radius 2
    with torch.no_grad():
        before = distance(G(torch.randn(1000, 4)))
    run = gankit.train(G, D, x, tmp_path / "mine", steps=150, batch_size=128, lr_g=2e-3, lr_d=2e-3, beta1=0.0,
                       threads=1, grid_size=200, progress=False)
    assert run.step == 150 and (tmp_path / "mine" / "samples" / "final.png").is_file()
    assert "custom" in (tmp_path / "mine" / "config.yaml").read_text()
    run = gankit.train(G, D, x, tmp_path / "mine", resume=True, steps=300, progress=False)
    assert run.step == 300
    after = distance(run.sample(1000, seed=0))
    assert after < 0.5 * before
    with pytest.raises(GankitError, match="nets passed from Python"):
        gankit.load(tmp_path / "mine")
    again = gankit.load(tmp_path / "mine", recipe=GANRecipe(PlainG(), D))
    assert torch.equal(again.sample(10, seed=1), run.sample(10, seed=1))
    with pytest.raises(GankitError, match="train.loss cannot change when resuming"):
        gankit.train(G, D, x, tmp_path / "mine", resume=True, loss="hinge", progress=False)


def test_a_G_without_z_dim_is_a_clear_error():
    with pytest.raises(GankitError, match="z_dim"):
        GANRecipe(nn.Linear(3, 2), nn.Linear(2, 1), TrainConfig())
    assert GANRecipe(nn.Linear(3, 2), nn.Linear(2, 1), z_dim=3).z_dim == 3


def test_a_run_loaded_to_sample_builds_no_optimizer(tmp_path, tiny_digits_config):
    from gankit.training import Trainer

    Trainer(tiny_digits_config("train.steps=2"), tmp_path / "run", progress=False).fit()
    run = gankit.load(tmp_path / "run")
    assert "optimizers" not in vars(run.recipe)  # made on first use only, and sampling never uses them
    run.sample(4)
    assert "optimizers" not in vars(run.recipe)


def test_compile_leaves_D_eager_where_a_penalty_needs_double_backward():
    from gankit.models import ToyDiscriminator, ToyGenerator

    # torch.compile supports no double backward: WGAN-GP and R1 differentiate D's gradient, so their D stays eager.
    for train, gan, d_compiled in (({}, {}, True), ({}, {"r1": 1.0}, False), ({"loss": "wgan-gp"}, {}, False),
                                   ({}, {"r1": 1.0, "r1_every": 16}, True)):  # lazy R1: eager on its penalty steps
        recipe = GANRecipe(ToyGenerator(), ToyDiscriminator(), TrainConfig(compile=True, **train),
                           settings=GANSettings(**gan))
        settings = train | gan
        assert recipe.G_fwd is not recipe.G and (recipe.D_fwd is not recipe.D) == d_compiled, settings


@pytest.mark.parametrize("gamma, every", [(0.2, 4), (1.0, 3)])
def test_lazy_r1_weights_the_penalty_by_its_interval_on_every_nth_d_step_and_adds_nothing_between(gamma, every):
    """gan.r1_every = N (StyleGAN2's lazy regularisation): D's gradient is that of L_D + N gamma/2 E||grad D(x)||^2
    on steps 0, N, 2N, ... and that of L_D alone on the others, each computed here directly."""
    from gankit.losses import d_loss
    from gankit.models import ToyDiscriminator, ToyGenerator

    torch.manual_seed(0)
    recipe = GANRecipe(ToyGenerator(), ToyDiscriminator(), TrainConfig(lr_d=1e-12, lr_g=1e-12),
                       settings=GANSettings(r1=gamma, r1_every=every))
    x = sample_toy("ring8", 32, seed=0).x
    for step in range(every + 1):
        fake = torch.randn(32, 2)
        recipe.d_step(x, fake, None, step % every == 0)
        got = [p.grad.clone() for p in recipe.D.parameters()]
        real = x.clone().requires_grad_(True)
        logits = recipe.D(real)
        loss = d_loss("nonsaturating", logits, recipe.D(fake))
        if step % every == 0:
            (grad_x,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
            loss = loss + every * gamma / 2 * grad_x.pow(2).sum(1).mean()
        want = torch.autograd.grad(loss, list(recipe.D.parameters()))
        assert all(torch.allclose(g, w, atol=1e-6) for g, w in zip(got, want)), step


def test_lazy_r1_puts_the_penalty_on_steps_0_n_2n():
    torch.manual_seed(0)
    cfg = load_config("toy-ring", overrides=["gan.r1=0.5", "gan.r1_every=3", "model.width=16"])
    recipe = GANRecipe.from_config(cfg, (2,), 0)
    x = sample_toy("ring8", 64, seed=0).x
    assert ["r1" in recipe.train_step(x, None, step) for step in range(7)] == [True, False, False, True, False,
                                                                              False, True]
