"""Generation off the event loop: a fixed number of worker threads, and a bounded queue in front of them.

A request that would wait behind more than `queue` others is refused at once (HTTP 503 with a Retry-After) instead of
piling up: under overload the server answers quickly, some requests with "busy", rather than all of them late.
torch releases the GIL inside its kernels, so threads share the cores; each op runs on one thread (set by the
server), so the workers do not fight over OpenMP threads.

The live lab trains on a pool of its own whose thread runs at a lower CPU priority (`nice`, Linux): its sessions
take what the sample and game requests leave, and never wait in their queue or make them wait in its.
"""
from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gankit.serve.errors import Busy


def lower_priority(nice: int) -> None:
    """Run the calling thread at CPU priority `nice` (Linux schedules threads as tasks); elsewhere, leave it."""
    if nice and sys.platform == "linux":
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


class Pool:
    def __init__(self, workers: int, queue: int, nice: int = 0):
        self.workers, self.queue = workers, queue
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gankit-serve",
                                           initializer=lower_priority, initargs=(nice,))
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
