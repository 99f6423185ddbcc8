"""A classroom on `gankit serve`: each client plays what a student does, at 10, 25, 50 and 100 clients at once.

Starts `gankit serve RUN` in a subprocess on a free loopback port (as a teacher would), then for each number of
clients runs that many simulated students for --seconds. Each student, in a loop with think time between clicks:

  - opens the game page (the HTML and its scripts), starts a game of --rounds rounds, and plays it: deal, fetch both
    pictures, think 1-3 s, answer;
  - opens the sample page: a few samples of fresh seeds and, one time in four, a link a classmate shared (a seed
    asked for before), now and then a grid of 16;
  - opens the latent walk and animates it for 25 frames (one frame per answer, as the page does: no think time);
  - one student in ten also opens a live-lab session and streams it for 10 s (capped by the server's --lab-sessions:
    a refusal there is the cap working, counted apart).

Every request's latency is kept (sending it to having the whole answer); an answer other than 2xx/304 is an error,
except the lab's cap. The clients are one asyncio process beside the server on the same machine: they take CPU from
it too. Load goes to 127.0.0.1 only, every row stops after --seconds, and the whole run after the last row.

    .venv/bin/gankit train --preset digits-dcgan --out runs/serve-load --set train.steps=60 --set data.n=4000
    .venv/bin/python benchmarks/serve_class.py --run runs/serve-load --clients 10 25 50 --seconds 30
    .venv/bin/python benchmarks/serve_class.py --run runs/serve-load --clients 100 --seconds 120 [--json PATH]

docs/serve.md has the results.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx2 as httpx

import record
from serve_load import free_port, start_server

PAGE_ASSETS = ("/static/style.css", "/static/common.js")


class Recorder:
    def __init__(self, end: float):
        self.end = end
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.capped = 0  # lab sessions the server's cap refused (503 with its message): the cap working

    async def get(self, http, kind: str, method: str, url: str, **kwargs):
        start = time.perf_counter()
        try:
            response = await http.request(method, url, **kwargs)
        except httpx.TransportError:
            self.errors[kind] += 1
            return None
        if response.status_code < 400:
            self.latency[kind].append(time.perf_counter() - start)
            return response
        if kind == "lab open" and response.status_code == 503:
            self.capped += 1
        else:
            self.errors[f"{kind} {response.status_code}"] += 1
        return None

    def going(self) -> bool:
        return time.perf_counter() < self.end


async def think(rng: random.Random, low: float, high: float) -> None:
    await asyncio.sleep(rng.uniform(low, high))


async def page(rec: Recorder, http, name: str) -> None:
    await rec.get(http, "page", "GET", f"/{name}")
    for asset in (*PAGE_ASSETS, f"/static/{name}.js"):
        await rec.get(http, "page", "GET", asset)
    await rec.get(http, "runs", "GET", "/api/runs")


async def play(rec: Recorder, http, rng: random.Random, run: str, rounds: int) -> None:
    await page(rec, http, "game")
    started = await rec.get(http, "game start", "POST", "/api/game", json={"run": run, "rounds": rounds})
    if started is None:
        return
    game = started.json()["game"]
    for number in range(1, rounds + 1):
        if not rec.going():
            return
        dealt = await rec.get(http, "game round", "POST", f"/api/game/{game}/round")
        if dealt is None:
            return
        for url in dealt.json()["images"]:
            await rec.get(http, "game image", "GET", url)
        await think(rng, 1.0, 3.0)
        await rec.get(http, "game answer", "POST", f"/api/game/{game}/answer",
                      json={"round": number, "choice": rng.randrange(2)})


async def samples(rec: Recorder, http, rng: random.Random, run: str, shared: list[int]) -> None:
    await page(rec, http, "sample")
    for _ in range(rng.randint(2, 5)):
        seed = rng.choice(shared) if shared and rng.random() < 0.25 else rng.randrange(2**32)
        shared.append(seed)
        await rec.get(http, "sample", "GET", "/api/sample.png", params={"run": run, "seed": seed})
        await think(rng, 0.5, 2.0)
    if rng.random() < 0.3:
        await rec.get(http, "grid", "GET", "/api/sample.png", params={"run": run, "seed": rng.randrange(2**32),
                                                                    "n": 16})


async def walk(rec: Recorder, http, rng: random.Random, run: str) -> None:
    await page(rec, http, "walk")
    seeds = {"seed0": rng.randrange(1000), "seed1": rng.randrange(1000)}
    for frame in range(25):  # Animate: the page asks for the next frame as soon as the last arrived
        t = f"{min(1.0, frame * 0.02):.3f}"
        await rec.get(http, "walk", "GET", "/api/walk.png", params={"run": run, **seeds, "t": t})
    await think(rng, 1.0, 3.0)


async def lab(rec: Recorder, http, seconds: float) -> None:
    await page(rec, http, "lab")
    opened = await rec.get(http, "lab open", "POST", "/api/lab", json={"dataset": "ring", "steps_per_frame": 10})
    if opened is None:
        return
    sid = opened.json()["session"]
    await rec.get(http, "lab control", "POST", f"/api/lab/{sid}/control", json={"action": "run"})
    stop = time.perf_counter() + seconds
    try:
        async with http.stream("GET", f"/api/lab/{sid}/stream") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    rec.latency["lab frame"].append(0.0)  # counted, not timed: frames come at the lab's pace
                if time.perf_counter() > stop or not rec.going():
                    break
    except httpx.TransportError:
        rec.errors["lab stream"] += 1


async def student(rec: Recorder, http, index: int, run: str, rounds: int, shared: list[int]) -> None:
    rng = random.Random(index)
    await asyncio.sleep(rng.uniform(0, 3))  # a class does not click at the same instant
    while rec.going():
        await play(rec, http, rng, run, rounds)
        if rec.going():
            await samples(rec, http, rng, run, shared)
        if rec.going():
            await walk(rec, http, rng, run)
        if rec.going() and index % 10 == 0:
            await lab(rec, http, 10.0)


def percentiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return (1000 * values[0],) * 3 if values else (float("nan"),) * 3
    q = statistics.quantiles(values, n=100, method="inclusive")
    return 1000 * q[49], 1000 * q[94], 1000 * q[98]


async def classroom(base: str, run: str, clients: int, seconds: float, rounds: int) -> dict:
    rec, shared = Recorder(time.perf_counter() + seconds), []
    limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients * 2)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        started = time.perf_counter()
        # every task ends by itself once rec.going() is false (a round, a walk or a lab stream at most later)
        await asyncio.wait_for(asyncio.gather(*(student(rec, http, i, run, rounds, shared) for i in range(clients))),
                               seconds + 60)
        elapsed = time.perf_counter() - started
    timed = [v for kind, values in rec.latency.items() if kind != "lab frame" for v in values]
    p50, p95, p99 = percentiles(timed)
    kinds = {kind: {"n": len(v), **dict(zip(("p50_ms", "p95_ms", "p99_ms"), percentiles(v)))}
             for kind, v in sorted(rec.latency.items()) if kind != "lab frame"}
    return {"clients": clients, "seconds": elapsed, "requests": len(timed), "requests_per_s": len(timed) / elapsed,
            "errors": sum(rec.errors.values()), "error_kinds": dict(rec.errors), "lab_capped": rec.capped,
            "lab_frames": len(rec.latency["lab frame"]), "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "kinds": kinds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a run folder of images; its folder name is what is asked for")
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 25, 50, 100])
    parser.add_argument("--seconds", type=float, default=30.0, help="per number of clients (default 30)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per game (default 5)")
    parser.add_argument("--json", metavar="PATH", help="also write the results here")
    args = parser.parse_args()
    if max(args.clients) > 200 or args.seconds > 300:
        raise SystemExit("at most 200 clients and 300 s a row: this is a classroom, not a stress test")

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="gankit-serve-class-") as data:
        server = start_server(args.run, port, None, data)
        base, name = f"http://127.0.0.1:{port}", Path(args.run).resolve().name
        try:
            rows = [asyncio.run(classroom(base, name, n, args.seconds, args.rounds)) for n in args.clients]
        finally:
            server.terminate()
            server.wait(10)
    load_average = os.getloadavg()
    print(f"gankit serve {args.run}: a classroom's mix, {args.seconds:g} s per row; {platform.machine()}, "
          f"{os.cpu_count()} CPUs; load average at the end {load_average[0]:.2f}")
    print(f"{'clients':>7} {'requests':>8} {'req/s':>6} {'errors':>6} {'lab cap':>7} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7}")
    for r in rows:
        print(f"{r['clients']:>7} {r['requests']:>8} {r['requests_per_s']:>6.1f} {r['errors']:>6} "
              f"{r['lab_capped']:>7} {r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} {r['p99_ms']:>7.1f}")
    for r in rows:
        kinds = ", ".join(f"{k} {v['p95_ms']:.0f}" for k, v in r["kinds"].items())
        print(f"  {r['clients']} clients, p95 ms by request: {kinds}; errors {r['error_kinds'] or 'none'}")
    if args.json:
        record.save(args.json, argparse.Namespace(**vars(args), load_average=load_average), rows)


if __name__ == "__main__":
    main()
