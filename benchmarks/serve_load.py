"""Load on `gankit serve`: sample requests from 1, 10 and 50 concurrent clients; requests/s and latency percentiles.

Starts `gankit serve RUN` in a subprocess on a free loopback port (as a user would), waits for it, then for each
number of clients runs that many client tasks for --seconds, each sending GET /api/sample.png with a fresh seed as
soon as its last answer came back (a closed loop: the offered load grows with the clients). The clients are one
asyncio process beside the server, on the same machine: they take CPU time from it too.

    .venv/bin/gankit train --preset digits-dcgan --out runs/w-digits        # once (any 28-px run will do)
    nice -n 10 .venv/bin/python benchmarks/serve_load.py --run runs/w-digits [--clients 1 10 50] [--seconds 10]
        [--workers N] [--json results/serve_load.json]

Latency is from sending the request to having the whole PNG. A 503 (the server's queue full: it refuses rather than
queues without bound) counts as refused, not in the latency figures. docs/serve.md has the results.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx2 as httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(run: str, port: int, workers: int | None, data: str) -> subprocess.Popen:
    gankit = Path(sys.executable).with_name("gankit")
    command = [str(gankit), "serve", run, "--port", str(port), "--data", data]
    if workers:
        command += ["--workers", str(workers)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {server.stderr.read().strip()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/runs", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not answer within 120 s")


async def load(base: str, run: str, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    refused = failed = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        end = time.perf_counter() + seconds

        async def client(rng: random.Random) -> None:
            nonlocal refused, failed
            while time.perf_counter() < end:
                start = time.perf_counter()
                response = await http.get("/api/sample.png", params={"run": run, "seed": rng.randrange(2**32)})
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - start)
                elif response.status_code == 503:
                    refused += 1
                else:
                    failed += 1

        started = time.perf_counter()
        await asyncio.gather(*(client(random.Random(i)) for i in range(clients)))
        elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else [latencies[0]] * 99
    return {"clients": clients, "requests": len(latencies), "refused": refused, "failed": failed,
            "requests_per_s": len(latencies) / elapsed, "p50_ms": 1000 * q[49], "p95_ms": 1000 * q[94],
            "p99_ms": 1000 * q[98]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a run folder; its folder name is what the requests ask for")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--seconds", type=float, default=10.0, help="per number of clients (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of one client first, not counted")
    parser.add_argument("--workers", type=int, help="the server's --workers (default: its own, the CPU count)")
    parser.add_argument("--json", metavar="PATH", help="also write the results here")
    args = parser.parse_args()

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="gankit-serve-load-") as data:  # the game's database: unused here
        server = start_server(args.run, port, args.workers, data)
        base, name = f"http://127.0.0.1:{port}", Path(args.run).resolve().name
        try:
            asyncio.run(load(base, name, 1, args.warmup))
            rows = [asyncio.run(load(base, name, n, args.seconds)) for n in args.clients]
        finally:
            server.terminate()
            server.wait(10)
    load_average = os.getloadavg()
    print(f"gankit serve {args.run}: GET /api/sample.png (one 28x28 PNG), {args.seconds:g} s per row; "
          f"{platform.machine()}, {os.cpu_count()} CPUs; load average at the end {load_average[0]:.2f}")
    print(f"{'clients':>7} {'requests':>8} {'refused':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for r in rows:
        print(f"{r['clients']:>7} {r['requests']:>8} {r['refused']:>7} {r['requests_per_s']:>7.1f} "
              f"{r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} {r['p99_ms']:>7.1f}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                               "run": args.run, "load_average": load_average, "rows": rows},
                                              indent=2))


if __name__ == "__main__":
    main()
