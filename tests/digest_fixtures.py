"""Test material for the digest and delivery tests: a watchlist, a configuration, tagged articles, local servers."""

from __future__ import annotations

import email
import email.message
import email.policy
import http.server
import json
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from models import tables as t
from models.db import Database
from app.config import Config, parse_config

WATCHLIST = {
    "companies": {
        "kt": {"name": "KT", "aliases": ["KT", "케이티"]},
        "naver": {"name": "네이버", "aliases": ["네이버", "NAVER"]},
        "kakao": {"name": "카카오", "aliases": ["카카오"]},
    },
    "topics": {
        "llm": {"name": "LLM", "rules": [{"terms": ["LLM", "거대언어모델"]}]},
        "layoffs": {"name": "구조조정", "rules": [{"terms": ["구조조정", "희망퇴직"]}]},
    },
}

BASE_TIME = datetime(2025, 12, 28, 0, 30, tzinfo=timezone.utc)


def make_config(
    tmp_path: Path, subscriptions: Sequence[dict[str, Any]], database_url: str = "sqlite:///x.db"
) -> Config:
    # The stored test articles are dated around BASE_TIME; age is tested on its own (max_age_hours).
    subs = [{"max_age_hours": None, **sub} for sub in subscriptions]
    raw = {"storage": {"database_url": database_url}, "watchlist": WATCHLIST, "subscriptions": subs}
    return parse_config(raw, tmp_path / "newsmon.toml")


@dataclass
class Stored:
    """A tiny helper that writes sources, articles and tags the way the ingest pipeline stores them."""

    db: Database
    counter: int = 0
    sources: dict[str, int] = field(default_factory=dict)

    def source(self, name: str) -> int:
        if name not in self.sources:
            with self.db.session() as s:
                src = t.SourceRow(name=name, kind="text")
                s.add(src)
                s.flush()
                self.sources[name] = src.id
        return self.sources[name]

    def article(
        self,
        title: str,
        *,
        outlet: str = "연합뉴스",
        tags: Sequence[tuple[str, str, float, str, Sequence[str]]] = (),
        url: str | None = "auto",
        story_key: str | None = None,
        duplicate_of: int | None = None,
        published_at: datetime | None = None,
        fetched_at: datetime | None = None,
        body: str = "",
    ) -> int:
        self.counter += 1
        n = self.counter
        source_id = self.source("seeds")
        with self.db.session() as s:
            row = t.ArticleRow(
                source_id=source_id,
                url=f"https://news.example.kr/{n}" if url == "auto" else url,
                canonical_url=f"https://news.example.kr/{n}?c",
                content_hash=f"{n:064x}",
                title=title,
                body=body or title,
                publisher=outlet,
                published_at=published_at or BASE_TIME + timedelta(minutes=n),
                fetched_at=fetched_at or BASE_TIME + timedelta(minutes=n),
                duplicate_of_id=duplicate_of,
                story_key=story_key,
            )
            s.add(row)
            s.flush()
            for kind, label, score, evidence, terms in tags:
                s.add(t.TagRow(article_id=row.id, kind=kind, label=label, score=score, evidence=evidence,
                               terms=list(terms)))
            return row.id


def kt_article(stored: Stored, title: str = "KT, 거대언어모델 '믿:음' 공개", **kw: Any) -> int:
    return stored.article(
        title,
        tags=[("company", "kt", 0.9, "KT는 28일 자체 거대언어모델 믿음을 공개했다.", ["KT", "거대언어모델"]),
              ("topic", "llm", 0.8, "KT는 28일 자체 거대언어모델 믿음을 공개했다.", ["거대언어모델"])],
        **kw,
    )


# ---------------------------------------------------------------------------------------------------------------
# A local HTTP receiver (stands in for Slack's servers and for a JSON webhook)
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A real HTTP server on 127.0.0.1 that records each POST; `fail_next` refuses that many with a 503 first."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[Received] = []
        self.fail_next = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if outer.fail_next > 0:
                    outer.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                outer.requests.append(Received(self.path, dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def receiver(port: int = 0) -> Iterator[Receiver]:
    with Receiver(port) as r:
        yield r


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connections are refused) until a test starts a server there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------------------------
# A real SMTP server (aiosmtpd) that keeps what it receives
# ---------------------------------------------------------------------------------------------------------------


class Inbox:
    """aiosmtpd handler: every message received, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = closed_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def slack_to(port: int):  # type: ignore[no-untyped-def]
    """A `prepare` hook pointing apprise's Slack plugin at a local receiver instead of hooks.slack.com (only Slack's
    own server is replaced; the plugin builds and posts its real payload) and turning its throttle off."""
    from apprise.plugins.slack import NotifySlack

    def prepare(plugin) -> None:  # type: ignore[no-untyped-def]
        plugin.request_rate_per_sec = 0
        if isinstance(plugin, NotifySlack):
            plugin.webhook_url = f"http://127.0.0.1:{port}/services"

    return prepare
