"""The trainer's view of translation data: batches per recipe, and data of the wrong kind for a recipe."""
import numpy as np
import pytest
import torch
from PIL import Image

from gankit.data.translation_dataset import TranslationDataset, load_translation_dataset
from gankit.errors import GankitError


def test_paired_batches_keep_their_pairs_and_many_domains_give_the_domain():
    a = torch.arange(6, dtype=torch.uint8).view(6, 1, 1, 1).expand(6, 1, 16, 16)
    paired = TranslationDataset(a, 255 - a, True)
    x, y = paired.batch(torch.tensor([4, 1]))
    assert torch.equal(x + y, torch.zeros_like(x))  # (a / 127.5 - 1) + ((255 - a) / 127.5 - 1) = 0: the same pairs
    domains = TranslationDataset(a.expand(6, 3, 16, 16), None, False, domain=torch.tensor([0, 1, 2, 0, 1, 2]),
                                 domains=["x", "y", "z"])
    _, c = domains.batch(torch.tensor([5, 3]))
    assert c.tolist() == [2, 0] and domains.num_classes == 3 and domains.shape == (3, 16, 16)
    assert paired.shape == ((1, 16, 16), (1, 16, 16))


def _unpaired_folder(root):
    rng = np.random.default_rng(0)
    for part in ("trainA", "trainB"):
        (root / part).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(root / part / f"{i}.png")


def test_a_recipe_given_the_wrong_kind_of_data_says_what_it_needs(tmp_path):
    _unpaired_folder(tmp_path / "unpaired")
    with pytest.raises(GankitError, match="pix2pix needs paired data"):
        load_translation_dataset("folder", str(tmp_path / "unpaired"), "pix2pix", kind="paired")
    with pytest.raises(GankitError, match="stargan needs data in several domains"):
        load_translation_dataset("folder", str(tmp_path / "unpaired"), "stargan", kind="domains")
    data = load_translation_dataset("folder", str(tmp_path / "unpaired"), "cyclegan")
    assert len(data) == 3 and data.held_out is None  # no testA/testB: the pictures show training images
    assert data.preview(8)[0].shape == (3, 1, 16, 16)
    with pytest.raises(GankitError, match="data.root"):
        load_translation_dataset("folder", None, "cyclegan")
