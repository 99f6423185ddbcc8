import numpy as np

from gankit.lab.saturation import SATURATED, logit_gradients, measure_training


def test_nonsaturating_logit_gradient_is_at_least_10x_minimax_when_D_rejects_fakes():
    d_fake = np.logspace(-4, np.log10(SATURATED), 50, endpoint=False)
    grads = logit_gradients(d_fake)
    assert (grads["nonsaturating"] >= 10 * grads["minimax"]).all()
    # and the exact ratio (1 - D) / D, eq. of Section 3
    assert np.allclose(grads["nonsaturating"] / grads["minimax"], (1 - d_fake) / d_fake)


def test_in_real_training_the_nonsaturating_gradient_on_G_is_at_least_10x_once_saturated():
    records = measure_training(steps=50, seed=0)
    saturated = [r for r in records if r["d_fake"] < SATURATED]
    assert len(saturated) >= 10, "the run never reached the saturated regime"
    assert all(r["nonsaturating"] >= 10 * r["minimax"] for r in saturated)
