"""Benchmark (run by hand): build a digest of 1,000 stored matches and render it in each format; prints time and size.

    .venv/bin/python bench/bench_digest.py [--matches 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from alerts.digest import build_digest  # noqa: E402
from alerts.render import DEFAULT_LIMITS, render_parts  # noqa: E402
from digest_fixtures import make_config  # noqa: E402
from models import tables as t  # noqa: E402
from models.db import Database  # noqa: E402
from models.outbox import unsent_matches  # noqa: E402

OUTLETS = ["연합뉴스", "조선일보", "한겨레", "매일경제", "전자신문", "디지털데일리", "ZDNet Korea", "뉴시스"]
EVIDENCE = "KT는 28일 서울 광화문 사옥에서 자체 거대언어모델 믿음 2.0을 공개하고 네이버와 협력을 확대한다고 밝혔다."


def fill(db: Database, matches: int) -> None:
    """`matches` primary articles (every fourth with a near-duplicate, every fifth sharing a story), all tagged."""
    base = datetime(2025, 12, 28, tzinfo=timezone.utc)
    with db.session() as s:
        source = t.SourceRow(name="bench", kind="jsonl")
        s.add(source)
        s.flush()
        n = 0
        for i in range(matches):
            n += 1
            art = t.ArticleRow(source_id=source.id, url=f"https://news.example.kr/{n}", canonical_url=f"c{n}",
                            content_hash=f"{n:064x}", title=f"KT·네이버, 초거대 AI 협력 확대 {i}번째 기사 — 클라우드·데이터센터",
                            body="본문", publisher=OUTLETS[i % len(OUTLETS)], published_at=base, fetched_at=base,
                            story_key=f"story-{i // 5}" if i % 20 < 5 else None)
            art.tags = [t.TagRow(kind="company", label="kt", score=0.9, evidence=EVIDENCE, terms=["KT"]),
                        t.TagRow(kind="company", label="naver", score=0.6, evidence=EVIDENCE, terms=["네이버"]),
                        t.TagRow(kind="topic", label="llm", score=0.8, evidence=EVIDENCE, terms=["거대언어모델"])]
            s.add(art)
            s.flush()
            if i % 4 == 0:
                n += 1
                s.add(t.ArticleRow(source_id=source.id, url=f"https://other.example.kr/{n}", canonical_url=f"c{n}",
                                content_hash=f"{n:064x}", title="복제", body="본문", publisher="뉴스1",
                                published_at=base, fetched_at=base, duplicate_of_id=art.id))


def timed(fn, repeat: int):  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return result, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matches", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        fill(db, args.matches)
        config = make_config(Path(tmp), [{"name": "bench", "companies": ["kt", "naver"], "topics": ["llm"],
                                          "max_entries": 10_000}])
        sub = config.subscriptions[0]
        now = datetime.now(timezone.utc)

        def query():  # type: ignore[no-untyped-def]
            with db.session() as s:
                return unsent_matches(s, sub.name, companies=sub.companies, topics=sub.topics)

        matches, q_time = timed(query, args.repeat)
        digest, b_time = timed(lambda: build_digest(sub, matches, config.watchlist, now=now), args.repeat)
        stored = len(json.dumps(digest.to_dict(), ensure_ascii=False).encode())
        print(f"{len(matches)} matches -> {digest.stories} stories ({digest.articles} articles incl. other outlets)")
        print(f"  query unsent matches   {q_time * 1000:8.1f} ms")
        print(f"  build digest           {b_time * 1000:8.1f} ms   outbox JSON {stored / 1024:8.1f} KiB")
        print(f"  {'format':<10} {'limit':>9} {'ms':>8} {'KiB':>8} {'parts':>6} {'entries':>8}")
        for fmt, limit in [("text", None), ("markdown", None), ("markdown", 2000), ("slack", None), ("html", None),
                           ("html", 10_000_000)]:
            parts, r_time = timed(lambda: render_parts(digest, fmt, limit=limit), args.repeat)
            size = sum(len(p.body.encode()) if fmt != "slack" else len(
                json.dumps(p.blocks, ensure_ascii=False).encode()) for p in parts)
            print(f"  {fmt:<10} {limit or DEFAULT_LIMITS[fmt]:>9} {r_time * 1000:8.1f} {size / 1024:8.1f} "
                  f"{len(parts):>6} {sum(p.entries for p in parts):>8}")
        db.dispose()


if __name__ == "__main__":
    main()
