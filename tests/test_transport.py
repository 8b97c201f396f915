"""scrapers.transport: httpx's transport on asyncio sockets against a real local server, and proxies from the
environment."""

from __future__ import annotations

import asyncio
import gzip
import ssl

import httpx
import pytest
from local_server import LocalServer, Reply, server  # noqa: F401

from scrapers.transport import ACCEPT_ENCODING, environment_proxy, host_transport


def get_all(urls: list[str], *, timeout: float = 5.0) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = host_transport(connections=1, ssl_context=ssl.create_default_context())
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            return [await client.get(url, headers={"Accept-Encoding": ACCEPT_ENCODING}) for url in urls]

    return asyncio.run(run())


def test_responses_are_read_and_decoded_as_httpx_would(server: LocalServer) -> None:
    body = "삼성전자, 4분기 실적 발표".encode()
    server.add("/plain", Reply(body=body, content_type="text/plain; charset=utf-8"))
    server.add("/gzip", Reply(body=gzip.compress(body), headers={"Content-Encoding": "gzip"}))

    plain, packed = get_all([server.url("/plain"), server.url("/gzip")])

    assert plain.status_code == 200 and plain.text == body.decode()
    assert packed.content == body and "gzip" in ACCEPT_ENCODING


def test_one_host_reuses_its_kept_alive_connection(server: LocalServer) -> None:
    server.add("/a", Reply(body=b"a"))
    server.add("/b", Reply(body=b"b"))
    get_all([server.url("/a"), server.url("/b"), server.url("/a")])
    ports = {seen.peer[1] for seen in server.requests if seen.path in ("/a", "/b")}
    assert len(ports) == 1


def test_socket_failures_are_httpx_exceptions(server: LocalServer) -> None:
    server.add("/slow", Reply(body=b"late", delay=2.0))
    with pytest.raises(httpx.ReadTimeout):
        get_all([server.url("/slow")], timeout=0.3)
    closed = server.url("/x")
    server.close()
    with pytest.raises(httpx.ConnectError):
        get_all([closed])


def test_proxies_come_from_the_environment_unless_no_proxy_exempts_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert environment_proxy("https://news.example.kr/a") is None

    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example.kr")
    assert environment_proxy("https://news.example.kr/a") == "http://127.0.0.1:3128"
    assert environment_proxy("https://internal.example.kr/a") is None
    assert environment_proxy("http://news.example.kr/a") is None  # no proxy named for plain http

    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:3129")
    assert environment_proxy("http://news.example.kr/a") == "http://127.0.0.1:3129"
