"""Images/s of the default DCGAN's training step: gankit against a plain pytorch/examples-style loop.

Both train the same nets (the digits-dcgan preset's G and D, built fresh from the same seed) at the same batch size on
the same 5000 digits. The plain loop is written as pytorch/examples/dcgan/main.py writes it: a DataLoader over the
data, three backward passes (D on real, D on fake, G), D's weight gradients computed during the G step too, default
(for-each) Adam, default memory format. The two are timed alternately, in one process, several rounds; the table
gives the median of each.

    python benchmarks/train_step.py [--width 32] [--batch-size 64] [--steps 60] [--rounds 5]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from gankit.config import load_config
from gankit.data import load_dataset
from gankit.recipes.gan import GANRecipe, build_gan


def plain_loop(G, D, loader, steps: int, z_dim: int) -> float:
    """The pytorch/examples DCGAN loop, with logits (BCEWithLogits) as our D returns them."""
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    n_images, start, it = 0, None, iter(loader)
    for i in range(steps + 5):
        if i == 5:
            start, n_images = time.perf_counter(), 0
        try:
            (real,) = next(it)
        except StopIteration:
            it = iter(loader)
            (real,) = next(it)
        b = real.shape[0]
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        D.zero_grad()
        err_real = F.binary_cross_entropy_with_logits(D(real), torch.ones(b))
        err_real.backward()
        fake = G(torch.randn(b, z_dim))
        err_fake = F.binary_cross_entropy_with_logits(D(fake.detach()), torch.zeros(b))
        err_fake.backward()
        opt_d.step()
        # (2) Update G network: maximize log(D(G(z)))
        G.zero_grad()
        err_g = F.binary_cross_entropy_with_logits(D(fake), torch.ones(b))
        err_g.backward()
        opt_g.step()
        n_images += b
    return n_images / (time.perf_counter() - start)


def gankit_loop(recipe: GANRecipe, data, steps: int, batch_size: int) -> float:
    n_images, start = 0, None
    perm = torch.randperm(len(data))
    per_epoch = len(data) // batch_size
    for i in range(steps + 5):
        if i == 5:
            start, n_images = time.perf_counter(), 0
        j = i % per_epoch
        x, y = data.batch(perm[j * batch_size:(j + 1) * batch_size])
        recipe.train_step(x, y, i)
        n_images += batch_size
    return n_images / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=None, help="model.width (default: the preset's)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()

    overrides = [f"train.batch_size={args.batch_size}"] + ([f"model.width={args.width}"] if args.width else [])
    cfg = load_config("digits-dcgan", overrides=overrides)
    cfg_plain_layout = load_config("digits-dcgan", overrides=overrides + ["train.channels_last=false"])
    data = load_dataset("digits")
    floats = data.batch(torch.arange(len(data)))[0]
    loader = DataLoader(TensorDataset(floats), batch_size=args.batch_size, shuffle=True, drop_last=True)
    device = torch.device("cpu")

    results: dict[str, list[float]] = {"plain pytorch/examples loop": [], "gankit": [],
                                       "gankit, channels_last off": []}
    for _ in range(args.rounds):
        torch.manual_seed(0)
        G, D = build_gan(cfg.model, data.shape, 0)
        results["plain pytorch/examples loop"].append(plain_loop(G, D, loader, args.steps, cfg.model.z_dim))
        torch.manual_seed(0)
        results["gankit"].append(gankit_loop(GANRecipe.from_config(cfg, data.shape, 0, device), data, args.steps,
                                             args.batch_size))
        torch.manual_seed(0)
        results["gankit, channels_last off"].append(
            gankit_loop(GANRecipe.from_config(cfg_plain_layout, data.shape, 0, device), data, args.steps, args.batch_size))

    base = statistics.median(results["plain pytorch/examples loop"])
    print(f"DCGAN 28x28x1, width {cfg.model.width}, batch {args.batch_size}, {args.steps} timed steps x "
          f"{args.rounds} rounds, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'loop':<30} {'images/s (median)':>18} {'min':>8} {'max':>8} {'vs plain':>9}")
    for name, values in results.items():
        med = statistics.median(values)
        print(f"{name:<30} {med:>18.0f} {min(values):>8.0f} {max(values):>8.0f} {med / base:>8.2f}x")


if __name__ == "__main__":
    main()
