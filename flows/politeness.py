"""Per-host politeness held by the Prefect server, so it holds across workers on any number of machines: a global
concurrency limit per host (`fetch.per_host_connections` requests at once) and a rate limit per host and delay (one
request start per `fetch.per_host_delay_seconds`)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from scrapers.config import FetchSettings

PREFIX = "newsmon-host"


def limit_name(kind: str, host: str, delay: float | None = None) -> str:
    """The limit's name on the server: `newsmon-host-slots-127.0.0.1_8080`, `newsmon-host-rate-1.5s-example.com`
    (a robots.txt crawl-delay gives a host another delay, hence another rate limit)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", host)
    return f"{PREFIX}-{kind}-{delay:g}s-{safe}" if delay is not None else f"{PREFIX}-{kind}-{safe}"


class ServerHostGate:
    """The `SharedHostGate` of a fetcher in a flow run on a Prefect server. Limits are created on a host's first
    request (by whichever worker gets there first) and kept on the server; `prefect gcl ls` lists them."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._ensured: set[str] = set()

    async def _ensure(self, name: str, limit: int, decay: float | None) -> None:
        if name in self._ensured:
            return
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
        from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

        async with get_client() as client:
            try:
                await client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                try:
                    # Without a decay the field is left out: the server refuses an explicit null.
                    extra = {"slot_decay_per_second": decay} if decay else {}
                    await client.create_global_concurrency_limit(
                        GlobalConcurrencyLimitCreate(name=name, limit=limit, **extra))
                except ObjectAlreadyExists:  # another worker created it meanwhile
                    pass
        self._ensured.add(name)

    @asynccontextmanager
    async def turn(self, host: str, delay: float) -> AsyncIterator[None]:
        from prefect.concurrency.asyncio import concurrency, rate_limit

        if delay > 0:
            rate = limit_name("rate", host, delay)
            await self._ensure(rate, 1, 1.0 / delay)
            await rate_limit(rate, strict=True)
        slots = limit_name("slots", host)
        await self._ensure(slots, self.settings.per_host_connections, None)
        async with concurrency(slots, strict=True):
            yield
