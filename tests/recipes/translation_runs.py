"""Tiny translation data and runs for the pix2pix, CycleGAN and StarGAN tests: 16-px images, width-8 nets, a few
steps, so a whole train-save-resume-translate cycle takes a second or two."""
import torch

from gankit.config import load_config
from gankit.data.translation_dataset import TranslationDataset
from gankit.runlog import read_log
from gankit.training import Trainer

SIZE = 16


def blobs(n: int, channels: int, seed: int) -> torch.Tensor:
    """uint8 (n, channels, 16, 16): a bright square somewhere on a dark ground, a different one per image."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, channels, SIZE, SIZE, dtype=torch.uint8)
    corners = torch.randint(0, SIZE - 6, (n, 2), generator=gen)
    colours = torch.randint(128, 256, (n, channels), generator=gen, dtype=torch.int64).to(torch.uint8)
    for i, (r, c) in enumerate(corners.tolist()):
        x[i, :, r:r + 6, c:c + 6] = colours[i].view(-1, 1, 1)
    return x


def tiny_data(kind: str, n: int = 16, seed: int = 0) -> TranslationDataset:
    """paired: B is A inverted (255 - A); unpaired: A gray, B colour, different images; domains: three of colour."""
    if kind == "paired":
        a = blobs(n, 1, seed)
        return TranslationDataset(a, 255 - a, True, name="edges2digits", seed=seed)
    if kind == "unpaired":
        return TranslationDataset(blobs(n, 1, seed), blobs(n + 4, 3, seed + 1), False, name="digits2colour",
                                  seed=seed)
    x = blobs(n, 3, seed)
    return TranslationDataset(x, None, False, domain=torch.arange(n) % 3, domains=["red", "green", "blue"],
                              name="digit-styles", seed=seed)


SETTINGS = {
    "pix2pix": ["data.name=edges2digits", "model.arch=unet"],
    "cyclegan": ["data.name=digits2colour", "model.arch=resnet", "model.blocks=1", "train.loss=lsgan",
                 "train.lambda_identity=0", "train.pool_size=6"],
    "stargan": ["data.name=digit-styles", "model.arch=stargan", "model.blocks=1", "train.loss=wgan-gp", "train.k=2"],
}


def tiny_config(recipe: str, *overrides: str):
    return load_config(overrides=[f"train.recipe={recipe}", *SETTINGS[recipe], "model.width=8",
                                  "train.batch_size=4", "train.steps=4", "train.grid_size=4", "train.log_every=1",
                                  "train.lr_decay=linear", "train.lr_constant=0.5", *overrides])


def check_resume_is_bit_identical(tmp_path, recipe: str, kind: str, assert_same_weights, *overrides: str):
    """2 steps, a new trainer resuming from that checkpoint for 2 more == 4 uninterrupted steps, bit for bit (weights,
    buffers such as CycleGAN's pools, and every logged figure); returns the finished run's folder."""
    cfg = tiny_config(recipe, "train.checkpoint_every=2", *overrides)
    straight = Trainer(cfg, tmp_path / "straight", progress=False, data=tiny_data(kind))
    straight.fit()
    first = Trainer(cfg, tmp_path / "resumed", progress=False, data=tiny_data(kind))
    first.fit(until_step=2)
    resumed = Trainer(cfg, tmp_path / "resumed", resume=True, progress=False, data=tiny_data(kind))
    assert resumed.step == 2
    resumed.fit()
    assert_same_weights(straight, resumed)
    assert read_log(tmp_path / "straight") == [{**r, "images_per_s": s["images_per_s"]} for r, s in
                                               zip(read_log(tmp_path / "resumed"), read_log(tmp_path / "straight"))]
    run = tmp_path / "resumed"
    for name in ("config.yaml", "curves.png", "samples/final.png", "checkpoints/latest.json"):
        assert (run / name).is_file(), name
    return run
