"""Backfill over real archives: a local HTTP server serves a generated site (a sitemap index by day, dated listings
several pages long, article pages); the backfill reads it into a real SQLite file with the real tagger."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.config import load_config
from archive_site import ArchiveSite
from ingest.backfill import SourceBackfill, run_backfill
from ingest.context import IngestContext
from local_server import LocalServer, Reply, fast_settings, rss_feed, server  # noqa: F401  (server: a fixture)
from models.articles_store import iter_export
from models.db import Database
from models.tables import ArticleRow, BackfillDayRow
from scrapers.config import BackfillSettings, SourceConfig
from scrapers.sitemaps import SitemapError, gunzip_capped, parse_sitemap, url_period

ROOT = Path(__file__).resolve().parent.parent
DAYS = [date(2026, 1, 3) + timedelta(days=i) for i in range(6)]  # the archive: Jan 3 .. Jan 8
SINCE, UNTIL = date(2026, 1, 4), date(2026, 1, 6)  # the backfill: three days inside it
IN_RANGE = [d for d in DAYS if SINCE <= d <= UNTIL]


@pytest.fixture(scope="module")
def tagger():  # type: ignore[no-untyped-def]
    from tagging.tagger import Tagger

    return Tagger(load_config(ROOT / "newsmon.toml").watchlist)


@pytest.fixture
def site(server: LocalServer) -> ArchiveSite:  # noqa: F811
    return ArchiveSite(server, DAYS, gzip_days=frozenset({DAYS[2]}))


def sources(site: ArchiveSite) -> list[SourceConfig]:
    return [
        SourceConfig(name="site-sitemap", kind="sitemap", url=site.server.url("/sitemap.xml"), allow_private=True),
        SourceConfig(name="site-list", kind="listing", url=site.listing_template(), allow_private=True,
                     link_pattern=r"/ls/\d{8}/\d+\.html$"),
    ]


def backfill(db: Database, tagger, chosen: list[SourceConfig], *, refresh: bool = False,  # type: ignore[no-untyped-def]
             since: date = SINCE, until: date = UNTIL) -> list[SourceBackfill]:
    return run_backfill(IngestContext.open(db, tagger), chosen, since, until, zone="Asia/Seoul", fetch=fast_settings(),
                        settings=BackfillSettings(), refresh=refresh)


def stored_titles(db: Database) -> list[str]:
    with db.session() as session:
        return [row.title for row in iter_export(session)]


def test_backfill_stores_exactly_the_articles_of_the_days_in_the_range(db: Database, tagger, site: ArchiveSite) -> None:
    outcomes = backfill(db, tagger, sources(site))
    titles = stored_titles(db)
    assert sorted(titles) == sorted(site.expected_titles(IN_RANGE))
    assert len(titles) == len(set(titles))
    by_source = {o.source: o for o in outcomes}
    for name in ("site-sitemap", "site-list"):
        days = by_source[name].days
        assert [d.day for d in days] == IN_RANGE
        assert all(d.finished and d.found == site.per_day and d.stored == site.per_day and d.failed == 0
                   for d in days), [d.summary() for d in days]
    # Listing pages: each day read pages 1..3 and stopped at page 4, which added no new link.
    for day in IN_RANGE:
        assert site.server.hits(site.listing_path(day, 4)) == 1
        assert site.server.hits(site.listing_path(day, 5)) == 0
    # Days outside the range are not fetched at all (the index is split by day).
    for day in (DAYS[0], DAYS[-1]):
        assert site.server.hits(site.sitemap_path(day)) == 0
        assert site.server.hits(site.listing_path(day, 1)) == 0


def test_articles_keep_the_published_time_the_page_states(db: Database, tagger, site: ArchiveSite) -> None:
    backfill(db, tagger, sources(site))
    expected = {a.title: a.published for d in IN_RANGE for a in site.sitemap[d] + site.listing[d]}
    with db.session() as session:
        rows = session.execute(select(ArticleRow.title, ArticleRow.published_at)).all()
    assert {t: p for t, p in rows} == expected
    # 00:10 Korean time is the previous day in UTC: it still belongs to its Korean day (so it is in the range).
    first = site.sitemap[SINCE][0]
    assert first.published.astimezone(ZoneInfo("UTC")).date() == SINCE - timedelta(days=1)
    assert first.title in expected


def test_rerun_stores_nothing_and_fetches_no_finished_day(any_db: Database, tagger, site: ArchiveSite) -> None:
    db = any_db  # a SQLite file, and PostgreSQL where it runs
    backfill(db, tagger, sources(site))
    count = len(stored_titles(db))
    before = len(site.server.requests)
    again = backfill(db, tagger, sources(site))
    assert len(stored_titles(db)) == count
    assert sum(o.stored for o in again) == 0
    assert all(d.earlier for o in again for d in o.days)
    assert [r.path for r in site.server.requests[before:]] == []


def test_refresh_reads_finished_days_again_and_stores_nothing_twice(db: Database, tagger, site: ArchiveSite) -> None:
    backfill(db, tagger, sources(site))
    count = len(stored_titles(db))
    before = len(site.server.requests)
    again = backfill(db, tagger, sources(site), refresh=True)
    paths = [r.path for r in site.server.requests[before:]]
    assert site.sitemap_path(SINCE) in paths and site.listing_path(SINCE, 1) in paths
    # Articles already stored are known by their URL: not fetched again.
    assert not any(p.startswith(("/sm/", "/ls/")) for p in paths)
    assert len(stored_titles(db)) == count
    assert all(d.known == site.per_day and d.stored == 0 for o in again for d in o.days)


def test_a_broken_sitemap_and_listing_page_are_reported_by_source_and_url_and_other_days_go_on(
    db: Database, tagger, site: ArchiveSite
) -> None:
    broken_day, listing_day = IN_RANGE[0], IN_RANGE[1]
    cut_short = Reply(body=b"<urlset><url><loc>http://x/1</lo", content_type="text/xml")
    site.server.add(site.sitemap_path(broken_day), cut_short)
    site.break_path(site.listing_path(listing_day, 2))
    outcomes = {o.source: o for o in backfill(db, tagger, sources(site))}
    sm = {d.day: d for d in outcomes["site-sitemap"].days}
    ls = {d.day: d for d in outcomes["site-list"].days}
    assert not sm[broken_day].finished and sm[broken_day].errors
    error = sm[broken_day].errors[0]
    assert error.source == "site-sitemap" and error.where.endswith(site.sitemap_path(broken_day))
    assert error.reason.startswith("broken XML (unclosed token: line 1")
    assert not ls[listing_day].finished
    assert ls[listing_day].errors[0].where.endswith(site.listing_path(listing_day, 2))
    assert "HTTP 500" in ls[listing_day].errors[0].reason
    # Page 1 of that day was read before the broken page 2, and every other day is complete.
    assert ls[listing_day].stored == site.per_page
    others = [d for d in IN_RANGE if d != broken_day]
    assert all(sm[d].finished and sm[d].stored == site.per_day for d in others)
    assert all(ls[d].finished for d in IN_RANGE if d != listing_day)
    assert any("site-sitemap" in line and "failed:" in line for line in outcomes["site-sitemap"].lines())
    # Fixed, the next backfill reads only the unfinished days and stores only what was missing.
    site.server.add(site.sitemap_path(broken_day), site._day_sitemap(broken_day))
    site.server.add(site.listing_path(listing_day, 2), site._listing_page(listing_day, 2))
    before = len(site.server.requests)
    again = {o.source: o for o in backfill(db, tagger, sources(site))}
    assert sorted(stored_titles(db)) == sorted(site.expected_titles(IN_RANGE))
    assert [d.day for d in again["site-sitemap"].days if not d.earlier] == [broken_day]
    assert [d.day for d in again["site-list"].days if not d.earlier] == [listing_day]
    refetched = {r.path for r in site.server.requests[before:]}
    assert not refetched & {a.path for a in site.listing[listing_day][: site.per_page]}


def test_an_rss_source_says_how_far_back_it_reaches_and_that_older_cannot_be_read(
    db: Database, tagger, server: LocalServer  # noqa: F811
) -> None:
    items = [{"guid": f"g{i}", "link": f"https://news.example.kr/a/{i}", "title": f"피드 기사 {i}번 소식",
              "body": f"피드 기사 본문 {i}번입니다. " * 20, "date": f"Mon, {5 + i:02d} Jan 2026 09:00:00 +0900"}
             for i in range(3)]
    server.add("/feed", Reply(body=rss_feed(items), content_type="application/rss+xml"))
    feed = SourceConfig(name="site-feed", kind="rss", url=server.url("/feed"), allow_private=True)
    [outcome] = backfill(db, tagger, [feed], since=date(2025, 12, 1), until=date(2026, 1, 31))
    assert outcome.failure is None and outcome.days == []
    assert outcome.note is not None
    assert "reaches back to 2026-01-05 09:00" in outcome.note and "nothing older can be read" in outcome.note
    assert "2025-12-01..2026-01-04 cannot be backfilled" in outcome.note
    assert outcome.stored == 3
    assert any("site-feed: the feed reaches back" in line for line in outcome.lines())


@pytest.mark.timeout(600)  # two `newsmon` processes on a shared 2-core machine
def test_killed_backfill_restarts_where_it_stopped(tmp_path: Path, server: LocalServer,  # noqa: F811
                                                   prefect_api: str) -> None:
    """`newsmon backfill` as a real process, killed with SIGKILL after some days finished, then run again."""
    days = [date(2026, 2, 1) + timedelta(days=i) for i in range(6)]
    site = ArchiveSite(server, days, per_day=4, delay=0.15)
    db_path = tmp_path / "newsmon.db"
    config = tmp_path / "newsmon.toml"
    config.write_text(
        (ROOT / "newsmon.toml").read_text(encoding="utf-8")
        .replace('database_url = "sqlite:///var/newsmon.db"', f'database_url = "sqlite:///{db_path}"')
        .replace('[[sources]]\nname = "seeds"',
                 f'[backfill]\ndays_at_once = 1\nmax_connections = 2\n\n'
                 f'[[sources]]\nname = "site-sitemap"\nkind = "sitemap"\nurl = "{server.url("/sitemap.xml")}"\n'
                 'allow_private = true\n\n[[sources]]\nname = "seeds"', 1),
        encoding="utf-8")
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "NEWSMON_CONFIG": str(config)}
    env.pop("NEWSMON_DATABASE_URL", None)
    command = [sys.executable, "-m", "flows.cli", "backfill", "--since", str(days[0]), "--until", str(days[-1]),
               "--source", "site-sitemap"]
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        finished = _wait_for_days(db_path, 2, child, timeout=180)
    finally:
        child.send_signal(signal.SIGKILL)
        output = child.communicate(timeout=30)[0].decode(errors="replace")
    assert finished, output
    done_before = _finished_days(db_path)
    assert 2 <= len(done_before) < len(days), output
    seen_before = len(server.requests)
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _finished_days(db_path) == set(days)
    # No finished day was fetched again: neither its sitemap nor its articles.
    after = {r.path for r in server.requests[seen_before:]}
    for day in done_before:
        assert not after & site.day_paths(day), (day, after & site.day_paths(day))
    # The same rows as one uninterrupted backfill: every article of every day, once.
    restored = Database(f"sqlite:///{db_path}")
    try:
        assert sorted(stored_titles(restored)) == sorted(site.expected_titles(days, "sitemap"))
    finally:
        restored.dispose()


def _finished_days(db_path: Path) -> set[date]:
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        try:
            rows = conn.execute("SELECT day FROM backfill_days WHERE finished").fetchall()
        except sqlite3.OperationalError:  # not migrated yet
            return set()
    return {date.fromisoformat(r[0]) for r in rows}


def _wait_for_days(db_path: Path, count: int, child: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        if db_path.exists() and len(_finished_days(db_path)) >= count:
            return True
        time.sleep(0.05)
    return False


# -- sitemaps as parsed ------------------------------------------------------------------------------------------


def test_a_news_sitemap_gives_publication_dates_and_lastmod_in_the_zone() -> None:
    xml = """<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>https://n.example.kr/1</loc><news:news><news:publication><news:name>N</news:name>
        <news:language>ko</news:language></news:publication>
        <news:publication_date>2026-01-05T09:00:00+09:00</news:publication_date><news:title>제목</news:title>
      </news:news></url>
      <url><loc>https://n.example.kr/2</loc><lastmod>2026-01-05</lastmod></url>
      <url><loc>https://n.example.kr/3</loc></url></urlset>""".encode()
    seoul = ZoneInfo("Asia/Seoul")
    for body in (xml, gzip.compress(xml)):
        parsed = parse_sitemap(body, "https://n.example.kr/s.xml", zone=seoul, max_bytes=100_000)
        first, second, third = parsed.entries
        assert first.published_at.isoformat() == "2026-01-05T09:00:00+09:00" and first.title == "제목"
        assert second.published_at.tzinfo == seoul and second.published_at.date() == date(2026, 1, 5)
        assert third.published_at is None


