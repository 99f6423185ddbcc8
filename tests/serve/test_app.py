"""The JSON API under the pages: samples, the latent walk, inpainting, watching a run, the OpenAPI page, and the
bounds on every input. (The game and the lab have their own files.)"""
import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

import gankit
from gankit import images


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def test_runs_are_listed_by_folder_name_with_what_they_make(client):
    runs = {r["name"]: r for r in client.get("/api/runs").json()["runs"]}
    assert set(runs) == {"digits", "cdigits", "ring"}
    assert runs["digits"]["kind"] == "image" and runs["digits"]["shape"] == [1, 28, 28]
    assert runs["cdigits"]["classes"] == [str(c) for c in range(10)]
    assert runs["ring"]["kind"] == "points"
    assert runs["digits"]["held_out"]  # trained on 320 digits: the other 4680 are held out


def test_a_sample_is_the_run_s_own_sample_for_that_seed(client, served_runs):
    response = client.get("/api/sample.png", params={"run": "digits", "seed": 7})
    assert response.headers["content-type"] == "image/png"
    expected = images.to_uint8(gankit.load(served_runs["digits"]).sample(1, seed=7)[0])[0]
    assert np.array_equal(pixels(response.content), expected)
    other = client.get("/api/sample.png", params={"run": "digits", "seed": 8}).content
    assert not np.array_equal(pixels(other), expected)


def test_grid_mode_and_scale_change_the_picture_s_size(client):
    single = pixels(client.get("/api/sample.png", params={"run": "digits", "scale": 3}).content)
    grid = pixels(client.get("/api/sample.png", params={"run": "digits", "n": 16}).content)
    assert single.shape == (84, 84)
    assert grid.shape == (4 * 30 + 2, 4 * 30 + 2)  # 4 x 4 cells of 28 px, a 2 px border around each


def test_a_conditional_sample_draws_the_class_asked_for(client, served_runs):
    run = gankit.load(served_runs["cdigits"])
    got = pixels(client.get("/api/sample.png", params={"run": "cdigits", "seed": 1, "label": 3}).content)
    assert np.array_equal(got, images.to_uint8(run.sample(1, seed=1, label=3)[0])[0])
    assert not np.array_equal(got, images.to_uint8(run.sample(1, seed=1, label=4)[0])[0])


def test_the_walk_starts_at_the_first_seed_s_sample_and_ends_at_the_second_s(client):
    def walk(t):
        return pixels(client.get("/api/walk.png", params={"run": "digits", "seed0": 5, "seed1": 9, "t": t}).content)

    def sample(seed):
        return pixels(client.get("/api/sample.png", params={"run": "digits", "seed": seed}).content)

    # slerp's end points are the codes themselves, up to float rounding: at most one grey level apart
    assert np.abs(walk(0).astype(int) - sample(5)).max() <= 1
    assert np.abs(walk(1).astype(int) - sample(9)).max() <= 1
    assert np.abs(walk(0.5).astype(int) - sample(5)).max() > 1


@pytest.mark.parametrize("path, params", [
    ("/api/sample.png", {"run": "digits", "n": 65}), ("/api/sample.png", {"run": "digits", "n": 0}),
    ("/api/sample.png", {"run": "digits", "seed": -1}), ("/api/sample.png", {"run": "digits", "seed": 2**32}),
    ("/api/sample.png", {"run": "digits", "scale": 17}), ("/api/sample.png", {"run": "digits", "label": -1}),
    ("/api/sample.png", {"run": "d" * 201}), ("/api/walk.png", {"run": "digits", "t": 1.5}),
    ("/api/walk.png", {"run": "digits", "seed1": 2**32}), ("/api/inpaint/image.png", {"run": "digits", "index": -1}),
])
def test_every_query_is_bounded(client, path, params):
    response = client.get(path, params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] in params


@pytest.mark.parametrize("path, body", [
    ("/api/game", {"run": "digits", "rounds": 51}), ("/api/game", {"run": "digits", "rounds": 0}),
    ("/api/lab", {"k": 11}), ("/api/lab", {"lr": 1.0}), ("/api/lab", {"r1": 11}), ("/api/lab", {"loss": "l2"}),
    ("/api/lab", {"dataset": "moons"}), ("/api/lab", {"dataset": "drawn", "points": [[0, 0]] * 501}),
    ("/api/lab", {"steps_per_frame": 101}),
    ("/api/inpaint", {"run": "digits", "mask": "0" * 784, "iters": 501}),
    ("/api/inpaint", {"run": "digits", "mask": "0" * (256 * 256 + 1)}),
])
def test_every_body_is_bounded(client, path, body):
    assert client.post(path, json=body).status_code == 422


@pytest.mark.parametrize("name", ["../digits", "/tmp", "digits/../ring", ""])
def test_runs_are_chosen_by_name_never_by_a_path(client, served_runs, name):
    for path in (name, str(served_runs["digits"])):
        response = client.get("/api/sample.png", params={"run": path})
        assert response.status_code == 404
        assert "no run named" in response.json()["detail"]


