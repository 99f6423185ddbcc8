
import pytest
import torch

import gankit
from gankit.runlog import read_log
from gankit.config import load_config
from gankit.errors import GankitError
from gankit.training import Trainer

TINY = ["data.n=320", "model.z_dim=8", "model.width=16", "model.depth=1", "train.log_every=5", "train.grid_size=16",
        "train.batch_size=32", "train.lr_g=3e-3"]


def tiny_vae(*overrides, arch="vae-mlp"):
    return load_config("vae-digits", overrides=[*TINY, f"model.arch={arch}", *overrides])


def negative_elbo(recipe, x):
    torch.manual_seed(123)  # the same eps before and after, so only the weights differ
    with torch.no_grad():
        recon, kl = recipe.negative_elbo(x)
    return (recon + kl).mean().item()


@pytest.mark.slow
def test_vae_trains_through_the_trainer_its_elbo_improves_and_its_run_samples(tmp_path):
    trainer = Trainer(tiny_vae("train.steps=30"), tmp_path / "run", progress=False)
    x, _ = trainer.data.batch(torch.arange(64))
    before = negative_elbo(trainer.recipe, x)
    trainer.fit()
    after = negative_elbo(trainer.recipe, x)
    assert after < before - 50, (before, after)  # nats per image
    run = tmp_path / "run"
    for name in ("samples/final.png", "samples/reconstructions-final.png", "curves.png", "checkpoints/latest.json"):
        assert (run / name).is_file(), name
    records = read_log(run)
    assert {"loss", "recon", "kl"} <= set(records[-1])
    assert all(abs(r["loss"] - r["recon"] - r["kl"]) < 1e-3 * r["loss"] for r in records)  # -ELBO = recon + KL
    samples = gankit.load(run).sample(6, seed=1)
    assert samples.shape == (6, 1, 28, 28) and samples.min() >= -1 and samples.max() <= 1
    assert torch.equal(samples, gankit.load(run).sample(6, seed=1))


@pytest.mark.slow
def test_interrupted_and_resumed_vae_run_ends_with_identical_weights(tmp_path, assert_same_weights):
    cfg = tiny_vae("train.epochs=2", arch="vae-conv")  # 10 steps per epoch
    straight = Trainer(cfg, tmp_path / "a", progress=False)
    straight.fit()
    Trainer(cfg, tmp_path / "b", progress=False).fit(until_step=7)  # mid-epoch
    resumed = Trainer(cfg, tmp_path / "b", resume=True, progress=False)
    assert resumed.step == 7
    resumed.fit()
    assert_same_weights(straight, resumed)
    log = lambda run: [r["loss"] for r in read_log(tmp_path / run)]
    assert log("b") == log("a")


def test_vae_recipe_refuses_gan_architectures_points_and_unknown_likelihoods(tmp_path):
    with pytest.raises(GankitError, match="vae-mlp or vae-conv"):
        Trainer(tiny_vae(arch="dcgan"), tmp_path / "a", progress=False)
    with pytest.raises(GankitError, match="vae.likelihood"):
        Trainer(tiny_vae("train.likelihood=poisson"), tmp_path / "b", progress=False)
    with pytest.raises(GankitError, match="for images"):
        Trainer(load_config("toy-ring", overrides=["train.recipe=vae", "model.arch=vae-mlp", "data.n=256"]),
                tmp_path / "c", progress=False)


def test_gaussian_likelihood_is_chosen_for_data_that_is_not_binarisable():
    from gankit.recipes.vae import resolve_likelihood

    assert resolve_likelihood(tiny_vae("train.likelihood=auto")) == "bernoulli"  # digits
    assert resolve_likelihood(tiny_vae("train.likelihood=auto", "data.name=cifar10")) == "gaussian"
