"""Hostile input: bodies too big or not JSON, forged and replayed answers, path traversal in every name, a run folder
deleted or swapped while served, long query strings, slow clients, the lab's cap, and the network warning."""
import json
import shutil
import socket
import time

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from conftest import uvicorn_thread
from gankit.serve import lab as lablib
from gankit.serve.limits import MAX_BODY
from gankit.serve.server import MAX_HEAD_BYTES, open_to_network_warning


def test_a_body_larger_than_the_limit_is_refused_before_it_is_read(client):
    response = client.post("/api/inpaint", content=b"x" * (MAX_BODY + 1), headers={"content-type": "application/json"})
    assert response.status_code == 413 and str(MAX_BODY) in response.json()["detail"]


def test_a_chunked_body_is_cut_off_when_it_grows_past_the_limit(client):
    def chunks():
        for _ in range(MAX_BODY // 1024 + 2):
            yield b" " * 1024

    response = client.post("/api/lab", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code in (400, 413)  # FastAPI reports a body it could not read as a 400
    assert client.get("/api/runs").status_code == 200


@pytest.mark.parametrize("body", [b"{", b"[1, 2", b'{"run": "digits", "rounds": }', b"\xff\xfe", b"null",
                                  b'"digits"', b"[" * 20_000 + b"]" * 20_000])
def test_malformed_json_is_refused_never_a_500(client, body):
    response = client.post("/api/game", content=body, headers={"content-type": "application/json"})
    assert response.status_code in (400, 422), response.text[:200]  # FastAPI: 400 for a body it cannot parse at all


def test_a_body_of_the_wrong_shape_is_a_422_naming_the_field(client):
    response = client.post("/api/game/x/answer", json={"round": "one", "choice": 0})
    assert response.status_code in (404, 422)  # the unknown game may be found first
    response = client.post("/api/game", json={"run": ["digits"], "rounds": 3})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "run"


def start(client, rounds=3):
    return client.post("/api/game", json={"run": "digits", "rounds": rounds}).json()["game"]


def test_forged_and_replayed_answers_are_refused_and_never_stored(client, data_dir):
    import sqlite3

    a, b = start(client), start(client)
    client.post(f"/api/game/{a}/round")
    # a round of another game: game b has dealt nothing
    forged = client.post(f"/api/game/{b}/answer", json={"round": 1, "choice": 0})
    assert forged.status_code == 409 and "not been dealt" in forged.json()["detail"]
    assert client.post(f"/api/game/{a}/answer", json={"round": 1, "choice": 1}).status_code == 200
    replayed = client.post(f"/api/game/{a}/answer", json={"round": 1, "choice": 0})
    assert replayed.status_code == 409 and "already" in replayed.json()["detail"]
    ahead = client.post(f"/api/game/{a}/answer", json={"round": 2, "choice": 0})
    assert ahead.status_code == 409  # a round not dealt yet
    invented = client.post("/api/game/AAAAAAAAAAAAAAAAAAAAAA/answer", json={"round": 1, "choice": 0})
    assert invented.status_code == 404
    assert client.post(f"/api/game/{a}/answer", json={"round": 1, "choice": 2}).status_code == 422
    rows = sqlite3.connect(data_dir / "results.sqlite3").execute(
        "SELECT game, round, choice FROM answers WHERE game IN (?, ?)", (a, b)).fetchall()
    assert rows == [(a, 1, 1)]


TRAVERSALS = ["../digits", "..%2Fdigits", "/etc/passwd", "digits/../../etc/passwd", "%2e%2e", "....//", "~", "."]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_no_name_or_id_parameter_reaches_the_file_system(client, name):
    gets = [("/api/sample.png", {"run": name}), ("/api/walk.png", {"run": name}),
            ("/api/inpaint/images", {"run": name}), ("/api/inpaint/image.png", {"run": name}),
            (f"/api/runs/{name}/progress.png", None), (f"/api/runs/{name}/watch", {"events": 1}),
            (f"/api/game/image/{name}", None), (f"/api/lab/{name}/stream", {"events": 1}),
            (f"/static/{name}/app.py", None), (f"/static/{name}", None)]
    for path, params in gets:
        response = client.get(path, params=params)
        assert response.status_code in (404, 405, 422), (path, response.status_code)
        assert b"root:" not in response.content, path
    for path, body in [("/api/game", {"run": name}), ("/api/inpaint", {"run": name, "mask": "01"}),
                       (f"/api/game/{name}/round", None), (f"/api/game/{name}/answer", {"round": 1, "choice": 0}),
                       (f"/api/lab/{name}/control", {"action": "run"})]:
        assert client.post(path, json=body).status_code in (404, 405, 422), path


def test_the_static_folder_serves_nothing_outside_itself(client):
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2Fapp.py", "/static/%2e%2e%2fapp.py"):
        response = client.get(path)
        assert response.status_code == 404 and b"create_app" not in response.content, path


def test_a_run_folder_deleted_while_served_keeps_its_samples_and_says_what_is_gone(app_factory, served_runs,
                                                                                  tmp_path):
    from gankit.serve.app import create_app

    copy = shutil.copytree(served_runs["digits"], tmp_path / "doomed")
    with TestClient(create_app([copy], tmp_path / "data")) as c:
        before = c.get("/api/sample.png", params={"run": "doomed", "seed": 3}).content
        shutil.rmtree(copy)
        after = c.get("/api/sample.png", params={"run": "doomed", "seed": 4})
        assert after.status_code == 200  # the weights were loaded at start: samples go on
        assert c.get("/api/sample.png", params={"run": "doomed", "seed": 3}).content == before
        gone = c.get("/api/runs/doomed/progress.png")
        assert gone.status_code == 404 and "no progress grid" in gone.json()["detail"]
        with c.stream("GET", "/api/runs/doomed/watch", params={"events": 1}) as stream:
            update = json.loads(next(line for line in stream.iter_lines() if line.startswith("data:"))[5:])
        assert update == {**update, "step": 0, "curves": [], "grid": None}


def test_a_run_folder_swapped_while_served_serves_the_weights_loaded_at_start(served_runs, tmp_path):
    from gankit.serve.app import create_app

    copy = shutil.copytree(served_runs["digits"], tmp_path / "swapped")
    with TestClient(create_app([copy], tmp_path / "data")) as c:
        before = c.get("/api/sample.png", params={"run": "swapped", "seed": 3})
        shutil.rmtree(copy)
        shutil.copytree(served_runs["cdigits"], copy)
        after = c.get("/api/sample.png", params={"run": "swapped", "seed": 3})
        assert after.content == before.content and after.headers["etag"] == before.headers["etag"]
        assert c.get("/api/runs/swapped/progress.png").content == (copy / "samples" / "final.png").read_bytes()


def test_a_long_query_string_is_refused_by_the_server_and_others_are_still_served(app_factory, tmp_path):
    with uvicorn_thread(app_factory(tmp_path)) as (url, port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:  # longer than clients would send
            s.sendall(b"GET /api/sample.png?run=digits&x=" + b"a" * (4 * MAX_HEAD_BYTES) +
                      b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            status = s.recv(100).split(b"\r\n")[0]
        assert status.split()[1] in (b"400", b"414", b"431"), status
        long = httpx.get(f"{url}/api/sample.png", params={"run": "digits", "x": "a" * 3000})
        assert long.status_code == 414 and "query string" in long.json()["detail"]
        capped = httpx.get(f"{url}/api/sample.png", params={"run": "d" * 1000})
        assert capped.status_code == 422 and capped.json()["detail"][0]["loc"][-1] == "run"
        assert httpx.get(f"{url}/api/runs").status_code == 200


def test_slow_clients_holding_connections_do_not_block_others(app_factory, tmp_path):
    with uvicorn_thread(app_factory(tmp_path)) as (url, port):
        held = []
        for _ in range(30):  # slowloris: each sends part of its headers and then nothing
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            held.append(s)
        try:
            started = time.perf_counter()
            for seed in range(5):
                assert httpx.get(f"{url}/api/sample.png", params={"run": "digits", "seed": seed},
                                 timeout=5).status_code == 200
            assert time.perf_counter() - started < 5
        finally:
            for s in held:
                s.close()


def test_twenty_lab_sessions_at_once_get_the_cap_with_a_clear_message(app_factory, tmp_path):
    with TestClient(app_factory(tmp_path, max_lab_sessions=4)) as c:
        answers = [c.post("/api/lab", json={}) for _ in range(20)]
        assert [a.status_code for a in answers].count(200) == 4
        refused = [a for a in answers if a.status_code != 200]
        assert all(a.status_code == 503 and "4 lab sessions are running" in a.json()["detail"] for a in refused)
        assert all(int(a.headers["retry-after"]) > 0 for a in refused)
        assert c.get("/api/sample.png", params={"run": "digits"}).status_code == 200


def test_sessions_a_closed_tab_left_unconnected_are_reaped(app_factory, tmp_path, monkeypatch):
    monkeypatch.setattr(lablib, "UNCONNECTED_S", 0.0)
    with TestClient(app_factory(tmp_path, max_lab_sessions=2)) as c:
        left = [c.post("/api/lab", json={}).json()["session"] for _ in range(2)]  # no stream ever opened
        time.sleep(0.01)
        assert c.post("/api/lab", json={}).status_code == 200  # the abandoned ones made room
        assert not set(left) & set(c.app.state.lab.sessions)


def test_a_stream_ends_after_the_longest_session_even_if_its_page_stays(app_factory, tmp_path, monkeypatch):
    from gankit.serve.routers import lab as lab_routes

    monkeypatch.setattr(lab_routes, "MAX_SESSION_S", 0.3)
    with TestClient(app_factory(tmp_path)) as c:
        sid = c.post("/api/lab", json={}).json()["session"]
        c.post(f"/api/lab/{sid}/control", json={"action": "run"})
        started = time.perf_counter()
        with c.stream("GET", f"/api/lab/{sid}/stream") as stream:  # no `events`: only the lifetime ends it
            frames = sum(line.startswith("data:") for line in stream.iter_lines())
        assert frames >= 1 and time.perf_counter() - started < 10
        assert c.app.state.lab.sessions == {}


def test_listening_beyond_this_machine_warns_that_the_results_are_open():
    assert open_to_network_warning("127.0.0.1") is None and open_to_network_warning("localhost") is None
    warning = open_to_network_warning("0.0.0.0")
    assert "results" in warning and "no login" in warning and "\n" not in warning
