"""The web app: five pages (Jinja2 templates on one base layout, scripts in gankit/serve/static) over a JSON API, on
FastAPI. `create_app(runs, data_dir)` builds it; `gankit serve` runs it on uvicorn.

The routes are one APIRouter per page area (gankit.serve.routers); the lookups they share ("an image run", "a game",
the pool) are dependencies (gankit.serve.deps); every answer has a response model, so /docs (FastAPI's OpenAPI page)
shows its schema. Every input is bounded by its declared type (422 naming the field and the limit); a user mistake
the types cannot catch is a GankitError, answered with its one line and the status its class carries (404 for an
unknown run or game, 409 for a round answered twice, 503 when busy; otherwise 400). Everything that runs a net goes
through one bounded worker pool, the live lab through its own at a lower priority; pictures that are the same bytes
every time (samples, walks) are cached and carry ETags (gankit.serve.cache).
"""
from __future__ import annotations

import contextlib

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from gankit.errors import GankitError
from gankit.serve.cache import Pictures
from gankit.serve.catalog import Catalog
from gankit.serve.errors import status_of
from gankit.serve.game import Games, Results
from gankit.serve.lab import Lab
from gankit.serve.limits import RequestLimits
from gankit.serve.pool import Pool
from gankit.serve.routers import game, inpaint, lab, pages, runs as run_list, samples

PICTURE_CACHE_BYTES = 64 * 2**20   # about 60000 single 28-px samples
LAB_NICE = 10                      # the lab's worker yields the CPU to samples and games
SUMMARY = "Samples, latent walks, the 'which is real?' game, a live GAN lab and inpainting, from your own runs."


async def user_error(request: Request, error: GankitError) -> JSONResponse:
    status, headers = status_of(error)
    return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    app.state.pool.close()
    app.state.lab_pool.close()


def create_app(runs: list, data_dir, workers: int = 2, queue: int = 64, max_lab_sessions: int = 4,
               device: str = "cpu") -> FastAPI:
    """The app serving the run folders `runs`; game results go to `data_dir`/results.sqlite3."""
    # FastAPIOffline: FastAPI whose /docs page loads Swagger UI from the package, not from a CDN.
    app = FastAPIOffline(title="gankit", summary=SUMMARY, version="1", lifespan=lifespan)
    app.state.catalog = Catalog(runs, device)
    app.state.games = Games(Results(data_dir))
    app.state.lab = Lab(max_lab_sessions)
    app.state.pool = Pool(workers, queue)
    app.state.lab_pool = Pool(1, max(1, max_lab_sessions), nice=LAB_NICE)
    app.state.pictures = Pictures(PICTURE_CACHE_BYTES)
    app.add_middleware(RequestLimits)
    app.add_exception_handler(GankitError, user_error)
    app.mount("/static", StaticFiles(directory=pages.package_dir("static")), name="static")
    for area in (pages, run_list, samples, game, inpaint, lab):
        app.include_router(area.router)
    return app
