import pytest
import torch
from PIL import Image

import gankit
import gankit.latent as latent
from gankit.errors import GankitError


def test_slerp_keeps_norms_and_hits_both_ends():
    torch.manual_seed(0)
    z0, z1 = torch.randn(4, 100), torch.randn(4, 100)
    z1 = z1 / z1.norm(dim=1, keepdim=True) * z0.norm(dim=1, keepdim=True)  # equal norms, as typical codes have
    t = torch.linspace(0, 1, 9)[:, None, None]
    codes = latent.slerp(z0[None], z1[None], t)
    assert torch.allclose(codes.norm(dim=-1), z0.norm(dim=1).expand(9, 4), rtol=1e-5)
    assert torch.allclose(codes[0], z0, atol=1e-5) and torch.allclose(codes[-1], z1, atol=1e-5)
    # A straight line cuts inside the sphere: its midpoint is shorter by about 1/sqrt(2) for orthogonal-ish codes.
    assert (latent.lerp(z0, z1, 0.5).norm(dim=1) < 0.8 * z0.norm(dim=1)).all()


def test_slerp_interpolates_unequal_norms_linearly_and_survives_parallel_codes():
    z0 = torch.randn(16)
    codes = latent.path(z0, 3 * z0, 5, "slerp")  # parallel: the arc has length 0
    assert torch.isfinite(codes).all()
    assert torch.allclose(codes.norm(dim=1), z0.norm() * torch.tensor([1.0, 1.5, 2.0, 2.5, 3.0]), rtol=1e-5)


def test_path_refuses_unknown_methods_and_single_steps():
    with pytest.raises(GankitError, match="slerp or lerp"):
        latent.path(torch.zeros(3), torch.ones(3), 5, "cubic")
    with pytest.raises(GankitError, match="at least 2 steps"):
        latent.path(torch.zeros(3), torch.ones(3), 1)


def test_interpolation_between_two_seeds_starts_and_ends_at_their_samples(gan_run):
    run = gankit.load(gan_run)
    frames = latent.interpolate(run, 3, 4, steps=6)
    assert frames.shape == (6, 1, 28, 28)
    assert torch.allclose(frames[0], latent.decode(run, latent.code(run, 3)[None])[0], atol=1e-5)
    assert torch.allclose(frames[-1], latent.decode(run, latent.code(run, 4)[None])[0], atol=1e-5)


def test_interpolation_between_two_real_images_goes_through_their_codes(vae_run):
    run = gankit.load(vae_run)
    x, _ = gankit.data.load_dataset("digits", n=2, seed=0).batch(torch.arange(2))
    frames = latent.interpolate(run, x[0], x[1], steps=4, method="lerp")
    codes = latent.encode(run, x)
    assert torch.allclose(frames[0], latent.decode(run, codes[:1])[0], atol=1e-5)


def test_gif_loops_through_the_frames_forth_and_back(tmp_path):
    frames = torch.linspace(-1, 1, 5).view(5, 1, 1, 1).expand(5, 1, 8, 8)
    latent.save_gif(frames, tmp_path / "walk.gif", scale=2)
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 8 and gif.size == (16, 16)  # 0 1 2 3 4 3 2 1
    assert [p.name for p in tmp_path.iterdir()] == ["walk.gif"]  # no temp file left behind
