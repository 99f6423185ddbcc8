"""'Which is real?': nothing the browser gets before answering tells the sides apart, the server checks the answer,
every answer lands in SQLite, and the score comes with its 95 % interval."""
import io
import json
import math
import sqlite3

import numpy as np
import pytest
from PIL import Image

from gankit.cli import main
from gankit.serve.game import RESULTS_FILE, wilson_interval
from gankit.training.trainer import load_data


def start(client, rounds=10, run="digits"):
    response = client.post("/api/game", json={"run": run, "rounds": rounds})
    assert response.status_code == 200
    return response.json()["game"]


def fetch_round(client, game):
    dealt = client.post(f"/api/game/{game}/round")
    responses = [client.get(url) for url in dealt.json()["images"]]
    return dealt, responses


def real_side(client, responses, served):
    """Which picture is a held-out digit of the game's pool, judged by pixels alone (the test's own knowledge)."""
    pool = {image.numpy().tobytes() for image in served.game_images()}
    found = [np.asarray(Image.open(io.BytesIO(r.content)))[None].tobytes() in pool for r in responses]
    assert sum(found) == 1, "exactly one picture of a round is real"
    return found.index(True)


def test_nothing_sent_before_the_answer_tells_which_side_is_real(client):
    served = client.app.state.catalog.get("digits")
    game, sides, reals = start(client, rounds=24), [], set()
    for number in range(1, 25):
        dealt, (left, right) = fetch_round(client, game)
        body = dealt.json()
        assert set(body) == {"round", "of", "images"} and body["round"] == number
        assert all(url.startswith("/api/game/image/") for url in body["images"])
        # the same headers, byte for byte but the date, and files of the same length
        assert {k: v for k, v in left.headers.items() if k != "date"} == \
            {k: v for k, v in right.headers.items() if k != "date"}
        assert len(left.content) == len(right.content)
        assert Image.open(io.BytesIO(left.content)).size == Image.open(io.BytesIO(right.content)).size
        side = real_side(client, [left, right], served)
        answer = client.post(f"/api/game/{game}/answer", json={"round": number, "choice": 0}).json()
        assert answer["real"] == side and answer["correct"] == (side == 0)
        sides.append(side)
        reals.add((left, right)[side].content)
    assert 0 < sum(sides) < len(sides)  # both orders occur (all 24 alike: odds 1 in 8 million)
    # no real picture comes twice in a game: a picture seen twice would be the real one
    assert len(reals) == min(24, len(served.game_images()))


def test_the_real_images_are_ones_the_run_never_trained_on(client, served_runs):
    served = client.app.state.catalog.get("digits")
    seen = {image.numpy().tobytes() for image in load_data(served.run.config).x}
    assert served.held_out
    assert not any(image.numpy().tobytes() in seen for image in served.game_images())
    # the inpaint page's images are the other half: none of them can be matched against a game picture
    game_pool = {image.numpy().tobytes() for image in served.game_images()}
    assert not any(image.numpy().tobytes() in game_pool for image in served.inpaint_images())


def test_a_ten_round_game_stores_ten_answers_and_scores_them(client, data_dir):
    served = client.app.state.catalog.get("digits")
    game, truth = start(client, rounds=10), []
    for number in range(1, 11):
        _, responses = fetch_round(client, game)
        side = real_side(client, responses, served)
        choice = side if number <= 7 else 1 - side  # right 7 times, wrong 3 times
        result = client.post(f"/api/game/{game}/answer", json={"round": number, "choice": choice}).json()
        truth.append(choice == side)
    assert result["done"] and result["score"]["correct"] == 7 and result["score"]["answered"] == 10
    assert result["score"]["ci95"] == pytest.approx(list(wilson_interval(7, 10)))
    rows = sqlite3.connect(data_dir / RESULTS_FILE).execute(
        "SELECT round, correct, held_out FROM answers WHERE game = ? ORDER BY round", (game,)).fetchall()
    assert rows == [(n, int(ok), 1) for n, ok in zip(range(1, 11), truth)]
    over = client.post(f"/api/game/{game}/round")
    assert over.status_code == 409 and "the game is over" in over.json()["detail"]


def test_the_wilson_interval_is_the_textbook_formula():
    k, n, z = 7, 10, 1.959963984540054
    p = k / n
    centre, half = (p + z * z / (2 * n)) / (1 + z * z / n), z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n +
                                                                                          z * z / (4 * n * n))
    assert wilson_interval(k, n) == pytest.approx((centre - half, centre + half))
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_a_round_is_answered_once_and_dealt_only_after_the_last_is_answered(client):
    game = start(client, rounds=3)
    early = client.post(f"/api/game/{game}/answer", json={"round": 1, "choice": 0})
    assert early.status_code == 409 and "not been dealt" in early.json()["detail"]
    fetch_round(client, game)
    still_open = client.post(f"/api/game/{game}/round")
    assert still_open.status_code == 409 and "current round first" in still_open.json()["detail"]
    assert client.post(f"/api/game/{game}/answer", json={"round": 1, "choice": 1}).status_code == 200
    again = client.post(f"/api/game/{game}/answer", json={"round": 1, "choice": 0})
    assert again.status_code == 409 and "already" in again.json()["detail"]


