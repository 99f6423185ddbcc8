"""gankit: generative adversarial networks in PyTorch, for learning the theory and for real training.

    import gankit
    run = gankit.load("runs/digits-dcgan-...")   # a trained run folder
    images = run.sample(64)                      # (64, 1, 28, 28) in [-1, 1]
    run = gankit.train(G, D, x, "runs/mine", steps=2000)   # your own nets and data, with the full trainer
"""
from gankit.errors import GankitError

__version__ = "0.1.0"
__all__ = ["load", "train", "Run", "GankitError", "__version__"]


def __getattr__(name: str):
    # Imported on first use (PEP 562): `gankit --help` then runs without importing torch.
    if name in ("load", "Run"):
        from gankit import runs
        return getattr(runs, name)
    if name == "train":
        from gankit.training import train
        return train
    raise AttributeError(f"module 'gankit' has no attribute {name!r}")
