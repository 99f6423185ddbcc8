"""Every shipped preset trains: two steps of each, sized down (width 8, a few hundred items), through the trainer,
with its recipe, its section's settings and its architecture as it ships them."""
import pytest
import torch

from gankit.config import load_config, preset_names
from gankit.training import Trainer

# Fashion-MNIST comes from a Debian package that a machine may lack; the digits have its shape and classes.
STAND_INS = {"fashion-mnist": "digits"}


def sized_down(name: str, *extra: str):
    cfg = load_config(name)
    overrides = ["model.width=8", "train.batch_size=8", "train.steps=2", "train.grid_size=4", "train.log_every=1",
                 "train.device=cpu", "train.eval_every=0", *extra]
    if cfg.data.name in STAND_INS:
        overrides.append(f"data.name={STAND_INS[cfg.data.name]}")
    if cfg.data.name not in ("ring8", "grid25", "spiral", "gaussian1d", "gaussian-mixture1d"):
        overrides.append("data.n=300")
    if cfg.data.labels_per_class:
        overrides.append("data.labels_per_class=3")
    return load_config(name, overrides=overrides)


@pytest.mark.slow
@pytest.mark.parametrize("name", preset_names())
def test_the_preset_trains(name, tmp_path):
    extra = []
    if name.endswith("-finetune"):  # it starts from a GAN's D: a tiny GAN of the same width and normalisation
        gan = sized_down("digits-dcgan", f"model.d_norm={load_config(name).model.d_norm}")
        Trainer(gan, tmp_path / "gan", progress=False).fit()
        extra = [f"ssl.init_from={tmp_path / 'gan'}"]
    cfg = sized_down(name, *extra)
    trainer = Trainer(cfg, tmp_path / "run", progress=False)
    weights = lambda: {(m, k): v.clone() for m, net in trainer.recipe.modules.items()
                       for k, v in net.state_dict().items()}
    before = weights()
    result = trainer.fit()
    assert result["steps"] == 2 and (tmp_path / "run" / "samples" / "final.png").is_file()
    after = weights()
    assert any(not torch.equal(before[k], after[k]) for k in before), "no net moved"
    assert all(torch.isfinite(torch.tensor(v)) for r in trainer.records for k, v in r.items() if k.startswith("loss"))