@pytest.mark.parametrize("request_", [("POST", "/api/game/no-such-game/round", None),
                                      ("POST", "/api/game/no-such-game/answer", {"round": 1, "choice": 0}),
                                      ("GET", "/api/game/image/no-such-token", None)])
def test_an_unknown_game_or_image_is_not_found(client, request_):
    method, path, body = request_
    response = client.request(method, path, json=body)
    assert response.status_code == 404 and response.json()["detail"].startswith("no such")


def test_a_conditional_run_s_fakes_are_drawn_from_every_class(client, monkeypatch):
    """Without a label, a conditional G would draw its classes in order; the game draws a class at random for each
    fake, in batches drawn ahead of the rounds."""
    run, labels = client.app.state.catalog.get("cdigits").run, []
    original = run.sample

    def sample(n, seed=None, label=None):
        assert label is not None and len(label) == n
        labels.extend(label.tolist())
        return original(n, seed=seed, label=label)

    monkeypatch.setattr(run, "sample", sample)
    game = start(client, rounds=20, run="cdigits")
    for number in range(1, 21):
        fetch_round(client, game)
        client.post(f"/api/game/{game}/answer", json={"round": number, "choice": 0})
    assert len(labels) == 20  # one fake per round, none drawn past the game's end
    assert len(set(labels)) >= 5  # 20 draws from 10 classes: fewer than 5 distinct has odds below 1e-5


def test_results_are_read_back_per_run_on_the_command_line(client, data_dir, capsys):
    game = start(client, rounds=1)
    fetch_round(client, game)
    client.post(f"/api/game/{game}/answer", json={"round": 1, "choice": 0})
    assert main(["serve", "--results", "--data", str(data_dir), "--json"]) == 0
    rows = {r["run"]: r for r in json.loads(capsys.readouterr().out)["runs"]}
    stored = sqlite3.connect(data_dir / RESULTS_FILE).execute(
        "SELECT COUNT(*), SUM(correct) FROM answers WHERE run = 'digits'").fetchone()
    assert (rows["digits"]["answered"], rows["digits"]["correct"]) == stored
    assert main(["serve", "--results", "--data", str(data_dir)]) == 0
    table = capsys.readouterr().out
    assert "digits" in table and "95% CI" in table and "48.2%" in table


def test_results_from_a_folder_without_any_are_a_one_line_error(tmp_path, capsys):
    assert main(["serve", "--results", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no game results" in err and len(err.strip().splitlines()) == 1


def test_a_game_as_long_as_its_pool_shows_every_real_image_exactly_once(client, data_dir, monkeypatch):
    """The real images are dealt without replacement: with 12 images and 12 rounds, dealing with replacement would
    repeat one with probability 1 - 12!/12^12 > 0.9999."""
    served = client.app.state.catalog.get("digits")
    small = served.game_images()[:12]
    monkeypatch.setattr(served, "game_images", lambda: small)
    game, reals = start(client, rounds=12), []
    for number in range(1, 13):
        _, responses = fetch_round(client, game)
        side = real_side(client, responses, served)
        reals.append(np.asarray(Image.open(io.BytesIO(responses[side].content))).tobytes())
        client.post(f"/api/game/{game}/answer", json={"round": number, "choice": 0})
    shown = sqlite3.connect(data_dir / RESULTS_FILE).execute(
        "SELECT real_index FROM answers WHERE game = ? ORDER BY round", (game,)).fetchall()
    assert sorted(i for (i,) in shown) == list(range(12))
    assert reals == [small[i].numpy().tobytes() for (i,) in shown]  # the index stored is the image shown


def test_the_deal_order_is_a_permutation_of_the_pool_cut_to_the_rounds(tmp_path):
    from gankit.serve.game import Games, Results

    games = Games(Results(tmp_path))
    whole = games.start("run", rounds=30, held_out=True, pool_size=30)
    assert sorted(whole.real_order) == list(range(30))
    part = games.start("run", rounds=5, held_out=True, pool_size=30)
    assert len(set(part.real_order)) == 5 and set(part.real_order) <= set(range(30))
    assert sorted(games.start("run", rounds=40, held_out=True, pool_size=8).real_order) == list(range(8))
