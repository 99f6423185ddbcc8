"""Generation runs off the event loop on a fixed number of workers, and a full queue is refused, not grown."""
import asyncio
import threading
import time

import pytest

from gankit.serve.pool import Busy, Pool


def test_a_full_queue_is_refused_at_once_and_frees_when_work_ends():
    pool = Pool(workers=1, queue=1)
    release = threading.Event()

    async def scenario():
        first = asyncio.ensure_future(pool.run(release.wait))
        second = asyncio.ensure_future(pool.run(release.wait))
        await asyncio.sleep(0.05)
        clock = time.perf_counter()
        with pytest.raises(Busy):
            await pool.run(lambda: None)
        refused_in = time.perf_counter() - clock
        release.set()
        await asyncio.gather(first, second)
        return refused_in, await pool.run(lambda: 42)

    try:
        refused_in, after = asyncio.run(scenario())
    finally:
        release.set()
        pool.close()
    assert refused_in < 0.05 and after == 42


def test_work_runs_on_the_pool_s_threads_not_the_event_loop_s():
    pool = Pool(workers=2, queue=0)

    async def scenario():
        loop_thread = threading.get_ident()
        return loop_thread, await pool.run(threading.get_ident)

    try:
        loop_thread, worker_thread = asyncio.run(scenario())
    finally:
        pool.close()
    assert worker_thread != loop_thread