def test_a_sitemap_index_gives_its_children_and_their_periods() -> None:
    xml = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           b"<sitemap><loc>https://n.example.kr/sitemap-2026-01-05.xml</loc></sitemap>"
           b"<sitemap><loc>https://n.example.kr/sitemap/2026/01.xml.gz</loc></sitemap>"
           b"<sitemap><loc>https://n.example.kr/sitemap-3.xml</loc></sitemap></sitemapindex>")
    parsed = parse_sitemap(xml, "https://n.example.kr/sitemap.xml", zone=ZoneInfo("Asia/Seoul"), max_bytes=10_000)
    assert [url_period(c) for c in parsed.children] == [
        (date(2026, 1, 5), date(2026, 1, 5)), (date(2026, 1, 1), date(2026, 1, 31)), None]
    assert url_period("https://2026-01-05.example.kr/sitemap.xml") is None  # a date in the host is not a period


def test_not_a_sitemap_and_a_gzip_bomb_are_errors() -> None:
    seoul = ZoneInfo("Asia/Seoul")
    with pytest.raises(SitemapError, match="not a sitemap"):
        parse_sitemap(b"<html><body>404</body></html>", "https://n.example.kr/s.xml", zone=seoul, max_bytes=1000)
    with pytest.raises(SitemapError, match="fetch.max_bytes"):
        gunzip_capped(gzip.compress(b"<" * 1_000_000), 10_000)


