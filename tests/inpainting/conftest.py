"""One tiny DCGAN on the embedded digits, trained once for all inpainting tests (a few seconds on one core).

z_dim 8 keeps z identifiable from the known pixels, so a code can be recovered from part of its own image."""
import pytest
import torch

from gankit.config import load_config
from gankit.training import Trainer

torch.set_num_threads(1)

TINY = ["data.n=3200", "model.width=8", "model.z_dim=8", "train.batch_size=32", "train.lr_g=2e-3", "train.lr_d=2e-3",
        "train.steps=100", "train.grid_size=16", "train.log_every=50"]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("inpainting") / "gan"
    Trainer(load_config("digits-dcgan", overrides=TINY), path, progress=False).fit()
    return path
