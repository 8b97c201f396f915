"""Tagging spread over worker processes (`newsmon load --jobs N`, large backfills): one Tagger, so one Kiwi, per
process, and the same tags in the same order as one process gives."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor

from newsmon.records import Article, Tag
from tagging.rules import Watchlist

# Articles per task sent to a worker: small enough that the workers finish a batch together (articles differ in
# length tenfold), large enough that pickling and scheduling stay a small share of Kiwi's time.
CHUNK = 25

# The worker process's own tagger, built once by `_start_worker`.
_worker_tagger = None


def default_jobs() -> int:
    """The cores this process may use (the CPU affinity mask where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _start_worker(watchlist_json: str) -> None:
    global _worker_tagger
    from tagging.tagger import Tagger

    _worker_tagger = Tagger(Watchlist.model_validate_json(watchlist_json))
    _worker_tagger.kiwi  # noqa: B018  (load Kiwi now, in parallel with the other workers, not in the first chunk)


def _tag_chunk(articles: list[Article]) -> list[list[Tag]]:
    assert _worker_tagger is not None, "worker started without its tagger"
    return _worker_tagger.tag_many(articles)


class TaggerPool:
    """An `ArticleTagger` whose `tag_many` runs in `jobs` worker processes. The workers start on the first call (a
    run with nothing new to tag starts none) and stop with `close` (or the `with` block).

    `prefetch` hands the workers articles ahead of time (the next chunk of a file, while this process dedupes and
    stores the current one); `tag_many` then takes their tags from what was prefetched. Tags depend on the article
    alone, so tagging ahead changes no result; what is prefetched and never asked for (a near-duplicate, whose tags
    are copied) is dropped two prefetches later."""

    def __init__(self, watchlist: Watchlist, jobs: int) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {jobs}")
        self.watchlist = watchlist
        self.jobs = jobs
        self._executor: Executor | None = None
        # Prefetched articles -> (the future tagging their chunk, position in it); the newest two prefetches only.
        self._ahead: list[dict[Article, tuple[Future[list[list[Tag]]], int]]] = []

    def prefetch(self, articles: Iterable[Article]) -> None:
        """Start tagging `articles` now; a later `tag_many` of any of them waits for these results."""
        items = list(dict.fromkeys(articles))
        known: dict[Article, tuple[Future[list[list[Tag]]], int]] = {}
        for i in range(0, len(items), CHUNK):
            chunk = items[i:i + CHUNK]
            future = self._pool().submit(_tag_chunk, chunk)
            known.update((article, (future, n)) for n, article in enumerate(chunk))
        self._ahead = [*self._ahead[-1:], known]

    def _pool(self) -> Executor:
        if self._executor is None:
            # spawn, not fork: the parent may hold threads (Prefect's, SQLAlchemy's pool) that a fork copies mid-state.
            self._executor = ProcessPoolExecutor(
                self.jobs, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(self.watchlist.model_dump_json(),),
            )
        return self._executor

    def tag_many(self, articles: Sequence[Article] | Iterable[Article]) -> list[list[Tag]]:
        items = list(articles)
        found: dict[Article, tuple[Future[list[list[Tag]]], int]] = {}
        for known in self._ahead:
            found.update((a, known[a]) for a in items if a in known)
        missing = list(dict.fromkeys(a for a in items if a not in found))
        for i in range(0, len(missing), CHUNK):
            chunk = missing[i:i + CHUNK]
            future = self._pool().submit(_tag_chunk, chunk)
            found.update((article, (future, n)) for n, article in enumerate(chunk))
        return [list(found[a][0].result()[found[a][1]]) for a in items]

    def close(self) -> None:
        self._ahead = []
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> TaggerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
