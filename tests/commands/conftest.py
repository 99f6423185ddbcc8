"""Runs for the command tests, trained once (tiny_runs), and the private cache every measuring command writes to."""
import pytest
import torch
from commands.command_line import write_pngs
from tiny_runs import train_gan, train_vae

from gankit.data import load_dataset


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Reference statistics go to a fresh cache per test, never the user's."""
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def gan_run(tmp_path_factory):
    return train_gan(tmp_path_factory.mktemp("commands") / "gan")


@pytest.fixture(scope="session")
def vae_run(tmp_path_factory):
    return train_vae(tmp_path_factory.mktemp("commands") / "vae")


@pytest.fixture
def digit_files(tmp_path):
    """Four embedded digits as PNG files."""
    data = load_dataset("digits", n=4, seed=3)
    return write_pngs(tmp_path, data.batch(torch.arange(4))[0], "digit")
