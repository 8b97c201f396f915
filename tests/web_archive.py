"""Test material for the web view: a small archive stored through the real pipeline (dedupe, the real tagger, store),
and a real uvicorn serving the view on a free loopback port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import uvicorn
from sqlalchemy import select

from models.db import Database
from models.search import articles
from app.config import Config, load_config
from ingest.context import IngestContext
from ingest.pipeline import store_source_result
from newsmon.records import Article, SourceResult
from test_dedupe import EVENT_A, EVENT_B, ORIGINAL, OTHER, WIRE_COPY
from web.app import WebSettings, create_app, start_in_thread, wrap

KST = timezone(timedelta(hours=9))
# As every Naver corpus article: published at 00:00 Asia/Seoul, i.e. 15:00 UTC the day before.
MIDNIGHT = Article(
    source="test", title="삼성전자, 반도체 인력 감원 없다…\"투자 계속\"",
    body="삼성전자가 메모리 반도체 업황 악화에도 인력 감원은 없다고 29일 밝혔다. 회사는 평택 공장 투자를 계속하고 "
         "신규 채용도 예정대로 진행한다고 설명했다. 업계는 감산 여부에 주목하고 있다.",
    url="https://news50.example.com/article/50", publisher="라마일보",
    published_at=datetime(2025, 12, 29, 0, 0, tzinfo=KST), external_id="midnight")
# KT&G is not KT: a text search for `KT` finds it, the KT company filter (stored tags) must not.
KTNG = Article(
    source="test", title="KT&G, 배당 확대…주주환원 강화",
    body="KT&G가 올해 배당을 주당 6천원으로 늘린다고 28일 공시했다. KT&G는 자사주 소각도 병행한다.",
    url="https://news60.example.com/article/60", publisher="사아경제",
    published_at=datetime(2025, 12, 28, 15, 0, tzinfo=KST), external_id="ktng")
# Markup in stored text must come out as text.
HOSTILE = Article(
    source="test", title="<script>alert('x')</script> 카카오 <b>굵게</b>",
    body="카카오가 새 서비스를 공개했다. <img src=x onerror=alert(1)> 카카오는 이용자 보호를 강조했다.",
    url="javascript:alert(1)", publisher="<i>자차뉴스</i>",
    published_at=datetime(2025, 12, 27, 9, 0, tzinfo=KST), external_id="hostile")

ARCHIVE = [ORIGINAL, WIRE_COPY, EVENT_A, EVENT_B, OTHER, MIDNIGHT, KTNG, HOSTILE]


@lru_cache(maxsize=1)
def real_config() -> Config:
    return load_config()


@lru_cache(maxsize=1)
def real_tagger():  # type: ignore[no-untyped-def]
    """The configured tagger (Kiwi loads once per test process, on first use)."""
    from tagging.tagger import Tagger

    return Tagger(real_config().watchlist)


def store_archive(db: Database) -> dict[str, int]:
    """Store ARCHIVE through the pipeline; returns each article's stored id by external id."""
    store_source_result(IngestContext.open(db, real_tagger()), SourceResult("test", "files", list(ARCHIVE)))
    with db.session() as session:
        return {ext: i for i, ext in session.execute(select(articles.c.id, articles.c.external_id))}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Served:
    base: str
    settings: WebSettings


@contextmanager
def serve_view(database_url: str, *, token: str | None = None) -> Iterator[Served]:
    """The web view over `database_url` in a real uvicorn on 127.0.0.1, stopped afterwards."""
    settings = WebSettings(database_url=database_url, zone="Asia/Seoul", token=token)
    app = wrap(create_app(real_config(), settings), token)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = start_in_thread(server)
    try:
        yield Served(f"http://127.0.0.1:{port}", settings)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
