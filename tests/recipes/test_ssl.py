"""The semi-supervised GAN of Salimans et al. (2016): D(x) = Z/(Z+1), the K+1-class loss, feature matching, and a
short run that learns to classify from 10 labels per class."""
import json
import math

import pytest
import torch

import gankit
from gankit.cli import build_parser
from gankit.config import load_config
from gankit.errors import GankitError
from gankit.models.ssl import SSLDiscriminator
from gankit.recipes.ssl import (SSLRecipe, feature_matching_loss, load_gan_trunk, real_probability,
                                ssl_d_losses)
from gankit.training import Trainer


def test_D_of_x_is_Z_over_Z_plus_1_and_stays_finite_for_extreme_logits():
    logits = torch.randn(8, 10, dtype=torch.float64) * 3
    Z = logits.exp().sum(1)
    assert torch.allclose(real_probability(logits), Z / (Z + 1))
    extreme = torch.tensor([[200.0] * 10, [-200.0] * 10])
    p = real_probability(extreme)
    assert p[0] == 1.0 and 0 <= p[1].item() < 1e-30  # float32: exp(-200) underflows to 0, never below 0
    assert torch.isfinite(ssl_d_losses(extreme, torch.tensor([0, 1]), extreme, extreme)[1])


def test_the_K_plus_1_loss_matches_a_direct_computation_with_an_explicit_fake_class():
    torch.manual_seed(0)
    K = 10
    labelled, real, fake = (torch.randn(n, K, dtype=torch.float64) * 2 for n in (6, 7, 5))
    y = torch.randint(K, (6,))
    supervised, unsupervised = ssl_d_losses(labelled, y, real, fake)

    def softmax_k_plus_1(logits):  # the paper's K+1 classes, the fake class's logit fixed at 0
        return torch.softmax(torch.cat([logits, torch.zeros(len(logits), 1, dtype=logits.dtype)], 1), 1)

    p_lab, p_real, p_fake = softmax_k_plus_1(labelled), softmax_k_plus_1(real), softmax_k_plus_1(fake)
    # -log p(y | x, y < K+1): the labelled image is real, so its class among the K real ones
    direct_supervised = -(p_lab[torch.arange(6), y] / (1 - p_lab[:, K])).log().mean()
    # -1/2 E log(1 - p(K+1 | x)) on real data, -1/2 E log p(K+1 | G(z)) on generated data
    direct_unsupervised = -0.5 * ((1 - p_real[:, K]).log().mean() + p_fake[:, K].log().mean())
    assert math.isclose(supervised.item(), direct_supervised.item(), rel_tol=1e-9)
    assert math.isclose(unsupervised.item(), direct_unsupervised.item(), rel_tol=1e-9)


def test_feature_matching_is_zero_for_identical_batches_and_positive_otherwise():
    features = torch.randn(16, 32)
    assert feature_matching_loss(features, features.clone()) == 0
    # Only the means are matched: the same batch in another order matches too, a shifted one does not.
    assert feature_matching_loss(features, features.flip(0)) < 1e-12
    assert feature_matching_loss(features, features + 0.5) == pytest.approx(0.25)


def test_the_discriminator_returns_K_logits_and_the_features_G_is_matched_on():
    D = SSLDiscriminator(28, 1, 8, 10, norm="layer", dropout=0.5)
    logits, features = D(torch.randn(4, 1, 28, 28))
    assert logits.shape == (4, 10) and features.shape == (4, D.feature_dim)


def _config(*overrides):
    return load_config("digits-ssl", overrides=["data.n=1000", "model.width=8", "train.log_every=10",
                                                 "train.grid_size=16", "train.batch_size=32", *overrides])


@pytest.mark.slow
def test_a_short_ssl_run_beats_chance_on_the_held_out_digits_and_classifies_from_python(tmp_path):
    cfg = _config("train.steps=60", "train.classify_every=30", "train.lr_d=1e-3", "train.lr_g=1e-3")
    trainer = Trainer(cfg, tmp_path / "run", progress=False)
    trainer.fit()
    logged = [r["test_accuracy"] for r in trainer.records if "test_accuracy" in r]
    assert len(logged) == 2 and logged[-1] > 0.5  # chance is 0.1 over 10 balanced classes (seen: 0.6 and 0.73)
    run = gankit.load(tmp_path / "run")
    test = run.recipe.test
    # The trainer's unlabelled data is the training split: no test digit among them.
    assert not {i.numpy().tobytes() for i in trainer.data.x} & {i.numpy().tobytes() for i in test.x}
    x, y = test.batch(torch.arange(len(test)))
    predicted = run.classify(x).argmax(1)
    assert (predicted == y).float().mean().item() == pytest.approx(logged[-1])
    # `gankit eval` reports the same accuracy beside the sample metrics, and keeps it in eval.json.
    args = build_parser().parse_args(["eval", str(tmp_path / "run"), "--n", "20", "--metrics", "coverage"])
    args.func(args)
    record = json.loads((tmp_path / "run" / "eval.json").read_text())
    assert record["metrics"]["test_accuracy"] == pytest.approx(logged[-1])