@pytest.mark.parametrize("run, label, message", [("digits", 1, "not conditional"), ("cdigits", 10, "0..9")])
def test_a_label_the_run_cannot_take_is_a_one_line_error(client, run, label, message):
    response = client.get("/api/sample.png", params={"run": run, "label": label})
    assert response.status_code == 400 and message in response.json()["detail"]


def test_the_image_pages_refuse_a_point_run_with_a_reason(client):
    for response in (client.get("/api/sample.png", params={"run": "ring"}),
                     client.post("/api/game", json={"run": "ring"}),
                     client.get("/api/inpaint/images", params={"run": "ring"})):
        assert response.status_code == 400 and "makes points" in response.json()["detail"]


def test_inpainting_keeps_the_known_pixels_and_fills_the_hole(client):
    original = pixels(client.get("/api/inpaint/image.png", params={"run": "digits", "index": 3}).content)
    hole = np.zeros((28, 28), bool)
    hole[8:20, 8:20] = True
    mask = "".join("0" if h else "1" for h in hole.flatten())
    result = client.post("/api/inpaint", json={"run": "digits", "index": 3, "mask": mask, "iters": 5}).json()
    filled = pixels(base64.b64decode(result["filled"].split(",", 1)[1]))
    generated = pixels(base64.b64decode(result["generated"].split(",", 1)[1]))
    assert np.abs(filled[~hole].astype(int) - original[~hole]).max() <= 1
    assert np.abs(filled[hole].astype(int) - generated[hole]).max() <= 1
    # The PSNR it reports is that of the filled image against the original, over the whole image, in [0, 1] units
    # (8-bit rounding of the PNGs moves it by well under 0.5 dB).
    mse = ((filled.astype(float) - original.astype(float)) / 255).__pow__(2).mean()
    assert result["psnr"] == pytest.approx(10 * np.log10(1 / mse), abs=0.5)


@pytest.mark.parametrize("mask, message", [("1" * 784, "no hole"), ("0" * 784, "whole image"), ("01" * 10, "784")])
def test_a_mask_without_a_hole_or_of_the_wrong_size_is_refused(client, mask, message):
    response = client.post("/api/inpaint", json={"run": "digits", "mask": mask})
    assert response.status_code == 400 and message in response.json()["detail"]


def test_an_image_index_past_the_held_out_set_is_refused(client):
    count = client.get("/api/inpaint/images", params={"run": "digits"}).json()["count"]
    response = client.get("/api/inpaint/image.png", params={"run": "digits", "index": count})
    assert response.status_code == 400 and f"0..{count - 1}" in response.json()["detail"]


def test_watching_a_run_streams_its_log_and_its_newest_grid(client, served_runs):
    with client.stream("GET", "/api/runs/digits/watch", params={"events": 1}) as stream:
        lines = [line for line in stream.iter_lines() if line.startswith("data:")]
    import json

    update = json.loads(lines[0][5:])
    assert update["step"] == 20 and update["grid"] == "final.png"
    assert [r["step"] for r in update["curves"]] == list(range(1, 21))
    grid = client.get("/api/runs/digits/progress.png").content
    assert grid == (served_runs["digits"] / "samples" / "final.png").read_bytes()


def test_the_openapi_page_documents_the_api_without_a_cdn(client):
    page = client.get("/docs").text
    assert "swagger" in page.lower() and not re.search(r"https?://", page)
    for asset in re.findall(r"(?:src|href)=['\"](/[^'\"]+)", page):
        assert client.get(asset).status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/sample.png", "/api/walk.png", "/api/game", "/api/game/{game_id}/round",
                 "/api/game/{game_id}/answer", "/api/lab", "/api/lab/{sid}/control", "/api/inpaint"):
        assert path in paths


def test_the_pages_ship_in_the_package_and_fetch_nothing_from_elsewhere(client):
    from gankit.serve.routers.pages import PAGES, package_dir

    for page in ("", *PAGES):
        response = client.get(f"/{page}")
        assert response.status_code == 200 and "text/html" in response.headers["content-type"]
        for asset in re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", response.text):
            assert client.get(asset).status_code == 200
        # one shared header: every page links every other, and marks its own link (the index marks none)
        header = response.text[response.text.index("<header>"):response.text.index("</header>")]
        assert re.findall(r'<a href="/([a-z]+)"', header) == [*PAGES, "docs"]
        assert re.findall(r'<a href="/([a-z]+)" class="here">', header) == ([page] if page else [])
        assert f'<script src="/static/{page or "index"}.js">' in response.text
    for path in [*package_dir("static").iterdir(), *(package_dir("static").parent / "pages").iterdir()]:
        assert not re.search(r"https?://", path.read_text()), f"{path.name} names another site"


