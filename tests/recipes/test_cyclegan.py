"""CycleGAN (Zhu et al. 2017): the image pool, the cycle and identity losses, and a run end to end."""
import pytest
import torch
from torch import nn

import gankit
from gankit.errors import GankitError
from gankit.recipes import CycleGANRecipe
from gankit.recipes.cyclegan import ImagePool
from translation_runs import check_resume_is_bit_identical, tiny_config, tiny_data


def test_the_pool_returns_its_inputs_until_full_then_an_old_image_half_the_time():
    torch.manual_seed(0)
    pool = ImagePool(50, (1, 2, 2))
    first = torch.arange(50.0).view(50, 1, 1, 1).expand(-1, 1, 2, 2)
    assert torch.equal(pool.query(first), first)  # filling up: every fake comes straight back
    assert int(pool.count) == 50 and torch.equal(pool.images, first)
    old = 0
    for i in range(40):  # 40 batches of 50 new images, each marked with its own value >= 1000
        new = (1000 + 50 * i + torch.arange(50.0)).view(50, 1, 1, 1).expand(-1, 1, 2, 2)
        out = pool.query(new)
        swapped = ~(out == new).flatten(1).all(1)
        old += int(swapped.sum())
        assert (out[swapped] < new[swapped]).all()  # what comes back instead is an image that went in before
    assert old / 2000 == pytest.approx(0.5, abs=0.04)  # 2000 draws: the standard error is 0.011


def test_without_a_pool_a_run_trains_D_on_the_newest_fakes_detached_from_G(tmp_path):
    """pool_size 0 (the paper's ablation of the pool) once handed D G's own graph, which G's step had freed."""
    from gankit.training import Trainer
    fakes = torch.ones(2, 1, 2, 2, requires_grad=True) * 2
    assert not ImagePool(0, (1, 2, 2)).query(fakes).requires_grad
    Trainer(tiny_config("cyclegan", "cyclegan.pool_size=0"), tmp_path / "run", progress=False,
            data=tiny_data("unpaired")).fit()
    assert (tmp_path / "run" / "checkpoints" / "latest.json").is_file()


def test_the_pool_is_in_the_checkpoint_as_buffers():
    pool = ImagePool(3, (1, 2, 2))
    pool.query(torch.ones(2, 1, 2, 2))
    state = pool.state_dict()
    assert set(state) == {"images", "count"} and int(state["count"]) == 2
    assert ImagePool(0, (1, 2, 2)).query(torch.ones(2, 1, 2, 2)).equal(torch.ones(2, 1, 2, 2))  # size 0: no pool


class Same(nn.Module):
    """An identity generator that still has a parameter for Adam to hold."""
    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x + 0 * self.unused


def test_cycle_and_identity_losses_are_zero_for_identity_generators_and_not_otherwise():
    cfg = tiny_config("cyclegan", "train.lambda_identity=0.5")
    D_A, D_B = nn.Conv2d(3, 1, 4), nn.Conv2d(3, 1, 4)
    recipe = CycleGANRecipe(Same(), Same(), D_A, D_B, cfg.train, shapes=((3, 16, 16), (3, 16, 16)))
    a, b = tiny_data("domains").batch(torch.arange(4))[0], tiny_data("domains", seed=1).batch(torch.arange(4))[0]
    out = recipe.train_step(a, b, 0)
    assert out["loss_cycle"].item() == 0 and out["loss_identity"].item() == 0
    recipe.G = nn.Sequential(Same(), nn.Tanh())  # no longer the identity: both losses see it
    out = recipe.train_step(a, b, 1)
    assert out["loss_cycle"].item() > 0.01 and out["loss_identity"].item() > 0.01


def test_the_identity_loss_is_refused_when_A_and_B_differ_in_channels():
    with pytest.raises(GankitError, match="lambda_identity=0"):
        CycleGANRecipe.from_config(tiny_config("cyclegan", "train.lambda_identity=0.5"), ((1, 16, 16), (3, 16, 16)),
                                   0)


