"""Two small trained runs, made once for all latent tests: a DCGAN and a VAE on the embedded digits (tiny_runs)."""
import pytest
from tiny_runs import train_gan, train_vae


@pytest.fixture(scope="session")
def gan_run(tmp_path_factory):
    return train_gan(tmp_path_factory.mktemp("latent") / "gan")


@pytest.fixture(scope="session")
def vae_run(tmp_path_factory):
    return train_vae(tmp_path_factory.mktemp("latent") / "vae")
