"""Two small trained runs, made once for all latent tests: a DCGAN and a VAE on the embedded digits.

Each is trained just far enough for the claims of docs/vae-and-latent.md to be checkable: the GAN's samples differ
from one code to the next (after 10 steps every code gave the same image, so "an unrelated sample" was no baseline),
and the VAE's ink direction and its amortisation gap (a search over z beats its encoder) show.
"""
import pytest

from gankit.config import load_config
from gankit.training import Trainer

COMMON = ["train.log_every=50", "train.grid_size=16"]
GAN = ["data.n=3200", "model.z_dim=8", "model.width=8", "train.batch_size=32", "train.lr_g=2e-3", "train.lr_d=2e-3",
       "train.steps=100"]
VAE = ["data.n=2000", "model.arch=vae-mlp", "model.z_dim=32", "model.width=64", "model.depth=1", "train.batch_size=64",
       "train.lr_g=3e-3", "train.steps=150"]


@pytest.fixture(scope="session")
def gan_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("latent") / "gan"
    Trainer(load_config("digits-dcgan", overrides=[*COMMON, *GAN]), path, progress=False).fit()
    return path


@pytest.fixture(scope="session")
def vae_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("latent") / "vae"
    Trainer(load_config("vae-digits", overrides=[*COMMON, *VAE]), path, progress=False).fit()
    return path
