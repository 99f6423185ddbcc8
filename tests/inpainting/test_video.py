import argparse
import json

import pytest
import torch
from PIL import Image

import gankit
from gankit.commands import inpaint as command
from gankit.data.sequences import moving_image
from gankit.errors import GankitError
from gankit.images import to_uint8
from gankit.inpainting import masks
from gankit.inpainting.video import inpaint_video, temporal_change

torch.set_num_threads(1)


def gankit_inpaint(*argv):
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["inpaint", *map(str, argv)])
    args.func(args)


def digit():
    image = torch.full((1, 28, 28), -1.0)
    image[0, 6:22, 12:16] = 1  # a "1"
    image[0, 6:9, 9:13] = 1
    return image


def test_sequences_are_identical_for_a_seed_and_differ_between_seeds():
    a, b, c = (moving_image(digit(), 16, seed=s, hole="moving") for s in (3, 3, 4))
    assert torch.equal(a.frames, b.frames) and torch.equal(a.masks, b.masks)
    assert not torch.equal(a.frames, c.frames) and not torch.equal(a.masks, c.masks)
    assert a.frames.shape == (16, 1, 28, 28) and a.masks.shape == (16, 1, 28, 28)
    assert a.frames.min() >= -1 and a.frames.max() <= 1


def test_sequences_move_smoothly_and_keep_the_image_inside():
    s = moving_image(digit(), 16, seed=0, hole="center")
    ink = (s.frames + 1).flatten(1).sum(1)
    assert (ink / ink[0] - 1).abs().max() < 0.35                  # scaled by at most 12%: the digit never leaves
    border = torch.ones(28, 28, dtype=torch.bool)
    border[2:-2, 2:-2] = False
    assert (s.frames[:, 0][:, border] == -1).all()                # the border stays background
    steps = (s.frames[1:] - s.frames[:-1]).abs().mean(dim=(1, 2, 3))
    assert 0 < steps.max() < 0.15                                 # it moves, a little each frame
    assert torch.equal(s.masks, masks.center(28).expand(16, 1, 28, 28))


def test_temporal_change_is_the_mean_step_in_the_hole_of_either_frame():
    frames = torch.full((3, 1, 4, 4), -1.0)
    frames[1, 0, 0, 0] = 1         # frame 1: one pixel white
    frames[2, 0, 3, 3] = 0         # frame 2: another pixel mid-gray, frame 1's back to black
    m = torch.ones(3, 1, 4, 4)
    m[0, 0, 0, :2] = 0             # holes: frame 0 two pixels, frame 1 pixel (0, 0), frame 2 pixels (3, 2:4)
    m[1, 0, 0, 0] = 0
    m[2, 0, 3, 2:] = 0
    # pair (0, 1): hole {(0,0), (0,1)}, change 1 at (0,0) -> 1/2; pair (1, 2): hole {(0,0), (3,2), (3,3)},
    # change 1 at (0,0) and 0.5 at (3,3) -> 1.5/3; mean 0.5
    assert temporal_change(frames, m) == pytest.approx(0.5)
    assert temporal_change(frames[:1].repeat(3, 1, 1, 1), m) == 0


@pytest.fixture(scope="module")
def own_sequence(tiny_run):
    """16 frames the run can make: G along a smooth path between two codes, so a perfect fill exists."""
    run = gankit.load(tiny_run)
    gen = torch.Generator().manual_seed(5)
    a, b = torch.randn(2, run.recipe.z_dim, generator=gen)
    t = torch.linspace(0, 1, 16)[:, None]
    z = (1 - t) * a + t * b
    with torch.no_grad():
        frames = run.G.eval()(z).float()
    return run, frames


def test_fast_video_reaches_per_frame_quality_with_far_fewer_iterations(own_sequence):
    run, frames = own_sequence
    m = masks.center(28)
    base = inpaint_video(run, frames, m, method="per-frame", iters=200, restarts=4, originals=frames)
    fast = inpaint_video(run, frames, m, method="fast", first_iters=200, iters_next=10, restarts=4, originals=frames)
    assert base.total_iterations == 16 * 200
    assert fast.total_iterations == 200 + 15 * 10 and fast.iterations[:2] == [200, 10]
    assert base.total_iterations / fast.total_iterations > 9
    # both fills are near-exact (30 dB in the hole: an RMS error of 3% of the range); fast within 5 dB of per-frame
    assert base.hole_psnr.mean() > 30 and fast.hole_psnr.mean() > 30
    assert fast.hole_psnr.mean() > base.hole_psnr.mean() - 5
    known = m.bool().expand_as(frames)
    assert torch.equal(fast.filled[known], frames[known])      # known pixels untouched
    # the consistency term keeps neighbouring fills close: no more flicker than without it
    free = inpaint_video(run, frames, m, method="fast", first_iters=200, iters_next=10, consistency=0.0,
                         originals=frames)
    assert temporal_change(fast.filled, m.expand(16, 1, 28, 28)) <= temporal_change(free.filled,
                                                                                     m.expand(16, 1, 28, 28)) + 1e-6


