"""An exponential moving average of a net's weights, with the decay ramped up over the first updates.

With a fixed decay of 0.999 the average still holds 0.999^n of the early, near-random weights after n updates (42 % after
860). The ramp min(decay, (1 + n) / (10 + n)) is TensorFlow's ExponentialMovingAverage `num_updates` rule: the
average follows G closely at first and settles on the full decay after a few thousand updates.
"""
from __future__ import annotations

import torch
from torch.optim.swa_utils import AveragedModel


def ema_decay(decay: float, n_averaged: int) -> float:
    return min(decay, (1 + n_averaged) / (10 + n_averaged))


def ema_model(module: torch.nn.Module, decay: float) -> AveragedModel:
    @torch.no_grad()
    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], n_averaged: torch.Tensor) -> None:
        d = ema_decay(decay, int(n_averaged))
        if torch.is_floating_point(averaged[0]):
            torch._foreach_lerp_(averaged, current, 1 - d)
        else:  # integer buffers (BatchNorm's num_batches_tracked) are copied
            for a, c in zip(averaged, current):
                a.copy_(c)

    # use_buffers: BatchNorm's running statistics are averaged too, so the average is used in eval mode as it is.
    return AveragedModel(module, multi_avg_fn=update, use_buffers=True)
