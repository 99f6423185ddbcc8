"""The live lab: gankit's own training step moves G's points, each frame carries what the page draws, at most N
sessions train at once, and a session ends with its stream."""
import json

import pytest
import torch

from gankit.losses import g_loss
from gankit.serve.lab import LabSession, LabSettings


def frames(client, sid, n):
    with client.stream("GET", f"/api/lab/{sid}/stream", params={"events": n}) as stream:
        return [json.loads(line[5:]) for line in stream.iter_lines() if line.startswith("data:")]


def test_running_trains_and_moves_g_s_points(client):
    sid = client.post("/api/lab", json={"dataset": "ring", "steps_per_frame": 5}).json()["session"]
    assert client.post(f"/api/lab/{sid}/control", json={"action": "run"}).json()["running"]
    first, second, third = frames(client, sid, 3)
    assert [f["step"] for f in (first, second, third)] == [5, 10, 15]
    assert "reals" in first and "reals" not in second  # the data are sent once
    assert [c[0] for c in second["curves"]] == list(range(6, 11))  # one D loss per D step, none lost between frames
    moved = torch.tensor(third["fakes"]) - torch.tensor(first["fakes"])
    assert moved.norm(dim=1).mean() > 1e-3
    assert len(first["heat"]) == first["heat_size"] ** 2 and len(first["z_lattice"]) == first["z_size"] ** 2


@pytest.mark.parametrize("loss, probability", [("nonsaturating", True), ("hinge", False)])
def test_the_heat_map_is_d_on_the_lattice_row_by_row(loss, probability):
    """heat[i * size + j] is D at (x_j, y_i) of the view's lattice: a probability for the losses that read D's output
    as one (sigmoid of the logit), the raw critic value for hinge."""
    session = LabSession(LabSettings(dataset="grid", loss=loss, seed=3))
    session.train(30)
    frame = session.frame()
    size, e = frame["heat_size"], frame["extent"]
    heat = torch.tensor(frame["heat"]).reshape(size, size)
    axis = torch.linspace(-e, e, size)
    for i, j in [(0, 0), (0, size - 1), (size - 1, 3), (7, 29), (size // 2, size // 3)]:
        with torch.no_grad():
            d = session.recipe.D(torch.tensor([[axis[j], axis[i]]])).item()
        expected = torch.sigmoid(torch.tensor(d)).item() if probability else d
        assert heat[i, j].item() == pytest.approx(expected, abs=1.5e-3)
    assert frame["probability"] == probability


def test_a_paused_session_takes_exactly_the_steps_asked_for(client):
    sid = client.post("/api/lab", json={"dataset": "grid", "k": 2}).json()["session"]
    client.post(f"/api/lab/{sid}/control", json={"action": "step", "steps": 3})
    (frame,) = frames(client, sid, 1)
    assert frame["step"] == 3 and not frame["running"]
    # k = 2: G steps after D steps 2 (and 4, ...), as Algorithm 1 has it
    assert [c[2] is not None for c in frame["curves"]] == [False, True, False]


def test_drawn_points_are_the_data(client):
    sid = client.post("/api/lab", json={"dataset": "drawn", "points": [[1.0, 1.0], [-2.0, 0.5]]}).json()["session"]
    (frame,) = frames(client, sid, 1)
    reals = torch.tensor(frame["reals"])
    nearest = torch.cdist(reals, torch.tensor([[1.0, 1.0], [-2.0, 0.5]])).min(dim=1).values
    assert nearest.max() < 0.5
    empty = client.post("/api/lab", json={"dataset": "drawn", "points": []})
    assert empty.status_code == 400 and "draw some points" in empty.json()["detail"]


@pytest.mark.parametrize("loss", ["nonsaturating", "hinge"])
def test_the_arrows_point_where_g_s_loss_falls(loss):
    session = LabSession(LabSettings(dataset="ring", loss=loss))
    session.train(20)
    frame = session.frame()
    fakes, arrows = torch.tensor(frame["fakes"][:len(frame["arrows"])]), torch.tensor(frame["arrows"])
    D = session.recipe.D
    with torch.no_grad():
        before = g_loss(loss, D(fakes))
        after = g_loss(loss, D(fakes + 1e-3 * arrows / arrows.norm(dim=1).max()))
    assert after < before


def test_at_most_n_sessions_and_a_closed_stream_frees_its_slot(app_factory, tmp_path):
    from fastapi.testclient import TestClient

    with TestClient(app_factory(tmp_path, max_lab_sessions=1)) as client:
        sid = client.post("/api/lab", json={}).json()["session"]
        full = client.post("/api/lab", json={})
        assert full.status_code == 503 and "1 lab sessions" in full.json()["detail"]
        frames(client, sid, 1)  # the stream ends, as when the page goes away
        assert client.app.state.lab.sessions == {}
        gone = client.post(f"/api/lab/{sid}/control", json={"action": "run"})
        assert gone.status_code == 404 and "no such lab session" in gone.json()["detail"]
        assert client.post("/api/lab", json={}).status_code == 200


def test_drawn_points_outside_the_view_are_moved_to_its_edge():
    settings = LabSettings(dataset="drawn", points=[(9.0, -0.5), (-4.0, -7.0)])
    assert settings.points == [(3.0, -0.5), (-3.0, -3.0)]
