"""How fast StarGAN's D learns the domains on its own (no GAN): its domain head D_cls trained by cross-entropy on the
real digit-styles images, with the StarGAN preset's D (width 16), batch 16 and Adam(1e-4, 0.5, 0.999), from PyTorch's
default init (the authors' code) and from N(0, 0.02) (pix2pix's and CycleGAN's). Prints held-out domain accuracy
every 100 steps. docs/translation.md ("What held StarGAN back") has the result.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/stargan_dcls.py [--steps 600]
"""
from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from gankit.data.dataset import to_unit_range
from gankit.data.translation import DIGIT_STYLES, load_translation
from gankit.models.translation import StarGANDiscriminator, init_weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--lr", type=float, default=1e-4)
    args = parser.parse_args()
    torch.set_num_threads(1)
    train, test = load_translation("digit-styles", "train"), load_translation("digit-styles", "test")
    x, d = to_unit_range(train.a), train.a_domain
    x_test, d_test = to_unit_range(test.a[:1000]), test.a_domain[:1000]
    for init in ("default", "normal-0.02"):
        torch.manual_seed(0)
        D = StarGANDiscriminator(3, len(DIGIT_STYLES), 28, 16)
        if init == "normal-0.02":
            init_weights(D)
        opt = torch.optim.Adam(D.parameters(), args.lr, betas=(0.5, 0.999))
        g, start = torch.Generator().manual_seed(0), time.perf_counter()
        for step in range(1, args.steps + 1):
            i = torch.randint(len(x), (16,), generator=g)
            loss = F.cross_entropy(D(x[i])[1], d[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 100 == 0:
                with torch.no_grad():
                    accuracy = (D(x_test)[1].argmax(1) == d_test).float().mean().item()
                print(f"init {init:12} step {step:5}: held-out domain accuracy {accuracy:.1%} "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
