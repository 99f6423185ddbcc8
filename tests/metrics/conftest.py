import pytest
import torch

from gankit.data import load_dataset
from gankit.metrics.features import load_extractor


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Reference statistics go to a fresh cache per test, never the user's."""
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def digits():
    """The 5000 embedded digits in [-1, 1], in a seeded random order (so halves are balanced)."""
    data = load_dataset("digits")
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))
    return data.batch(order)[0]


@pytest.fixture(scope="session")
def digits_features():
    return load_extractor("digits")
