"""gankit.images helpers that other modules lean on."""
import numpy as np
import torch
from PIL import Image

from gankit.images import luma


def test_luma_is_pillows_rgb_to_gray_conversion():
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    pillow = np.asarray(Image.fromarray(rgb).convert("L"), dtype=np.float32)
    ours = luma(torch.from_numpy(rgb).permute(2, 0, 1)[None].float())[0, 0].numpy()
    assert ours.shape == pillow.shape and np.abs(ours - pillow).max() <= 1.0  # Pillow rounds to integers
