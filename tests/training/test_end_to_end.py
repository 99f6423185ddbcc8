"""What a user relies on end to end: the EMA is what a run samples, label smoothing acts in D's loss, and a
conditional run draws the class it is asked for."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gankit
from gankit.config import TrainConfig, load_config
from gankit.data import sample_toy
from gankit.recipes import GANRecipe, GANSettings
from gankit.training import Trainer


def test_a_run_with_ema_samples_from_the_average_not_from_G(tmp_path, tiny_digits_config):
    trainer = Trainer(tiny_digits_config("train.steps=6", "train.ema=0.9"), tmp_path / "run", progress=False)
    trainer.fit()
    z = torch.randn(8, trainer.recipe.z_dim, generator=torch.Generator().manual_seed(0))
    ema, G = trainer.recipe.G_ema.module.eval(), trainer.recipe.G.eval()
    with torch.no_grad():
        from_ema, from_G = ema(z), G(z)
    sampled = gankit.load(tmp_path / "run").sample(8, z=z)
    assert torch.allclose(sampled, from_ema, atol=1e-6)
    assert (sampled - from_G).norm() > 0.05 * sampled.norm()  # after 6 steps at decay 0.9 the two differ by ~10 %


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.3])
def test_one_sided_label_smoothing_moves_only_the_real_target(smoothing):
    """D's loss is BCE(l(x), 1 - smoothing) + BCE(l(G(z)), 0) (Salimans et al. 2016): with every logit 10, the real
    term is softplus(-10)(1 - s) + softplus(10) s, and the fake term softplus(10), whatever s is."""
    class G(nn.Module):
        z_dim = 2

        def __init__(self):
            super().__init__()
            self.net = nn.Linear(2, 2)

        def forward(self, z):
            return self.net(z)

    D = nn.Linear(2, 1)
    nn.init.zeros_(D.weight)
    nn.init.constant_(D.bias, 10.0)
    recipe = GANRecipe(G(), D, TrainConfig(), settings=GANSettings(label_smoothing=smoothing))
    out = recipe.train_step(sample_toy("ring8", 16, seed=0).x, None, 0)
    logit = torch.tensor(10.0)
    real = F.softplus(-logit) * (1 - smoothing) + F.softplus(logit) * smoothing
    assert out["loss_d"].item() == pytest.approx((real + F.softplus(logit)).item(), rel=1e-5)


@pytest.mark.slow
def test_a_short_conditional_run_draws_the_class_it_is_asked_for(tmp_path):
    """400 steps of a small conditional DCGAN, judged by the shipped digits classifier: each asked class comes out
    far more often when asked for than otherwise (measured 2026-11-22: 49 % of samples right on average; on the AMD
    EPYC VM 2026-12-04 the same code reached 26.7 %: the trajectory differs across CPUs; chance 10 %)."""
    from gankit.metrics.features import load_extractor

    cfg = load_config("digits-cdcgan", overrides=["train.steps=400", "model.width=16", "train.grid_size=20",
                                                  "train.log_every=50", "train.lr_g=1e-3", "train.lr_d=1e-3"])
    Trainer(cfg, tmp_path / "run", progress=False).fit()
    run, classifier = gankit.load(tmp_path / "run"), load_extractor("digits")
    confusion = torch.stack([F.one_hot(classifier(run.sample(100, seed=0, label=label), logits=True)[1].argmax(1),
                                       10).float().mean(0) for label in range(10)])  # [asked, predicted]
    assert confusion.diag().mean() > 0.2  # twice chance (0.1)
    assert (confusion.diag() > confusion.mean(0)).all()  # each class: more often when asked for than on average
