import torch
from torch import nn

from gankit.recipes.ema import ema_decay, ema_model


def test_decay_ramps_up_then_holds():
    assert ema_decay(0.999, 0) == 0.1
    assert ema_decay(0.999, 90) == 0.91
    assert ema_decay(0.999, 10**6) == 0.999


def test_average_follows_the_net_early_instead_of_keeping_its_initial_weights():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    ema = ema_model(net, decay=0.999)
    with torch.no_grad():
        for step in range(200):
            net[0].weight.fill_(1.0)  # the net has moved to a new place and stays there
            x = torch.randn(8, 3)
            net(x - x.mean(0) + 1.0)  # BatchNorm statistics move too, to 3 + bias and no noise around it
            ema.update_parameters(net)
    # A plain 0.999 average would still be ~82 % the first weights after 200 updates; the ramp has followed.
    assert torch.allclose(ema.module[0].weight, torch.ones(3, 3), atol=0.05)
    assert ema.module[1].num_batches_tracked == net[1].num_batches_tracked
    # Every batch's mean is 3 + bias exactly, so both running means settle there; the average has followed.
    # (With unnormalised random batches the two differ by the batches' noise, which failed CI.)
    assert torch.allclose(net[1].running_mean, 3.0 + net[0].bias, atol=1e-3)
    assert torch.allclose(ema.module[1].running_mean, net[1].running_mean, atol=0.05)
