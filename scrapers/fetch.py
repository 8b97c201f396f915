"""The polite HTTP fetcher: a connection pool per host, global and per-host limits, retries, conditional GET, caps."""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal, Protocol
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from newsmon.records import SourceState
from scrapers.addresses import internal_reason, origin
from scrapers.config import FetchSettings
from scrapers.dates import parse_datetime
from scrapers.encoding import decode_document
from scrapers.errors import (
    BlockedAddress,
    ConnectionFailed,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    ResponseTooLarge,
    RobotsDisallowed,
    TooManyRedirects,
    UnexpectedContentType,
)
from scrapers.robots import RobotsRules, rules_from_response
from scrapers.transport import ACCEPT_ENCODING, environment_proxy, host_transport

# What a request is for decides which Content-Types are acceptable and what we ask for.
Purpose = Literal["feed", "html", "robots", "sitemap"]

_ACCEPT = {
    "feed": "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
    "html": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
    "robots": "text/plain, */*;q=0.5",
    "sitemap": "application/xml, text/xml, application/gzip;q=0.9, text/plain;q=0.8, */*;q=0.5",
}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class FetchedResponse:
    """A completed fetch: the final URL after redirects, and the body (empty on a 304)."""

    url: str
    status: int
    content: bytes
    content_type: str
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def state(self) -> SourceState:
        return SourceState(etag=self.etag, last_modified=self.last_modified)

    def text(self) -> str:
        return decode_document(self.content, self.content_type)[0]


def acceptable_content_type(content_type: str, purpose: Purpose) -> bool:
    """Whether a response of `content_type` can be what `purpose` asked for (a missing type is sniffed later)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if not media or media == "application/octet-stream":
        return True
    if purpose == "html":
        return media in ("text/html", "application/xhtml+xml")
    if purpose == "sitemap":
        # XML, a gzip-compressed .xml.gz, or a plain-text list of URLs; the sitemap parser decides.
        return "xml" in media or "gzip" in media or media.startswith("text/")
    if purpose == "feed":
        # Korean sites often serve RSS as text/html or text/plain; the parser decides.
        return "xml" in media or "rss" in media or "atom" in media or media.startswith("text/")
    return media.startswith("text/")


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = parse_datetime(value, timezone.utc)
    if when is None:
        return None
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class _HostGate:
    """Per-host slots plus the minimum spacing between request starts to that host."""

    def __init__(self, slots: int, delay: float) -> None:
        self.slots = asyncio.Semaphore(slots)
        self.delay = delay
        self._next_start = 0.0
        self._lock = asyncio.Lock()

    async def wait_turn(self, sleep: Sleep) -> None:
        if self.delay <= 0:
            return
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self.delay
        if start > now:
            await sleep(start - now)


class SharedHostGate(Protocol):
    """Politeness shared with other processes (workers on other machines): `turn` is held around every request to
    `host`, after this process's own gate; `delay` is the spacing this process keeps between request starts there."""

    def turn(self, host: str, delay: float) -> AbstractAsyncContextManager[None]: ...


