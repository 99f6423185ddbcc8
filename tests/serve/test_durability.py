"""Nothing lost: a real `gankit serve` killed with SIGKILL in the middle of a class's game rounds keeps every answer it
acknowledged, counts none twice, and `gankit serve --results` reads the same numbers after a restart; 50 clients
answering at once lose nothing."""
import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from gankit.serve.game import RESULTS_FILE

pytestmark = pytest.mark.slow  # a real server process, started twice: seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(run: Path, data: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    gankit = Path(sys.executable).with_name("gankit")
    process = subprocess.Popen([str(gankit), "serve", str(run), "--port", str(port), "--data", str(data),
                                "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            if httpx.get(f"{url}/api/runs", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("gankit serve did not answer within 60 s")


def stored(data: Path) -> list[tuple[str, int]]:
    return sorted(sqlite3.connect(data / RESULTS_FILE).execute("SELECT game, round FROM answers").fetchall())


async def student(url: str, rounds: int, acknowledged: list, sent: list) -> None:
    """Plays one game as fast as it can; records each answer sent, and each one the server acknowledged."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        game = (await http.post("/api/game", json={"run": "digits", "rounds": rounds})).json()["game"]
        for number in range(1, rounds + 1):
            dealt = await http.post(f"/api/game/{game}/round")
            for image in dealt.json()["images"]:
                await http.get(image)
            sent.append((game, number))
            answer = await http.post(f"/api/game/{game}/answer", json={"round": number, "choice": number % 2})
            if answer.status_code == 200:
                acknowledged.append((game, number))


async def class_of(url: str, clients: int, rounds: int, acknowledged: list, sent: list) -> None:
    results = await asyncio.gather(*(student(url, rounds, acknowledged, sent) for _ in range(clients)),
                                   return_exceptions=True)
    for r in results:  # a server killed mid-game ends the students' games with transport errors, nothing else
        assert r is None or isinstance(r, (httpx.TransportError, json.JSONDecodeError, KeyError)), repr(r)


def test_kill_9_mid_round_loses_no_acknowledged_answer_and_counts_none_twice(served_runs, tmp_path):
    data = tmp_path / "class"
    process, url = serve(served_runs["digits"], data)
    acknowledged, sent = [], []

    async def play_then_kill():
        playing = asyncio.ensure_future(class_of(url, 20, 10, acknowledged, sent))
        while len(acknowledged) < 40:  # rounds are being answered: kill the server in the middle of them
            await asyncio.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        await playing

    try:
        asyncio.run(play_then_kill())
    finally:
        process.kill()
        process.wait(10)
    rows = stored(data)
    assert len(rows) == len(set(rows)), "an answer was stored twice"
    assert set(acknowledged) <= set(rows), "an acknowledged answer was lost"
    assert set(rows) <= set(sent)
    assert len(acknowledged) < 200, "the server was killed before the games ended"

    process, url = serve(served_runs["digits"], data)  # the restart recovers the WAL and serves on
    try:
        assert httpx.post(f"{url}/api/game/{rows[0][0]}/round").status_code == 404  # games live in memory
        served = {r["run"]: r for r in httpx.get(f"{url}/api/game/results").json()["runs"]}
        assert served["digits"]["answered"] == len(rows)
    finally:
        process.terminate()
        process.wait(10)
    command = [str(Path(sys.executable).with_name("gankit")), "serve", "--results", "--data", str(data), "--json"]
    read = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    assert read["runs"][0]["answered"] == len(rows) == served["digits"]["answered"]
    assert read["runs"][0]["correct"] == served["digits"]["correct"]


def test_fifty_clients_answering_at_once_lose_nothing(served_runs, tmp_path):
    data = tmp_path / "class"
    process, url = serve(served_runs["digits"], data)
    acknowledged, sent = [], []
    try:
        asyncio.run(class_of(url, 50, 4, acknowledged, sent))
    finally:
        process.terminate()
        process.wait(10)
    assert len(acknowledged) == len(sent) == 200
    assert stored(data) == sorted(acknowledged)
    assert sqlite3.connect(data / RESULTS_FILE).execute("PRAGMA journal_mode").fetchone() == ("wal",)