def test_a_dated_url_needs_a_listing_or_search_and_a_real_date_format() -> None:
    with pytest.raises(ValueError, match="only in listing and search"):
        SourceConfig(name="x", kind="rss", url="https://n.example.kr/{date}")
    with pytest.raises(ValueError, match="no date directive"):
        SourceConfig(name="x", kind="listing", url="https://n.example.kr/{date}", link_pattern="a", date_format="day")
    with pytest.raises(ValueError, match=r"\{page\} also needs"):
        SourceConfig(name="x", kind="listing", url="https://n.example.kr/?p={page}", link_pattern="a")
    assert SourceConfig(name="x", kind="listing", url="https://n.example.kr/{date}", link_pattern="a").archive


def test_backfill_days_are_recorded_per_source_and_day(any_db: Database, tagger, site: ArchiveSite) -> None:
    backfill(any_db, tagger, sources(site)[:1])
    with any_db.session() as session:
        rows = session.scalars(select(BackfillDayRow).order_by(BackfillDayRow.day)).all()
        assert [(r.source, r.day, r.finished, r.found, r.stored) for r in rows] == [
            ("site-sitemap", d, True, site.per_day, site.per_day) for d in IN_RANGE]


@pytest.mark.flow
def test_the_backfill_flow_reports_per_source_and_day_with_a_progress_artifact(
    tmp_path: Path, server: LocalServer, prefect_api: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.ingest import backfill as backfill_flow

    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    site = ArchiveSite(server, DAYS)
    server.add("/feed", Reply(body=rss_feed([{"guid": "g1", "link": "https://news.example.kr/feed/1",
                                              "title": "피드의 유일한 기사", "body": "피드 본문입니다. " * 40,
                                              "date": "Mon, 05 Jan 2026 09:00:00 +0900"}]),
                              content_type="application/rss+xml"))
    config = tmp_path / "newsmon.toml"
    config.write_text(
        (ROOT / "newsmon.toml").read_text(encoding="utf-8")
        .replace('database_url = "sqlite:///var/newsmon.db"', f'database_url = "sqlite:///{tmp_path / "n.db"}"')
        .replace('[[sources]]\nname = "seeds"',
                 f'[[sources]]\nname = "site-sitemap"\nkind = "sitemap"\nurl = "{server.url("/sitemap.xml")}"\n'
                 f'allow_private = true\n\n[[sources]]\nname = "site-feed"\nkind = "rss"\n'
                 f'url = "{server.url("/feed")}"\nallow_private = true\n\n[[sources]]\nname = "seeds"', 1),
        encoding="utf-8")
    summary = backfill_flow(since=SINCE, until=UNTIL, sources=["site-sitemap", "site-feed"], config_path=str(config))
    assert summary["failed"] == []
    assert summary["new"] == len(site.expected_titles(IN_RANGE, "sitemap")) + 1
    days = summary["days"]["site-sitemap"]
    assert sorted(days) == [str(d) for d in IN_RANGE]
    assert all(v["found"] == site.per_day and v["stored"] == site.per_day and v["failed"] == 0 for v in days.values())
    assert "the feed reaches back to 2026-01-05 09:00" in summary["sources"]["site-feed"]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["backfill-progress", "backfill-summary"])))
    by_key = {}
    for artifact in sorted(artifacts, key=lambda a: a.created):
        by_key[artifact.key] = artifact
    assert float(by_key["backfill-progress"].data) == 100.0
    assert "site-sitemap" in str(by_key["backfill-summary"].data)


