"""newsmon.aio: a coroutine runs to completion from synchronous code, with or without a running event loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from newsmon.aio import run_sync


async def where() -> str:
    await asyncio.sleep(0)
    return threading.current_thread().name


def test_without_a_running_loop_it_runs_in_this_thread() -> None:
    assert run_sync(where) == threading.current_thread().name


def test_inside_a_running_loop_it_runs_in_a_worker_thread_and_returns_the_result() -> None:
    async def caller() -> str:
        return run_sync(where, thread_name="newsmon-test")  # a Prefect task calling a sync reader, say

    assert asyncio.run(caller()).startswith("newsmon-test")


def test_an_error_in_the_coroutine_reaches_the_caller() -> None:
    async def broken() -> None:
        raise LookupError("source x: gone")

    with pytest.raises(LookupError, match="source x: gone"):
        run_sync(broken)

    async def caller() -> None:
        run_sync(broken)

    with pytest.raises(LookupError, match="source x: gone"):
        asyncio.run(caller())
