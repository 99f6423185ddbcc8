"""Bounds on what a client may send, below the routes: a query string longer than MAX_QUERY (414) and a request body
larger than MAX_BODY (413) are refused before they are read. (The fields inside a body are bounded by their types; the server's own limits, on connections, header sizes and
idle time, are uvicorn's, set in gankit.serve.server.)"""
from __future__ import annotations

from fastapi.responses import JSONResponse

from gankit.serve.errors import ServeError

# The largest body the API takes is an inpainting mask of 256 x 256 characters: 64 kB, with room for the rest.
MAX_BODY = 128 * 1024
# The longest query the pages send is a walk's: run name (<= 200), two seeds, t, label, scale.
MAX_QUERY = 2048


class TooLarge(ServeError):
    status = 413


class RequestLimits:
    """ASGI middleware: 414 for a query string above MAX_QUERY bytes, 413 for a Content-Length above `max_bytes`; a
    chunked body is cut off when it grows past."""

    def __init__(self, app, max_bytes: int = MAX_BODY):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if len(scope.get("query_string", b"")) > MAX_QUERY:
            message = f"the query string is longer than {MAX_QUERY} bytes, the most this server reads"
            return await JSONResponse({"detail": message}, status_code=414)(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.max_bytes:
            message = f"the request body is larger than {self.max_bytes} bytes, the most this server reads"
            return await JSONResponse({"detail": message}, status_code=413)(scope, receive, send)
        received = 0

        async def bounded():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise TooLarge(f"the request body grew past {self.max_bytes} bytes, the most this server reads")
            return message
        await self.app(scope, bounded, send)
