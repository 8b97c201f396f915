"""The text work of an ingest spread over worker processes (`newsmon load --jobs N`, large backfills): tagging and
the text half of dedupe (features, MinHash values, the text hash), one Tagger, so one Kiwi, per process. What only
one process may do in order (deciding duplicates and stories against what came before, storing) stays in the reading
process, so the rows are those of one process."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor

from dedupe.batch import PreparedText, prepare_text, received
from dedupe.exact import content_hash
from dedupe.near import Permutations, Signer
from dedupe.settings import DedupeSettings
from newsmon.priority import lower_this_thread
from newsmon.records import Article, Tag
from tagging.rules import Watchlist

# Articles per task sent to a worker: small enough that the workers finish a batch together (articles differ in
# length tenfold), large enough that pickling and scheduling stay a small share of Kiwi's time.
CHUNK = 25
# Prefetches whose results are kept: `ingest.loading.tagged_ahead` stores a chunk `AHEAD` (4) after handing it out.
KEPT = 5


def default_jobs() -> int:
    """The cores this process may use (the CPU affinity mask where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class _Worker:
    """The worker process's own tagger and signer, built once by `_start_worker`."""

    tagger = None
    signer: Signer | None = None


def _start_worker(watchlist_json: str, settings: DedupeSettings, permutations: Permutations) -> None:
    from tagging.tagger import Tagger

    lower_this_thread()  # the reading process is the critical path; a worker only runs ahead of it
    _Worker.tagger = Tagger(Watchlist.model_validate_json(watchlist_json))
    _Worker.signer = Signer(settings, permutations)
    _Worker.tagger.kiwi  # noqa: B018  (load Kiwi now, in parallel with the other workers, not in the first chunk)


_Prepared = tuple[list[Tag], PreparedText, str]


def _prepare_chunk(articles: list[Article]) -> list[_Prepared]:
    """Each article's tags, dedupe text and text hash (exact dedupe's key)."""
    assert _Worker.tagger is not None and _Worker.signer is not None, "worker started without its tagger"
    signer = _Worker.signer
    tags = _Worker.tagger.tag_many(articles)
    return [(list(found), prepare_text(article, signer), content_hash(article.title, article.body))
            for found, article in zip(tags, articles, strict=True)]


_Ahead = dict[Article, tuple[Future[list[_Prepared]], int]]


class IngestWorkers:
    """An `ArticleTagger` whose `tag_many` runs in `jobs` worker processes, which also prepare each article's dedupe
    text. The workers start on the first call (a run with nothing new to tag starts none) and stop with `close` (or
    the `with` block).

    `prefetch` hands the workers articles ahead of time (the next chunk of a file, while this process dedupes and
    stores the current one); `prepared_texts` and `tag_many` then take their results from what was prefetched. Both
    depend on the article alone, so working ahead changes no result; what is prefetched and never asked for (a
    near-duplicate's tags, which are copied) is dropped `KEPT` prefetches later."""

    def __init__(self, watchlist: Watchlist, jobs: int, settings: DedupeSettings = DedupeSettings()) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {jobs}")
        self.watchlist = watchlist
        self.settings = settings
        self.jobs = jobs
        self._executor: Executor | None = None
        # Prefetched articles -> (the future of their chunk, position in it); the newest two prefetches only.
        self._ahead: list[_Ahead] = []

    def prefetch(self, articles: Iterable[Article]) -> None:
        """Start tagging and preparing `articles` now; a later `tag_many` or `prepared_texts` of any of them waits
        for these results."""
        self._ahead = [*self._ahead[-KEPT + 1:], self._submit(list(dict.fromkeys(articles)))]

    def _submit(self, items: list[Article]) -> _Ahead:
        known: _Ahead = {}
        for i in range(0, len(items), CHUNK):
            chunk = items[i:i + CHUNK]
            future = self._pool().submit(_prepare_chunk, chunk)
            known.update((article, (future, n)) for n, article in enumerate(chunk))
        return known

    def _pool(self) -> Executor:
        if self._executor is None:
            # spawn, not fork: the parent may hold threads (Prefect's, SQLAlchemy's pool) that a fork copies mid-state.
            self._executor = ProcessPoolExecutor(
                self.jobs, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(self.watchlist.model_dump_json(), self.settings, Signer(self.settings).permutations),
            )
        return self._executor

    def _found(self, items: list[Article]) -> _Ahead:
        found: _Ahead = {}
        for known in self._ahead:
            found.update((a, known[a]) for a in items if a in known)
        return found

    def prepared_texts(self, articles: Sequence[Article]) -> list[PreparedText | None]:
        """Each article's dedupe text where it was prefetched (None where not: the caller prepares it)."""
        found = self._found(list(articles))
        out: list[PreparedText | None] = []
        for article in articles:
            if article in found:
                future, n = found[article]
                out.append(received(future.result()[n][1]))
            else:
                out.append(None)
        return out

    def text_hashes(self, articles: Sequence[Article]) -> list[str | None]:
        """Each article's text hash where it was prefetched (None where not: the caller hashes it)."""
        found = self._found(list(articles))
        return [found[a][0].result()[found[a][1]][2] if a in found else None for a in articles]

    def tag_many(self, articles: Sequence[Article] | Iterable[Article]) -> list[list[Tag]]:
        items = list(articles)
        found = self._found(items)
        missing = list(dict.fromkeys(a for a in items if a not in found))
        found.update(self._submit(missing))
        return [list(found[a][0].result()[found[a][1]][0]) for a in items]

    def close(self) -> None:
        self._ahead = []
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> IngestWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
