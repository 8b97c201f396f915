"""Running a coroutine from synchronous code, whether or not the calling thread already runs an event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(make: Callable[[], Coroutine[Any, Any, T]], *, thread_name: str = "newsmon-loop") -> T:
    """Run the coroutine `make()` returns to completion on an event loop of its own: in this thread, or in a worker
    thread when this one already runs a loop (a Prefect task, a notebook), since a loop cannot be nested."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()