@pytest.mark.slow
def test_an_interrupted_ssl_run_resumes_bit_identically(tmp_path, assert_same_weights):
    cfg = _config("train.steps=6", "train.checkpoint_every=3")
    whole = Trainer(cfg, tmp_path / "whole", progress=False)
    whole.fit()
    Trainer(cfg, tmp_path / "split", progress=False).fit(until_step=3)
    resumed = Trainer(cfg, tmp_path / "split", resume=True, progress=False)
    resumed.fit()
    assert_same_weights(whole, resumed)


def test_the_supervised_baseline_never_moves_G():
    cfg = _config("train.unsupervised_weight=0")
    recipe = SSLRecipe.from_config(cfg, (1, 28, 28), 10)
    before = [p.clone() for p in recipe.G.parameters()]
    out = recipe.train_step(torch.zeros(32, 1, 28, 28), None, 0)
    assert "loss_g" not in out and "loss_unsupervised" not in out
    assert all(torch.equal(a, b) for a, b in zip(before, recipe.G.parameters()))


def test_the_fine_tune_route_starts_from_the_GAN_discriminators_trunk(tmp_path):
    gan_cfg = load_config("digits-dcgan", overrides=["data.n=200", "data.labels_per_class=5", "model.width=8",
                                                     "model.d_norm=layer", "train.steps=2", "train.grid_size=4",
                                                     "train.ema=0", "train.batch_size=32"])
    gan = Trainer(gan_cfg, tmp_path / "gan", progress=False)
    gan.fit()
    D = SSLDiscriminator(28, 1, 8, 10, norm="layer", dropout=0.5)
    load_gan_trunk(D, tmp_path / "gan")
    gan_trunk = list(gan.recipe.D.features.state_dict().values())
    assert all(torch.equal(a, b) for a, b in zip(gan_trunk, D.features.state_dict().values()))
    with pytest.raises(GankitError, match="same width and d_norm"):
        load_gan_trunk(SSLDiscriminator(28, 1, 16, 10, norm="layer"), tmp_path / "gan")


def test_a_run_without_labels_to_learn_from_is_a_one_line_error():
    with pytest.raises(GankitError, match="labels_per_class"):
        SSLRecipe.from_config(_config("data.labels_per_class=0"), (1, 28, 28), 10)
    with pytest.raises(GankitError, match="cannot classify images; recipes that can: ssl"):
        from gankit.recipes import require
        from gankit.recipes.base import Classifier
        require(object(), Classifier, "run x")


@pytest.mark.parametrize("weight", [1.0, 0.3])
def test_D_descends_the_supervised_loss_plus_w_times_the_unsupervised_loss(weight):
    """L_D = L_supervised + w L_unsupervised (Salimans et al. Section 5), w = ssl.unsupervised_weight, computed here
    from the starting nets with the step's own draws (the labelled batch's indices, then z)."""
    import copy

    from gankit.config import TrainConfig
    from gankit.data import Dataset
    from gankit.models import DCGANGenerator
    from gankit.recipes.ssl import SSLSettings

    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    labelled = Dataset(torch.randint(0, 256, (20, 1, 28, 28), generator=gen, dtype=torch.uint8),
                       torch.arange(20) % 10, [str(k) for k in range(10)])
    G = DCGANGenerator(8, 28, 1, 8)
    D = SSLDiscriminator(28, 1, 8, 10, norm="layer")
    recipe = SSLRecipe(G, D, labelled, labelled, TrainConfig(batch_size=6),
                       settings=SSLSettings(unsupervised_weight=weight))
    G0, D0 = copy.deepcopy(G), copy.deepcopy(D)
    real = torch.rand(5, 1, 28, 28, generator=gen) * 2 - 1
    torch.manual_seed(1)
    out = recipe.train_step(real, None, 0)
    torch.manual_seed(1)
    x_labelled, y_labelled = labelled.batch(torch.randint(20, (6,)))
    fake = G0(torch.randn(5, 8)).detach()
    supervised, unsupervised = ssl_d_losses(D0(x_labelled)[0], y_labelled, D0(real)[0], D0(fake)[0])
    (supervised + weight * unsupervised).backward()
    assert out["loss_unsupervised"].item() == pytest.approx(unsupervised.item(), rel=1e-5)
    assert out["loss_d"].item() == pytest.approx((supervised + weight * unsupervised).item(), rel=1e-5)
    for got, want in zip(D.parameters(), D0.parameters()):
        torch.testing.assert_close(got.grad, want.grad, rtol=1e-4, atol=1e-7)


