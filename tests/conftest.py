import random

import numpy as np
import pytest
import torch

from gankit.config import load_config

# The test nets are tiny: one thread beats two (OpenMP's hand-offs cost more than the work), and a busy machine
# cannot turn the suite into a crawl.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state, so a test that passes once passes every time."""
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture
def tiny_digits_config():
    """A DCGAN small enough to train a few dozen steps in seconds: 320 digits, width 8, 5 steps per epoch."""
    def make(*overrides, preset="digits-dcgan"):
        return load_config(preset, overrides=["data.n=320", "model.width=8", "train.log_every=5", "train.grid_size=16",
                                              *overrides])
    return make


@pytest.fixture
def assert_same_weights():
    """Every tensor of every module (weights and buffers) of two trainers' recipes is bit-identical."""
    def check(a, b):
        for name, module in a.recipe.modules.items():
            other = b.recipe.modules[name].state_dict()
            for key, value in module.state_dict().items():
                assert torch.equal(value, other[key]), f"{name}.{key} differs"
    return check