def test_unpaired_batches_are_a_function_of_the_index_and_cover_both_domains():
    data = tiny_data("unpaired")  # 16 A, 20 B
    assert len(data) == 20
    a1, b1 = data.batch(torch.arange(20))
    a2, b2 = tiny_data("unpaired").batch(torch.arange(20))
    assert torch.equal(b1, b2) and torch.equal(a1, a2)
    assert len({tuple(x.flatten().tolist()) for x in b1}) == 20  # every B image once per pass over the slots


@pytest.mark.slow
def test_a_few_step_run_saves_resumes_bit_identically_and_translates_both_ways(tmp_path, assert_same_weights):
    run_dir = check_resume_is_bit_identical(tmp_path, "cyclegan", "unpaired", assert_same_weights)
    assert (run_dir / "samples" / "BtoA-final.png").is_file()
    run = gankit.load(run_dir)
    a, b = tiny_data("unpaired").batch(torch.arange(3))
    assert run.translate(a).shape == (3, 3, 16, 16)
    assert run.translate(b, direction="BtoA").shape == (3, 1, 16, 16)
    # gray images for the RGB side are read as RGB gray (the folder loader's conversion too); other counts are refused
    torch.testing.assert_close(run.translate(a, direction="BtoA"),
                               run.translate(a.expand(-1, 3, -1, -1), direction="BtoA"))
    with pytest.raises(GankitError, match="3 channel"):
        run.translate(b[:, :2], direction="BtoA")


def test_the_presets_carry_the_papers_settings():
    """lambda_L1 100 (Isola et al.); lambda 10, least squares, pool 50 (Zhu et al.); lambda_rec 10, WGAN-GP (Choi et
    al.; the rate is 4 times theirs, lambda_cls 3 and n_critic 3 for a CPU budget: docs/translation.md); Adam
    beta1 0.5 and a constant-then-linear rate in all."""
    from gankit.config import load_config

    pc = load_config("edges2digits-pix2pix")
    p = pc.train
    assert (p.recipe, p.loss, pc.pix2pix.lambda_l1, pc.pix2pix.lambda_gan, p.lr_g, p.lr_d) == (
        "pix2pix", "nonsaturating", 100, 1, 2e-4, 2e-4)
    cc = load_config("digits2colour-cyclegan")
    c = cc.train
    assert (c.recipe, c.loss, cc.cyclegan.lambda_cycle, cc.cyclegan.pool_size, c.lr_g) == (
        "cyclegan", "lsgan", 10, 50, 2e-4)
    # the settings that keep the digit (docs/translation.md): identity loss 1 on A as RGB gray, no B -> A -> B cycle
    assert (cc.data.channels, cc.cyclegan.lambda_identity, cc.cyclegan.lambda_cycle_b) == (3, 1, 0)
    sc = load_config("digit-styles-stargan")
    s = sc.train
    assert (s.recipe, s.loss, sc.stargan.lambda_rec, s.lambda_gp, s.lr_g) == ("stargan", "wgan-gp", 10, 10, 4e-4)
    # what keeps the digit and the style here (docs/translation.md): G at full resolution, lambda_cls 3 (the paper's
    # 1), 3 D steps per G step (the paper's 5)
    assert (sc.model.arch, sc.stargan.lambda_cls, s.k) == ("stargan-fullres", 3, 3)
    for t in (p, c, s, load_config("colourise-pix2pix").train):
        assert (t.beta1, t.beta2, t.lr_decay, t.lr_constant) == (0.5, 0.999, "linear", 0.5)


def _grads(*nets):
    return [p.grad.clone() for net in nets for p in net.parameters()]


def _cyclegan(*overrides):
    """A tiny CycleGAN from the tiny config, its nets' starting copies, and an unpaired batch (a gray, b colour)."""
    import copy
    torch.manual_seed(0)
    recipe = CycleGANRecipe.from_config(tiny_config("cyclegan", *overrides), ((1, 16, 16), (3, 16, 16)), 0)
    start = {name: copy.deepcopy(net) for name, net in recipe.modules.items()}
    a, b = tiny_data("unpaired").batch(torch.arange(4))
    return recipe, start, a, b


