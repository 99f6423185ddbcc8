"""The learned prior E(masked image, mask) -> z (gankit.inpainting.prior) and inpainting method "prior"."""
import shutil

import pytest
import torch
from test_checkpoint import Crash, crash_at

import gankit
from gankit.data import load_dataset
from gankit.data.sequences import holes
from gankit.errors import GankitError
from gankit.inpainting import inpaint, masks
from gankit.inpainting.prior import PriorNet, RecurrentPriorNet, held_out_loss, load_prior, train_prior
from gankit.inpainting.search import _weighted_l1
from gankit.inpainting.video import inpaint_video
from gankit.latent.inversion import project_to_sphere
from gankit.training.trainer import load_data

STEPS = 300


@pytest.fixture(scope="module")
def prior_run(tiny_run, tmp_path_factory):
    """A copy of the tiny run with a prior trained STEPS steps (the tiny run itself stays without one)."""
    path = tmp_path_factory.mktemp("prior") / "gan"
    shutil.copytree(tiny_run, path)
    train_prior(gankit.load(path), steps=STEPS, batch=32, progress=False, save_every=10_000)
    return gankit.load(path)


def held_out_digits(run, n: int) -> torch.Tensor:
    """n embedded digits that are not in the run's training subset."""
    full, seen = load_dataset("digits"), load_data(run.config)
    seen_bytes = {image.numpy().tobytes() for image in seen.x}
    keep = [i for i in range(len(full.x)) if full.x[i].numpy().tobytes() not in seen_bytes]
    return full.batch(torch.tensor(keep[::len(keep) // n][:n]))[0]


@pytest.mark.slow
def test_training_lowers_the_loss_on_held_out_draws(prior_run):
    torch.manual_seed(0)  # the initial weights train_prior starts from (seed 0)
    untrained = PriorNet(1, 28, prior_run.recipe.z_dim)
    before, after = held_out_loss(prior_run, untrained), held_out_loss(prior_run, prior_run.prior.E)
    assert prior_run.prior.step == STEPS
    assert after < 0.8 * before, (before, after)
    assert prior_run.prior.meta["held_out_loss"] == pytest.approx(after, rel=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("kind", masks.KINDS)
def test_the_prediction_alone_fits_the_known_pixels_better_than_a_random_start(prior_run, kind):
    x = held_out_digits(prior_run, 32)
    m = masks.make(kind, 28, seed=3)
    W = masks.weights(m.expand(len(x), 1, 28, 28))
    predicted = inpaint(prior_run, x, m, method="prior", iters=0, progress=False)
    ours = _weighted_l1(predicted.generated, x, W)
    theirs = torch.stack([_weighted_l1(inpaint(prior_run, x, m, method="yeh", iters=0, restarts=1, seed=seed,
                                               progress=False).generated, x, W) for seed in range(0, 800, 100)])
    assert ours.mean() < 0.95 * theirs.mean(), (ours.mean(), theirs.mean())  # a random start: the mean of 8 draws
    assert (ours < theirs.mean(0)).float().mean() > 0.75
    assert predicted.loss.shape == (1, len(x))  # iters=0: no step taken, one start


@pytest.mark.slow
def test_a_result_does_not_depend_on_the_other_images_in_the_batch(prior_run):
    x, _ = load_dataset("digits", n=4, seed=2).batch(torch.arange(4))
    m = masks.center(28)
    together = inpaint(prior_run, x, m, method="prior", iters=20, restarts=3, seed=10, progress=False)
    alone = inpaint(prior_run, x[2:3], m, method="prior", iters=20, restarts=3, seed=12, progress=False)  # seed + i
    assert torch.allclose(alone.z, together.z[2:3], atol=1e-4)
    assert torch.allclose(alone.filled, together.filled[2:3], atol=1e-4)
    assert torch.allclose(alone.loss[:, 0], together.loss[:, 2], rtol=1e-4)


def test_a_run_without_a_prior_refuses_in_one_line_naming_the_command(tiny_run):
    run = gankit.load(tiny_run)
    assert run.prior is None
    with pytest.raises(GankitError, match=f"has no learned prior; train one with `gankit prior {tiny_run}`$"):
        inpaint(run, torch.zeros(1, 1, 28, 28), masks.center(28), method="prior", progress=False)


@pytest.mark.slow
def test_the_prior_survives_a_kill_at_any_moment_of_its_save(tiny_run, tmp_path, monkeypatch):
    def prior_at(step, root):
        path = root / "gan"
        shutil.copytree(tiny_run, path)
        train_prior(gankit.load(path), steps=step, batch=4, progress=False)
        return path

    counted = prior_at(2, tmp_path / "count")
    with monkeypatch.context() as m:
        counter = crash_at(m, -1)
        train_prior(gankit.load(counted), steps=4, batch=4, progress=False)
    changes = counter[0]
    assert changes >= 5  # E, state and meta written, the folder renamed, latest.json replaced
    new = load_prior(gankit.load(counted)).E.state_dict()
    for n in range(1, changes + 1):
        path = prior_at(2, tmp_path / str(n))
        old = load_prior(gankit.load(path)).E.state_dict()
        with monkeypatch.context() as m:
            crash_at(m, n)
            with pytest.raises(Crash):
                train_prior(gankit.load(path), steps=4, batch=4, progress=False)
        prior = gankit.load(path).prior  # loads, and is the old prior or the new one, whole
        expected = {2: old, 4: new}[prior.step]
        assert all(torch.equal(v, expected[k]) for k, v in prior.E.state_dict().items()), f"crash at change {n}"


# -- the video prior -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def video_prior_run(tiny_run, tmp_path_factory):
    """A copy of the tiny run with a video prior trained from scratch (no image prior to start from)."""
    path = tmp_path_factory.mktemp("video-prior") / "gan"
    shutil.copytree(tiny_run, path)
    run = gankit.load(path)
    torch.manual_seed(0)  # as train_prior starts it
    before = held_out_loss(run, RecurrentPriorNet(1, 28, run.recipe.z_dim))
    train_prior(run, steps=200, batch=16, lr=1e-3, progress=False, video=True)
    return gankit.load(path), before


def a_path(run, frames=12):
    a, b = project_to_sphere(torch.randn(2, run.recipe.z_dim, generator=torch.Generator().manual_seed(3)))
    t = torch.linspace(0, 1, frames)[:, None]
    return run.sample(frames, z=project_to_sphere((1 - t) * a + t * b)), holes("moving", frames, 28, seed=1)


@pytest.mark.slow
def test_video_prior_training_lowers_its_loss_and_its_codes_beat_random_ones(video_prior_run):
    run, before = video_prior_run
    assert not run.video_prior.meta["from_image_prior"]
    assert run.video_prior.meta["held_out_loss"] < 0.8 * before, (before, run.video_prior.meta["held_out_loss"])
    frames, m = a_path(run)
    predicted = inpaint_video(run, frames, m, method="prior", iters_next=0, originals=frames)
    drawn = inpaint_video(run, frames, m, method="per-frame", iters=0, restarts=1, originals=frames)
    assert predicted.iterations == [1] * len(frames)  # the forward pass counts one iteration per frame
    assert predicted.hole_psnr.mean() > drawn.hole_psnr.mean() + 3, (predicted.hole_psnr, drawn.hole_psnr)
    refined = inpaint_video(run, frames, m, method="prior", iters_next=3, originals=frames)
    assert refined.iterations == [4] * len(frames)


def test_video_inpainting_with_the_prior_refuses_a_run_without_a_video_prior(tiny_run):
    frames = torch.zeros(4, 1, 28, 28)
    with pytest.raises(GankitError, match=f"has no learned video prior; train one with `gankit prior {tiny_run} "
                                          f"--video`$"):
        inpaint_video(gankit.load(tiny_run), frames, masks.center(28), method="prior")


@pytest.mark.slow
def test_a_damaged_prior_stops_only_what_uses_it(prior_run, tmp_path):
    """The prior loads on first use: sampling a run whose prior file is truncated works, and inpainting with it is
    a one-line error."""
    path = tmp_path / "run"
    shutil.copytree(prior_run.path, path)
    weights = next((path / "prior").rglob("E.safetensors"))
    weights.write_bytes(weights.read_bytes()[:100])
    run = gankit.load(path)
    assert run.sample(4, seed=0).shape[0] == 4
    with pytest.raises(GankitError):
        run.inpaint(torch.zeros(1, 1, 28, 28), masks.make("center", 28), method="prior", iters=0, progress=False)
