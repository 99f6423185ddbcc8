"""Inpainting: the held-out images a run offers, and the fill of a hole drawn on one (Yeh et al. 2017: from the
run's learned prior when it has one, `gankit inpaint --method prior`, else the fast variant)."""
from __future__ import annotations

import base64
import time
from typing import Annotated

import torch
from fastapi import APIRouter, Query, Response

from gankit.data.dataset import to_unit_range
from gankit.serve.catalog import ServedRun
from gankit.serve.deps import ImageRun, Runs, ThePool
from gankit.serve.errors import BadValue
from gankit.serve.pictures import decode_mask, png_bytes
from gankit.serve.schemas import ERRORS, MAX_INDEX, MAX_SCALE, PNG, InpaintImages, Inpainted, InpaintRequest

router = APIRouter(prefix="/api/inpaint", tags=["inpaint"], responses=ERRORS)


def held_out_image(served: ServedRun, index: int) -> torch.Tensor:
    pictures = served.inpaint_images()
    if index >= len(pictures):
        raise BadValue(f"index must lie in 0..{len(pictures) - 1} for run {served.name!r}, got {index}")
    return pictures[index]


def data_url(x: torch.Tensor) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(x)).decode()


@router.get("/images", summary="How many held-out images the inpaint page offers for a run",
            response_model=InpaintImages)
def images(served: ImageRun) -> InpaintImages:
    return InpaintImages(count=len(served.inpaint_images()), size=served.run.data_shape[-1],
                         held_out=served.held_out, real_source=served.real_source,
                         prior=served.run.prior is not None)


@router.get("/image.png", summary="A held-out image to inpaint", response_class=Response, responses=PNG)
def image(served: ImageRun, index: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0,
          scale: Annotated[int, Query(ge=1, le=MAX_SCALE)] = 1) -> Response:
    served.check_side(1, scale)
    return Response(png_bytes(held_out_image(served, index), scale), media_type="image/png")


@router.post("", summary="Fill the hole of a held-out image (Yeh et al. 2017, from the learned prior or fast)",
             response_model=Inpainted)
async def inpaint(body: InpaintRequest, catalog: Runs, pool: ThePool) -> Inpainted:
    served = catalog.get(body.run, "image")
    original = to_unit_range(held_out_image(served, body.index))[None]
    mask = decode_mask(body.mask, served.run.data_shape[-1])

    method = "prior" if served.run.prior is not None else "fast"

    def fill() -> Inpainted:
        clock = time.perf_counter()
        result = served.run.inpaint(original * mask, mask, method=method, iters=body.iters, restarts=2,
                                    seed=body.seed, originals=original, progress=False)
        urls = [data_url(original[0] * mask), data_url(result.filled[0]), data_url(result.generated[0])]
        return Inpainted(masked=urls[0], filled=urls[1], generated=urls[2],  # the hole shown mid-grey
                         psnr=round(float(result.psnr[0]), 2), ssim=round(float(result.ssim[0]), 3), iters=body.iters,
                         method=method, milliseconds=round(1000 * (time.perf_counter() - clock), 1))
    return await pool.run(fill)
