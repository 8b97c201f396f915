"""fetch_all and record_health on a real SQLite database and a real local server: state, health, alert notices."""

from __future__ import annotations

# `server` is a fixture; test_flows imports `conditional` from here.
from local_server import (  # noqa: F401
    KOREAN_PARAGRAPHS,
    LocalServer,
    Reply,
    conditional,
    fast_settings,
    rss_feed,
    server,
)

from app.config import Config
from ingest.web import fetch_all, record_health
from models.db import Database
from models.web_store import source_health
from newsmon.records import SourceResult
from scrapers.config import SourceConfig


def make_config(sources: list[SourceConfig], **fetch: object) -> Config:
    return Config.model_validate({
        "fetch": fast_settings(**fetch).model_dump(),
        "sources": [s.model_dump() for s in sources],
        "watchlist": {"companies": {"samsung": {"name": "삼성전자", "aliases": ["삼성전자"]}}},
    })


def fetch(config: Config, db: Database) -> list[SourceResult]:
    """Every configured source once, searching for the watchlist's company names, as the ingest flow reads them."""
    return fetch_all(db, config.sources, config.fetch, config.search_terms())


def notices_of(config: Config, db: Database, results: list[SourceResult]) -> list[str]:
    return record_health(db, results, config.fetch.failures_before_alert)


def feed_source(srv: LocalServer, name: str, path: str = "/feed") -> SourceConfig:
    return SourceConfig(name=name, kind="rss", url=srv.url(path), allow_private=True)


ITEMS = [
    {"guid": f"urn:test:{i}", "link": f"https://news.example.kr/a/{i}", "title": f"도서관 소식 {i}",
     "body": "\n".join(f"<p>{p}</p>" for p in KOREAN_PARAGRAPHS), "creator": "홍길동 기자",
     "date": "Wed, 11 Feb 2026 06:01:14 +0000"}
    for i in range(3)
]


def test_state_is_persisted_so_the_second_poll_is_a_304(server: LocalServer, any_db: Database) -> None:
    db = any_db
    server.add("/feed", conditional(rss_feed(ITEMS)))
    config = make_config([feed_source(server, "library")])

    first = fetch(config, db)
    assert [len(r.articles) for r in first] == [3] and first[0].failure is None
    assert notices_of(config, db, first) == []

    second = fetch(config, db)
    assert second[0].not_modified and second[0].articles == []
    assert server.requests[-1].headers["if-none-match"] == first[0].state.etag
    notices_of(config, db, second)
    with db.session() as session:
        health = source_health(session, "library")
    assert health is not None and health.consecutive_failures == 0 and health.last_success_at is not None


def test_items_seen_on_an_earlier_poll_are_not_emitted_again(server: LocalServer, db: Database) -> None:
    config = make_config([feed_source(server, "library")])
    server.add("/feed", Reply(body=rss_feed(ITEMS[:2]), content_type="application/rss+xml"))
    notices_of(config, db, fetch(config, db))

    server.add("/feed", Reply(body=rss_feed(ITEMS), content_type="application/rss+xml"))
    again = fetch(config, db)
    assert [a.external_id for a in again[0].articles] == ["urn:test:2"]


def test_failures_are_counted_and_told_once_per_streak_then_cleared(server: LocalServer, db: Database) -> None:
    server.add("/feed", Reply(503, b"down", content_type="text/plain"))
    config = make_config([feed_source(server, "flaky")], retries=0, failures_before_alert=2)

    notices = [notices_of(config, db, fetch(config, db)) for _ in range(4)]
    assert [len(n) for n in notices] == [0, 1, 0, 0]
    told = notices[1][0]
    assert "flaky" in told and server.url("/feed") in told and "503" in told
    with db.session() as session:
        health = source_health(session, "flaky")
    assert health.consecutive_failures == 4 and "503" in (health.last_error or "")
    assert health.failure_alerted_at is not None

    server.add("/feed", Reply(body=rss_feed(ITEMS), content_type="application/rss+xml"))
    assert notices_of(config, db, fetch(config, db)) == []
    with db.session() as session:
        health = source_health(session, "flaky")
    assert health.consecutive_failures == 0 and health.failure_alerted_at is None

    # A new streak is told again.
    server.add("/feed", Reply(503, b"down", content_type="text/plain"))
    notices = [notices_of(config, db, fetch(config, db)) for _ in range(2)]
    assert [len(n) for n in notices] == [0, 1]


def test_a_304_counts_as_success(server: LocalServer, db: Database) -> None:
    config = make_config([feed_source(server, "library")], retries=0, failures_before_alert=5)
    server.add("/feed", conditional(rss_feed(ITEMS)))
    notices_of(config, db, fetch(config, db))
    route = server.routes["/feed"]
    server.add("/feed", Reply(500, b"", content_type="text/plain"))
    notices_of(config, db, fetch(config, db))
    server.routes["/feed"] = route
    result = fetch(config, db)
    assert result[0].not_modified  # the failed poll kept the validators
    notices_of(config, db, result)
    with db.session() as session:
        assert source_health(session, "library").consecutive_failures == 0


def test_one_failing_source_does_not_stop_the_others(server: LocalServer, db: Database) -> None:
    server.add("/good", Reply(body=rss_feed(ITEMS), content_type="application/rss+xml"))
    server.add("/broken", Reply(body=b"<rss><channel><item><title>unterminated", content_type="application/rss+xml"))
    sources = [feed_source(server, "broken", "/broken"), feed_source(server, "missing", "/nowhere"),
               feed_source(server, "good", "/good")]
    config = make_config(sources, failures_before_alert=1)

    results = fetch(config, db)
    assert [r.source for r in results] == ["broken", "missing", "good"]
    assert results[0].failure is not None and "an RSS feed cut short (truncated)" in results[0].failure.reason
    assert results[1].failure is not None and "404" in results[1].failure.reason
    assert len(results[2].articles) == 3 and results[2].failure is None
    notices = notices_of(config, db, results)
    assert len(notices) == 2 and all(server.base in n for n in notices)


def test_migration_0002_adds_and_removes_the_seen_items_column(sqlite_url: str) -> None:
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from models.db import alembic_config

    config = alembic_config(sqlite_url)
    engine = create_engine(sqlite_url)
    try:
        command.upgrade(config, "0002")
        assert "seen_items" in {c["name"] for c in inspect(engine).get_columns("sources")}
        command.downgrade(config, "0001")
        assert "seen_items" not in {c["name"] for c in inspect(engine).get_columns("sources")}
        command.upgrade(config, "0002")
        assert "seen_items" in {c["name"] for c in inspect(engine).get_columns("sources")}
    finally:
        engine.dispose()
