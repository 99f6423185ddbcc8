"""The pages in a real Chromium, driven by Playwright, against a real uvicorn server.

Playwright's own browser download needs the internet; Debian's `chromium` package is used instead (.ci/run installs
it with apt). Without a Chromium these tests are skipped with the reason, never passed silently."""
import os
import shutil
import socket
import sqlite3
import threading
import time

import pytest

from gankit.serve.game import RESULTS_FILE

CHROMIUM = os.environ.get("GANKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# As root Chromium needs --no-sandbox; --disable-background-networking keeps it from dialling out on a closed network.
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"]
pytestmark = pytest.mark.slow  # a browser and a server: seconds per test


@pytest.fixture(scope="module")
def server(app_factory, tmp_path_factory):
    """A uvicorn server on a free loopback port, in a thread, for the module's tests."""
    uvicorn = pytest.importorskip("uvicorn")
    data = tmp_path_factory.mktemp("browser-data")
    app = app_factory(data, max_lab_sessions=2)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield {"url": f"http://127.0.0.1:{port}", "app": app, "data": data}
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install playwright")
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):  # .ci/run installs it: a CI without it has lost the browser tests
            pytest.fail(f"no Chromium at {CHROMIUM} on CI: .ci/run should have installed Debian's chromium")
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium) or set "
                    f"GANKIT_CHROMIUM to a Chromium binary")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page that records every console error and uncaught exception."""
    page = browser.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.set_default_timeout(15_000)
    yield page
    page.close()


def pixels(page, selector):
    """An <img>'s pixels as the browser decoded them (a list of RGBA values)."""
    return page.eval_on_selector(selector, """img => {
        const c = document.createElement("canvas");
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        const ctx = c.getContext("2d"); ctx.drawImage(img, 0, 0);
        return Array.from(ctx.getImageData(0, 0, c.width, c.height).data); }""")


def loaded(page, selector):
    page.wait_for_function(f"() => {{ const i = document.querySelector('{selector}'); "
                           "return i && i.complete && i.naturalWidth > 0; }")


def test_every_page_loads_without_console_errors(page, server):
    from gankit.serve.routers.pages import PAGES

    for name in ("", *PAGES):
        page.goto(f"{server['url']}/{name}?run=digits")
        page.wait_for_load_state("networkidle")
        assert page.errors == [], f"/{name}: {page.errors}"
        assert page.inner_text("#error") == ""


def test_a_sample_appears_with_its_seed_in_the_url(page, server):
    page.goto(f"{server['url']}/sample?run=digits")
    loaded(page, "#sample")
    seed = page.inner_text("#seed")
    assert f"seed={seed}" in page.url
    first = pixels(page, "#sample")
    page.click("#another")
    page.wait_for_function(f"() => document.querySelector('#seed').textContent !== '{seed}'")
    loaded(page, "#sample")
    assert pixels(page, "#sample") != first
    page.goto(f"{server['url']}/sample?run=digits&seed={seed}")  # the shared address shows the same image
    loaded(page, "#sample")
    assert pixels(page, "#sample") == first and page.errors == []


def test_the_slider_changes_the_image(page, server):
    page.goto(f"{server['url']}/walk?run=digits")
    loaded(page, "#frame")
    start = pixels(page, "#frame")
    page.eval_on_selector("#t", "s => { s.value = '1000'; s.dispatchEvent(new Event('input')); }")
    page.wait_for_function("() => document.querySelector('#frame').src.includes('t=1.000')")
    loaded(page, "#frame")
    assert pixels(page, "#frame") != start and page.errors == []


def test_a_ten_round_game_records_ten_answers(page, server):
    page.goto(f"{server['url']}/game?run=digits")
    page.wait_for_selector("#run option[value=digits]", state="attached")
    page.click("#start")
    for number in range(1, 11):
        page.wait_for_function(f"() => document.querySelector('#prompt').textContent.startsWith('Round {number} ')")
        page.wait_for_selector("#pick0:enabled")
        page.click(f"#pick{number % 2}")
    page.wait_for_function("() => document.querySelector('#prompt').textContent === 'Game over.'")
    page.wait_for_selector("#summary table")
    count = sqlite3.connect(server["data"] / RESULTS_FILE).execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    assert count == 10 and "of 10 right" in page.inner_text("#score") and page.errors == []


def test_the_live_lab_shows_moving_points_and_ends_when_the_page_goes(browser, page, server):
    page.goto(f"{server['url']}/lab")
    page.click("#new")
    page.wait_for_selector("#run-btn:enabled")
    page.click("#run-btn")
    page.wait_for_function("() => typeof last !== 'undefined' && last && last.step > 0 && last.running")
    first = page.evaluate("() => last.fakes")
    page.wait_for_function("s => last.step >= s + 20", arg=page.evaluate("() => last.step"), timeout=10_000)
    assert page.evaluate("() => last.fakes") != first and page.errors == []
    lab = server["app"].state.lab
    assert len(lab.sessions) == 1
    page.close()  # the browser goes away: the server ends the session
    deadline = time.monotonic() + 10
    while lab.sessions and time.monotonic() < deadline:
        time.sleep(0.1)
    assert lab.sessions == {}
