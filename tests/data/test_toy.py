"""Toy distributions: mixtures whose modes the metrics can count, drawn reproducibly."""
import math

import pytest
import torch

from gankit.data import load_dataset, sample_toy, toy_modes
from gankit.errors import GankitError


def nearest_mode(x, centres):
    return torch.cdist(x, centres).min(1)


def test_ring8_points_cluster_at_8_centres_on_a_circle_of_radius_2():
    data = load_dataset("ring8")
    centres, std = toy_modes("ring8")
    assert data.x.shape == (50_000, 2) and data.x.dtype == torch.float32 and std == 0.02
    assert centres.shape == (8, 2) and torch.allclose(centres.norm(dim=1), torch.full((8,), 2.0))
    distance, mode = nearest_mode(data.x, centres)
    assert torch.equal(mode, data.y) and len(data.classes) == 8
    assert (distance < 3 * std).float().mean() > 0.98  # 2-D Gaussian: P(r < 3 std) = 1 - exp(-4.5) = 0.989
    assert data.y.bincount().min() > 50_000 / 8 * 0.9


def test_grid25_points_cluster_at_25_centres():
    data = load_dataset("grid25", n=10_000)
    centres, std = toy_modes("grid25")
    assert std == 0.05 and sorted(set(centres[:, 0].tolist())) == [-4, -2, 0, 2, 4] and len(centres) == 25
    distance, mode = nearest_mode(data.x, centres)
    assert torch.equal(mode, data.y) and len(data.y.unique()) == 25
    assert (distance < 3 * std).float().mean() > 0.98


def test_toy_data_is_reproducible_with_a_seed():
    assert torch.equal(sample_toy("ring8", 100, seed=3).x, sample_toy("ring8", 100, seed=3).x)
    assert not torch.equal(sample_toy("ring8", 100, seed=3).x, sample_toy("ring8", 100, seed=4).x)
    assert torch.equal(load_dataset("spiral", n=50, seed=1).x, load_dataset("spiral", n=50, seed=1).x)


def test_gaussian1d_is_standard_normal():
    x = load_dataset("gaussian1d").x
    assert x.shape == (50_000, 1) and abs(x.mean()) < 0.02 and abs(x.std() - 1) < 0.02


def test_gaussian_mixture1d_has_separated_modes():
    data = load_dataset("gaussian-mixture1d", n=3000)
    centres, std = toy_modes("gaussian-mixture1d")
    assert data.x.shape == (3000, 1) and torch.equal(nearest_mode(data.x, centres)[1], data.y)
    assert (centres[1:] - centres[:-1]).min() > 6 * std  # 3-std balls of neighbours never overlap


def test_spiral_is_an_unlabelled_2d_roll():
    data = load_dataset("spiral", n=5000)
    assert data.x.shape == (5000, 2) and data.y is None and data.x.abs().max() < 2.3
    radius = data.x.norm(dim=1)
    assert radius.min() < 0.8 and radius.max() > 1.7  # it winds from 1.5 pi / 7.5 = 0.63 out to 4.5 pi / 7.5 = 1.88
    with pytest.raises(GankitError, match="no discrete modes"):
        toy_modes("spiral")


def test_mode_names_are_the_centres():
    assert load_dataset("ring8", n=1).classes[:3] == ["(2, 0)", f"({math.sqrt(2):.3g}, {math.sqrt(2):.3g})", "(0, 2)"]
