"""Generation off the event loop: a fixed number of worker threads, and a bounded queue in front of them.

A request that would wait behind more than `queue` others is refused at once (HTTP 503 with a Retry-After) instead of
piling up: under overload the server answers quickly, some requests with "busy", rather than all of them late.
torch releases the GIL inside its kernels, so threads share the cores; each op runs on one thread (set by the
server), so the workers do not fight over OpenMP threads.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gankit.serve.errors import Busy


class Pool:
    def __init__(self, workers: int, queue: int):
        self.workers, self.queue = workers, queue
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gankit-serve")
        self._waiting = 0

    async def run(self, fn: Callable[..., Any], *args) -> Any:
        if self._waiting >= self.workers + self.queue:
            raise Busy()
        self._waiting += 1  # the event loop is one thread: no lock needed for this count
        try:
            return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)
        finally:
            self._waiting -= 1

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
