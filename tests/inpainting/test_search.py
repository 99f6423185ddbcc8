import pytest
import torch

import gankit
from gankit.data import load_dataset
from gankit.errors import GankitError
from gankit.inpainting import inpaint, masks
from gankit.inpainting.search import _best_starts, _hole_psnr, _weighted_l1
from gankit.latent.codes import decode


@pytest.fixture(scope="module")
def run(tiny_run):
    return gankit.load(tiny_run)


@pytest.mark.parametrize("kind", ["center", "random"])
def test_a_code_is_recovered_from_part_of_its_own_image(run, kind):
    target = run.sample(4, seed=7)
    m = masks.make(kind, 28)
    result = inpaint(run, target, m, iters=400, restarts=4, seed=1, originals=target, progress=False)
    unrelated = _hole_psnr(run.sample(4, seed=8), target, m.expand(4, 1, 28, 28))  # another sample: the baseline
    assert (unrelated < 25).all(), unrelated
    assert (result.hole_psnr >= 30).all(), result.hole_psnr
    assert torch.allclose(result.z.norm(dim=1), torch.full((4,), 8 ** 0.5), rtol=1e-4)  # on the prior's sphere
    assert torch.allclose(result.generated, decode(run, result.z), atol=1e-5)
    assert torch.equal(result.filled[:, :, m == 1], target[:, :, m == 1])  # known pixels are kept as they were


def test_a_result_does_not_depend_on_the_other_images_in_the_batch(run):
    x, _ = load_dataset("digits", n=4, seed=2).batch(torch.arange(4))
    m = masks.center(28)
    for method in ("yeh", "fast"):
        together = inpaint(run, x, m, method=method, iters=20, restarts=3, seed=10, progress=False)
        alone = inpaint(run, x[2:3], m, method=method, iters=20, restarts=3, seed=12, progress=False)  # seed + i
        assert torch.allclose(alone.z, together.z[2:3], atol=1e-4)
        assert torch.allclose(alone.filled, together.filled[2:3], atol=1e-4)
        assert torch.allclose(alone.loss[:, 0], together.loss[:, 2], rtol=1e-4)


@pytest.mark.parametrize("seed", range(5))
def test_best_of_n_never_starts_worse_than_a_single_draw(run, seed):
    x, _ = load_dataset("digits", n=3, seed=seed).batch(torch.arange(3))
    m = masks.make("pattern", 28, seed=seed)
    M = m.expand(3, 1, 28, 28)
    W = masks.weights(M)

    def start_loss(z):  # the contextual loss of each image's best start
        g = decode(run, z.flatten(0, 1)).view(3, -1, 1, 28, 28)
        return torch.stack([_weighted_l1(g[i], x[i:i + 1], W[i:i + 1]).min() for i in range(3)])

    single = _best_starts(run, x, M, "yeh", 1, 1, seed, None)
    best_of_n = _best_starts(run, x, M, "fast", 1, 16, seed, None)
    assert torch.allclose(best_of_n.norm(dim=-1), single.norm(dim=-1))  # both on the sphere
    assert (start_loss(best_of_n) <= start_loss(single)).all()


def test_the_result_carries_curves_metrics_and_a_blend(run):
    x, _ = load_dataset("digits", n=2, seed=4).batch(torch.arange(2))
    result = inpaint(run, x, masks.half(28), method="fast", iters=5, restarts=2, blend=True, originals=x,
                     progress=False)
    assert result.loss.shape == (6, 2) and result.psnr_hole.shape == (6, 2)
    assert result.psnr.shape == (2,) and result.ssim.shape == (2,)
    assert result.blended.shape == x.shape
    assert result.notes == []
    without = inpaint(run, x, masks.half(28), iters=1, restarts=1, progress=False)
    assert without.psnr is None and without.blended is None


def test_bad_inputs_are_refused_in_one_line(run):
    x = torch.zeros(2, 1, 28, 28)
    cases = [(torch.zeros(1, 3, 28, 28), masks.center(28), "do not fit run"),
             (x, masks.center(32), "do not fit images"),
             (x, torch.ones(28, 28), "hides nothing"),
             (x, torch.zeros(28, 28), "hides everything")]
    for images, m, message in cases:
        with pytest.raises(GankitError, match=message):
            inpaint(run, images, m, iters=1, progress=False)
    with pytest.raises(GankitError, match="unknown inpainting method"):
        inpaint(run, x, masks.center(28), method="slow", progress=False)


