"""A folder above data.memory_budget streams from disk: the same batches as in memory, in the trainer's order."""
import numpy as np
import pytest
import torch
from PIL import Image

import gankit.data.folder
from gankit.config import load_config
from gankit.data import load_dataset
from gankit.data.stream import StreamedFolder
from gankit.errors import GankitError
from gankit.training import Trainer


@pytest.fixture
def folder(tmp_path):
    """40 noise images of several sizes in two class folders."""
    rng = np.random.default_rng(0)
    for i in range(40):
        h, w = rng.integers(16, 40, size=2)
        path = tmp_path / "images" / ("cat" if i % 3 else "dog") / f"{i:02d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
    return tmp_path / "images"


def test_folder_above_the_budget_streams_and_below_it_loads(folder):
    assert isinstance(load_dataset("folder", root=folder, image_size=16, memory_budget=0), StreamedFolder)
    # 40 images of 3 x 16 x 16 bytes are 30 KiB: they fit in 1 GiB.
    assert not isinstance(load_dataset("folder", root=folder, image_size=16, memory_budget=1.0), StreamedFolder)


def test_streamed_batches_equal_the_in_memory_ones_in_the_given_order(folder):
    memory = load_dataset("folder", root=folder, image_size=16)
    streamed = load_dataset("folder", root=folder, image_size=16, memory_budget=0)
    assert (len(streamed), streamed.shape, streamed.classes) == (len(memory), memory.shape, memory.classes)
    order = [torch.randperm(40, generator=torch.Generator().manual_seed(s))[:8] for s in range(6)]
    got = list(streamed.stream(iter(order), torch.device("cpu")))
    assert streamed.workers >= 1 and len(got) == 6
    for index, (x, y) in zip(order, got):
        x_memory, y_memory = memory.batch(index)
        assert torch.equal(x, x_memory) and torch.equal(y, y_memory)
    assert all(torch.equal(a, b) for a, b in zip(streamed.batch(order[0]), memory.batch(order[0])))


def test_streamed_subset_picks_the_in_memory_items(folder):
    memory = load_dataset("folder", root=folder, image_size=16, n=10, seed=3)
    streamed = load_dataset("folder", root=folder, image_size=16, n=10, seed=3, memory_budget=0)
    index = torch.arange(10)
    assert torch.equal(streamed.batch(index)[0], memory.batch(index)[0])


def test_listing_the_folder_decodes_nothing(folder, monkeypatch):
    calls = []
    monkeypatch.setattr(gankit.data.folder, "decode_image", lambda *a: calls.append(a))
    load_dataset("folder", root=folder, image_size=16, memory_budget=0)
    assert calls == []  # the first batch waits for a listing of names, never for a pass over the pixels


def test_an_undecodable_file_is_one_line_naming_it(folder):
    (folder / "cat" / "broken.png").write_bytes(b"not a png")
    streamed = load_dataset("folder", root=folder, image_size=16, memory_budget=0)
    broken = [i for i, f in enumerate(streamed.files) if f.name == "broken.png"]
    with pytest.raises(GankitError, match=r"broken\.png cannot be decoded") as e:
        list(streamed.stream(iter([torch.tensor([0, *broken])]), torch.device("cpu")))
    assert "\n" not in str(e.value)


@pytest.mark.slow
def test_training_on_a_streamed_folder_gives_the_in_memory_weights(folder, tmp_path, assert_same_weights):
    overrides = ["data.name=folder", f"data.root={folder}", "data.image_size=28", "model.width=4", "model.z_dim=8",
                 "train.batch_size=8", "train.steps=6", "train.grid_size=4", "train.device=cpu", "train.threads=1"]
    memory = Trainer(load_config(overrides=overrides), tmp_path / "memory", progress=False)
    memory.fit()  # each trainer seeds the global RNG when it is made, and trains before the next is made
    streamed = Trainer(load_config(overrides=[*overrides, "data.memory_budget=0"]), tmp_path / "streamed",
                       progress=False)
    assert isinstance(streamed.data, StreamedFolder)
    streamed.fit(until_step=3)
    # Resumed from its checkpoint at step 3 (a new epoch starts at step 5), the streamed run stays exact.
    streamed = Trainer(load_config(overrides=[*overrides, "data.memory_budget=0"]), tmp_path / "streamed",
                       resume=True, progress=False)
    streamed.fit()
    assert_same_weights(memory, streamed)
