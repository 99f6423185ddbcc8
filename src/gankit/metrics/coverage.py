"""Class coverage of labelled data: how many classes a generator produces, and how evenly.

As the Stacked-MNIST mode counts (Metz et al. 2017, Srivastava et al. 2017): a classifier labels each generated image;
`classes` is the number of distinct classes it assigns, and `class_kl` is KL(p_G || p_data) between the generated
class histogram and the histogram the same classifier assigns to the real images (so its own errors cancel).
"""
from __future__ import annotations

import torch


def class_coverage(fake_logits: torch.Tensor, real_logits: torch.Tensor) -> dict[str, float]:
    from scipy.stats import entropy  # here, not at the top: the CLI loads faster

    k = fake_logits.shape[1]
    p_fake = torch.bincount(fake_logits.argmax(1), minlength=k).double()
    p_real = torch.bincount(real_logits.argmax(1), minlength=k).double()
    # scipy normalises both histograms; a class the data never shows but G does gives inf.
    return {"classes": float((p_fake > 0).sum()), "class_kl": float(entropy(p_fake.numpy(), p_real.numpy()))}
