"""The fetcher against a real local HTTP server: conditional GET, retries, caps, robots, internal addresses."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest
from local_server import LocalServer, Reply, Seen, fast_settings, server  # noqa: F401

from scrapers.addresses import origin
from newsmon.records import SourceState
from scrapers.errors import (
    BlockedAddress,
    ConnectionFailed,
    FetchTimeout,
    HTTPStatusError,
    ResponseTooLarge,
    RobotsDisallowed,
    TooManyRedirects,
    UnexpectedContentType,
)
from scrapers.fetch import Fetcher, FetchedResponse, retry_after_seconds


def fetch(srv: LocalServer, path: str, *, settings=None, sleeps: list[float] | None = None, **kwargs) -> FetchedResponse:
    async def run() -> FetchedResponse:
        async def sleep(seconds: float) -> None:
            if sleeps is not None:
                sleeps.append(seconds)
            await asyncio.sleep(0)

        async with Fetcher(settings or fast_settings(), sleep=sleep) as fetcher:
            kwargs.setdefault("private_origin", origin(srv.base))
            return await fetcher.fetch(srv.url(path), source="test-source", **kwargs)

    return asyncio.run(run())


def test_page_is_fetched_with_an_identifiable_user_agent(server: LocalServer) -> None:
    server.add("/a", Reply(body="<p>안녕</p>".encode()))
    response = fetch(server, "/a")
    assert response.status == 200 and response.text() == "<p>안녕</p>"
    assert server.requests[-1].headers["user-agent"].startswith("newsmon/")


def test_second_poll_of_unchanged_feed_is_a_304(server: LocalServer) -> None:
    def feed(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(body=b"<rss/>", headers={"ETag": '"v1"', "Last-Modified": "Mon, 02 Feb 2026 10:00:00 GMT"},
                     content_type="application/rss+xml")

    server.add("/feed", feed)
    first = fetch(server, "/feed", purpose="feed")
    assert first.etag == '"v1"' and not first.not_modified
    second = fetch(server, "/feed", purpose="feed", state=first.state)
    assert second.not_modified and second.content == b""
    assert server.requests[-1].headers["if-modified-since"] == "Mon, 02 Feb 2026 10:00:00 GMT"


def test_server_errors_are_retried_until_success(server: LocalServer) -> None:
    answers = iter([Reply(500), Reply(503), Reply(body=b"ok")])
    server.add("/flaky", lambda _s: next(answers))
    sleeps: list[float] = []
    assert fetch(server, "/flaky", sleeps=sleeps).content == b"ok"
    assert server.hits("/flaky") == 3 and len(sleeps) == 2


def test_persistent_server_error_names_source_url_and_status(server: LocalServer) -> None:
    server.add("/down", Reply(502))
    with pytest.raises(HTTPStatusError) as info:
        fetch(server, "/down")
    assert info.value.status == 502 and server.hits("/down") == 3
    message = str(info.value)
    assert "test-source" in message and server.url("/down") in message and "502" in message


def test_client_errors_are_not_retried(server: LocalServer) -> None:
    with pytest.raises(HTTPStatusError) as info:
        fetch(server, "/missing")
    assert info.value.status == 404 and server.hits("/missing") == 1


def test_429_waits_as_long_as_retry_after_says(server: LocalServer) -> None:
    answers = iter([Reply(429, headers={"Retry-After": "7"}), Reply(body=b"ok")])
    server.add("/limited", lambda _s: next(answers))
    sleeps: list[float] = []
    response = fetch(server, "/limited", settings=fast_settings(backoff_max_seconds=30), sleeps=sleeps)
    assert response.content == b"ok" and sleeps == [pytest.approx(7)]


def test_retry_after_beyond_the_cap_fails_at_once(server: LocalServer) -> None:
    server.add("/limited", Reply(429, headers={"Retry-After": "3600"}))
    with pytest.raises(HTTPStatusError) as info:
        fetch(server, "/limited")
    assert server.hits("/limited") == 1 and "Retry-After 3600s" in str(info.value)
    assert info.value.status == 429 and "backoff_max_seconds" in str(info.value)


def test_retry_after_reads_http_dates() -> None:
    from datetime import datetime, timezone

    now = datetime(2026, 2, 2, 10, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("Mon, 02 Feb 2026 10:00:30 GMT", now) == 30
    assert retry_after_seconds("120") == 120 and retry_after_seconds("soon") is None


def test_slow_server_times_out(server: LocalServer) -> None:
    server.add("/slow", Reply(body=b"late", delay=0.6))
    with pytest.raises(FetchTimeout) as info:
        fetch(server, "/slow", settings=fast_settings(read_timeout_seconds=0.2, retries=1))
    assert server.hits("/slow") == 2 and "timed out" in str(info.value)


def test_refused_connection_is_a_connection_failure() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x"

    async def run() -> None:
        async with Fetcher(fast_settings(retries=1)) as fetcher:
            await fetcher.fetch(url, source="s", private_origin=origin(url))

    with pytest.raises(ConnectionFailed) as info:
        asyncio.run(run())
    assert url in str(info.value)


def test_redirects_are_followed_to_the_final_url(server: LocalServer) -> None:
    server.add("/old", Reply(301, headers={"Location": "/new"}))
    server.add("/new", Reply(body=b"moved here"))
    response = fetch(server, "/old")
    assert response.url == server.url("/new") and response.content == b"moved here"


def test_redirect_loop_is_refused(server: LocalServer) -> None:
    server.add("/a", Reply(302, headers={"Location": "/b"}))
    server.add("/b", Reply(302, headers={"Location": "/a"}))
    with pytest.raises(TooManyRedirects, match="loop"):
        fetch(server, "/a")


def test_redirect_chain_longer_than_the_cap_is_refused(server: LocalServer) -> None:
    for i in range(6):
        server.add(f"/r{i}", Reply(302, headers={"Location": f"/r{i + 1}"}))
    with pytest.raises(TooManyRedirects, match="max_redirects"):
        fetch(server, "/r0")


def test_oversized_declared_body_is_refused_before_download(server: LocalServer) -> None:
    server.add("/big", Reply(body=b"x" * 300_000))
    with pytest.raises(ResponseTooLarge, match="Content-Length"):
        fetch(server, "/big")


def test_oversized_undeclared_body_is_stopped_while_streaming(server: LocalServer) -> None:
    # Without Content-Length (connection closes at the end) the cap applies to the bytes as they arrive.
    server.add("/big", Reply(body=b"x" * 300_000, headers={"Content-Length": "", "Connection": "close"}))
    with pytest.raises(ResponseTooLarge, match="download stopped"):
        fetch(server, "/big")


def test_non_html_content_type_is_refused_for_a_page(server: LocalServer) -> None:
    server.add("/doc.pdf", Reply(body=b"%PDF-1.4", content_type="application/pdf"))
    with pytest.raises(UnexpectedContentType, match="application/pdf"):
        fetch(server, "/doc.pdf")


def test_robots_txt_disallow_is_respected_and_fetched_once_per_host(server: LocalServer) -> None:
    server.add("/robots.txt", Reply(body=b"User-agent: newsmon\nDisallow: /private/\n", content_type="text/plain"))
    server.add("/private/a", Reply(body=b"secret"))
    server.add("/public/a", Reply(body=b"fine"))

    async def run() -> None:
        async with Fetcher(fast_settings()) as fetcher:
            kwargs = dict(source="s", private_origin=origin(server.base))
            assert (await fetcher.fetch(server.url("/public/a"), **kwargs)).content == b"fine"
            with pytest.raises(RobotsDisallowed, match="robots.txt"):
                await fetcher.fetch(server.url("/private/a"), **kwargs)
            opted_out = await fetcher.fetch(server.url("/private/a"), respect_robots=False, **kwargs)
            assert opted_out.content == b"secret"

    asyncio.run(run())
    assert server.hits("/robots.txt") == 1 and server.hits("/private/a") == 1


def test_robots_txt_server_error_disallows_the_site(server: LocalServer) -> None:
    server.add("/robots.txt", Reply(503, content_type="text/plain"))
    server.add("/a", Reply(body=b"x"))
    with pytest.raises(RobotsDisallowed, match="unreachable"):
        fetch(server, "/a", settings=fast_settings(retries=0))


def test_internal_address_is_refused_without_opt_in(server: LocalServer) -> None:
    server.add("/a", Reply(body=b"x"))
    with pytest.raises(BlockedAddress, match="internal"):
        fetch(server, "/a", private_origin=None)
    assert server.hits("/a") == 0


def test_redirect_into_another_internal_origin_is_refused(server: LocalServer) -> None:
    other = LocalServer()
    try:
        other.add("/inner", Reply(body=b"inner"))
        server.add("/jump", Reply(302, headers={"Location": other.url("/inner")}))
        with pytest.raises(BlockedAddress):
            fetch(server, "/jump")
        assert other.hits("/inner") == 0
    finally:
        other.close()


def test_non_http_scheme_is_refused() -> None:
    async def run() -> None:
        async with Fetcher(fast_settings()) as fetcher:
            await fetcher.fetch("file:///etc/passwd", source="s")

    with pytest.raises(BlockedAddress, match="scheme"):
        asyncio.run(run())


def test_per_host_limit_caps_requests_in_flight(server: LocalServer) -> None:
    lock = threading.Lock()
    in_flight = [0, 0]  # current, peak

    def slow(_seen: Seen) -> Reply:
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight[1], in_flight[0])
        import time

        time.sleep(0.03)
        with lock:
            in_flight[0] -= 1
        return Reply(body=b"ok")

    for i in range(12):
        server.add(f"/p{i}", slow)

    async def run() -> None:
        async with Fetcher(fast_settings(per_host_connections=3, max_connections=10)) as fetcher:
            await asyncio.gather(*(fetcher.fetch(server.url(f"/p{i}"), source="s", private_origin=origin(server.base))
                                   for i in range(12)))

    asyncio.run(run())
    assert 1 <= in_flight[1] <= 3


def test_host_name_resolving_to_an_internal_address_is_refused(server: LocalServer) -> None:
    import ipaddress

    from scrapers.addresses import is_internal

    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)}
    except OSError:
        pytest.skip(f"this machine's name {name!r} does not resolve")
    if not all(is_internal(ipaddress.ip_address(a.split("%")[0])) for a in addresses):
        pytest.skip(f"{name!r} resolves to a public address here")
    url = f"http://{name}:{server.base.rsplit(':', 1)[1]}/a"
    server.add("/a", Reply(body=b"x"))

    async def run() -> None:
        async with Fetcher(fast_settings()) as fetcher:
            await fetcher.fetch(url, source="s")

    with pytest.raises(BlockedAddress, match="resolves to internal address"):
        asyncio.run(run())
    assert server.hits("/a") == 0


def test_gzip_encoded_body_is_decoded(server: LocalServer) -> None:
    import gzip

    server.add("/gz", Reply(body=gzip.compress("<p>압축된 본문</p>".encode()), headers={"Content-Encoding": "gzip"}))
    response = fetch(server, "/gz")
    assert response.text() == "<p>압축된 본문</p>"
    assert "gzip" in server.requests[-1].headers["accept-encoding"]


def test_connections_to_a_host_are_kept_alive_and_reused(server: LocalServer) -> None:
    for i in range(5):
        server.add(f"/p{i}", Reply(body=b"ok"))

    async def run() -> None:
        async with Fetcher(fast_settings()) as fetcher:
            for i in range(5):
                await fetcher.fetch(server.url(f"/p{i}"), source="s", private_origin=origin(server.base))

    asyncio.run(run())
    assert len({r.peer for r in server.requests if r.path.startswith("/p")}) == 1


def test_a_connection_the_server_dropped_while_idle_is_replaced(server: LocalServer) -> None:
    server.add("/first", Reply(body=b"one", hang_up=True))
    server.add("/second", Reply(body=b"two"))

    async def run() -> list[bytes]:
        async with Fetcher(fast_settings(retries=0)) as fetcher:
            kwargs = dict(source="s", private_origin=origin(server.base))
            first = await fetcher.fetch(server.url("/first"), **kwargs)
            await asyncio.sleep(0.05)
            second = await fetcher.fetch(server.url("/second"), **kwargs)
            return [first.content, second.content]

    assert asyncio.run(run()) == [b"one", b"two"]
    peers = {r.path: r.peer for r in server.requests}
    assert peers["/first"] != peers["/second"]


def test_proxy_from_the_environment_is_used(server: LocalServer, monkeypatch: pytest.MonkeyPatch,
                                            outside_attempts: list[str]) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, server.base)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    # The local server plays the proxy: it sees the absolute URL as the request target.
    server.add("http://news.example.test/a", Reply(body=b"via proxy"))

    async def run() -> FetchedResponse:
        async with Fetcher(fast_settings(trust_env=True)) as fetcher:
            return await fetcher.fetch("http://news.example.test/a", source="s")

    assert asyncio.run(run()).content == b"via proxy"
    assert server.hits("http://news.example.test/a") == 1
    # The inward-address check looked the name up; the loopback guard refused it as a resolver without network would
    # (.test never resolves), and nothing else left the machine.
    assert set(outside_attempts) == {"lookup 'news.example.test'"}
    outside_attempts.clear()


def test_https_is_verified_against_the_configured_certificates(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    secure = LocalServer(tls=context)
    try:
        secure.add("/robots.txt", Reply(404, b"", content_type="text/plain"))
        secure.add("/a", Reply(body="<p>보안 연결</p>".encode()))
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)

        async def run(settings) -> FetchedResponse:  # type: ignore[no-untyped-def]
            async with Fetcher(settings) as fetcher:
                return await fetcher.fetch(secure.url("/a"), source="s", private_origin=origin(secure.base))

        # Not trusted: refused, as a connection failure naming the URL.
        with pytest.raises(ConnectionFailed):
            asyncio.run(run(fast_settings(retries=0)))
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        assert asyncio.run(run(fast_settings(trust_env=True))).text() == "<p>보안 연결</p>"
    finally:
        secure.close()


def test_a_server_dripping_bytes_is_cut_off_by_the_total_timeout(server: LocalServer) -> None:
    # Every byte arrives well within the read timeout; the whole answer never does.
    server.add("/drip", Reply(body=b"x" * 40, drip=0.05))
    with pytest.raises(FetchTimeout, match="total_timeout_seconds"):
        fetch(server, "/drip", settings=fast_settings(read_timeout_seconds=0.5, total_timeout_seconds=0.3, retries=0))
