"""Balance between G and D: a D trained far too much wins at once, and its G ends on part of the data.

Bounds: every one of seeds 0-9 met them with a wide margin (docs/lab.md gives the spread)."""
import pytest

from gankit.lab import balance


def runs(numbers: dict) -> tuple[dict, dict]:
    balanced, strong = numbers["runs"]
    assert balanced["run"].startswith("balanced") and strong["run"].startswith("D far too strong")
    return balanced, strong


def check_the_early_claim(numbers: dict) -> None:
    """Over D steps 51-100 the strong D rejects every fake, and knows it; the balanced game stays open."""
    balanced, strong = runs(numbers)
    assert strong["early D(G(z))"] < 0.02 and balanced["early D(G(z))"] > 0.2
    assert strong["early D loss"] < 0.1 and balanced["early D loss"] > 0.7
    assert strong["early G loss"] > 5 and balanced["early G loss"] < 2


@pytest.mark.slow
def test_quick_balance_a_strong_D_rejects_every_fake_at_once():
    check_the_early_claim(balance.simulate(quick=True, seed=0)[0])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_quick_balance_claim_holds_for_other_seeds(seed):
    check_the_early_claim(balance.simulate(quick=True, seed=seed)[0])


@pytest.mark.slow
def test_full_balance_the_strong_Ds_G_ends_on_part_of_the_ring(tmp_path):
    numbers = balance.run(tmp_path, quick=False, seed=0)
    check_the_early_claim(numbers)
    balanced, strong = runs(numbers)
    assert strong["modes near at the end"] <= 3 and balanced["modes near at the end"] == 8
    assert (tmp_path / "balance.png").is_file()
