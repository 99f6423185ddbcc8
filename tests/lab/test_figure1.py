"""Figure 1 of Goodfellow et al. (2014): D learns the boundary, p_g moves onto p_data, D ends at 1/2.

Bounds: every one of seeds 0-9 met them (docs/lab.md gives the spread). Quick mode (600 steps of
Algorithm 1) is nearer the start of the story, so its bounds are looser than the full run's.
"""
import pytest

from gankit.lab import figure1

BOUNDS = {  # mode -> (panel (b) |D - D*|, |mean of p_g|, |std of p_g - 1|, |D - 1/2| anywhere, mean |D - 1/2|)
    "quick": (0.04, 0.35, 0.1, 0.25, 0.1),
    "full": (0.02, 0.05, 0.15, 0.05, 0.02),
}


def check_the_claim(numbers: dict, mode: str) -> None:
    b_error, mean, std, anywhere, on_average = BOUNDS[mode]
    assert numbers["panel (b): mean |D - D*| on [-2, 2]"] <= b_error  # D learnt the boundary in the inner loop
    assert abs(numbers["p_g at end: mean"]) <= mean  # p_g, which started at N(-2.5, 0.5^2), sits on N(0, 1)
    assert abs(numbers["p_g at end: std"] - 1) <= std
    low, high = numbers["panel (d): D(x) min, max on [-2, 2]"]
    assert 0.5 - anywhere <= low <= high <= 0.5 + anywhere  # D can no longer tell them apart
    assert numbers["panel (d): mean |D(x) - 1/2| on [-2, 2]"] <= on_average


def test_quick_figure1_shows_D_learn_G_move_and_D_end_at_one_half():
    check_the_claim(figure1.simulate(quick=True, seed=0)[0], "quick")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quick_figure1_claim_holds_for_other_seeds(seed):
    check_the_claim(figure1.simulate(quick=True, seed=seed)[0], "quick")


@pytest.mark.slow
def test_full_figure1_claim_and_its_pictures(tmp_path):
    numbers = figure1.run(tmp_path, quick=False, seed=1)
    check_the_claim(numbers, "full")
    assert all((tmp_path / name).is_file() for name in numbers["files"]) and numbers["files"]