def test_unknown_video_method_is_refused(own_sequence):
    run, frames = own_sequence
    with pytest.raises(GankitError, match="unknown video inpainting method 'yeh'"):
        inpaint_video(run, frames, masks.center(28), method="yeh")


def test_inpaint_video_writes_a_gif_and_a_report_and_refuses_to_overwrite(tiny_run, tmp_path, capsys):
    out = tmp_path / "out"
    gankit_inpaint(tiny_run, "--video", "builtin:2", "--method", "fast", "--iters", 5, "--out", out, "--json")
    report = json.loads(capsys.readouterr().out)
    assert sorted(p.name for p in out.iterdir()) == ["video.gif", "video.json"]
    assert json.loads((out / "video.json").read_text()) == report
    assert report["frames"] == 16 and len(report["psnr_hole_db"]) == 16 and report["method"] == "fast"
    with Image.open(out / "video.gif") as gif:
        assert gif.n_frames == 16 and gif.size == (3 * 28 * 4, 28 * 4)  # masked | filled | original, 4x
    before = (out / "video.gif").read_bytes()
    with pytest.raises(GankitError, match="exists; choose another --out or pass --force"):
        gankit_inpaint(tiny_run, "--video", "builtin:2", "--iters", 2, "--out", out)
    assert (out / "video.gif").read_bytes() == before
    gankit_inpaint(tiny_run, "--video", "builtin:2", "--iters", 2, "--out", out, "--force")
    assert json.loads((out / "video.json").read_text())["method"] == "per-frame"


def test_inpaint_video_reads_a_folder_of_frames(tiny_run, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, image in enumerate(to_uint8(moving_image(digit(), 4, seed=0).frames)):
        Image.fromarray(image[0]).save(folder / f"f{i:02d}.png")
    out = tmp_path / "out"
    gankit_inpaint(tiny_run, "--video", folder, "--mask", "half", "--iters", 2, "--out", out)
    report = json.loads((out / "video.json").read_text())
    assert report["frames"] == 4 and report["mask"] == "half"
    with pytest.raises(GankitError, match="folder of frames or builtin"):
        gankit_inpaint(tiny_run, "--video", tmp_path / "nothing", "--out", tmp_path / "o2")
    with pytest.raises(GankitError, match="name the images to inpaint"):
        gankit_inpaint(tiny_run, "--out", tmp_path / "o3")


@pytest.mark.parametrize("mu", [0.1, 2.0])
def test_fast_groups_descend_the_frames_losses_plus_mu_times_the_L1_between_consecutive_fills_in_the_hole(
        own_sequence, monkeypatch, mu):
    """The objective of a group (module docstring): sum_t [sum W ⊙ |G(z_t) - x_t| + lambda log(1 - D(G(z_t)))]
    + mu sum_t ||(1 - M_t) ⊙ (G(z_t) - G(z_{t-1}))||_1, G(z_0) the previous frame's fill; evaluated at codes of our
    own and computed here directly."""
    from gankit.inpainting import video
    from gankit.latent.codes import decode
    from gankit.recipes.base import evaluating

    run, frames = own_sequence
    frames = frames[:3]
    M = masks.make("random", 28, seed=2).expand(3, 1, 28, 28)
    objectives = []

    def spy(objective, z, *args, **kwargs):
        objectives.append(objective)
        return descend(objective, z, *args, **kwargs)

    descend = video.descend
    monkeypatch.setattr(video, "descend", spy)
    result = inpaint_video(run, frames, M, method="fast", first_iters=2, iters_next=1, restarts=1,
                           consistency=mu, lam=0.5)
    assert len(objectives) == 1  # frames 1 and 2: one group
    z = torch.randn(2, run.recipe.z_dim, generator=torch.Generator().manual_seed(9))
    D = run.recipe.D
    with evaluating(run.G, D):
        loss, _ = objectives[0](z)
        g, previous = decode(run, z), torch.cat([result.generated[:1], decode(run, z[:1])])
        contextual = (masks.weights(M[1:]) * (g - frames[1:])).abs().sum()
        perceptual = torch.log(1 - torch.sigmoid(D(g).double())).sum()
    consistency = ((1 - M[1:]) * (g - previous)).abs().sum()
    assert loss.item() == pytest.approx((contextual + 0.5 * perceptual + mu * consistency).item(), rel=1e-5)
    assert consistency > 1  # the term is not negligible here