def test_a_poll_of_a_sitemap_or_dated_listing_reads_yesterday_and_today_once(server: LocalServer) -> None:  # noqa: F811
    import asyncio
    from datetime import datetime

    from newsmon.records import SourceState
    from scrapers.web import read_web_sources

    today = datetime.now(ZoneInfo("Asia/Seoul")).date()
    site = ArchiveSite(server, [today - timedelta(days=2), today - timedelta(days=1), today], per_day=3)
    chosen = sources(site)
    first = asyncio.run(read_web_sources(chosen, fast_settings(), {}, watch_terms=[], zone="Asia/Seoul"))
    recent = [today - timedelta(days=1), today]
    for result, which in zip(first, ("sitemap", "listing")):
        assert result.failure is None and result.errors == []
        assert {a.title for a in result.articles} == site.expected_titles(recent, which)
    states = {r.source: r.state or SourceState() for r in first}
    again = asyncio.run(read_web_sources(chosen, fast_settings(), states, watch_terms=[], zone="Asia/Seoul"))
    assert [r.articles for r in again] == [[], []]
    assert site.server.hits(site.sitemap_path(today - timedelta(days=2))) == 0


def test_migration_0009_adds_and_removes_backfill_days(database_url: str) -> None:
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from models.db import alembic_config

    config = alembic_config(database_url)
    engine = create_engine(database_url)
    try:
        command.upgrade(config, "0009_backfill")
        assert "backfill_days" in inspect(engine).get_table_names()
        command.downgrade(config, "0007_search")
        assert "backfill_days" not in inspect(engine).get_table_names()
        command.upgrade(config, "head")
        assert "backfill_days" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_search_with_since_and_until_is_asked_one_day_at_a_time(db: Database, tagger, site: ArchiveSite) -> None:
    for day in DAYS:
        items = [{"guid": a.path, "link": site.server.url(a.path), "title": a.title,
                  "date": a.published.strftime("%a, %d %b %Y %H:%M:%S +0900")} for a in site.sitemap[day]]
        site.server.add(f"/search?q=KT&from={day:%Y.%m.%d}&to={day:%Y.%m.%d}",
                        Reply(body=rss_feed(items), content_type="application/rss+xml"))
    search = SourceConfig(name="site-search", kind="search", queries=["KT"], date_format="%Y.%m.%d",
                          url=site.server.url("/search?q={query}&from={since}&to={until}"), allow_private=True)
    [outcome] = backfill(db, tagger, [search])
    assert all(d.finished and d.stored == site.per_day for d in outcome.days), [d.summary() for d in outcome.days]
    assert sorted(stored_titles(db)) == sorted(site.expected_titles(IN_RANGE, "sitemap"))
    asked = sorted(r.path for r in site.server.requests if r.path.startswith("/search"))
    assert asked == [f"/search?q=KT&from={d:%Y.%m.%d}&to={d:%Y.%m.%d}" for d in IN_RANGE]