@pytest.mark.parametrize("lambda_cycle, lambda_cycle_b", [(10.0, None), (3.0, None), (10.0, 1.0), (10.0, 0.0)])
def test_G_and_F_descend_least_squares_GAN_plus_lambda_times_the_L1_cycle_loss(lambda_cycle, lambda_cycle_b):
    """Zhu et al. eq. 3: L_GAN(G, D_B) + L_GAN(F, D_A) + lambda_A ||F(G(a)) - a||_1 + lambda_B ||G(F(b)) - b||_1,
    lambda_B = lambda_A unless cyclegan.lambda_cycle_b is set, computed here from the starting nets; the gradient G
    and F stepped on is that objective's."""
    recipe, start, a, b = _cyclegan(f"cyclegan.lambda_cycle={lambda_cycle}",
                                    f"cyclegan.lambda_cycle_b={'null' if lambda_cycle_b is None else lambda_cycle_b}")
    out = recipe.train_step(a, b, 0)
    G, F, D_A, D_B = (start[k] for k in ("G", "F", "D_A", "D_B"))
    fake_b, fake_a = G(a), F(b)
    cycle_a, cycle_b = (F(fake_b) - a).abs().mean(), (G(fake_a) - b).abs().mean()
    gan = 0.5 * ((D_B(fake_b) - 1) ** 2).mean() + 0.5 * ((D_A(fake_a) - 1) ** 2).mean()
    objective = gan + lambda_cycle * cycle_a + (lambda_cycle if lambda_cycle_b is None else lambda_cycle_b) * cycle_b
    objective.backward()
    assert out["loss_cycle"].item() == pytest.approx((cycle_a + cycle_b).item(), rel=1e-5)
    assert out["loss_g"].item() == pytest.approx(objective.item(), rel=1e-5)
    for got, want in zip(_grads(recipe.G, recipe.F), _grads(G, F)):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-7)


def test_a_negative_lambda_cycle_b_is_refused_in_one_line():
    from gankit.config import load_config

    with pytest.raises(GankitError, match="cyclegan.lambda_cycle_b must not be negative"):
        CycleGANRecipe.validate(load_config("digits2colour-cyclegan", overrides=["cyclegan.lambda_cycle_b=-1"]))


class StalePool(nn.Module):
    """A pool that keeps what it is given and always hands back the same old images."""
    def __init__(self, old):
        super().__init__()
        self.old, self.given = old, None

    def query(self, fakes):
        self.given = fakes.detach().clone()
        return self.old


def test_D_A_and_D_B_learn_from_the_pools_images_not_the_newest_fakes():
    """(2) of the step: 1/2 (L_lsgan(D_B; b, pool_B(G(a))) + L_lsgan(D_A; a, pool_A(F(b)))): the pools are given the
    newest fakes and D's gradient is that of the images they return."""
    recipe, start, a, b = _cyclegan()
    old_a, old_b = -torch.ones(4, 1, 16, 16), torch.linspace(-1, 1, 4 * 3 * 16 * 16).view(4, 3, 16, 16)
    recipe.pool_A, recipe.pool_B = StalePool(old_a), StalePool(old_b)
    recipe.train_step(a, b, 0)
    G, F, D_A, D_B = (start[k] for k in ("G", "F", "D_A", "D_B"))
    torch.testing.assert_close(recipe.pool_B.given, G(a).detach())
    torch.testing.assert_close(recipe.pool_A.given, F(b).detach())

    def lsgan(D, real, fake):
        return 0.5 * ((D(real) - 1) ** 2).mean() + 0.5 * (D(fake) ** 2).mean()

    (0.5 * (lsgan(D_B, b, old_b) + lsgan(D_A, a, old_a))).backward()
    for got, want in zip(_grads(recipe.D_A, recipe.D_B), _grads(D_A, D_B)):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-7)


