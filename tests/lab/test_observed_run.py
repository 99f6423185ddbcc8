from gankit.lab.observed_run import observe


def test_observe_trains_with_gankits_trainer_and_snapshots_G_at_the_steps_asked():
    run = observe("tiny", "toy-ring", ["model.width=16", "train.grid_size=50"], [3, 6])
    assert sorted(run.samples) == [3, 6]
    assert run.samples[6].shape == (50, 2)
    assert [r["step"] for r in run.records] == list(range(1, 7))
    assert {"loss_d", "loss_g", "d_real", "d_fake"} <= set(run.records[-1])
