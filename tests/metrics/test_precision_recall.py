import torch

from gankit.metrics.precision_recall import precision_recall


def test_a_set_against_itself_has_precision_and_recall_one():
    features = torch.randn(300, 8, generator=torch.Generator().manual_seed(0))
    assert precision_recall(features, features) == (1.0, 1.0)


def test_a_collapsed_generator_keeps_precision_and_loses_recall():
    real = torch.randn(400, 4, generator=torch.Generator().manual_seed(0))
    collapsed = real[real[:, 0] > 1.0]  # one corner of the real manifold
    precision, recall = precision_recall(real, collapsed)
    assert precision == 1.0 and recall < 0.5


def test_far_apart_sets_have_neither():
    real = torch.randn(200, 4, generator=torch.Generator().manual_seed(0))
    assert precision_recall(real, real + 100) == (0.0, 0.0)
