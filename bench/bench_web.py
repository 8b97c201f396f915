"""The web view's queries over a large archive: search latency (p50/p95) and trend time, on SQLite or PostgreSQL.

    .venv/bin/python bench/bench_web.py ../shared/corpus/naver-2025-12-29_31.jsonl.gz [--articles 100000]
        [--database URL] [--days 60] [--repeat 5]

It synthesises `--articles` stored articles from the corpus: each corpus article is stored several times under
varied URLs, each copy filed on a day drawn (seeded) from `--days` days, so the archive spans two months. Tags are a
stand-in, not the tagger's: a company's alias or a topic's first-rule term found as a substring tags the article
with the sentence holding it as evidence (the tagger's Kiwi pass would take minutes and changes nothing the queries
do); a copy carries its original's tags, as near-duplicates do. One in ten copies is stored as a near-duplicate of
an earlier article of the same story, so folding has work. Rows go in through models.articles_store.insert_articles
(the search index follows through the database's own triggers or indexes).

Without --database a temporary SQLite file is used. A database that already holds at least --articles articles is
reused as it is (load once, measure many times). For PostgreSQL use a schema of its own, e.g.
    --database 'postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_web'
(created if missing).

Figures: load rate; for each query of a fixed set (company names, topic words, two-word and two-character queries,
with and without filters, folded and not) its latency over --repeat runs; p50/p95/max over all; the 30-day trend
(stories per day for every tag) and the day's top stories; the same through the HTTP API in-process.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from models.articles_store import NewArticle, ensure_source, insert_articles  # noqa: E402
from models.db import Database  # noqa: E402
from models.read_only import open_read_only  # noqa: E402
from models.search import ArticleFilter, articles, search_articles, stories_per_day, top_stories  # noqa: E402
from app.config import DEFAULT_CONFIG, load_config  # noqa: E402
from newsmon.records import Article, Tag  # noqa: E402
from scrapers.local import iter_jsonl  # noqa: E402
from tagging.rules import Watchlist  # noqa: E402
from web.days import day_windows  # noqa: E402

ZONE = ZoneInfo("Asia/Seoul")
FIRST_DAY = date(2025, 11, 2)
SENTENCE = re.compile(r"(?<=[.!?다])\s+")

QUERIES: list[tuple[str, dict]] = [
    ("삼성전자", {}),
    ("SK텔레콤", {}),
    ("카카오", {}),
    ("네이버", {}),
    ("희망퇴직", {}),
    ("구조조정", {}),
    ("인공지능", {}),
    ("반도체 수출", {}),
    ("LLM", {}),
    ("챗GPT", {}),
    ("해킹 사고", {}),
    ("정부", {}),
    ("감원", {}),
    ("KT", {}),
    ("AI 데이터센터", {}),
    ("유심", {"company": "skt"}),
    ("요금제", {"company": "kt"}),
    ("", {"company": "samsung_electronics"}),
    ("", {"topic": "layoffs"}),
    ("희망퇴직", {"fold": False}),
    ("삼성전자", {"days": 7}),
    ("인공지능", {"outlet": "연합뉴스"}),
    ("대통령", {"days": 30, "fold": False}),
    ("배터리", {"company": "samsung_electronics", "days": 30}),
]


def stand_in_tags(watchlist: Watchlist, title: str, body: str) -> list[Tag]:
    text_ = f"{title}\n{body}"
    found: list[Tag] = []
    rules = [("company", cid, rule.aliases) for cid, rule in watchlist.companies.items()]
    rules += [("topic", tid, rule.rules[0].terms) for tid, rule in watchlist.topics.items()]
    for kind, label, words in rules:
        for word in words:
            at = text_.find(word)
            if at < 0:
                continue
            sentence = next((s for s in SENTENCE.split(text_) if word in s), word)[:300]
            found.append(Tag(kind, label, 1.0, sentence, (word,)))  # type: ignore[arg-type]
            break
    return found


def read_corpus(path: Path) -> list[Article]:
    """The corpus as the loader reads it (entities decoded, bodies cleaned); unreadable lines are skipped."""
    return [a for a in iter_jsonl(path, "bench") if isinstance(a, Article)]


def prepare_postgres_schema(url: str) -> None:
    parsed = make_url(url)
    options = parsed.query.get("options", "")
    match = re.search(r"search_path=([A-Za-z_][A-Za-z0-9_]*)", options if isinstance(options, str) else "")
    if parsed.get_backend_name() != "postgresql" or not match:
        return
    admin = create_engine(parsed.set(query={}), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{match.group(1)}"'))
    admin.dispose()


def load(db: Database, corpus: list[Article], watchlist: Watchlist, target: int, days: int) -> float:
    rng = random.Random(14)
    tags_of = [stand_in_tags(watchlist, a.title, a.body) for a in corpus]
    started = time.perf_counter()
    stored = 0
    copy = 0
    first_copy: dict[int, int] = {}  # corpus position -> id of its first stored copy (for near-duplicates)
    with db.session() as session:
        source_id = ensure_source(session, "bench", "jsonl").id
    while stored < target:
        for start in range(0, len(corpus), 1000):
            positions = list(range(start, min(start + 1000, len(corpus))))[: target - stored]
            if not positions:
                break
            items = []
            for i in positions:
                a = corpus[i]
                day = FIRST_DAY + timedelta(days=rng.randrange(days))
                published = datetime(day.year, day.month, day.day, tzinfo=ZONE)  # 00:00 Seoul, as the corpus
                url = f"{a.url or 'https://example.invalid/' + str(i)}?copy={copy}"
                record = replace(a, url=url, published_at=published, external_id=f"{a.external_id}#{copy}")
                duplicate_of = first_copy.get(i) if rng.random() < 0.1 else None
                items.append(NewArticle(
                    record=record, canonical_url=url,
                    content_hash=hashlib.sha256(f"{i}#{copy}".encode()).hexdigest(),
                    tags=tags_of[i], duplicate_of_id=duplicate_of,
                    story_key=hashlib.sha1(f"story:{i}".encode()).hexdigest()[:16],
                ))
            with db.session() as session:
                ids = insert_articles(session, source_id, items)
            for i, new_id in zip(positions, ids):
                if new_id is not None:
                    first_copy.setdefault(i, new_id)
            stored += len(positions)
            print(f"\r  stored {stored:,}", end="", flush=True)
        copy += 1
    print()
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def query_filter(q: str, opts: dict, last_day: date) -> ArticleFilter:
    since = until = None
    if "days" in opts:
        windows = day_windows(last_day - timedelta(days=opts["days"] - 1), last_day, "Asia/Seoul")
        since, until = windows[0].start, windows[-1].end
    return ArticleFilter(text=q, company=opts.get("company"), topic=opts.get("topic"), outlet=opts.get("outlet"),
                         since=since, until=until, fold_duplicates=opts.get("fold", True), limit=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    url = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='bench-web-')}/newsmon.db"
    prepare_postgres_schema(url)
    db = Database(url)
    with db.session() as session:
        count = session.scalar(select(func.count()).select_from(articles))
    print(f"database: {make_url(url).get_backend_name()}, {count:,} articles stored")
    if count < args.articles:
        watchlist = load_config(DEFAULT_CONFIG).watchlist
        corpus = read_corpus(args.corpus)
        print(f"loading {args.articles - count:,} articles synthesised from {len(corpus):,} of {args.corpus.name}")
        seconds = load(db, corpus, watchlist, args.articles - count, args.days)
        print(f"  {args.articles - count:,} stored in {seconds:.1f} s "
              f"({(args.articles - count) / seconds:,.0f} articles/s, search index included)")
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
    db.dispose()

    reader = open_read_only(url)
    last_day = FIRST_DAY + timedelta(days=args.days - 1)
    times: list[float] = []
    print(f"\nsearch ({args.repeat} runs each, limit 20; ms: median / worst)")
    with reader.session() as session:
        for q, opts in QUERIES:
            f = query_filter(q, opts, last_day)
            runs = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                page = search_articles(session, f)
                runs.append((time.perf_counter() - started) * 1000)
            times.extend(runs)
            shown = f"{q!r} {opts}" if opts else repr(q)
            print(f"  {shown:<52} {statistics.median(runs):7.1f} {max(runs):7.1f}   {len(page.hits)} hits"
                  f"{' (scan)' if page.scanned else ''}")
        print(f"search over {len(times)} runs: p50 {percentile(times, 0.5):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, "
              f"max {max(times):.1f} ms")

        windows = day_windows(last_day - timedelta(days=29), last_day, "Asia/Seoul")
        trend_runs, top_runs = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            series = stories_per_day(session, windows)
            trend_runs.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            top_stories(session, windows[-1].start, windows[-1].end, limit=10)
            top_runs.append((time.perf_counter() - started) * 1000)
        print(f"\n30-day trend, every tag ({len(series)} series, {sum(s.total for s in series):,} story-days): "
              f"median {statistics.median(trend_runs):.1f} ms, worst {max(trend_runs):.1f} ms")
        started = time.perf_counter()
        one = stories_per_day(session, windows, labels=["samsung_electronics"])
        print(f"30-day trend, one tag: {(time.perf_counter() - started) * 1000:.1f} ms "
              f"({one[0].total if one else 0} story-days)")
        print(f"a day's top 10 stories: median {statistics.median(top_runs):.1f} ms, worst {max(top_runs):.1f} ms")
    reader.dispose()

    api_figures(url, last_day, args.repeat)


def api_figures(url: str, last_day: date, repeat: int) -> None:
    """The same through the HTTP API and pages, in-process (routing, JSON/HTML rendering and the chart included)."""
    from starlette.testclient import TestClient

    from web.app import WebSettings, create_app

    config = load_config(DEFAULT_CONFIG)
    app = create_app(config, WebSettings(database_url=url))
    since = (last_day - timedelta(days=29)).isoformat()
    requests = [
        ("/api/articles?q=삼성전자", "api search"),
        ("/api/articles?q=희망퇴직&company=kt", "api search, company filter"),
        (f"/api/trends?since={since}&until={last_day}", "api 30-day trend"),
        ("/search?q=인공지능", "search page"),
        (f"/trends?since={since}&until={last_day}", "trends page (chart, top stories)"),
    ]
    print("\nthrough HTTP in-process (ms: median / worst)")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for path, name in requests:
            runs = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(path)
                runs.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            print(f"  {name:<36} {statistics.median(runs):7.1f} {max(runs):7.1f}")


if __name__ == "__main__":
    main()
