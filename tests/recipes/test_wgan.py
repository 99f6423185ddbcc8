import pytest

import gankit
from gankit.config import load_config
from gankit.training import Trainer


@pytest.mark.slow
def test_the_critic_stays_clipped_and_G_moves_onto_the_ring(tmp_path):
    """Arjovsky et al.'s Algorithm 1: every critic weight within [-c, c] after training, and G's samples, which start
    near the origin, end near the ring of radius 2."""
    cfg = load_config("toy-ring-wgan", overrides=["train.steps=1500", "train.batch_size=128", "data.n=5000",
                                                   "wgan.clip=0.02", "train.log_every=100"])
    trainer = Trainer(cfg, tmp_path / "run", progress=False)
    distance_to_ring = lambda: (trainer.recipe.progress_pictures(trainer.data, 1000, 0)[""][0].norm(dim=1) - 2).abs()
    before = distance_to_ring().mean()
    trainer.fit()
    assert all(p.abs().max() <= 0.02 for p in trainer.recipe.D.parameters())
    after = distance_to_ring().mean()
    assert before > 1.0 and after < 0.5 * before, (before, after)
    assert "wasserstein" in trainer.records[-1] and gankit.load(tmp_path / "run").sample(5).shape == (5, 2)
