"""A spike check over a large archive: how long one subscription's check takes (every label: the window and the
baseline days read and counted), on SQLite or PostgreSQL.

    .venv/bin/python bench/bench_spikes.py [--articles 100000] [--days 15] [--labels 10] [--database URL]

It synthesises `--articles` primary articles spread evenly over the last `--days` days (one story each, short
bodies), each tagged with one of `--labels` company labels, then times SpikeWatch.assess for each label (a
subscription watching all of them) five times and prints the median per label and for the whole check. Without
--database a temporary SQLite file is used; a database already holding the articles is reused (the check runs
at its newest article). For PostgreSQL give a schema of its own, e.g.
    --database 'postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_spikes'
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alerts.config import SpikeRule, Subscription  # noqa: E402
from alerts.spikes import SpikeWatch  # noqa: E402
from app.config import parse_config  # noqa: E402
from models.articles_store import NewArticle, ensure_source, insert_articles  # noqa: E402
from models.db import Database  # noqa: E402
from models.tables import ArticleRow  # noqa: E402
from newsmon.records import Article, Tag  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=15)
    parser.add_argument("--labels", type=int, default=10)
    parser.add_argument("--database")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='newsmon-bench-')}/spikes.db"
    db = Database(url)
    labels = [f"c{i}" for i in range(args.labels)]
    with db.session() as s:
        stored = s.scalar(select(func.count()).select_from(ArticleRow)) or 0
        newest = s.scalar(select(func.max(ArticleRow.published_at)))
    if stored >= args.articles and newest is not None:
        print(f"reusing the {stored:,} stored articles")
        load(db, 0, labels, newest, args)
        now = newest + timedelta(seconds=1)
    else:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        load(db, args.articles, labels, now, args)
    check(db, url, labels, now)
    db.dispose()


def load(db: Database, count: int, labels: list[str], now: datetime, args: argparse.Namespace) -> None:
    if not count:
        return
    step = timedelta(days=args.days) / count
    started = time.perf_counter()
    with db.session() as s:
        source = ensure_source(s, "bench", "jsonl").id
    for first in range(0, count, 2000):
        items = []
        for n in range(first, min(first + 2000, count)):
            when = now - step * (n + 1)
            label = labels[n % len(labels)]
            record = Article("bench", f"{label} 기사 {n}", f"{label} 본문 {n}.", url=f"https://b.example/{n}",
                             publisher=f"매체{n % 40}", published_at=when)
            items.append(NewArticle(record, f"https://b.example/{n}", f"{n:064x}",
                                    [Tag("company", label, 0.5 + (n % 5) / 10, f"{label} 본문 {n}.", (label,))],
                                    story_key=f"s{n}"))
        with db.session() as s:
            insert_articles(s, source, items)
    print(f"stored {count:,} articles over {args.days} days in {time.perf_counter() - started:.1f} s")


def check(db: Database, url: str, labels: list[str], now: datetime) -> None:

    watchlist = {"companies": {x: {"name": x.upper(), "aliases": [x.upper()]} for x in labels}, "topics": {}}
    config = parse_config({"storage": {"database_url": url}, "watchlist": watchlist}, ROOT / "newsmon.toml")
    sub = Subscription(name="bench", companies=labels, spikes=SpikeRule())
    watch = SpikeWatch(db, config)
    per_label: list[float] = []
    whole: list[float] = []
    for _ in range(5):
        t0 = time.perf_counter()
        for label in labels:
            t1 = time.perf_counter()
            a = watch.assess(sub, "company", label, now)
            per_label.append(time.perf_counter() - t1)
        whole.append(time.perf_counter() - t0)
    print(f"{db.engine.dialect.name}: one label {statistics.median(per_label) * 1000:.0f} ms (median), "
          f"the whole check ({len(labels)} labels) {statistics.median(whole) * 1000:.0f} ms; "
          f"last label: {a.stories} stories in the window, baseline {a.baseline:.1f}, threshold {a.threshold}")


if __name__ == "__main__":
    main()
