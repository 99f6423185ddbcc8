"""The live lab: open a session, stream its frames (server-sent events, about ten a second), run, pause or step.
A session ends with its stream: when the page goes away, the server stops training it."""
from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from gankit.serve.deps import SessionId, TheLab, TheLabPool
from gankit.serve.errors import Busy
from gankit.serve.lab import MAX_SESSION_S, LabSession, LabSettings
from gankit.serve.schemas import ERRORS, EVENTS, NO_STORE, LabControl, LabOpened, LabState

router = APIRouter(prefix="/api/lab", tags=["lab"], responses=ERRORS)
FRAME_S = 0.1                 # the lab's frame interval: about ten frames a second


@router.post("", summary="Open a lab session (at most max_lab_sessions at once); then open its stream",
             response_model=LabOpened)
def open_session(body: LabSettings, lab: TheLab) -> LabOpened:
    return LabOpened(session=lab.open(body))


async def frames(session: LabSession, pool, request: Request, events: int | None):
    """The session's frames as server-sent events, until the page goes away or `events` were sent."""
    sent = 0
    while events is None or sent < events:
        if await request.is_disconnected() or time.monotonic() - session.opened > MAX_SESSION_S:
            break
        if sent and not session.running and not session.pending:
            await asyncio.sleep(FRAME_S)
            continue
        started = time.perf_counter()
        try:
            frame = await pool.run(session.advance)
        except Busy:  # the lab's pool is full: skip a frame
            await asyncio.sleep(FRAME_S)
            continue
        if sent:  # the data never change: the first frame carries them, the page keeps them
            del frame["reals"]
        yield f"data: {json.dumps(frame, separators=(',', ':'))}\n\n"
        sent += 1
        if events is None or sent < events:  # about ten frames a second, however long training took
            await asyncio.sleep(max(0.01, FRAME_S - (time.perf_counter() - started)))


@router.get("/{sid}/stream", summary="Server-sent events: one frame per message while the page listens",
            response_class=StreamingResponse, responses=EVENTS)
async def stream(sid: SessionId, request: Request, lab: TheLab, pool: TheLabPool,
                 events: Annotated[int | None, Query(ge=1, le=100_000)] = None) -> StreamingResponse:
    session = lab.connect(sid)

    async def until_closed():
        try:
            async for event in frames(session, pool, request, events):
                yield event
        finally:  # the page went away (or the frames asked for were sent): the session ends with its stream
            lab.close(sid)
    return StreamingResponse(until_closed(), media_type="text/event-stream", headers=NO_STORE)


@router.post("/{sid}/control", summary="Run, pause, or take single steps", response_model=LabState)
def control(sid: SessionId, body: LabControl, lab: TheLab) -> LabState:
    session = lab.get(sid)
    if body.action == "run":
        session.running = True
    elif body.action == "pause":
        session.running = False
    else:
        session.running = False
        session.pending += body.steps
    return LabState(running=session.running, step=session.step)
