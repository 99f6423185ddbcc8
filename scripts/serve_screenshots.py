"""Screenshots of `gankit serve`'s pages for docs/serve.md, taken in Debian's Chromium with Playwright.

    .venv/bin/gankit train --preset digits-dcgan --out runs/w-digits --set train.epochs=10    # once
    .venv/bin/python scripts/serve_screenshots.py runs/w-digits [--out docs/images/serve] [--lab-seconds 20]

Serves the run on a free loopback port (results in a temporary folder), then: a grid on the sample page, the walk
at t = 0.5, a game after three rounds (always answering left), the live lab on the ring of 8 with R1 after
--lab-seconds of training, and an inpainted hole.
"""
from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

import torch
import uvicorn
from playwright.sync_api import sync_playwright

from gankit.serve.app import create_app

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--out", default="docs/images/serve")
    parser.add_argument("--lab-seconds", type=float, default=20.0)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    torch.set_num_threads(1)
    out, name = Path(args.out), Path(args.run).resolve().name
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data, socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        server = uvicorn.Server(uvicorn.Config(create_app([args.run], data), host="127.0.0.1", port=port,
                                               log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        try:
            shoot(f"http://127.0.0.1:{port}", name, out, args)
        finally:
            server.should_exit = True


def shoot(url: str, name: str, out: Path, args) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 820})
        page.set_default_timeout(120_000)
        page.goto(f"{url}/sample?run={name}&seed=2026&grid=1")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / "sample.png")
        page.goto(f"{url}/walk?run={name}")
        page.fill("#seed1", "7")
        page.eval_on_selector("#t", "s => { s.value = '500'; s.dispatchEvent(new Event('input')); }")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / "walk.png")
        page.goto(f"{url}/game?run={name}")
        page.wait_for_load_state("networkidle")
        page.click("#start")
        for number in range(1, 4):
            page.wait_for_function(f"() => document.querySelector('#prompt').textContent.startsWith('Round {number} ')")
            page.click("#pick0")
        page.wait_for_function("() => document.querySelector('#verdict').textContent !== ''")
        page.screenshot(path=out / "game.png")
        page.goto(f"{url}/lab")
        page.check("#r1")
        page.click("#new")
        page.wait_for_selector("#run-btn:enabled")
        page.click("#run-btn")
        time.sleep(args.lab_seconds)
        page.click("#pause")
        time.sleep(0.5)
        page.screenshot(path=out / "lab.png")
        page.goto(f"{url}/inpaint?run={name}&index=5")
        page.wait_for_load_state("networkidle")
        box = page.query_selector("#canvas").bounding_box()
        page.mouse.move(box["x"] + 110, box["y"] + 150)
        page.mouse.down()
        for i in range(12):
            page.mouse.move(box["x"] + 110 + 10 * i, box["y"] + 150 + 2 * i)
        page.mouse.up()
        page.click("#fill")
        page.wait_for_function("() => document.querySelector('#filled-caption').textContent.includes('after 200')")
        page.screenshot(path=out / "inpaint.png")
        browser.close()
    print("\n".join(str(out / f"{shot}.png") for shot in ("sample", "walk", "game", "lab", "inpaint")))


if __name__ == "__main__":
    main()