def _improved_gan_config(*overrides):
    return load_config("digits-ssl-improved-gan", overrides=["data.n=1000", "train.minutes=0", "train.log_every=10",
                                                             "train.grid_size=16", *overrides])


def test_model_arch_improved_gan_mlp_initialises_D_on_the_first_unlabelled_batch():
    from gankit.models.ssl import ImprovedGANDiscriminator, ImprovedGANGenerator

    cfg = _improved_gan_config("train.lr_d=1e-9", "train.lr_g=1e-9")  # the steps barely move the nets: the init is left
    recipe = SSLRecipe.from_config(cfg, (1, 28, 28), 10)
    assert isinstance(recipe.D, ImprovedGANDiscriminator) and isinstance(recipe.G, ImprovedGANGenerator)
    real = torch.rand(100, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    recipe.train_step(real, None, 0)
    with torch.no_grad():
        first = recipe.D.layers[0]((real.flatten(1) + 1) / 2)
    torch.testing.assert_close(first.var(0, unbiased=False), torch.ones(1000), atol=1e-3, rtol=0)
    recipe.train_step(real * 0.5, None, 1)  # later steps do not initialise again
    with torch.no_grad():
        torch.testing.assert_close(recipe.D.layers[0]((real.flatten(1) + 1) / 2), first)


def test_with_ssl_ema_the_classifier_is_the_moving_average_of_D():
    recipe = SSLRecipe.from_config(_improved_gan_config("ssl.ema=0.9"), (1, 28, 28), 10)
    assert set(recipe.modules) == {"G", "D", "D_ema"}
    real = torch.rand(100, 1, 28, 28) * 2 - 1
    for step in range(3):
        recipe.train_step(real, None, step)
    x = real[:10]
    recipe.D_ema.module.eval()
    with torch.no_grad():
        torch.testing.assert_close(recipe.classify(x), recipe.D_ema.module(x)[0])
        assert not torch.allclose(recipe.classify(x), recipe.D.eval()(x)[0])
    assert "D_ema" not in SSLRecipe.from_config(_config(), (1, 28, 28), 10).modules  # the dcgan presets: off


def test_ssl_adam_eps_sets_both_players_adam_epsilon_and_must_be_positive():
    recipe = SSLRecipe.from_config(_improved_gan_config("ssl.adam_eps=1e-4"), (1, 28, 28), 10)
    assert [opt.param_groups[0]["eps"] for opt in recipe.optimizers.values()] == [1e-4, 1e-4]
    default = SSLRecipe.from_config(_improved_gan_config(), (1, 28, 28), 10)
    assert [opt.param_groups[0]["eps"] for opt in default.optimizers.values()] == [1e-8, 1e-8]
    with pytest.raises(GankitError, match="ssl.adam_eps must be positive"):
        SSLRecipe.validate(_improved_gan_config("ssl.adam_eps=0"))


def test_the_improved_gan_arch_refuses_dropout_in_one_line():
    with pytest.raises(GankitError, match="Gaussian noise, not dropout"):
        SSLRecipe.validate(_improved_gan_config("ssl.dropout=0.5"))


@pytest.mark.slow
def test_a_short_improved_gan_run_beats_chance_on_the_held_out_digits(tmp_path):
    trainer = Trainer(_improved_gan_config("train.steps=150", "ssl.classify_every=150"), tmp_path / "run",
                      progress=False)
    trainer.fit()
    logged = [r["test_accuracy"] for r in trainer.records if "test_accuracy" in r]
    assert len(logged) == 1 and logged[-1] > 0.5  # chance is 0.1 over 10 balanced classes


@pytest.mark.slow
def test_an_interrupted_improved_gan_run_resumes_bit_identically(tmp_path, assert_same_weights):
    cfg = _improved_gan_config("train.steps=6", "train.checkpoint_every=3")
    whole = Trainer(cfg, tmp_path / "whole", progress=False)
    whole.fit()
    Trainer(cfg, tmp_path / "split", progress=False).fit(until_step=3)
    resumed = Trainer(cfg, tmp_path / "split", resume=True, progress=False)
    resumed.fit()
    assert_same_weights(whole, resumed)


# -- three details of openai/improved-gan's MNIST script, each off by default ------------------------------------------
def test_labelled_batches_permutations_sees_every_labelled_image_once_per_pass_and_repeats_on_resume():
    recipe = SSLRecipe.from_config(_improved_gan_config("ssl.labelled_batches=permutations"), (1, 28, 28), 10)
    n = len(recipe.labelled)  # 100 labels, batch 100: every step is all of them
    assert n == 100 == recipe.train.batch_size
    for step in range(3):
        assert sorted(recipe.labelled_index(step).tolist()) == list(range(n))
    assert not torch.equal(recipe.labelled_index(0), recipe.labelled_index(1))  # a new order each pass
    torch.testing.assert_close(recipe.labelled_index(7), recipe.labelled_index(7))  # a function of the step alone
    small = SSLRecipe.from_config(_improved_gan_config("ssl.labelled_batches=permutations", "train.batch_size=30"),
                                  (1, 28, 28), 10)
    drawn = torch.cat([small.labelled_index(step) for step in range(10)])  # 300 draws = 3 passes of the 100
    assert torch.bincount(drawn, minlength=100).tolist() == [3] * 100
    default = SSLRecipe.from_config(_improved_gan_config("train.batch_size=30"), (1, 28, 28), 10)
    assert torch.bincount(torch.cat([default.labelled_index(s) for s in range(10)]), minlength=100).max() > 3


def test_init_noise_draws_the_noise_in_the_data_dependent_init_and_shrinks_the_fixed_scales():
    from gankit.models.ssl import ImprovedGANDiscriminator, weight_scale

    x = torch.rand(500, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    quiet, noisy = ImprovedGANDiscriminator(), ImprovedGANDiscriminator()
    noisy.load_state_dict(quiet.state_dict())
    quiet.data_dependent_init(x)
    noisy.data_dependent_init(x, noise=True)
    for a, b in zip(quiet.layers[:-1], noisy.layers[:-1]):  # noise adds variance, so every hidden g comes out smaller
        assert (weight_scale(b) < weight_scale(a)).float().mean() > 0.9


def test_init_images_initialises_D_on_that_many_training_images_not_the_first_batch():
    cfg = _improved_gan_config("ssl.init_images=500", "train.lr_d=1e-9", "train.lr_g=1e-9")
    recipe = SSLRecipe.from_config(cfg, (1, 28, 28), 10)
    real = torch.rand(100, 1, 28, 28) * 2 - 1
    torch.manual_seed(3)
    images = recipe.init_batch(real)
    assert images.shape == (500, 1, 28, 28) and -1 <= images.min() and images.max() <= 1
    torch.manual_seed(3)
    recipe.train_step(real, None, 0)
    with torch.no_grad():
        first = recipe.D.layers[0]((images.flatten(1) + 1) / 2)
    torch.testing.assert_close(first.var(0, unbiased=False), torch.ones(1000), atol=1e-3, rtol=0)
    with pytest.raises(GankitError, match="ssl.init_images is 5000, and the training split holds"):
        SSLRecipe.from_config(_improved_gan_config("ssl.init_images=5000"), (1, 28, 28), 10).init_batch(real)


def test_g_batch_fresh_gives_G_a_second_unlabelled_batch_and_new_z():
    seen = {}
    for mode in ("same", "fresh"):
        recipe = SSLRecipe.from_config(_improved_gan_config(f"ssl.g_batch={mode}"), (1, 28, 28), 10)
        calls = []
        d_step, g_step = recipe.d_step, recipe.g_step
        recipe.d_step = lambda *a: calls.append(("d", a[2], a[3])) or d_step(*a)
        recipe.g_step = lambda real, fake: calls.append(("g", real, fake.detach())) or g_step(real, fake)
        real = torch.rand(100, 1, 28, 28) * 2 - 1
        recipe.train_step(real, None, 0)
        (_, d_real, d_fake), (_, g_real, g_fake) = calls
        seen[mode] = (torch.equal(d_real, g_real), torch.equal(d_fake, g_fake))
        if mode == "fresh":  # drawn from the training split: the digits' pixels, not the uniform noise handed in
            assert g_real.shape == real.shape and (g_real == -1).float().mean() > 0.5
    assert seen == {"same": (True, True), "fresh": (False, False)}


def test_the_improved_gan_details_refuse_bad_values_in_one_line():
    for override, message in (("ssl.labelled_batches=sorted", "ssl.labelled_batches must be one of random, "),
                              ("ssl.g_batch=other", "ssl.g_batch must be one of same, fresh"),
                              ("ssl.init_images=-1", "ssl.init_images must not be negative")):
        with pytest.raises(GankitError, match=message):
            SSLRecipe.validate(_improved_gan_config(override))
    with pytest.raises(GankitError, match="data-dependent init of model.arch improved-gan-mlp"):
        SSLRecipe.validate(load_config("digits-ssl", overrides=["ssl.init_noise=true"]))
