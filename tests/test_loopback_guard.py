"""The suite's loopback-only guard: a connection or name lookup beyond this machine fails instead of leaving it."""

from __future__ import annotations

import asyncio
import socket

import pytest
from local_server import LocalServer, Reply, fast_settings, server  # noqa: F401

from scrapers.addresses import origin
from scrapers.errors import FetchError
from scrapers.fetch import Fetcher


def test_a_connection_beyond_loopback_is_refused_and_recorded(outside_attempts: list[str]) -> None:
    with pytest.raises(RuntimeError, match="10.1.2.3"):  # pytest-socket's refusal; no SYN was sent
        socket.create_connection(("10.1.2.3", 80), timeout=0.5)
    with socket.socket() as sock:
        assert sock.connect_ex(("169.254.169.254", 80)) != 0
    assert outside_attempts == ["connect ('10.1.2.3', 80)", "connect ('169.254.169.254', 80)"]
    outside_attempts.clear()  # seen and refused: this test is about exactly that


def test_a_name_lookup_beyond_loopback_fails_as_without_network(outside_attempts: list[str]) -> None:
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("www.chosun.com", 443)
    assert socket.getaddrinfo("localhost", 80) and socket.getaddrinfo("127.0.0.1", 80)
    assert outside_attempts == ["lookup 'www.chosun.com'"]
    outside_attempts.clear()


def test_a_refusal_that_regressed_fails_instead_of_connecting(outside_attempts: list[str]) -> None:
    """The fetcher told to let a private origin through (as a broken inward-address check would) cannot reach it:
    the guard refuses the connect, and the attempt is on record even though the fetcher turned it into an error."""
    url = "http://10.1.2.3/a"

    async def run() -> None:
        async with Fetcher(fast_settings(retries=0)) as fetcher:
            await fetcher.fetch(url, source="s", private_origin=origin(url), respect_robots=False)

    with pytest.raises((RuntimeError, FetchError)):
        asyncio.run(run())
    assert outside_attempts and all(a.startswith("connect ('10.1.2.3', 80") for a in outside_attempts)
    outside_attempts.clear()


def test_loopback_servers_are_reached(server: LocalServer, outside_attempts: list[str]) -> None:
    server.add("/ok", Reply(body=b"ok"))
    with socket.create_connection(("127.0.0.1", int(server.base.rsplit(":", 1)[1])), timeout=2):
        pass
    assert outside_attempts == []
