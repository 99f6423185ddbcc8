"""Running the app on uvicorn with its limits set explicitly, for a classroom on one laptop.

- `limit_concurrency`: connections and tasks at once; past it uvicorn answers 503 at once, so a flood of clients
  (or of held connections) cannot pile up without bound.
- `timeout_keep_alive`: an idle keep-alive connection is closed after this many seconds.
- `h11_max_incomplete_event_size`: the most bytes of a request line and headers held while they arrive; a longer
  query string or header block is refused (400) before the app sees it.
- the h11 protocol implementation, named rather than picked by what is installed, so these limits are the ones that
  apply. A client that sends its headers a byte at a time holds one connection and nothing else: the server is one
  event loop, and every other connection is served meanwhile (tests/serve/test_hostile.py).
"""
from __future__ import annotations


LIMIT_CONCURRENCY = 1000
TIMEOUT_KEEP_ALIVE_S = 5
MAX_HEAD_BYTES = 16 * 1024
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def open_to_network_warning(host: str) -> str | None:
    """One line for a host other than this machine's loopback: the pages have no login."""
    if host in LOOPBACK:
        return None
    return (f"warning: listening on {host}: anyone on your network can open these pages, play the game and read "
            f"every game's results (there is no login); serve on 127.0.0.1 unless the class needs it")


def config(app, host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning"):
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, log_level=log_level, http="h11",
                          limit_concurrency=LIMIT_CONCURRENCY, timeout_keep_alive=TIMEOUT_KEEP_ALIVE_S,
                          h11_max_incomplete_event_size=MAX_HEAD_BYTES)


def run(app, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve `app` until interrupted; a warning first if `host` opens it to the network."""
    import sys

    import uvicorn

    warning = open_to_network_warning(host)
    if warning:
        print(warning, file=sys.stderr)
    uvicorn.Server(config(app, host, port)).run()
