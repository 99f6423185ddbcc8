from types import SimpleNamespace

import torch
from torch import nn

import gankit.latent as latent


class BrightnessGenerator(nn.Module):
    """A generator whose ink is set by z[0] alone: a 28x28 image of one gray level tanh(z0)."""

    def forward(self, z, y=None):
        return torch.tanh(z[:, :1, None, None]).expand(-1, 1, 28, 28)


def stub_run(z_dim=5):
    """A run that draws 28x28 images from z (so it passes require_image_generator)."""
    return SimpleNamespace(G=BrightnessGenerator(), device=torch.device("cpu"), num_classes=0,
                           recipe=SimpleNamespace(z_dim=z_dim), require_image_generator=lambda action: None,
                           config=SimpleNamespace(data=SimpleNamespace(name="toy")))


def test_concept_vector_is_mean_with_minus_mean_without():
    with_ = torch.tensor([[1.0, 2.0], [3.0, 2.0], [2.0, 5.0]])  # DCGAN: three exemplars per concept
    without = torch.tensor([[0.0, 1.0], [0.0, 3.0], [0.0, 2.0]])
    assert torch.equal(latent.concept_vector(with_, without), torch.tensor([2.0, 1.0]))


def test_ink_vector_points_along_the_coordinate_that_sets_ink_and_moves_held_out_codes():
    run = stub_run()
    v = latent.vector_from_attribute(run, "ink", n=1000, quantile=0.25)
    assert v[0] > 2 and v[1:].abs().max() < 0.3  # top vs bottom quarter of N(0, 1): about 2.5 apart in z0
    shift = latent.attribute_shift(run, v, "ink", n=200, scale=1.0)
    assert shift["moved"] == 1.0 and shift["mean_after"] > shift["mean_before"]
    assert shift["same_class"] != shift["same_class"]  # NaN: no classifier for this data
    assert latent.attribute_shift(run, v, "ink", n=200, scale=-1.0)["moved"] == 1.0  # the intended way is down


def test_ink_is_the_mean_intensity():
    x = torch.full((2, 1, 4, 4), -1.0)
    x[1, :, :2] = 1.0  # half the pixels white
    assert torch.allclose(latent.ink(x), torch.tensor([0.0, 0.5]))
