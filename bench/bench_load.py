"""Load a whole corpus through the real pipeline (read, exact dedupe, near dedupe, tag, store in a temporary SQLite
file) in one run, with the time split by stage and articles per second.

    .venv/bin/python bench/bench_load.py ../shared/corpus/naver-2025-12-28.jsonl.gz [--again]

`--again` loads the same file a second time into the same database (everything is then an exact duplicate: the
cost of a re-run that finds nothing new, which must not load the tagger).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.config import DEFAULT_CONFIG, load_config  # noqa: E402
from ingest.context import IngestContext, StoredIndex  # noqa: E402
from ingest.loading import store_paths  # noqa: E402
from ingest.pipeline import IngestReport  # noqa: E402
from ingest.workers import IngestWorkers  # noqa: E402
from models.search_index import BackgroundIndexer  # noqa: E402
from models.db import Database  # noqa: E402

STAGES = ("parse", "exact", "near", "tag", "store")


class TimedTagger:
    """The configured tagger, built on first use (so a run with nothing new never builds it); build time kept apart."""

    def __init__(self, config) -> None:  # type: ignore[no-untyped-def]
        self._config = config
        self._tagger = None
        self.build_seconds = 0.0

    def tag_many(self, articles):  # type: ignore[no-untyped-def]
        if self._tagger is None:
            from tagging.tagger import Tagger

            started = time.perf_counter()
            self._tagger = Tagger(self._config.watchlist)
            self.build_seconds = time.perf_counter() - started
        return self._tagger.tag_many(articles)


def show(label: str, report: IngestReport, wall: float, tagger: TimedTagger) -> None:
    print(f"{label}: {report.summary().split(': ', 1)[1]}")
    print(f"  {'stage':<12}{'seconds':>9}{'share':>8}")
    staged = sum(report.seconds.get(s, 0.0) for s in STAGES)
    for stage in STAGES:
        seconds = report.seconds.get(stage, 0.0)
        if stage == "tag":
            seconds -= tagger.build_seconds  # counted below, once per process
        print(f"  {stage:<12}{seconds:9.2f}{seconds / wall:8.0%}")
    if tagger.build_seconds:
        print(f"  {'tagger build':<12}{tagger.build_seconds:9.2f}{tagger.build_seconds / wall:8.0%}  "
              "(construction only; Kiwi itself loads inside 'tag')")
    print(f"  {'other':<12}{wall - staged:9.2f}{(wall - staged) / wall:8.0%}  (index rebuild, sessions)")
    print(f"  {'total':<12}{wall:9.2f}   {report.read / wall:.0f} articles/s read, "
          f"{report.new / wall:.0f} stored/s; {report.tagged} tagged, {report.near_duplicates} near-duplicates")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--again", action="store_true", help="then load the same file again")
    parser.add_argument("--jobs", type=int, default=1, help="processes, as `newsmon load --jobs N`: this one (deciding, "
                        "storing, the search index in a thread) and N-1 workers (tagging and dedupe features)")
    args = parser.parse_args()
    config = load_config(DEFAULT_CONFIG)
    zone = ZoneInfo(config.schedule.timezone)
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/bench.db")
        tagger = TimedTagger(config)
        started = time.perf_counter()
        if args.jobs > 1:
            with IngestWorkers(config.watchlist, args.jobs - 1, config.dedupe) as pool, BackgroundIndexer(db) as search:
                context = IngestContext(db, pool, StoredIndex(db, config.dedupe), search)
                report = store_paths(context, [args.corpus], "bench", zone)
                parent = time.perf_counter() - started
            print(f"--jobs {args.jobs}: the search index caught up {time.perf_counter() - started - parent:.2f} s "
                  f"after the last batch ({search.indexed} articles indexed by its thread)")
        else:
            report = store_paths(IngestContext.open(db, tagger, config.dedupe), [args.corpus], "bench", zone)
        show("first load", report, time.perf_counter() - started, tagger)
        fresh = StoredIndex(db, config.dedupe)
        started = time.perf_counter()
        with fresh.lock:
            index = fresh.current()
        print(f"index rebuild from the database (a new process): {len(index)} articles in "
              f"{time.perf_counter() - started:.2f} s, {index.resigned} re-signed")
        if args.again:
            again = TimedTagger(config)
            started = time.perf_counter()
            report = store_paths(IngestContext.open(db, again, config.dedupe), [args.corpus], "bench", zone)
            show("second load", report, time.perf_counter() - started, again)
            print(f"  tagger built on the second load: {again.build_seconds > 0}")
        db.dispose()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # On a shared machine the wall time swings with the other processes' load; the process's CPU time much less.
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"peak RSS {usage.ru_maxrss / 1024:.0f} MB; process CPU {usage.ru_utime + usage.ru_stime:.1f} s"
          + (f", worker processes' CPU {workers.ru_utime + workers.ru_stime:.1f} s" if args.jobs > 1 else ""))


if __name__ == "__main__":
    main()
