"""The runs served, and watching one train: its newest fixed-noise grid and its curves, pushed (server-sent events)
whenever its folder changes."""
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from gankit.serve.deps import NamedRun, Runs
from gankit.serve.errors import NotFound
from gankit.serve.schemas import ERRORS, EVENTS, NO_STORE, PNG, RunList

router = APIRouter(prefix="/api/runs", tags=["runs"], responses=ERRORS)
WATCH_S = 1.0                 # how often a watched run's folder is looked at
CURVE_POINTS = 500            # at most this many points per curve
CURVES = ("step", "loss_d", "loss_g", "d_real", "d_fake")


def newest_grid(run_dir: Path) -> Path | None:
    """RUN/samples/final.png, or the latest epoch-NNNN.png while the run trains."""
    samples = run_dir / "samples"
    if (samples / "final.png").is_file():
        return samples / "final.png"
    epochs = sorted(samples.glob("epoch-*.png"))
    return epochs[-1] if epochs else None


@router.get("", summary="The runs this server offers", response_model=RunList)
def list_runs(catalog: Runs) -> RunList:
    return RunList(runs=[served.describe() for served in catalog.runs.values()])


@router.get("/{name}/progress.png", summary="A run's newest fixed-noise grid", response_class=Response,
            responses=PNG)
def progress(served: NamedRun) -> Response:
    grid = newest_grid(served.run.path)
    if grid is None:
        raise NotFound(f"run {served.name!r} has no progress grid yet")
    return Response(grid.read_bytes(), media_type="image/png", headers=NO_STORE)


def folder_stamp(path: Path) -> tuple[Path | None, tuple[int, int]]:
    """The newest grid and (the log's, the grid's) modification times; a file that is not there (the folder was
    deleted, or is being rewritten) counts as 0."""
    log, grid = path / "metrics.jsonl", newest_grid(path)
    try:
        return grid, (log.stat().st_mtime_ns if log.is_file() else 0, grid.stat().st_mtime_ns if grid else 0)
    except FileNotFoundError:
        return None, (0, 0)


def read_records(path: Path) -> list[dict]:
    from gankit.runlog import read_log

    try:
        return read_log(path)
    except FileNotFoundError:  # deleted between the look and the read
        return []


async def updates(path: Path, request: Request, events: int | None):
    sent, seen = 0, None
    while events is None or sent < events:
        if await request.is_disconnected():
            break
        grid, stamp = folder_stamp(path)
        if stamp != seen:
            seen = stamp
            records = await asyncio.to_thread(read_records, path)
            every = max(1, len(records) // CURVE_POINTS)
            curves = [{k: r[k] for k in CURVES if k in r} for r in records[::every]]
            yield "data: " + json.dumps({"step": records[-1]["step"] if records else 0, "curves": curves,
                                         "grid": grid.name if grid is not None else None, "time": time.time()}) + "\n\n"
            sent += 1
            if events is not None and sent >= events:
                break
        await asyncio.sleep(WATCH_S)


@router.get("/{name}/watch", summary="Server-sent events: a run's log and grid as it trains",
            response_class=StreamingResponse, responses=EVENTS)
async def watch(served: NamedRun, request: Request,
                events: Annotated[int | None, Query(ge=1, le=100_000)] = None) -> StreamingResponse:
    return StreamingResponse(updates(served.run.path, request, events), media_type="text/event-stream",
                             headers=NO_STORE)