def test_the_size_of_a_picture_is_bounded_as_a_whole_not_only_by_each_setting(client):
    # 64 samples at scale 16 are both allowed alone; together they would be a 3584-pixel grid of 28-px digits
    response = client.get("/api/sample.png", params={"run": "digits", "n": 64, "scale": 16})
    assert response.status_code == 400 and "above 2048" in response.json()["detail"]
    assert client.get("/api/sample.png", params={"run": "digits", "n": 64, "scale": 9}).status_code == 200


def test_every_json_answer_has_a_response_schema_in_openapi(client):
    spec = client.get("/openapi.json").json()
    expected = {("get", "/api/runs"): "RunList", ("post", "/api/game"): "GameStarted",
                ("post", "/api/game/{game_id}/round"): "Dealt", ("post", "/api/game/{game_id}/answer"): "Verdict",
                ("get", "/api/game/results"): "Results", ("get", "/api/inpaint/images"): "InpaintImages",
                ("post", "/api/inpaint"): "Inpainted", ("post", "/api/lab"): "LabOpened",
                ("post", "/api/lab/{sid}/control"): "LabState"}
    for (method, path), model in expected.items():
        ok = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{model}"}, path
        not_found = spec["paths"][path][method]["responses"]["404"]["content"]["application/json"]["schema"]
        assert not_found == {"$ref": "#/components/schemas/ErrorMessage"}, path
    for path in ("/api/sample.png", "/api/walk.png", "/api/game/image/{token}", "/api/inpaint/image.png"):
        assert list(spec["paths"][path]["get"]["responses"]["200"]["content"]) == ["image/png"], path
    schemas = spec["components"]["schemas"]
    assert set(schemas["RunInfo"]["required"]) >= {"name", "kind", "shape", "held_out"}
    assert schemas["Verdict"]["properties"]["score"] == {"$ref": "#/components/schemas/Score"}
    # the lab's settings are one model, the request body itself, with its bounds
    assert schemas["LabSettings"]["properties"]["k"]["maximum"] == 10


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/runs/nope/watch"), ("GET", "/api/runs/nope/progress.png"),
    ("GET", "/api/inpaint/images?run=nope"), ("GET", "/api/walk.png?run=nope"),
    ("GET", "/api/lab/nope/stream"), ("POST", "/api/lab/nope/control"),
])
def test_an_unknown_run_or_session_is_not_found_in_one_line(client, method, path):
    body = {"action": "run"} if method == "POST" else None
    response = client.request(method, path, json=body)
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert detail.startswith(("no run named 'nope'", "no such lab session")) and "\n" not in detail


def test_a_run_folder_path_param_is_a_name_too(client):
    assert client.get("/api/runs/..%2Fdigits/progress.png").status_code == 404
    assert client.get("/api/runs/digits/progress.png").status_code == 200


def test_a_full_pool_answers_503_with_retry_after(app_factory, tmp_path, monkeypatch):
    import threading

    from fastapi.testclient import TestClient

    release, entered = threading.Event(), threading.Event()
    with TestClient(app_factory(tmp_path, workers=1, queue=0)) as busy_client:
        run = busy_client.app.state.catalog.get("digits").run
        original = run.sample

        def slow(*args, **kwargs):
            entered.set()
            release.wait(10)
            return original(*args, **kwargs)

        monkeypatch.setattr(run, "sample", slow)
        first = threading.Thread(target=busy_client.get, args=("/api/sample.png",),
                                 kwargs={"params": {"run": "digits"}})
        first.start()
        try:
            assert entered.wait(10)
            refused = busy_client.get("/api/sample.png", params={"run": "digits", "seed": 1})
        finally:
            release.set()
            first.join(10)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert "busy" in refused.json()["detail"]
        assert busy_client.get("/api/sample.png", params={"run": "digits"}).status_code == 200


def test_a_gankit_error_from_below_is_a_bad_value_and_a_serve_error_keeps_its_status():
    from gankit.errors import GankitError
    from gankit.serve.errors import Busy, Conflict, NotFound, status_of

    assert status_of(GankitError("x")) == (400, {})
    assert status_of(NotFound("x"))[0] == 404 and status_of(Conflict("x"))[0] == 409
    assert status_of(Busy()) == (503, {"Retry-After": "1"})


def test_a_sample_is_drawn_once_then_served_from_the_cache_and_revalidated_by_etag(client, monkeypatch):
    params = {"run": "cdigits", "seed": 123456, "label": 2}
    first = client.get("/api/sample.png", params=params)
    assert first.headers["cache-control"] == "public, no-cache" and first.headers["etag"].startswith('"')
    run = client.app.state.catalog.get("cdigits").run

    def must_not_draw(*args, **kwargs):
        raise AssertionError("a cached picture was drawn again")

    monkeypatch.setattr(run, "sample", must_not_draw)
    again = client.get("/api/sample.png", params=params)
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    unchanged = client.get("/api/sample.png", params=params, headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    with pytest.raises(AssertionError, match="drawn again"):  # another label is another picture, with another tag
        client.get("/api/sample.png", params={**params, "label": 3}, headers={"If-None-Match": first.headers["etag"]})
