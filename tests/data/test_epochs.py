"""How the trainer walks through a data set: an epoch visits each example once, and the last partial batch is
dropped (as DCGAN's loader does with drop_last). Trainer._batch_index is the trainer's, tested here beside the data."""
import torch

from gankit.config import load_config
from gankit.training import Trainer


def test_an_epoch_visits_each_example_once_and_drops_the_last_partial_batch(tmp_path):
    cfg = load_config("digits-dcgan", overrides=["data.n=330", "model.width=8", "train.batch_size=32"])
    trainer = Trainer(cfg, tmp_path / "run", progress=False)
    assert trainer.steps_per_epoch == 10  # 330 // 32: the last 10 examples would make a partial batch
    for epoch in range(2):
        batches = [trainer._batch_index(epoch * 10 + i) for i in range(10)]
        assert all(len(b) == 32 for b in batches)
        seen = torch.cat(batches)
        assert len(seen.unique()) == 320 and seen.min() >= 0 and seen.max() < 330
        if epoch == 0:
            first = seen
    assert not torch.equal(first, seen)  # each epoch shuffles anew
    assert set(range(330)) - set(first.tolist()) != set(range(330)) - set(seen.tolist())  # so different 10 sit out
