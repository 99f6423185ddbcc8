"""StarGAN (Choi et al. 2018): one G for every target domain, D's domain head, n_critic, and a run end to end."""
import pytest
import torch

import gankit
from gankit.errors import GankitError
from gankit.losses import gradient_penalty
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


def _grads(net):
    return [p.grad.clone() for p in net.parameters()]


def _one_step(*settings):
    """One train_step (k = 1: a D step, then a G step) of a recipe with `settings`, and what a direct computation of
    G's objective needs: a copy of G as it started, D as the G step met it (D steps first; G's step leaves it), the
    batch, its domains and the target domains the step drew."""
    import copy
    recipe = _recipe("train.k=1", *settings)
    G = copy.deepcopy(recipe.G)
    x, c = tiny_data("domains").batch(torch.arange(6))
    torch.manual_seed(1)
    out = recipe.train_step(x, c, 0)
    torch.manual_seed(1)
    c_trg = c[torch.randperm(len(c))]
    return recipe, out, G, copy.deepcopy(recipe.D), x, c, c_trg


WEIGHTS = [(1.0, 10.0, 10.0), (2.5, 3.0, 0.5)]  # (lambda_cls, lambda_rec, lambda_gp): the paper's, and others


@pytest.mark.parametrize("lambda_cls, lambda_rec, lambda_gp", WEIGHTS)
def test_D_descends_wgan_plus_lambda_gp_GP_plus_lambda_cls_real_domain_cross_entropy(lambda_cls, lambda_rec,
                                                                                      lambda_gp):
    """Choi et al. eq. 5 with WGAN-GP: D_src(G(x, c)) - D_src(x) + lambda_gp GP + lambda_cls E[-log D_cls(c' | x)],
    computed here from the starting D with the step's own draws (the target shuffle, then GP's epsilon)."""
    import copy
    recipe = _recipe("train.k=1", f"stargan.lambda_cls={lambda_cls}", f"stargan.lambda_rec={lambda_rec}",
                     f"train.lambda_gp={lambda_gp}")
    G, D = copy.deepcopy(recipe.G), copy.deepcopy(recipe.D)
    x, c = tiny_data("domains").batch(torch.arange(6))
    torch.manual_seed(1)
    out = recipe.train_step(x, c, 0)
    torch.manual_seed(1)
    c_trg = c[torch.randperm(len(c))]
    fake = G(x, c_trg).detach()
    (real_src, real_cls), (fake_src, _) = D(x), D(fake)
    cls = torch.nn.functional.cross_entropy(real_cls, c)
    gp = gradient_penalty(D, x, fake)
    loss = fake_src.mean() - real_src.mean() + lambda_gp * gp + lambda_cls * cls
    loss.backward()
    assert out["gp"].item() == pytest.approx(gp.item(), rel=1e-5)
    assert out["loss_d"].item() == pytest.approx(loss.item(), rel=1e-5)
    for got, want in zip(_grads(recipe.D), _grads(D)):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("lambda_cls, lambda_rec, lambda_gp", WEIGHTS)
def test_G_descends_minus_D_src_plus_lambda_cls_target_cross_entropy_plus_lambda_rec_L1_reconstruction(
        lambda_cls, lambda_rec, lambda_gp):
    """Choi et al. eq. 6: -D_src(G(x, c)) + lambda_cls E[-log D_cls(c | G(x, c))] + lambda_rec ||x - G(G(x, c), c')||_1,
    computed here from the starting G and the D it met (D has stepped first)."""
    recipe, out, G, D, x, c, c_trg = _one_step(f"stargan.lambda_cls={lambda_cls}", f"stargan.lambda_rec={lambda_rec}",
                                               f"train.lambda_gp={lambda_gp}")
    fake = G(x, c_trg)
    fake_src, fake_cls = D(fake)
    rec = (G(fake, c) - x).abs().mean()
    cls = torch.nn.functional.cross_entropy(fake_cls, c_trg)
    loss = -fake_src.mean() + lambda_cls * cls + lambda_rec * rec
    loss.backward()
    assert out["loss_rec"].item() == pytest.approx(rec.item(), rel=1e-5)
    assert out["loss_cls_fake"].item() == pytest.approx(cls.item(), rel=1e-5)
    assert out["loss_g"].item() == pytest.approx(loss.item(), rel=1e-5)
    for got, want in zip(_grads(recipe.G), _grads(G)):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("weight", [1.0, 0.3])
def test_G_adds_the_weight_times_the_frozen_classifiers_cross_entropy_against_its_reading_of_the_source(weight):
    """stargan.semantic_weight (CyCADA's eq. 4 for many domains): G's objective is eq. 6 + weight *
    CE(f(G(x, c)), argmax f(x)) with f the shipped digit-styles classifier, loaded afresh here; f stays as shipped."""
    from gankit.metrics.translation import domain_classifier
    recipe, out, G, D, x, c, c_trg = _one_step(f"stargan.semantic_weight={weight}")
    f = domain_classifier("digit-styles").requires_grad_(False)
    fake = G(x, c_trg)
    fake_src, fake_cls = D(fake)
    plain = (-fake_src.mean() + torch.nn.functional.cross_entropy(fake_cls, c_trg) +
             10 * (G(fake, c) - x).abs().mean())
    semantic = torch.nn.functional.cross_entropy(f(fake), f(x).argmax(1))
    plain_grads = torch.autograd.grad(plain, list(G.parameters()), retain_graph=True)
    (plain + weight * semantic).backward()
    assert out["loss_semantic"].item() == pytest.approx(semantic.item(), rel=1e-5)
    assert out["loss_g"].item() == pytest.approx((plain + weight * semantic).item(), rel=1e-5)
    got = _grads(recipe.G)
    for g, w in zip(got, _grads(G)):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-5)
    assert max((g - p).abs().max().item() for g, p in zip(got, plain_grads)) > 1e-3
    shipped = f.state_dict()
    assert not recipe.classifier.training and not any(p.requires_grad for p in recipe.classifier.parameters())
    assert all(torch.equal(v, shipped[k]) for k, v in recipe.classifier.state_dict().items())


def test_model_arch_stargan_fullres_builds_G_without_strides_and_translates_at_the_inputs_size():
    recipe = _recipe("model.arch=stargan-fullres")
    convs = [m for m in recipe.G.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    assert convs and all(m.stride == (1, 1) for m in convs)
    assert any(m.stride == (2, 2) for m in _recipe().G.modules() if isinstance(m, torch.nn.Conv2d))  # the paper's G
    x = torch.rand(2, 3, 15, 15) * 2 - 1  # no padding to a multiple of 4 is needed
    assert recipe.G(x, torch.tensor([0, 2])).shape == (2, 3, 15, 15)
