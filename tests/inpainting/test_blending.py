import torch

from gankit.inpainting import masks, poisson_blend


def test_blending_keeps_known_pixels_and_removes_a_constant_offset_at_the_seam():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(3, 16, 16, generator=gen) * 2 - 1
    x = x.clamp(-0.5, 0.5)  # room for the offset without clipping
    m = masks.center(16, 0.5)
    # G's image is right up to a brightness offset: its gradients are x's, so the Poisson solution is x itself.
    blended = poisson_blend(x + 0.3, x, m)
    assert torch.equal(blended[:, m == 1], x[:, m == 1])
    assert torch.allclose(blended, x, atol=1e-5)


def test_blending_an_image_into_itself_changes_nothing_for_any_hole_shape():
    x = torch.rand(1, 12, 12, generator=torch.Generator().manual_seed(1)) * 2 - 1
    for m in (masks.random_pixels(12, 0.8, seed=2), masks.half(12, "top"), masks.pattern(12, seed=3)):
        assert torch.allclose(poisson_blend(x, x, m), x, atol=1e-5)