def _semantic_loss_directly(G, F, a, b):
    """CyCADA eq. 4 from scratch: the shipped digits classifier reads A (gray), the colour-digits one B."""
    from gankit.metrics.translation import domain_classifier
    f_A, f_B = (domain_classifier(name).requires_grad_(False) for name in ("digits", "colour-digits"))
    return (torch.nn.functional.cross_entropy(f_B(G(a)), f_A(a).argmax(1)) +
            torch.nn.functional.cross_entropy(f_A(F(b)), f_B(b).argmax(1)))


@pytest.mark.parametrize("weight", [1.0, 0.3])
def test_G_and_F_descend_the_plain_objective_plus_the_weight_times_the_frozen_classifiers_cross_entropy(weight):
    """cyclegan.semantic_weight (Hoffman et al. 2018, eq. 4): the gradient G and F step on is that of the plain
    CycleGAN objective + weight * (CE(f_B(G(a)), argmax f_A(a)) + CE(f_A(F(b)), argmax f_B(b))), computed here with
    freshly loaded shipped classifiers; and the semantic part moves the gradient (the plain one alone is refused)."""
    recipe, start, a, b = _cyclegan(f"cyclegan.semantic_weight={weight}")
    out = recipe.train_step(a, b, 0)
    G, F, D_A, D_B = (start[k] for k in ("G", "F", "D_A", "D_B"))
    fake_b, fake_a = G(a), F(b)
    plain = (0.5 * ((D_B(fake_b) - 1) ** 2).mean() + 0.5 * ((D_A(fake_a) - 1) ** 2).mean() +
             10 * ((F(fake_b) - a).abs().mean() + (G(fake_a) - b).abs().mean()))
    semantic = _semantic_loss_directly(G, F, a, b)
    assert out["loss_semantic"].item() == pytest.approx(semantic.item(), rel=1e-5)
    assert out["loss_g"].item() == pytest.approx((plain + weight * semantic).item(), rel=1e-5)
    params = [p for net in (G, F) for p in net.parameters()]
    plain_grads = torch.autograd.grad(plain, params, retain_graph=True)
    (plain + weight * semantic).backward()
    got, want = _grads(recipe.G, recipe.F), _grads(G, F)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-4)  # float32 sums in another order; |grad| up to 16
    assert max((g - p).abs().max().item() for g, p in zip(got, plain_grads)) > 1e-3


def test_the_semantic_classifiers_are_frozen_and_stay_as_shipped_after_steps():
    from gankit.metrics.translation import domain_classifier
    recipe, _, a, b = _cyclegan("cyclegan.semantic_weight=1")
    for step in range(3):
        recipe.train_step(a, b, step)
    for f, name in zip(recipe.classifiers, ("digits", "colour-digits")):
        shipped = domain_classifier(name).state_dict()
        assert not f.training and all(not p.requires_grad and p.grad is None for p in f.parameters())
        assert all(torch.equal(v, shipped[k]) for k, v in f.state_dict().items())
    assert "classifiers" not in recipe.modules and not any("classifier" in k for k in recipe.modules)


