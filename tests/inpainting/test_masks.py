import pytest
import torch

from gankit.errors import GankitError
from gankit.inpainting import masks


def test_weights_favour_known_pixels_at_the_hole_and_ignore_far_ones_and_the_hole_itself():
    # Yeh et al. eq. 2: W_i = sum over the 7x7 window N(i) of (1 - M_j) / |N(i)| for a KNOWN i, else 0.
    m = masks.center(28, 0.5)  # hole rows/cols 7..20
    W = masks.weights(m[None, None])[0, 0]
    assert (W[m == 0] == 0).all()                       # missing pixels weigh nothing
    assert W[0, 0] == 0 and W[27, 27] == 0              # known, far from the hole
    assert W[6, 14] == pytest.approx(3 * 7 / 49)        # known, just above the hole: 3 of its 7 rows are hole
    assert W[6, 14] > W[4, 14] > W[3, 14] == 0          # closer to the hole weighs more
    assert W.max() == W[6, 14]                          # the edge of the hole is where W peaks
    # the corner of the image: its window is cut to 4x4 = 16 in-image pixels
    corner = torch.ones(28, 28)
    corner[0, 1] = 0
    assert masks.weights(corner[None, None])[0, 0, 0, 0] == pytest.approx(1 / 16)


def test_mask_kinds_hide_what_they_say():
    assert (1 - masks.center(28, 0.5)).sum() == 14 * 14
    assert (1 - masks.random_pixels(28, 0.8, seed=1)).mean() == pytest.approx(0.8, abs=0.05)
    assert torch.equal(masks.random_pixels(28, seed=3), masks.random_pixels(28, seed=3))
    left = masks.half(28, "left")
    assert (left[:, :14] == 0).all() and (left[:, 14:] == 1).all()
    assert (masks.half(28, "bottom")[14:] == 0).all()
    blocks = masks.pattern(28, blocks=4, seed=0)
    assert 0 < (1 - blocks).mean() < 1
    with pytest.raises(GankitError, match="unknown mask"):
        masks.make("star", 28)


def test_a_mask_image_is_white_known_and_must_have_the_run_size(tmp_path):
    from PIL import Image

    pixels = (masks.center(28).numpy() * 255).astype("uint8")
    Image.fromarray(pixels).save(tmp_path / "m.png")
    assert torch.equal(masks.read(tmp_path / "m.png", 28), masks.center(28))
    with pytest.raises(GankitError, match="is 28x28; the run's images are 32x32"):
        masks.read(tmp_path / "m.png", 32)
    (tmp_path / "not.png").write_text("hello")
    with pytest.raises(GankitError, match="cannot be read"):
        masks.read(tmp_path / "not.png", 28)


@pytest.mark.parametrize("value, message", [(1.0, "hides nothing"), (0.0, "hides everything"), (0.5, "only 0")])
def test_masks_that_leave_nothing_to_do_or_nothing_to_go_on_are_refused(value, message):
    with pytest.raises(GankitError, match=message):
        masks.check(torch.full((1, 1, 28, 28), value))
