"""Two tiny trained runs, made once for all latent tests: a DCGAN and a VAE on 320 digits."""
import pytest

from gankit.config import load_config
from gankit.training import Trainer

SMALL = ["data.n=320", "model.z_dim=8", "model.width=8", "train.log_every=5", "train.grid_size=16",
         "train.batch_size=32"]


@pytest.fixture(scope="session")
def gan_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("latent") / "gan"
    Trainer(load_config("digits-dcgan", overrides=[*SMALL, "train.steps=10"]), path, progress=False).fit()
    return path


@pytest.fixture(scope="session")
def vae_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("latent") / "vae"
    cfg = load_config("vae-digits", overrides=[*SMALL, "model.arch=vae-mlp", "model.width=32", "model.depth=1",
                                               "train.lr_g=3e-3", "train.steps=20"])
    Trainer(cfg, path, progress=False).fit()
    return path