def test_robots_txt_is_obeyed_and_its_refusals_reported(db: Database, tagger, site: ArchiveSite) -> None:
    site.server.add("/robots.txt", Reply(body=b"User-agent: *\nDisallow: /ls/\n", content_type="text/plain"))
    outcomes = {o.source: o for o in backfill(db, tagger, sources(site))}
    assert not any(r.path.startswith("/ls/") for r in site.server.requests)
    listing_days = outcomes["site-list"].days
    assert all(not d.finished and d.failed == site.per_day for d in listing_days)
    assert "robots.txt" in listing_days[0].errors[0].reason
    assert all(d.finished for d in outcomes["site-sitemap"].days)


def test_today_is_not_finished_so_the_next_backfill_reads_it_again(db: Database, tagger, server: LocalServer  # noqa: F811
                                                                   ) -> None:
    from datetime import datetime

    today = datetime.now(ZoneInfo("Asia/Seoul")).date()
    site = ArchiveSite(server, [today - timedelta(days=1), today], per_day=2)
    chosen = sources(site)[:1]
    first = backfill(db, tagger, chosen, since=today - timedelta(days=1), until=today)
    assert [(d.day, d.finished) for d in first[0].days] == [(today - timedelta(days=1), True), (today, False)]
    again = backfill(db, tagger, chosen, since=today - timedelta(days=1), until=today)
    assert [(d.day, d.earlier) for d in again[0].days] == [(today - timedelta(days=1), True), (today, False)]
    assert again[0].days[1].known == 2 and again[0].stored == 0
    assert not again[0].failed  # unfinished is not failed


