"""`gankit translate`: a user's own images through a trained translation run, one PNG out per image in."""
import numpy as np
import pytest
import torch
from PIL import Image

from commands.command_line import error_line

import gankit
from gankit.cli import main
from gankit.config import load_config
from gankit.data.translation_dataset import TranslationDataset
from gankit.training import Trainer


@pytest.fixture(scope="module")
def stargan_run(tmp_path_factory):
    """Two steps of a width-4 StarGAN on 16-px images in three domains (named red, green, blue)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (8, 3, 16, 16), generator=gen, dtype=torch.int64).to(torch.uint8)
    data = TranslationDataset(x, None, False, domain=torch.arange(8) % 3, domains=["red", "green", "blue"])
    cfg = load_config(overrides=["train.recipe=stargan", "data.name=digit-styles", "model.arch=stargan",
                                 "model.width=4", "model.blocks=1", "train.loss=wgan-gp", "train.batch_size=4",
                                 "train.steps=2", "train.grid_size=2"])
    run = tmp_path_factory.mktemp("stargan") / "run"
    Trainer(cfg, run, progress=False, data=data).fit()
    return run


def _write_images(folder, count, size, mode="RGB"):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        shape = (size, size, 3) if mode == "RGB" else (size, size)
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(folder / f"img{i}.png")


@pytest.mark.slow
def test_a_folder_is_translated_into_one_png_per_image_of_the_runs_size(stargan_run, tmp_path, capsys):
    _write_images(tmp_path / "mine" / "sub", 2, 40)
    _write_images(tmp_path / "mine", 1, 20, mode="L")  # gray and any size: converted as the run was trained
    out = tmp_path / "out"
    assert main(["translate", str(stargan_run), str(tmp_path / "mine"), "--to", "green", "--out", str(out)]) == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert written == ["img0.png", "sub/img0.png", "sub/img1.png"]
    picture = np.asarray(Image.open(out / "sub" / "img1.png"))
    assert picture.shape == (16, 16, 3)
    # The file is what run.translate makes of the same image.
    run = gankit.load(stargan_run)
    source = torch.from_numpy(np.array(Image.open(tmp_path / "mine" / "sub" / "img1.png").resize((16, 16),
                                                                                                   Image.BICUBIC)))
    expected = run.translate(source.permute(2, 0, 1)[None].float() / 127.5 - 1, to=1)
    assert np.abs(picture.astype(int) - gankit.images.to_uint8(expected[0]).transpose(1, 2, 0)).max() <= 1


@pytest.mark.slow
def test_bad_requests_are_one_line_and_write_nothing(stargan_run, tmp_path, capsys):
    _write_images(tmp_path / "mine", 1, 16)
    out = tmp_path / "out"
    for extra, message in [(["--to", "purple"], "red, green, blue"), ([], "--to DOMAIN")]:
        assert main(["translate", str(stargan_run), str(tmp_path / "mine"), *extra, "--out", str(out)]) == 2
        assert message in error_line(capsys)
        assert not out.exists()
    (tmp_path / "broken.png").write_bytes(b"not a png")
    assert main(["translate", str(stargan_run), str(tmp_path / "broken.png"), "--to", "red", "--out", str(out)]) == 2
    assert "cannot be read" in error_line(capsys) and not out.exists()
    (tmp_path / "tiny").mkdir()
    assert main(["translate", str(stargan_run), str(tmp_path / "tiny"), "--to", "red", "--out", str(out)]) == 2
    assert "has no images" in error_line(capsys) and not out.exists()
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    assert main(["translate", str(stargan_run), str(tmp_path / "mine"), "--to", "red", "--out", str(out)]) == 2
    assert "not an empty folder" in error_line(capsys)
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]


@pytest.mark.slow
def test_latent_tools_on_a_translation_run_say_it_has_no_latent_space(stargan_run, tmp_path, capsys):
    _write_images(tmp_path / "mine", 1, 16)
    for command in (["interpolate", str(stargan_run), "--out", str(tmp_path / "i.png")],
                    ["invert", str(stargan_run), str(tmp_path / "mine"), "--out", str(tmp_path / "inv")],
                    ["inpaint", str(stargan_run), str(tmp_path / "mine"), "--out", str(tmp_path / "inp")],
                    ["sample", str(stargan_run), "--out", str(tmp_path / "s.png")],
                    ["serve", str(stargan_run), "--data", str(tmp_path / "serve-data")]):
        assert main(command) == 2, command
        assert "gankit translate" in error_line(capsys), command
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


@pytest.mark.slow
def test_two_inputs_that_would_write_one_output_are_refused(stargan_run, tmp_path, capsys):
    _write_images(tmp_path / "mine", 1, 16)
    Image.open(tmp_path / "mine" / "img0.png").save(tmp_path / "mine" / "img0.jpg")
    out = tmp_path / "out"
    assert main(["translate", str(stargan_run), str(tmp_path / "mine"), "--to", "red", "--out", str(out)]) == 2
    assert "img0.png" in error_line(capsys) and not out.exists()


def test_a_noisy_cyclegan_generator_translates_the_same_for_one_seed_and_otherwise_for_another(tmp_path, capsys):
    gen = torch.Generator().manual_seed(0)
    a = torch.randint(0, 256, (8, 1, 16, 16), generator=gen, dtype=torch.int64).to(torch.uint8)
    b = torch.randint(0, 256, (8, 3, 16, 16), generator=gen, dtype=torch.int64).to(torch.uint8)
    cfg = load_config(overrides=["train.recipe=cyclegan", "data.name=digits2colour", "model.arch=resnet",
                                 "model.width=4", "model.blocks=1", "train.loss=lsgan", "cyclegan.lambda_identity=0",
                                 "cyclegan.noise_dim=4", "train.batch_size=4", "train.steps=2", "train.grid_size=2"])
    run = tmp_path / "run"
    Trainer(cfg, run, progress=False, data=TranslationDataset(a, b, False)).fit()
    _write_images(tmp_path / "in", 2, 16, mode="L")
    outputs = {}
    for name, seed in (("s0", 0), ("again", 0), ("s1", 1)):
        assert main(["translate", str(run), str(tmp_path / "in"), "--seed", str(seed), "--out",
                     str(tmp_path / name)]) == 0
        outputs[name] = np.stack([np.asarray(Image.open(tmp_path / name / f"img{i}.png")) for i in range(2)])
    np.testing.assert_array_equal(outputs["s0"], outputs["again"])
    assert (outputs["s0"].astype(int) - outputs["s1"]).any()