class _Attempt(Exception):
    """A failed attempt that may be retried; carries the error to raise if no retry is left."""

    def __init__(self, error: FetchError, wait: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


class Fetcher:
    """Fetches URLs for sources politely. Create one per run and share it; use as an async context manager.

    `transport` may be passed in (a caller's own, e.g. httpx.MockTransport) and is then used for every host;
    otherwise each host gets its own pool from scrapers/transport.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        shared_gate: SharedHostGate | None = None,
    ) -> None:
        self.settings = settings
        self._shared_gate = shared_gate
        # One connection pool per host, each as large as the per-host limit; the global limit is the semaphore.
        # (httpcore's pool does work quadratic in its connection count on every request start and end, so one
        # pool for all hosts spends more CPU managing 32 connections than on the requests: 21% of the ideal rate
        # in bench/bench_fetch.py, against 80%+ with a pool per host.)
        self._shared_transport = transport
        self._transports: dict[str, httpx.AsyncBaseTransport] = {}
        # Loading the CA bundle costs ~40 ms; made once, on first use, for all the per-host pools.
        self._ssl_context: ssl.SSLContext | None = None
        self._headers = {
            "User-Agent": settings.user_agent,
            "Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5",
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        self._timeouts = httpx.Timeout(
            connect=settings.connect_timeout_seconds,
            read=settings.read_timeout_seconds,
            write=settings.read_timeout_seconds,
            pool=None,
        ).as_dict()
        self._global = asyncio.Semaphore(settings.max_connections)
        self._hosts: dict[str, _HostGate] = {}
        self._resolved: dict[str, str | None] = {}
        self._robots: dict[str, RobotsRules] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._sleep = sleep
        self._rng = rng or random.Random()

    async def __aenter__(self) -> "Fetcher":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        transports, self._transports = list(self._transports.values()), {}
        for transport in transports:
            await transport.aclose()

    def _transport(self, url: str) -> httpx.AsyncBaseTransport:
        if self._shared_transport is not None:
            return self._shared_transport
        key = origin(url)
        transport = self._transports.get(key)
        if transport is None:
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context(trust_env=self.settings.trust_env)
            proxy = environment_proxy(url) if self.settings.trust_env else None
            transport = host_transport(
                connections=self.settings.per_host_connections, ssl_context=self._ssl_context, proxy=proxy
            )
            self._transports[key] = transport
        return transport

    async def fetch(
        self,
        url: str,
        *,
        source: str,
        purpose: Purpose = "html",
        state: SourceState | None = None,
        private_origin: str | None = None,
        respect_robots: bool = True,
    ) -> FetchedResponse:
        """GET `url` for `source`, following redirects within the cap, and return the final response.

        `state` adds If-None-Match/If-Modified-Since, and a 304 comes back as a response with `not_modified`.
        Internal addresses are refused on every hop except on `private_origin` (a configured source's own origin
        when it opted in with `allow_private`). Raises a FetchError subclass naming the source, URL and reason.
        """
        url = urldefrag(url)[0]
        seen: set[str] = set()
        hops = 0
        while True:
            await self._check_address(url, source=source, private_origin=private_origin)
            if respect_robots and purpose != "robots":
                await self._check_robots(url, source=source, private_origin=private_origin)
            response = await self._get_with_retries(url, source=source, purpose=purpose, state=state)
            if isinstance(response, str):
                seen.add(url)
                location = response
                hops += 1
                if location in seen:
                    raise TooManyRedirects(source, url, f"redirect loop back to {location}")
                if hops > self.settings.max_redirects:
                    raise TooManyRedirects(
                        source, url, f"more than {self.settings.max_redirects} redirects (fetch.max_redirects)"
                    )
                url = location
                continue
            return response

    # -- one hop, with retries -------------------------------------------------------------------------------------

    async def _get_with_retries(
        self, url: str, *, source: str, purpose: Purpose, state: SourceState | None
    ) -> FetchedResponse | str:
        settings = self.settings
        for attempt in range(settings.retries + 1):
            try:
                return await self._get_once(url, source=source, purpose=purpose, state=state)
            except _Attempt as failed:
                if attempt >= settings.retries:
                    raise failed.error from None
                wait = self._backoff(attempt)
                if failed.wait is not None:
                    wait = max(wait, failed.wait)
                await self._sleep(wait)
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter in [50%, 100%] of the step, capped."""
        step = min(self.settings.backoff_max_seconds, self.settings.backoff_base_seconds * (2**attempt))
        return step * (0.5 + 0.5 * self._rng.random())

    async def _get_once(
        self, url: str, *, source: str, purpose: Purpose, state: SourceState | None
    ) -> FetchedResponse | str:
        """One request. Returns the response, or the next URL for a redirect; raises _Attempt when retryable."""
        headers = {"Accept": _ACCEPT[purpose]}
        if state is not None:
            if state.etag:
                headers["If-None-Match"] = state.etag
            if state.last_modified:
                headers["If-Modified-Since"] = state.last_modified
        gate = self._gate(url)
        async with gate.slots:
            await gate.wait_turn(self._sleep)
            async with self._global, self._shared_turn(url, gate.delay):
                try:
                    async with asyncio.timeout(self.settings.total_timeout_seconds):
                        return await self._exchange(url, headers, source=source, purpose=purpose)
                except TimeoutError:
                    raise _Attempt(FetchTimeout(
                        source, url, f"no complete answer within {self.settings.total_timeout_seconds:g}s "
                        "(fetch.total_timeout_seconds)")) from None
                except httpx.TimeoutException as exc:
                    raise _Attempt(FetchTimeout(source, url, f"timed out ({_describe(exc)})")) from None
                except httpx.TransportError as exc:
                    raise _Attempt(ConnectionFailed(source, url, f"connection failed ({_describe(exc)})")) from None

    async def _exchange(
        self, url: str, headers: dict[str, str], *, source: str, purpose: Purpose
    ) -> FetchedResponse | str:
        request = httpx.Request("GET", url, headers={**self._headers, **headers},
                                extensions={"timeout": self._timeouts})
        response = await self._transport(url).handle_async_request(request)
        try:
            return await self._answer(response, url, source=source, purpose=purpose)
        finally:
            await response.aclose()

    async def _answer(
        self, response: httpx.Response, url: str, *, source: str, purpose: Purpose
    ) -> FetchedResponse | str:
        status = response.status_code
        if status in _REDIRECTS:
            location = response.headers.get("location")
            if not location:
                raise HTTPStatusError(source, url, f"HTTP {status} redirect without a Location header", status)
            return urldefrag(urljoin(url, location.strip()))[0]
        if status in _RETRY_STATUSES:
            reason = f"HTTP {status} {response.reason_phrase}".rstrip()
            wait = retry_after_seconds(response.headers.get("retry-after"))
            if wait is not None:
                reason += f" (Retry-After {wait:g}s)"
                if wait > self.settings.backoff_max_seconds:
                    # Longer than a poll should wait: not retried now, the next poll tries again.
                    reason += "; the wait asked for is longer than fetch.backoff_max_seconds, so not retried"
                    raise HTTPStatusError(source, url, reason, status)
            raise _Attempt(HTTPStatusError(source, url, reason, status), wait)
        content_type = response.headers.get("content-type", "")
        etag = response.headers.get("etag")
        last_modified = response.headers.get("last-modified")
        if status == 304:
            return FetchedResponse(url, status, b"", content_type, etag, last_modified)
        if status >= 400 or status < 200:
            raise HTTPStatusError(source, url, f"HTTP {status} {response.reason_phrase}".rstrip(), status)
        if not acceptable_content_type(content_type, purpose):
            wanted = {"feed": "a feed", "sitemap": "a sitemap"}.get(purpose, "HTML")
            raise UnexpectedContentType(source, url, f"Content-Type {content_type!r} is not {wanted}")
        content = await self._read_capped(response, source=source, url=url)
        return FetchedResponse(url, status, content, content_type, etag, last_modified)

    async def _read_capped(self, response: httpx.Response, *, source: str, url: str) -> bytes:
        limit = self.settings.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise ResponseTooLarge(source, url, f"Content-Length {declared} exceeds fetch.max_bytes ({limit})")
        chunks: list[bytes] = []
        size = 0
        # aiter_bytes yields decompressed bytes, so a small gzip bomb is stopped too.
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise ResponseTooLarge(source, url, f"body exceeds fetch.max_bytes ({limit}); download stopped")
            chunks.append(chunk)
        return b"".join(chunks)

    # -- politeness ------------------------------------------------------------------------------------------------

    def _shared_turn(self, url: str, delay: float) -> AbstractAsyncContextManager[None]:
        if self._shared_gate is None:
            return nullcontext()
        return self._shared_gate.turn(urlsplit(url).netloc.lower(), delay)

    def _gate(self, url: str) -> _HostGate:
        key = urlsplit(url).netloc.lower()
        gate = self._hosts.get(key)
        if gate is None:
            gate = _HostGate(self.settings.per_host_connections, self.settings.per_host_delay_seconds)
            self._hosts[key] = gate
        return gate

    async def _check_address(self, url: str, *, source: str, private_origin: str | None) -> None:
        if private_origin is not None and origin(url) == private_origin:
            return
        reason = await internal_reason(url, self._resolved)
        if reason:
            raise BlockedAddress(source, url, f"refused: {reason}")

    async def _check_robots(self, url: str, *, source: str, private_origin: str | None) -> None:
        rules = await self._robots_rules(url, source=source, private_origin=private_origin)
        reason = rules.refuses(url, self.settings.user_agent)
        if reason:
            raise RobotsDisallowed(source, url, f"{reason} (set respect_robots = false on the source to opt out)")

    async def _robots_rules(self, url: str, *, source: str, private_origin: str | None) -> RobotsRules:
        site = origin(url)
        rules = self._robots.get(site)
        if rules is not None and time.monotonic() - rules.fetched_at < self.settings.robots_ttl_seconds:
            return rules  # the common case, without queueing on the lock
        lock = self._robots_locks.setdefault(site, asyncio.Lock())
        async with lock:
            rules = self._robots.get(site)
            if rules is not None and time.monotonic() - rules.fetched_at < self.settings.robots_ttl_seconds:
                return rules
            parts = urlsplit(url)
            robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
            try:
                response = await self.fetch(
                    robots_url, source=source, purpose="robots", private_origin=private_origin, respect_robots=False
                )
                rules = rules_from_response(response.status, response.text(), time.monotonic())
            except HTTPStatusError as exc:
                rules = rules_from_response(exc.status, "", time.monotonic())
            except (ConnectionFailed, FetchTimeout) as exc:
                # Not cached: the next fetch tries again. Reported against the URL that was asked for.
                raise type(exc)(source, url, f"site unreachable while reading {robots_url}: {exc.reason}") from None
            except (UnexpectedContentType, ResponseTooLarge, TooManyRedirects, BlockedAddress):
                # No usable robots.txt (an HTML error page, a redirect to elsewhere): no rules.
                rules = RobotsRules(fetched_at=time.monotonic())
            self._robots[site] = rules
            delay = min(rules.crawl_delay(self.settings.user_agent), self.settings.max_crawl_delay_seconds)
            gate = self._gate(url)
            gate.delay = max(self.settings.per_host_delay_seconds, delay)
            return rules


def _describe(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
