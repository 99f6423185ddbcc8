"""Train the feature classifier of one built-in data set and write it into src/gankit/weights/.

    .venv/bin/python scripts/train_feature_classifier.py digits
    .venv/bin/python scripts/train_feature_classifier.py fashion-mnist --root /usr/share/datasets/fashion-mnist
    .venv/bin/python scripts/train_feature_classifier.py colour-digits      # and digit-styles, digit-styles-domain

Everything that decides the weights is written down here and in the JSON beside them: the seed, the data and the
split, the epochs, the optimiser. digits: the 5000 embedded digits, a seeded 4000 for training and the other 1000
held out (the held-out indices are stored, so reference statistics can avoid them). fashion-mnist: the 60000 training
images for training, the 10000 test images held out. The translation domains (gankit.data.translation, used by
gankit.metrics.translation): trained on renderings of the 4000 train-split digits, held out = the built-in test split
(the digits classifier's 1000 held-out digits, over patches from the test part of the photographs); colour-digits
reads MNIST-M digits, digit-styles the digit in any of the five styles, digit-styles-domain the style. Runs on CPU
in minutes; the result is deterministic for a given torch version and thread count (we use 1 thread).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from gankit.data import load_dataset
from gankit.files import atomic_path, write_text
from gankit.metrics.classifier import Classifier

WEIGHTS = Path(__file__).resolve().parents[1] / "src" / "gankit" / "weights"
# data set -> epochs; holdout: how many to hold out (a data set without a test split), None (its own test split) or
# "test split" (gankit.data.translation's); renderings: colour-digits sees each train digit over this many patches.
RECIPES = {
    "digits": {"epochs": 15, "holdout": 1000},
    "fashion-mnist": {"epochs": 4, "holdout": None},
    "colour-digits": {"epochs": 10, "holdout": "test split", "renderings": 4},
    "digit-styles": {"epochs": 6, "holdout": "test split"},         # each train digit in all five styles
    "digit-styles-domain": {"epochs": 2, "holdout": "test split"},  # the same images, labelled by style
}
SEED, BATCH_SIZE, LR, WEIGHT_DECAY = 0, 128, 3e-3, 1e-4


def splits(name: str, root: str | None):
    """(train images, train labels, held-out images, held-out labels, held-out indices or None, class names)."""
    if RECIPES[name]["holdout"] == "test split":
        return translation_splits(name)
    if RECIPES[name]["holdout"] is None:
        train, test = (load_dataset(name, root=root, split=s) for s in ("train", "test"))
        return train.x, train.y, test.x, test.y, None, train.classes
    data = load_dataset(name, root=root)
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(SEED))
    held, kept = order[:RECIPES[name]["holdout"]].sort().values, order[RECIPES[name]["holdout"]:]
    return data.x[kept], data.y[kept], data.x[held], data.y[held], held, data.classes


def translation_splits(name: str):
    """Train: each train-split digit rendered `renderings` times (colour-digits: over different photo patches) or in
    every style; held out: the built-in test split, as gankit.data.translation gives it (seed 0)."""
    from gankit.data.translation import DIGIT_STYLES, colour_digits, digit_split, load_translation, styled_digits

    x, y = digit_split("train")
    if name == "colour-digits":
        renderings = range(RECIPES[name]["renderings"])
        images = [colour_digits(x, "train", np.random.default_rng([SEED, k])) for k in renderings]
        test = load_translation("colourise", "test")
        return torch.cat(images), y.repeat(len(images)), test.b, test.b_labels, None, [str(d) for d in range(10)]
    rng = np.random.default_rng(SEED)
    images = [styled_digits(x, style, "train", rng) for style in DIGIT_STYLES]
    test = load_translation("digit-styles", "test")
    if name == "digit-styles":
        return torch.cat(images), y.repeat(len(images)), test.a, test.a_labels, None, [str(d) for d in range(10)]
    styles = torch.arange(len(DIGIT_STYLES)).repeat_interleave(len(x))
    return torch.cat(images), styles, test.a, test.a_domain, None, list(DIGIT_STYLES)


def scale(x: torch.Tensor) -> torch.Tensor:
    return x.float().div(127.5).sub(1.0)  # uint8 -> [-1, 1], as gankit's Dataset.batch


@torch.no_grad()
def accuracy(model: Classifier, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    predicted = torch.cat([model(scale(chunk)).argmax(1) for chunk in x.split(1000)])
    return float((predicted == y).float().mean())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=sorted(RECIPES))
    parser.add_argument("--root", help="where the data set's files lie (fashion-mnist)")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args(argv)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    x, y, x_held, y_held, held, classes = splits(args.dataset, args.root)
    model = Classifier(len(classes), in_channels=x.shape[1])
    epochs = RECIPES[args.dataset]["epochs"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, LR, total_steps=epochs * (len(x) // BATCH_SIZE))
    order_gen = torch.Generator().manual_seed(SEED)
    start = time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=order_gen)
        for i in range(len(x) // BATCH_SIZE):
            index = perm[i * BATCH_SIZE:(i + 1) * BATCH_SIZE]
            # A one-pixel random shift: the classifier should not depend on exact registration.
            batch = torch.roll(scale(x[index]), shifts=tuple(torch.randint(-1, 2, (2,), generator=order_gen).tolist()),
                               dims=(2, 3))
            loss = F.cross_entropy(model(batch), y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f"epoch {epoch + 1}/{epochs}  loss {loss.item():.4f}  held-out accuracy "
              f"{accuracy(model, x_held, y_held):.4f}  {time.time() - start:.0f}s", file=sys.stderr)
    held_out_accuracy = accuracy(model, x_held, y_held)
    path = args.out / f"{args.dataset}-classifier.safetensors"
    with atomic_path(path) as tmp:
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp))
    if held is not None:
        with atomic_path(args.out / f"{args.dataset}-classifier-holdout.safetensors") as tmp:
            save_file({"index": held}, str(tmp))
    meta = {
        "dataset": args.dataset, "arch": "gankit.metrics.classifier.Classifier", "num_features": model.num_features,
        "num_classes": model.num_classes, "classes": classes, "held_out_accuracy": round(held_out_accuracy, 4),
        "held_out": "indices in the holdout file" if held is not None else (
            "the test split of gankit.data.translation" if RECIPES[args.dataset]["holdout"] == "test split"
            else "the 10000 test images"),
        "in_channels": model.in_channels,
        "train_size": len(x), "held_out_size": len(x_held), "seed": SEED, "epochs": epochs,
        "batch_size": BATCH_SIZE, "optimizer": f"AdamW lr {LR} (one-cycle), weight decay {WEIGHT_DECAY}",
        "augmentation": "random shift of up to 1 pixel", "torch": torch.__version__,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "command": "scripts/train_feature_classifier.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    write_text(args.out / f"{args.dataset}-classifier.json", json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
