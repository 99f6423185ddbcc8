"""Small trained runs on the embedded digits, shared by the tests of the latent tools, inpainting and the commands
that use them (a few seconds each on one core).

The GAN's z_dim 8 keeps z identifiable from known pixels, so a code can be recovered from part of its own image, and
its samples differ from one code to the next (after 10 steps every code gave the same image, so "an unrelated sample"
was no baseline). The VAE is trained far enough that its ink direction and its amortisation gap (a search over z
beats its encoder) show.
"""
from gankit.config import load_config
from gankit.training import Trainer

COMMON = ["train.log_every=50", "train.grid_size=16"]
GAN = ["data.n=3200", "model.z_dim=8", "model.width=8", "train.batch_size=32", "train.lr_g=2e-3", "train.lr_d=2e-3",
       "train.steps=100"]
VAE = ["data.n=2000", "model.arch=vae-mlp", "model.z_dim=32", "model.width=64", "model.depth=1", "train.batch_size=64",
       "train.lr_g=3e-3", "train.steps=150"]


def train_gan(path):
    Trainer(load_config("digits-dcgan", overrides=[*COMMON, *GAN]), path, progress=False).fit()
    return path


def train_vae(path):
    Trainer(load_config("vae-digits", overrides=[*COMMON, *VAE]), path, progress=False).fit()
    return path
