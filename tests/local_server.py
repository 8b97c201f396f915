"""A real HTTP server on 127.0.0.1 for the web-source tests: routes are plain functions, requests are recorded.

Imported by the fetch, feed, page and web-flow tests; it holds no tests itself.
"""

from __future__ import annotations

import hashlib
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scrapers.config import FetchSettings


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    delay: float = 0.0
    # Close the connection after answering without saying so (as servers do with idle keep-alive connections).
    hang_up: bool = False
    # Send the body one byte every `drip` seconds (a server that keeps a connection busy without finishing).
    drip: float = 0.0


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    peer: tuple[str, int] = ("", 0)  # the client's address and port: one port per connection


Route = Callable[[Seen], Reply]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up early (a capped download, a timeout) is what several tests do on purpose.
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class LocalServer:
    """Serves `routes[path]` (query string included in the path) on a real socket; 404 otherwise."""

    def __init__(self, host: str = "127.0.0.1", tls: "ssl.SSLContext | None" = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, self.client_address[:2])
                with server._lock:
                    server.requests.append(seen)
                route = server.routes.get(self.path)
                reply = route(seen) if route else Reply(404, b"not found", content_type="text/plain")
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    if reply.content_type:
                        self.send_header("Content-Type", reply.content_type)
                    for key, value in reply.headers.items():
                        if value:  # an empty value means "leave this header out"
                            self.send_header(key, value)
                    if "Content-Length" not in reply.headers:
                        self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if reply.status != 304 and reply.drip:
                        for i in range(len(reply.body)):
                            self.wfile.write(reply.body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(reply.drip)
                    elif reply.status != 304:
                        self.wfile.write(reply.body)
                    if reply.headers.get("Connection") == "close" or reply.hang_up:
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = _QuietServer((host, 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.base = f"{'https' if tls else 'http'}://{host}:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, route: Route | Reply) -> str:
        self.routes[path] = route if callable(route) else (lambda _seen, r=route: r)
        return self.url(path)

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    srv.add("/robots.txt", Reply(404, b"", content_type="text/plain"))
    yield srv
    srv.close()


def fast_settings(**overrides: object) -> FetchSettings:
    """Small timeouts and backoffs so fault tests finish in well under a second each."""
    values: dict[str, object] = dict(
        connect_timeout_seconds=1.0, read_timeout_seconds=0.5, total_timeout_seconds=5.0, retries=2,
        backoff_base_seconds=0.01, backoff_max_seconds=0.05, max_redirects=3, max_bytes=200_000,
        trust_env=False,  # a proxy in the developer's environment must not see the tests' requests
    )
    values.update(overrides)
    return FetchSettings(**values)  # type: ignore[arg-type]


def conditional(body: bytes, content_type: str = "application/rss+xml; charset=utf-8") -> Route:
    """A route serving `body` with an ETag, and a 304 to a request that sends that ETag back."""
    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'

    def route(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == etag:
            return Reply(304, headers={"ETag": etag}, content_type=None)
        return Reply(body=body, headers={"ETag": etag}, content_type=content_type)

    return route


def rss_feed(items: list[dict[str, str]], *, title: str = "테스트일보 전체기사", encoding: str = "utf-8",
             codec: str | None = None) -> bytes:
    """An RSS 2.0 document written for the tests; each item may have guid, link, title, body (content:encoded),
    description, creator and date (RFC 822)."""
    from xml.sax.saxutils import escape

    parts = [f'<?xml version="1.0" encoding="{encoding}"?>',
             '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
             'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>',
             f"<title>{escape(title)}</title><link>https://news.example.kr/</link><description>test</description>"]
    for item in items:
        parts.append("<item>")
        for key, tag in (("title", "title"), ("link", "link"), ("guid", "guid"), ("creator", "dc:creator"),
                         ("date", "pubDate"), ("description", "description"), ("body", "content:encoded")):
            if key in item:
                parts.append(f"<{tag}>{escape(item[key])}</{tag}>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode(codec or encoding)


def article_page(title: str, paragraphs: list[str], *, charset: str = "utf-8", declared: str | None = None,
                 published: str = "2026-02-11T09:30:00+09:00", outlet: str = "테스트일보") -> bytes:
    """A small news article page with the usual clutter around the body (menus, a caption, related links)."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = f"""<!doctype html><html lang="ko"><head>
<meta charset="{declared or charset}"><title>{title} - {outlet}</title>
<meta property="og:title" content="{title}"><meta property="og:site_name" content="{outlet}">
<meta property="article:published_time" content="{published}"></head>
<body><nav><a href="/">홈</a> <a href="/politics">정치</a> <a href="/economy">경제</a> <a href="/society">사회</a></nav>
<div class="ad">광고 문의 02-000-0000</div>
<article><h1>{title}</h1><div class="byline">홍길동 기자</div>
<figure><img src="/p.jpg"><figcaption>사진 설명: 회의 모습</figcaption></figure>
<div id="article-body">{body}</div></article>
<aside><h3>관련 기사</h3><ul><li><a href="/a/1">다른 기사 제목 하나</a></li><li><a href="/a/2">다른 기사 둘</a></li></ul></aside>
<footer>Copyright ⓒ {outlet}. 무단 전재 및 재배포 금지.</footer></body></html>"""
    return html.encode(charset)


KOREAN_PARAGRAPHS = [
    "서울시는 11일 시내 공공도서관 스무 곳의 운영 시간을 다음 달부터 밤 열 시까지 늘린다고 밝혔다.",
    "시는 직장인과 학생의 이용 수요가 저녁 시간에 몰린다는 조사 결과에 따라 이번 결정을 내렸다고 설명했다.",
    "연장 운영에 필요한 인력은 기간제 사서 채용과 자원봉사자 모집으로 충당할 계획이다.",
    "도서관 관계자는 시범 운영 결과를 보고 연말까지 대상 도서관을 더 늘릴 수 있다고 말했다.",
]