def test_a_run_without_a_discriminator_uses_the_contextual_loss_alone(tmp_path):
    from gankit.config import load_config
    from gankit.training import Trainer

    overrides = ["data.n=320", "model.arch=vae-mlp", "model.z_dim=8", "model.width=16", "model.depth=1",
                 "train.steps=5", "train.grid_size=16"]
    Trainer(load_config("vae-digits", overrides=overrides), tmp_path / "vae", progress=False).fit()
    vae = gankit.load(tmp_path / "vae")
    x, _ = load_dataset("digits", n=2, seed=0).batch(torch.arange(2))
    result = inpaint(vae, x, masks.center(28), iters=3, restarts=2, progress=False)
    assert result.notes == ["this run has no discriminator: the contextual loss alone is minimised"]
    assert result.filled.shape == x.shape


def test_run_inpaint_is_the_library_call(run):
    x, m = run.sample(2, seed=3), masks.make("half", 28)
    a = run.inpaint(x, m, method="fast", iters=3, restarts=2, seed=5, progress=False)
    b = inpaint(run, x, m, method="fast", iters=3, restarts=2, seed=5, progress=False)
    assert torch.equal(a.filled, b.filled) and torch.equal(a.z, b.z)


def test_inpainting_leaves_the_callers_nets_in_the_modes_it_found_them(run):
    G, D = run.G, run.recipe.D
    first = next(D.parameters())
    G.train(), D.eval(), first.requires_grad_(False)  # a caller's choices, none of them inpainting's
    try:
        inpaint(run, run.sample(2, seed=3), masks.center(28), method="fast", iters=2, restarts=2, progress=False)
        assert G.training and not D.training
        assert all(p.requires_grad for p in G.parameters())
        assert not first.requires_grad and all(p.requires_grad for p in list(D.parameters())[1:])
    finally:
        G.eval(), first.requires_grad_(True)


def test_a_run_that_draws_no_images_from_z_cannot_be_inpainted(tmp_path):
    from gankit.config import load_config
    from gankit.training import Trainer

    path = tmp_path / "toy"
    Trainer(load_config("toy-ring-r1", overrides=["train.steps=1", "data.n=64", "train.batch_size=32"]), path,
            progress=False).fit()
    with pytest.raises(GankitError, match="generates points, not images: inpaint needs images"):
        inpaint(gankit.load(path), torch.zeros(1, 2), torch.ones(1, 2), progress=False)


@pytest.mark.parametrize("lam", [0.003, 0.5])
def test_the_search_minimises_W_weighted_L1_plus_lambda_log_one_minus_D(run, lam):
    """Yeh et al. eq. 4: sum W ⊙ |G(z) - x| + lambda log(1 - D(G(z))), with W the neighbourhood weights of eq. 2
    (known pixels by the share of missing ones around them), not the plain mask: the objective the result reports
    for its code is that one, computed here directly."""
    from gankit.recipes.base import evaluating

    x, _ = load_dataset("digits", n=2, seed=5).batch(torch.arange(2))
    m = masks.center(28)
    result = inpaint(run, x, m, iters=3, restarts=2, seed=3, lam=lam, progress=False)
    M = m.expand(2, 1, 28, 28)
    g = decode(run, result.z)
    assert run.recipe.loss in ("minimax", "nonsaturating")  # D's output is a probability's logit
    with evaluating(run.recipe.D):
        d = torch.sigmoid(run.recipe.D(g).double().reshape(2))
    contextual = (masks.weights(M) * (g - x)).abs().flatten(1).sum(1).double()
    perceptual = torch.log(1 - d)
    torch.testing.assert_close(result.loss[-1].double(), contextual + lam * perceptual, rtol=1e-4, atol=1e-4)
    plain = (M * (g - x)).abs().flatten(1).sum(1).double() + lam * perceptual
    assert ((plain - result.loss[-1]).abs() > 1).all()  # the plain mask would give another objective

