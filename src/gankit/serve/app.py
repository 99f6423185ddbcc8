"""The web app: five pages (static files in gankit/serve/static) over a JSON API, on FastAPI.

`create_app(runs, data_dir)` builds it; `gankit serve` runs it on uvicorn. The API is documented at /docs (FastAPI's
OpenAPI page). Every input is bounded by its declared type (FastAPI answers 422 naming the field and the limit); runs
are chosen by name from those given on the command line; a user mistake the types cannot catch is a GankitError,
answered 400 with its one-line message. Everything that runs a net goes through one bounded worker pool.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import secrets
import time
from importlib import resources
from pathlib import Path
from typing import Literal

import torch
from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field

from gankit.data.dataset import to_unit_range
from gankit.errors import GankitError
from gankit.losses import LOSSES
from gankit.serve import game as gamelib
from gankit.serve import lab as lablib
from gankit.serve.catalog import Catalog
from gankit.serve.pictures import decode_mask, grid_bytes, png_bytes
from gankit.serve.pool import Busy, Pool

# page -> its title in the header; each page's body is gankit/serve/pages/<page>.html, its script static/<page>.js.
PAGES = {"sample": "This digit does not exist", "walk": "Latent walk", "game": "Which is real?", "lab": "Live lab",
         "inpaint": "Inpaint"}
MAX_SEED = 2**32 - 1          # seeds travel in URLs and JavaScript numbers
MAX_GRID = 64
MAX_SCALE = 16
MAX_SIDE = 2048  # pixels a side of any picture served: n and scale are bounded together, not only apart
MAX_POINTS = 500              # points a user may draw for the lab
MAX_INPAINT_ITERS = 500
FRAME_S = 0.1                 # the lab's frame interval: about ten frames a second
WATCH_S = 1.0                 # how often a watched run's folder is looked at
NO_STORE = {"Cache-Control": "no-store"}
PNG = "image/png"


class GameStart(BaseModel):
    run: str = Field(max_length=200)
    rounds: int = Field(10, ge=1, le=gamelib.MAX_ROUNDS)


class Answer(BaseModel):
    round: int = Field(ge=1, le=gamelib.MAX_ROUNDS)
    choice: int = Field(ge=0, le=1, description="0: the left image is real; 1: the right one")


class InpaintRequest(BaseModel):
    run: str = Field(max_length=200)
    index: int = Field(0, ge=0, le=10_000, description="which held-out image (see /api/inpaint/images)")
    mask: str = Field(max_length=256 * 256, description="H*W characters, 1 known / 0 hole, row by row")
    iters: int = Field(200, ge=1, le=MAX_INPAINT_ITERS)
    seed: int = Field(0, ge=0, le=MAX_SEED)


class LabStart(BaseModel):
    dataset: Literal["ring", "grid", "drawn"] = "ring"
    loss: Literal[LOSSES] = "nonsaturating"  # type: ignore[valid-type]
    k: int = Field(1, ge=1, le=10, description="D steps per G step")
    lr: float = Field(1e-3, ge=1e-5, le=0.1)
    r1: float = Field(0.0, ge=0.0, le=10.0, description="gamma of R1 on real data; 0 = off")
    points: list[tuple[float, float]] | None = Field(None, max_length=MAX_POINTS,
                                                      description="the drawn data set: points in [-3, 3]^2")
    seed: int = Field(0, ge=0, le=MAX_SEED)
    steps_per_frame: int = Field(10, ge=1, le=100)


class LabControl(BaseModel):
    action: Literal["run", "pause", "step"]
    steps: int = Field(1, ge=1, le=100, description="for step: how many D steps")


def static_dir() -> Path:
    return Path(str(resources.files("gankit.serve").joinpath("static")))


HERE = ' class="here"'


def page_html(page: str) -> str:
    """A whole page: the shared head and header (this page's link marked), the page's own body, its scripts."""
    body = resources.files("gankit.serve").joinpath("pages", f"{page}.html").read_text(encoding="utf-8")
    links = "\n".join(f'    <a href="/{name}"{HERE if name == page else ""}>{title}</a>' for name, title in PAGES.items())
    title = PAGES.get(page, "gankit")
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} · gankit</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/static/style.css">
</head>
<body>
  <header>
    <strong><a href="/">gankit</a></strong>
{links}
    <a href="/docs">API</a>
  </header>
  <main>
{body}  </main>
  <script src="/static/common.js"></script>
  <script src="/static/{page}.js"></script>
</body>
</html>
"""


def create_app(runs: list[str | Path], data_dir: str | Path, workers: int = 2, queue: int = 64,
               max_lab_sessions: int = 4, device: str = "cpu") -> FastAPI:
    """The app serving `runs` (run folders); game results go to `data_dir`/results.sqlite3."""
    catalog = Catalog(runs, device)
    games = gamelib.Games(gamelib.Results(data_dir))
    lab = lablib.Lab(max_lab_sessions)
    pool = Pool(workers, queue)
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        pool.close()

    # FastAPIOffline: FastAPI whose /docs page loads Swagger UI from the package, not from a CDN.
    app = FastAPIOffline(title="gankit", summary="Samples, latent walks, the 'which is real?' game, a live GAN lab and "
                         "inpainting, from your own runs.", version="1", lifespan=lifespan)
    app.state.catalog, app.state.games, app.state.lab, app.state.pool = catalog, games, lab, pool

    @app.exception_handler(GankitError)
    async def user_error(request: Request, e: GankitError):
        status = 503 if isinstance(e, lablib.LabFull) else 400
        return JSONResponse({"detail": str(e)}, status_code=status)

    @app.exception_handler(Busy)
    async def busy(request: Request, e: Busy):
        return JSONResponse({"detail": "the server is busy; try again in a moment"}, status_code=503,
                            headers={"Retry-After": "1"})

    # -- pages -------------------------------------------------------------------------------------------------------
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")

    pages = {page: page_html(page) for page in ("index", *PAGES)}
    app.add_api_route("/", lambda: HTMLResponse(pages["index"]), include_in_schema=False)
    for page in PAGES:
        app.add_api_route(f"/{page}", lambda page=page: HTMLResponse(pages[page]), include_in_schema=False)

    # -- runs, samples, the latent walk ------------------------------------------------------------------------------
    @app.get("/api/runs", summary="The runs this server offers")
    def list_runs():
        return {"runs": [served.describe() for served in catalog.runs.values()]}

    def check_label(served, label: int | None) -> None:
        n = served.run.num_classes
        if label is not None and not n:
            raise GankitError(f"run {served.name!r} is not conditional: it takes no label")
        if label is not None and label >= n:
            raise GankitError(f"label must lie in 0..{n - 1} for run {served.name!r}, got {label}")

    def check_side(served, n: int, scale: int) -> None:
        per_row = 1 if n == 1 else math.ceil(math.sqrt(n))
        side = served.run.data_shape[-1] * scale * per_row
        if side > MAX_SIDE:
            raise GankitError(f"that picture would be {side} pixels wide, above {MAX_SIDE}: ask for a smaller "
                              f"scale or fewer samples")

    @app.get("/api/sample.png", summary="Samples of a run as a PNG: one image, or a grid", response_class=Response)
    async def sample(run: str = Query(max_length=200), seed: int = Query(0, ge=0, le=MAX_SEED),
                     n: int = Query(1, ge=1, le=MAX_GRID), label: int | None = Query(None, ge=0, le=10_000),
                     scale: int = Query(1, ge=1, le=MAX_SCALE)):
        served = catalog.get(run, "image")
        check_label(served, label)
        check_side(served, n, scale)

        def draw() -> bytes:
            x = served.run.sample(n, seed=seed, label=label)
            return png_bytes(x[0], scale) if n == 1 else grid_bytes(x, scale=scale)
        return Response(await pool.run(draw), media_type=PNG)

    @app.get("/api/walk.png", summary="The image at t on the slerp path between the codes of two seeds",
             response_class=Response)
    async def walk(run: str = Query(max_length=200), seed0: int = Query(0, ge=0, le=MAX_SEED),
                   seed1: int = Query(1, ge=0, le=MAX_SEED), t: float = Query(0.0, ge=0.0, le=1.0),
                   label: int | None = Query(None, ge=0, le=10_000), scale: int = Query(1, ge=1, le=MAX_SCALE)):
        from gankit.latent import code, decode, slerp

        served = catalog.get(run, "image")
        check_label(served, label)
        check_side(served, 1, scale)

        def draw() -> bytes:
            z = slerp(code(served.run, seed0), code(served.run, seed1), t)
            return png_bytes(decode(served.run, z[None], label)[0], scale)
        return Response(await pool.run(draw), media_type=PNG)

    # -- which is real? ----------------------------------------------------------------------------------------------
    @app.post("/api/game", summary="Start a game of 'which is real?' on a run")
    def start_game(body: GameStart):
        served = catalog.get(body.run, "image")
        real_pool = served.game_images()  # a run without real images (data passed from Python) cannot be played
        game = games.start(served.name, body.rounds, served.held_out, len(real_pool))
        return {"game": game.id, "rounds": game.rounds, "run": served.name, "held_out": served.held_out,
                "real_source": served.real_source, "chance": gamelib.CHANCE,
                "human_baseline": gamelib.HUMAN_BASELINE}

    @app.post("/api/game/{game_id}/round", summary="Deal the next round: two image URLs in random order")
    async def deal(game_id: str):
        game = games.get(game_id)
        served = catalog.get(game.run)
        real_pool = served.game_images()
        # From the OS's randomness, not torch's global generator, which lab sessions seed and which is predictable.
        index = game.real_order[len(game.played) % len(game.real_order)]
        seed = secrets.randbelow(MAX_SEED + 1)
        # A conditional run draws a class at random: without a label it would always draw its first class.
        label = secrets.randbelow(served.run.num_classes) if served.run.num_classes else None
        fake = (await pool.run(lambda: served.run.sample(1, seed=seed, label=label)))[0]
        r = games.new_round(game, real_pool[index], index, fake, seed)
        return JSONResponse({"round": r.number, "of": game.rounds,
                             "images": [f"/api/game/image/{token}" for token in r.images]}, headers=NO_STORE)

    @app.get("/api/game/image/{token}", summary="One image of a round", response_class=Response)
    def game_image(token: str):
        return Response(games.image(token), media_type=PNG, headers=NO_STORE)

    @app.post("/api/game/{game_id}/answer", summary="Answer a round: checked here, stored in the results")
    def answer(game_id: str, body: Answer):
        game = games.get(game_id)
        r, correct = games.answer(game, body.round, body.choice)
        return {"correct": correct, "real": r.real_side, "score": gamelib.score(game.correct, game.answered),
                "done": game.answered >= game.rounds}

    @app.get("/api/game/results", summary="Accuracy per run over every game stored")
    def results():
        return {"runs": games.results.per_run(), "chance": gamelib.CHANCE, "human_baseline": gamelib.HUMAN_BASELINE}

    # -- inpainting --------------------------------------------------------------------------------------------------
    @app.get("/api/inpaint/images", summary="How many held-out images the inpaint page offers for a run")
    def inpaint_images(run: str = Query(max_length=200)):
        served = catalog.get(run, "image")
        return {"count": len(served.inpaint_images()), "size": served.run.data_shape[-1],
                "held_out": served.held_out, "real_source": served.real_source}

    @app.get("/api/inpaint/image.png", summary="A held-out image to inpaint", response_class=Response)
    def inpaint_image(run: str = Query(max_length=200), index: int = Query(0, ge=0, le=10_000),
                      scale: int = Query(1, ge=1, le=MAX_SCALE)):
        served = catalog.get(run, "image")
        check_side(served, 1, scale)
        return Response(png_bytes(inpaint_real(served, index), scale), media_type=PNG)

    def inpaint_real(served, index: int) -> torch.Tensor:
        pictures = served.inpaint_images()
        if index >= len(pictures):
            raise GankitError(f"index must lie in 0..{len(pictures) - 1} for run {served.name!r}, got {index}")
        return pictures[index]

    @app.post("/api/inpaint", summary="Fill the hole of a held-out image (Yeh et al. 2017, the fast variant)")
    async def inpaint(body: InpaintRequest):
        served = catalog.get(body.run, "image")
        original = to_unit_range(inpaint_real(served, body.index))[None]
        mask = decode_mask(body.mask, served.run.data_shape[-1])

        def fill() -> dict:
            result = served.run.inpaint(original * mask, mask, method="fast", iters=body.iters, restarts=2,
                                        seed=body.seed, originals=original, progress=False)
            def url(x: torch.Tensor) -> str:
                return "data:image/png;base64," + base64.b64encode(png_bytes(x)).decode()
            return {"masked": url(original[0] * mask), "filled": url(result.filled[0]),  # the hole: mid-grey
                    "generated": url(result.generated[0]), "psnr": round(float(result.psnr[0]), 2),
                    "ssim": round(float(result.ssim[0]), 3), "iters": body.iters}
        return await pool.run(fill)

    # -- the live lab ------------------------------------------------------------------------------------------------
    @app.post("/api/lab", summary="Open a lab session (at most max_lab_sessions at once); then open its stream")
    def lab_open(body: LabStart):
        settings = lablib.LabSettings(**body.model_dump())
        if settings.points:
            settings.points = [[max(-3.0, min(3.0, x)), max(-3.0, min(3.0, y))] for x, y in settings.points]
        return {"session": lab.open(settings)}

    @app.get("/api/lab/{sid}/stream", summary="Server-sent events: one frame per message while the page listens",
             response_class=StreamingResponse)
    async def lab_stream(sid: str, request: Request, events: int | None = Query(None, ge=1, le=100_000)):
        session = lab.connect(sid)

        async def frames():
            sent = 0
            try:
                while events is None or sent < events:
                    if await request.is_disconnected():
                        break
                    if sent and not session.running and not session.pending:
                        await asyncio.sleep(FRAME_S)
                        continue
                    started = time.perf_counter()
                    try:
                        frame = await pool.run(session.advance)
                    except Busy:
                        await asyncio.sleep(FRAME_S)
                        continue
                    if sent:  # the data never change: the first frame carries them, the page keeps them
                        del frame["reals"]
                    yield f"data: {json.dumps(frame, separators=(',', ':'))}\n\n"
                    sent += 1
                    if events is None or sent < events:  # about ten frames a second, however long training took
                        await asyncio.sleep(max(0.01, FRAME_S - (time.perf_counter() - started)))
            finally:  # the page went away (or the frames asked for were sent): the session ends with its stream
                lab.close(sid)
        return StreamingResponse(frames(), media_type="text/event-stream", headers=NO_STORE)

    @app.post("/api/lab/{sid}/control", summary="Run, pause, or take single steps")
    def lab_control(sid: str, body: LabControl):
        session = lab.get(sid)
        if body.action == "run":
            session.running = True
        elif body.action == "pause":
            session.running = False
        else:
            session.running = False
            session.pending += body.steps
        return {"running": session.running, "step": session.step}

    # -- watching an image run train ---------------------------------------------------------------------------------
    @app.get("/api/runs/{name}/progress.png", summary="A run's newest fixed-noise grid", response_class=Response)
    def progress_png(name: str):
        grid = newest_grid(catalog.get(name).run.path)
        if grid is None:
            raise GankitError(f"run {name!r} has no progress grid yet")
        return Response(grid.read_bytes(), media_type=PNG, headers=NO_STORE)

    @app.get("/api/runs/{name}/watch", summary="Server-sent events: a run's log and grid as it trains",
             response_class=StreamingResponse)
    async def watch(name: str, request: Request, events: int | None = Query(None, ge=1, le=100_000)):
        from gankit.runlog import read_log

        path = catalog.get(name).run.path

        async def updates():
            sent, seen = 0, None
            while events is None or sent < events:
                if await request.is_disconnected():
                    break
                log = path / "metrics.jsonl"
                grid = newest_grid(path)
                stamp = (log.stat().st_mtime_ns if log.is_file() else 0,
                         grid.stat().st_mtime_ns if grid is not None else 0)
                if stamp != seen:
                    seen = stamp
                    records = await asyncio.to_thread(read_log, path)
                    keep = ("step", "loss_d", "loss_g", "d_real", "d_fake")
                    every = max(1, len(records) // 500)  # at most ~500 points per curve
                    curves = [{k: r[k] for k in keep if k in r} for r in records[::every]]
                    yield "data: " + json.dumps({"step": records[-1]["step"] if records else 0, "curves": curves,
                                                 "grid": grid.name if grid is not None else None,
                                                 "time": time.time()}) + "\n\n"
                    sent += 1
                    if events is not None and sent >= events:
                        break
                await asyncio.sleep(WATCH_S)
        return StreamingResponse(updates(), media_type="text/event-stream", headers=NO_STORE)

    return app


def newest_grid(run_dir: Path) -> Path | None:
    """RUN/samples/final.png, or the latest epoch-NNNN.png while the run trains."""
    samples = run_dir / "samples"
    if (samples / "final.png").is_file():
        return samples / "final.png"
    epochs = sorted(samples.glob("epoch-*.png"))
    return epochs[-1] if epochs else None
