"""A real HTTP server on 127.0.0.1 for the web-source tests: routes are plain functions, requests are recorded.

Imported by test_fetch.py, test_feeds.py and test_pages.py; it holds no tests itself.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]


Route = Callable[[Seen], Reply]


class LocalServer:
    """Serves `routes[path]` (query string included in the path) on a real socket; 404 otherwise."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()})
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
                    if reply.status != 304:
                        self.wfile.write(reply.body)
                    if reply.headers.get("Connection") == "close":
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://{host}:{self.httpd.server_address[1]}"
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
    )
    values.update(overrides)
    return FetchSettings(**values)  # type: ignore[arg-type]
