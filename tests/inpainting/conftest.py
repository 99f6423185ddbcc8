"""One tiny DCGAN on the embedded digits, trained once for all inpainting tests (tiny_runs.train_gan)."""
import pytest
import torch
from tiny_runs import train_gan

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    return train_gan(tmp_path_factory.mktemp("inpainting") / "gan")