def test_the_terminal_display_counts_days_per_source(capsys: pytest.CaptureFixture[str]) -> None:
    from flows.progress import BackfillDisplay
    from newsmon.records import BackfillDay

    display = BackfillDisplay(artifact=False, terminal=True)
    try:
        display.start("a", 2)
        display.start("b", 2)
        display.day_done(BackfillDay("a", SINCE))
        assert display.fraction == 0.25
        display.day_done(BackfillDay("a", UNTIL))
        display.day_done(BackfillDay("b", SINCE, earlier=True))
        assert display.fraction == 0.75
    finally:
        display.close()


def test_an_index_of_undated_sitemaps_is_read_once_for_the_whole_range(db: Database, tagger, site: ArchiveSite
                                                                       ) -> None:
    """Big sites number their sitemaps (sitemap-1.xml, ...) instead of dating them: every day needs every one of
    them, so each is fetched once per run and only the range's entries are kept."""
    server = site.server
    entries = {1: DAYS[:3], 2: DAYS[3:]}
    children = []
    for number, days in entries.items():
        urls = "".join(f"<url><loc>{server.url(a.path)}</loc><lastmod>{a.published.isoformat()}</lastmod></url>"
                       for d in days for a in site.sitemap[d])
        undated = f"<url><loc>{server.url('/about.html')}</loc></url>" if number == 1 else ""
        server.add(f"/numbered/sitemap-{number}.xml", Reply(
            body=('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                  f"{urls}{undated}</urlset>").encode(), content_type="application/xml"))
        children.append(f"<sitemap><loc>{server.url(f'/numbered/sitemap-{number}.xml')}</loc></sitemap>")
    server.add("/numbered/index.xml", Reply(body=(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(children) + "</sitemapindex>").encode(), content_type="application/xml"))
    numbered = SourceConfig(name="numbered", kind="sitemap", url=server.url("/numbered/index.xml"),
                            allow_private=True)
    [outcome] = backfill(db, tagger, [numbered])
    assert sorted(stored_titles(db)) == sorted(site.expected_titles(IN_RANGE, "sitemap"))
    assert [server.hits(f"/numbered/sitemap-{n}.xml") for n in (1, 2)] == [1, 1]
    assert all(d.finished and d.undated == 1 for d in outcome.days)
    assert "1 sitemap entries without a date" in outcome.days[0].summary()
