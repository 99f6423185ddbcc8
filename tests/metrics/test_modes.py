import math

import torch

from gankit.data import sample_toy, toy_modes
from gankit.metrics import mode_stats


def test_data_from_the_mixture_captures_every_mode_with_high_quality():
    for name, modes in (("ring8", 8), ("grid25", 25)):
        centres, std = toy_modes(name)
        stats = mode_stats(sample_toy(name, 2500, seed=1).x, centres, std)
        assert stats["modes"] == modes
        assert stats["high_quality"] > 0.98  # 3 std in 2-D holds 98.9 % of a Gaussian
        assert stats["reverse_kl"] < 0.02


def test_a_generator_stuck_on_one_mode_captures_one_with_reverse_kl_log_m():
    centres, std = toy_modes("ring8")
    stats = mode_stats(centres[3] + std * torch.randn(2500, 2, generator=torch.Generator().manual_seed(0)),
                       centres, std)
    assert stats["modes"] == 1
    assert math.isclose(stats["reverse_kl"], math.log(8), rel_tol=1e-9)


def test_a_few_stray_samples_do_not_capture_a_mode():
    centres, std = toy_modes("ring8")
    samples = torch.cat([centres[0].expand(2490, 2), centres[1].expand(10, 2)])  # 10 < 20 of 2500
    assert mode_stats(samples, centres, std)["modes"] == 1


def test_samples_far_from_every_mode_are_not_high_quality():
    centres, std = toy_modes("grid25")
    stats = mode_stats(torch.full((100, 2), 10.0), centres, std)
    assert stats == {"modes": 0.0, "high_quality": 0.0, "reverse_kl": math.inf}
