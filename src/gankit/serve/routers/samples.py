"""'This digit does not exist' and the latent walk: a run's samples for a seed, and the image at t on the slerp path
between two seeds' codes (White 2016, as `gankit interpolate`)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from gankit.serve.cache import cached_png
from gankit.serve.deps import ImageRun
from gankit.serve.pictures import grid_bytes, png_bytes
from gankit.serve.schemas import ERRORS, MAX_GRID, MAX_INDEX, MAX_SCALE, MAX_SEED, PNG

router = APIRouter(prefix="/api", tags=["samples"], responses=ERRORS)

Seed = Annotated[int, Query(ge=0, le=MAX_SEED)]
Label = Annotated[int | None, Query(ge=0, le=MAX_INDEX, description="a class, for conditional runs")]
Scale = Annotated[int, Query(ge=1, le=MAX_SCALE, description="each pixel drawn scale x scale")]


@router.get("/sample.png", summary="Samples of a run as a PNG: one image, or a grid", response_class=Response,
            responses=PNG)
async def sample(request: Request, served: ImageRun, seed: Seed = 0, n: Annotated[int, Query(ge=1, le=MAX_GRID)] = 1,
                 label: Label = None, scale: Scale = 1) -> Response:
    served.check_label(label)
    served.check_side(n, scale)

    def draw() -> bytes:
        x = served.run.sample(n, seed=seed, label=label)
        return png_bytes(x[0], scale) if n == 1 else grid_bytes(x, scale=scale)
    return await cached_png(request, served, ("sample", seed, n, label, scale), draw)


@router.get("/walk.png", summary="The image at t on the slerp path between the codes of two seeds",
            response_class=Response, responses=PNG)
async def walk(request: Request, served: ImageRun, seed0: Seed = 0, seed1: Seed = 1,
               t: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0, label: Label = None, scale: Scale = 1) -> Response:
    from gankit.latent import code, decode, slerp

    served.check_label(label)
    served.check_side(1, scale)

    def draw() -> bytes:
        z = slerp(code(served.run, seed0), code(served.run, seed1), t)
        return png_bytes(decode(served.run, z[None], label)[0], scale)
    return await cached_png(request, served, ("walk", seed0, seed1, t, label, scale), draw)
