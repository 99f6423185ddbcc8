"""Images/s of the default's training step (issue 26): where its time goes, what the machine could give, and one change
at a time against it, beside a plain pytorch/examples-style loop of the same nets.

The default is the digits-dcgan-r1 preset (DCGAN width 32, batch 64, lazy R1 gamma 0.2 every 16 D steps, EMA 0.99).
Every variant is that preset with one change, built fresh from the same seed and trained on the same 5000 digits.
The plain loops are written as pytorch/examples/dcgan/main.py writes them (a DataLoader, three backward passes, D's
weight gradients computed during the G step too, for-each Adam, default memory format), once as they are and once
with the default's R1 and EMA added the plain way. Loops and variants are timed alternately, in one process, several
rounds; the table gives each one's median images/s, its ratio to the plain loop with R1 + EMA, and its share of the
machine's peak: the step's floating-point operations (torch.utils.flop_counter, counted once per variant over a
whole lazy-R1 cycle, eager) times steps/s, over a 2048^3 float32 matmul's measured FLOP/s. A conv probe's FLOP/s is printed
beside. --profile prints torch.profiler's table of the default's step by operator, and its shares by kind.

    python benchmarks/train_step.py [--steps 48] [--rounds 5] [--variants NAME,...] [--profile]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map
from torch.utils.flop_counter import flop_registry

from gankit.config import load_config
from gankit.data import load_dataset
from gankit.recipes.gan import GANRecipe, build_gan

PRESET = "digits-dcgan-r1"
WARMUP = 5
# name -> (--set overrides of the preset, Adam implementation); each one change from the default
VARIANTS = {
    "gankit (the default)": ([], "fused"),
    "R1 on every D step": (["gan.r1_every=1"], "fused"),
    "channels_last off": (["train.channels_last=false"], "fused"),
    "for-each Adam (not fused)": ([], "foreach"),
    "torch.compile": (["train.compile=true"], "fused"),
    "bf16 autocast": (["train.amp=true"], "fused"),
    "batch 128 and rates x2": (["train.batch_size=128", "train.lr_g=4e-4", "train.lr_d=4e-4"], "fused"),
    "1 thread": (["train.threads=1"], "fused"),
}
PLAIN = ("plain loop", "plain loop + R1 + EMA")
KINDS = {"convolution": ("conv", "mkldnn_convolution"), "batch norm": ("batch_norm",), "optimizer": ("adam", "_foreach"),
         "EMA": ("lerp",), "activations and losses": ("relu", "sigmoid", "tanh", "leaky", "binary_cross", "softplus"),
         "matrix products": ("addmm", "mm", "linear")}


def peak_flops() -> tuple[float, float]:
    """FLOP/s of a 2048^3 float32 matmul and of a convolution shaped like D's widest (128 -> 128 channels, 3x3, 14x14,
    batch 64), each the best of several repeats."""
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    x, w = torch.randn(64, 128, 14, 14), torch.randn(128, 128, 3, 3)

    def best(fn, flops: float, reps: int = 5) -> float:
        fn()
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return flops / min(times)

    return best(lambda: a @ b, 2 * 2048 ** 3), best(lambda: F.conv2d(x, w, padding=1), 2 * 64 * 128 * 128 * 9 * 14 * 14)


def recipe_for(overrides: list[str], adam: str) -> tuple[GANRecipe, int]:
    cfg = load_config(PRESET, overrides=overrides)
    recipe = GANRecipe.from_config(cfg, (1, 28, 28), 0, "cpu")
    if adam == "foreach":  # the optimizers are made on first use: set them before
        t = cfg.train
        recipe.optimizers = {"G": torch.optim.Adam(recipe.G.parameters(), t.lr_g, (t.beta1, t.beta2), foreach=True),
                             "D": torch.optim.Adam(recipe.D.parameters(), t.lr_d, (t.beta1, t.beta2), foreach=True)}
    return recipe, cfg.train.batch_size


def gankit_steps(recipe: GANRecipe, data, batch_size: int, steps: int, threads: int):
    """Yields after each training step; the caller times them."""
    perm = torch.randperm(len(data))
    per_epoch = len(data) // batch_size
    previous = torch.get_num_threads()
    torch.set_num_threads(threads or previous)
    try:
        for i in range(steps):
            j = i % per_epoch
            x, y = data.batch(perm[j * batch_size:(j + 1) * batch_size])
            recipe.train_step(x, y, i)
            yield batch_size
    finally:
        torch.set_num_threads(previous)


def plain_steps(G, D, loader, steps: int, z_dim: int, r1: float, ema: float):
    """The pytorch/examples DCGAN loop, with logits (BCEWithLogits) as our D returns them; with r1 > 0, R1 on the
    real batch and an EMA of G's weights, written the plain way."""
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    G_ema = torch.optim.swa_utils.AveragedModel(G, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(ema)) \
        if ema else None
    it = iter(loader)
    for _ in range(steps):
        try:
            (real,) = next(it)
        except StopIteration:
            it = iter(loader)
            (real,) = next(it)
        b = real.shape[0]
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        D.zero_grad()
        real.requires_grad_(r1 > 0)
        logits = D(real)
        err_real = F.binary_cross_entropy_with_logits(logits, torch.full((b,), 0.9))
        if r1:
            (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
            err_real = err_real + r1 / 2 * grad.pow(2).flatten(1).sum(1).mean()
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
        if G_ema is not None:
            G_ema.update_parameters(G)
        yield b


def images_per_s(steps) -> float:
    n, start = 0, None
    for i, b in enumerate(steps):
        if i == WARMUP:
            n, start = 0, time.perf_counter()
        n += b
    return n / (time.perf_counter() - start)


class CountFlops(TorchDispatchMode):
    """torch.utils.flop_counter's formulas (matmuls and convolutions, forward and backward) over every op that runs.
    FlopCounterMode itself cannot count R1: its module tracker breaks autograd.grad with respect to a leaf input."""
    total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            shape = lambda t: t.shape if isinstance(t, torch.Tensor) else t  # noqa: E731
            self.total += formula(*tree_map(shape, args), **tree_map(shape, kwargs), out_val=tree_map(shape, out))
        return out


def flops_per_image(make_steps, steps: int) -> float:
    with CountFlops() as counter:
        images = sum(make_steps(steps))
    return counter.total / images


def profile_default(data, steps: int) -> None:
    from torch.profiler import ProfilerActivity, profile

    recipe, batch = recipe_for([], "fused")
    for _ in gankit_steps(recipe, data, batch, WARMUP, 0):
        pass
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in gankit_steps(recipe, data, batch, steps, 0):
            pass
    events = prof.key_averages()
    print(events.table(sort_by="self_cpu_time_total", row_limit=18))
    total = sum(e.self_cpu_time_total for e in events)
    shares = {kind: 0.0 for kind in KINDS}
    for e in events:
        kind = next((k for k, names in KINDS.items() if any(n in e.key.lower() for n in names)), None)
        if kind:
            shares[kind] += e.self_cpu_time_total
    print("self CPU time by kind: " + ", ".join(f"{k} {100 * v / total:.0f} %" for k, v in shares.items())
          + f", the rest {100 * (total - sum(shares.values())) / total:.0f} %")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=48, help="timed steps per round (a multiple of 16: whole lazy-R1 "
                   "cycles)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names of VARIANTS")
    p.add_argument("--profile", action="store_true", help="also print torch.profiler's table of the default's step")
    args = p.parse_args()
    names = [v for v in args.variants.split(",") if v]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        p.error(f"unknown variant {unknown[0]!r}; the variants are {', '.join(VARIANTS)}")
    data = load_dataset("digits")
    floats = data.batch(torch.arange(len(data)))[0]
    cfg = load_config(PRESET)
    loader = DataLoader(TensorDataset(floats), batch_size=64, shuffle=True, drop_last=True)

    def plain(name):
        torch.manual_seed(0)
        G, D = build_gan(cfg.model, data.shape, 0)
        r1, ema = (cfg.gan.r1, cfg.gan.ema) if "R1" in name else (0.0, 0.0)
        return lambda steps: plain_steps(G, D, loader, steps, cfg.model.z_dim, r1, ema)

    def variant(name):
        torch.manual_seed(0)
        overrides, adam = VARIANTS[name]
        recipe, batch = recipe_for(overrides, adam)
        threads = 1 if "train.threads=1" in overrides else 0
        return lambda steps: gankit_steps(recipe, data, batch, steps, threads)

    makers = {name: plain for name in PLAIN} | {name: variant for name in names}
    if "bf16 autocast" in names and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        makers.pop("bf16 autocast")
        print("bf16 autocast left out: this CPU has no native bf16 (oneDNN reports none)")
    flops = {name: flops_per_image(make(name), 16) for name, make in makers.items()}
    results: dict[str, list[float]] = {name: [] for name in makers}
    for _ in range(args.rounds):
        for name, make in makers.items():
            results[name].append(images_per_s(make(name)(args.steps + WARMUP)))
    matmul, conv = peak_flops()
    base = statistics.median(results["plain loop + R1 + EMA"])
    print(f"\n{PRESET}: DCGAN 28x28x1 width {cfg.model.width}, {args.steps} timed steps x {args.rounds} rounds; "
          f"{time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    print(f"peak: 2048^3 float32 matmul {matmul / 1e9:.0f} GFLOP/s; conv probe {conv / 1e9:.0f} GFLOP/s")
    print(f"| {'loop':28} | images/s (median) | min | max | vs plain + R1 + EMA | MFLOP/image | share of peak |")
    print("|---|---|---|---|---|---|---|")
    for name, values in results.items():
        med = statistics.median(values)
        print(f"| {name:28} | {med:.0f} | {min(values):.0f} | {max(values):.0f} | {med / base:.2f}x | "
              f"{flops[name] / 1e6:.1f} | {100 * med * flops[name] / matmul:.0f} % |")
    if args.profile:
        profile_default(data, args.steps)


if __name__ == "__main__":
    main()
