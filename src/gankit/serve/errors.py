"""The web app's errors, each carrying its HTTP status; app.py answers every GankitError with one handler.

They are GankitErrors (one line a user can act on), so the modules that raise them (catalog, game, lab, pool) know
nothing of HTTP beyond the status number. A GankitError raised deeper down (a label a run cannot take, a bad mask) is
a bad value: 400.
"""
from __future__ import annotations

from gankit.errors import GankitError


class ServeError(GankitError):
    status = 400
    headers: dict[str, str] = {}


class BadValue(ServeError):
    """A value the types could not catch: a label on an unconditional run, an index past the images."""


class NotFound(ServeError):
    """An id or name the server does not know: a run, a game, a round's image, a lab session."""
    status = 404


class Conflict(ServeError):
    """A request the game's state does not allow now: a second answer to a round, a round before the last is
    answered, a round past the game's end."""
    status = 409


class Busy(ServeError):
    """More requests are waiting than the queue holds: try again in a moment."""
    status = 503
    headers = {"Retry-After": "1"}

    def __init__(self, message: str = "the server is busy; try again in a moment"):
        super().__init__(message)


class LabFull(Busy):
    """As many lab sessions train as the server allows."""
    headers = {"Retry-After": "5"}


def status_of(error: GankitError) -> tuple[int, dict[str, str]]:
    """(HTTP status, extra headers) for a user error."""
    if isinstance(error, ServeError):
        return error.status, error.headers
    return BadValue.status, {}