def test_the_semantic_classifier_can_be_a_users_file_and_a_wrong_one_is_refused_in_one_line(tmp_path):
    from safetensors.torch import save_file
    from gankit.metrics.classifier import Classifier
    torch.manual_seed(3)
    mine = Classifier(10, 32, in_channels=3)
    save_file(mine.state_dict(), str(tmp_path / "mine.safetensors"))
    recipe, _, a, b = _cyclegan("cyclegan.semantic_weight=1", f"cyclegan.semantic_classifier={tmp_path}/mine.safetensors")
    f_A, f_B = recipe.classifiers
    assert f_A is f_B and torch.equal(f_A.classifier.head.weight, mine.head.weight)  # one f for both, as CyCADA
    (tmp_path / "bad.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(GankitError, match="bad.safetensors is not a gankit Classifier"):
        _cyclegan("cyclegan.semantic_weight=1", f"cyclegan.semantic_classifier={tmp_path}/bad.safetensors")
    with pytest.raises(GankitError, match="semantic_classifier=FILE"):
        _cyclegan("cyclegan.semantic_weight=1", "data.name=folder")


@pytest.mark.slow
def test_a_semantic_run_resumes_bit_identically_and_loads_without_training_its_classifiers(tmp_path,
                                                                                            assert_same_weights):
    from gankit.training import Trainer
    cfg = tiny_config("cyclegan", "train.checkpoint_every=2", "cyclegan.semantic_weight=1")
    straight = Trainer(cfg, tmp_path / "straight", progress=False, data=tiny_data("unpaired"))
    straight.fit()
    Trainer(cfg, tmp_path / "resumed", progress=False, data=tiny_data("unpaired")).fit(until_step=2)
    resumed = Trainer(cfg, tmp_path / "resumed", resume=True, progress=False, data=tiny_data("unpaired"))
    resumed.fit()
    assert_same_weights(straight, resumed)
    run = gankit.load(tmp_path / "resumed")
    assert run.recipe.classifiers is not None and run.translate(tiny_data("unpaired").batch(torch.arange(2))[0]).shape \
        == (2, 3, 16, 16)
    assert not any(p.name.startswith("classifier") for p in (tmp_path / "resumed" / "checkpoints").rglob("*"))


def test_the_semantic_preset_carries_the_cycada_authors_digit_settings():
    """jhoffman/cycada_release, train_cycada.sh: --lambda_A 1 --lambda_B 1 --lambda_identity 0 --no_flip."""
    from gankit.config import load_config
    cfg = load_config("digits2colour-cyclegan-semantic")
    c = cfg.cyclegan
    assert (c.semantic_weight, c.semantic_classifier, c.lambda_cycle, c.lambda_identity) == (1, "", 1, 0)
    plain = load_config("digits2colour-cyclegan")
    assert cfg.model == plain.model and cfg.train == plain.train and cfg.data.name == plain.data.name
    assert cfg.data.channels is None and c.lambda_cycle_b is None  # A gray, both cycles: as its rows measured it


def test_gray_images_given_to_a_net_that_reads_rgb_gray_are_repeated_over_the_channels():
    torch.manual_seed(0)
    recipe = CycleGANRecipe.from_config(tiny_config("cyclegan", "cyclegan.lambda_identity=0.5"),
                                        ((3, 16, 16), (3, 16, 16)), 0)  # A as RGB gray, as digits2colour-cyclegan
    gray = torch.rand(2, 1, 16, 16) * 2 - 1
    torch.testing.assert_close(recipe.translate(gray), recipe.translate(gray.expand(-1, 3, -1, -1)))
    with pytest.raises(GankitError, match="must have 3 channel"):  # two channels are not gray: refused as before
        recipe.translate(torch.rand(2, 2, 16, 16))


def test_a_run_with_a_noise_input_resumes_bit_identically_and_draws_a_code_per_translation(tmp_path,
                                                                                           assert_same_weights):
    run_dir = check_resume_is_bit_identical(tmp_path, "cyclegan", "unpaired", assert_same_weights,
                                            "cyclegan.noise_dim=4", "cyclegan.lambda_cycle_b=0")
    run = gankit.load(run_dir)
    assert run.recipe.G.noise == 4 and run.recipe.F.noise == 0
    a = tiny_data("unpaired").batch(torch.arange(3))[0]
    torch.manual_seed(1)
    first = run.translate(a)
    torch.manual_seed(1)
    torch.testing.assert_close(run.translate(a), first)  # the code is torch's global RNG: a seed repeats it
    assert (run.translate(a) - first).abs().mean() > 1e-3


def test_a_noise_input_is_refused_in_one_line_for_the_unet_and_above_its_limit():
    from gankit.config import load_config

    for overrides, message in ((["model.arch=unet", "cyclegan.noise_dim=4"], "built for the ResNet generators"),
                               (["cyclegan.noise_dim=5000"], "above the limit")):
        with pytest.raises(GankitError, match=message):
            CycleGANRecipe.validate(load_config("digits2colour-cyclegan", overrides=overrides))


def test_a_minibatch_std_run_resumes_bit_identically_and_a_group_larger_than_the_batch_is_refused(
        tmp_path, assert_same_weights):
    from gankit.config import load_config
    run_dir = check_resume_is_bit_identical(tmp_path, "cyclegan", "unpaired", assert_same_weights,
                                            "cyclegan.minibatch_std=2")
    assert any(type(m).__name__ == "MinibatchStdDev" for m in gankit.load(run_dir).recipe.D_B.modules())
    with pytest.raises(GankitError, match="more than a batch"):
        CycleGANRecipe.validate(load_config("digits2colour-cyclegan", overrides=["cyclegan.minibatch_std=32"]))


def _diversity(run_dir) -> float:
    G = gankit.load(run_dir).recipe.G
    a = tiny_data("unpaired").batch(torch.arange(8))[0]
    with torch.no_grad():
        return float((G(a, torch.randn(8, G.noise)) - G(a, torch.randn(8, G.noise))).abs().mean())


def test_the_mode_seeking_term_makes_two_codes_give_more_different_translations(tmp_path):
    from gankit.training import Trainer
    spread = {}
    for weight in (0, 10):
        cfg = tiny_config("cyclegan", "cyclegan.noise_dim=4", f"cyclegan.mode_seeking={weight}", "train.steps=12",
                          "train.lr_g=2e-3")
        Trainer(cfg, tmp_path / str(weight), progress=False, data=tiny_data("unpaired")).fit()
        torch.manual_seed(0)
        spread[weight] = _diversity(tmp_path / str(weight))
    assert spread[10] > 1.5 * spread[0]
    assert "loss_mode_seeking" in (tmp_path / "10" / "metrics.jsonl").read_text()
    from gankit.config import load_config
    with pytest.raises(GankitError, match="give it codes"):
        CycleGANRecipe.validate(load_config("digits2colour-cyclegan", overrides=["cyclegan.mode_seeking=1"]))


@pytest.mark.parametrize("per_cycle", [False, True])
def test_the_identity_loss_is_weighted_by_lambda_or_per_cycle_as_the_authors_code(per_cycle):
    """identity_per_cycle: ||G(b) - b|| times lambda_B (the B -> A -> B cycle's weight) and ||F(a) - a|| times
    lambda_A, as the authors' loss_idt_A / loss_idt_B; otherwise both times lambda. A as RGB gray, so that G(b) and
    F(a) are defined; lambda_B 0 here, so with the flag G's half is gone."""
    import copy
    torch.manual_seed(0)
    cfg = tiny_config("cyclegan", "cyclegan.lambda_identity=0.5", "cyclegan.lambda_cycle_b=0",
                      f"cyclegan.identity_per_cycle={per_cycle}")
    recipe = CycleGANRecipe.from_config(cfg, ((3, 16, 16), (3, 16, 16)), 0)
    start = {name: copy.deepcopy(net) for name, net in recipe.modules.items()}
    a, b = tiny_data("unpaired").batch(torch.arange(4))
    a = a.expand(-1, 3, -1, -1)
    recipe.train_step(a, b, 0)
    G, F, D_A, D_B = (start[k] for k in ("G", "F", "D_A", "D_B"))
    fake_b, fake_a = G(a), F(b)
    gan = 0.5 * ((D_B(fake_b) - 1) ** 2).mean() + 0.5 * ((D_A(fake_a) - 1) ** 2).mean()
    identity_g, identity_f = (G(b) - b).abs().mean(), (F(a) - a).abs().mean()
    objective = gan + 10 * (F(fake_b) - a).abs().mean() + 0.5 * ((0 if per_cycle else 10) * identity_g + 10 * identity_f)
    objective.backward()
    for got, want in zip(_grads(recipe.G, recipe.F), _grads(G, F)):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-7)
