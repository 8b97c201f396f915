"""The HTTP transport under the fetcher: httpx's, with its sockets on plain asyncio streams instead of anyio's.

Measured in bench/bench_fetch.py, the full httpx client stack costs about 2 ms of CPU per page, which caps one event
loop near 500 pages/s; going to the transport directly (no cookie jar, auth or redirect layers, which the fetcher does
not use) and replacing anyio's stream wrappers with asyncio's roughly halves that. Behaviour is httpx's: its
exceptions, its response decoding, its proxies.
"""

from __future__ import annotations

import asyncio
import importlib.util
import ssl
import typing
import urllib.request
from urllib.parse import urlsplit

import httpcore
import httpx

# What httpx's client would ask for: the encodings it can decode here.
ACCEPT_ENCODING = ", ".join(
    ["gzip", "deflate"]
    + (["br"] if importlib.util.find_spec("brotli") or importlib.util.find_spec("brotlicffi") else [])
    + (["zstd"] if importlib.util.find_spec("zstandard") else [])
)


class _AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection as httpcore sees it, over an asyncio StreamReader/StreamWriter pair."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError:
            raise httpcore.ReadTimeout(f"no data within {timeout}s") from None
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError:
            raise httpcore.WriteTimeout(f"could not send within {timeout}s") from None
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        self._writer.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError:
            self._writer.close()
            raise httpcore.ConnectTimeout(f"TLS handshake not done within {timeout}s") from None
        except (OSError, ssl.SSLError) as exc:
            self._writer.close()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":
            # httpcore asks this of an idle keep-alive connection: data or EOF there means the server closed it.
            return self._reader.at_eof() or bool(getattr(self._reader, "_buffer", b""))
        key = {"ssl_object": "ssl_object", "client_addr": "sockname", "server_addr": "peername",
               "socket": "socket"}.get(info)
        return self._writer.get_extra_info(key) if key else None


class _AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=(local_address, 0) if local_address else None, limit=1 << 20
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection within {timeout}s") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return _AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: typing.Iterable[typing.Any] | None = None
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - not used by the fetcher
        raise httpcore.ConnectError("unix sockets are not used by the fetcher")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def environment_proxy(url: str) -> str | None:
    """The proxy HTTP(S)_PROXY/ALL_PROXY give for `url`, unless NO_PROXY exempts its host."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme.lower()) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxy


def host_transport(
    *, connections: int, ssl_context: ssl.SSLContext, proxy: str | None = None
) -> httpx.AsyncHTTPTransport:
    """A transport (one connection pool) for one host, at most `connections` connections, all kept alive."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits, proxy=proxy, trust_env=False)
    if proxy is None and isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
        # Same pool settings, asyncio sockets. (Should httpx rename its pool attribute, the anyio one stays.)
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_AsyncioBackend(),
        )
    return transport
