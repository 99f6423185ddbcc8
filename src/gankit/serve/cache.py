"""Pictures that are the same bytes every time they are asked for: a seed's sample, a grid, a walk's frame. Each is
drawn once and kept in an LRU of bytes (cachetools), and named by an ETag (the run's weights and the request), so a
browser that has it asks again with If-None-Match and gets a 304 with no drawing at all.

The cache is only touched from the event loop (the drawing happens on the pool), so it needs no lock.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from cachetools import LRUCache
from fastapi import Request, Response

from gankit.serve.catalog import ServedRun
from gankit.serve.pool import Pool

# Kept by browsers but checked with the server each time: the bytes change only when the server loads new weights.
REVALIDATE = "public, no-cache"


class Pictures:
    def __init__(self, max_bytes: int):
        self.cache: LRUCache = LRUCache(maxsize=max_bytes, getsizeof=len)
        self.hits = self.misses = 0

    async def get(self, key: tuple, pool: Pool, draw: Callable[[], bytes]) -> bytes:
        png = self.cache.get(key)
        if png is not None:
            self.hits += 1
            return png
        self.misses += 1
        png = await pool.run(draw)
        if len(png) <= self.cache.maxsize:
            self.cache[key] = png
        return png


def etag(served: ServedRun, key: tuple) -> str:
    return '"' + hashlib.sha256(repr((served.fingerprint, key)).encode()).hexdigest()[:32] + '"'


async def cached_png(request: Request, served: ServedRun, key: tuple, draw: Callable[[], bytes]) -> Response:
    """The picture `draw` makes for `key`: 304 if the browser has it, else from the LRU, else drawn on the pool."""
    tag = etag(served, key)
    headers = {"ETag": tag, "Cache-Control": REVALIDATE}
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    state = request.app.state
    png = await state.pictures.get((served.name, *key), state.pool, draw)
    return Response(png, media_type="image/png", headers=headers)
