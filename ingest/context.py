"""What an ingest run works with, built once by its caller and passed in: the database, the tagger, the dedupe
settings and the near-duplicate and story index kept for that database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

from dedupe.batch import DedupeIndex, PreparedText
from dedupe.settings import DedupeSettings
from models.db import Database
from models.dedupe_store import DedupeRow, recent_for_dedupe
from models.search_index import BackgroundIndexer
from newsmon.records import Article, Tag

# How often a long-lived index drops articles published before its window.
EVICT_EVERY_SECONDS = 3600.0


class ArticleTagger(Protocol):
    def tag_many(self, articles: Sequence[Article]) -> list[list[Tag]]: ...


@runtime_checkable
class PrefetchingTagger(Protocol):
    """A tagger that can start on articles before they are asked for and prepares their dedupe text on the way
    (`ingest.workers.IngestWorkers`)."""

    def tag_many(self, articles: Sequence[Article]) -> list[list[Tag]]: ...

    def prefetch(self, articles: Iterable[Article]) -> None: ...

    def prepared_texts(self, articles: Sequence[Article]) -> list[PreparedText | None]: ...

    def text_hashes(self, articles: Sequence[Article]) -> list[str | None]: ...


class StoredIndex:
    """The near-duplicate and story index of one database as this process knows it, and the lock that serialises
    the batches stored through it. Rebuilding it reads days of stored articles, so a long-lived process keeps one per
    database and settings across its runs; another process (or another StoredIndex) sees this one's articles through
    the database, which `current` tops up from."""

    def __init__(self, db: Database, settings: DedupeSettings = DedupeSettings()) -> None:
        self.db = db
        self.settings = settings
        self.lock = threading.Lock()
        self._index: DedupeIndex | None = None
        self._max_id = 0  # the highest stored id the index has seen
        self._evicted_at = time.monotonic()

    def current(self) -> DedupeIndex:
        """The index brought up to date: built from the stored recent articles on first use, then topped up with
        what other processes stored since. Call with `lock` held."""
        since = datetime.now(timezone.utc) - timedelta(days=self.settings.index_days)
        if self._index is None:
            self._index = DedupeIndex(self.settings)
        elif time.monotonic() - self._evicted_at > EVICT_EVERY_SECONDS:
            # A long-running process (serve) forgets what fell out of the window, so the index stays days, not months.
            self._index.evict_before(since)
            self._evicted_at = time.monotonic()
        with self.db.session() as session:
            self._index.add_stored(self._tracking_max(recent_for_dedupe(session, since, after_id=self._max_id)))
        return self._index

    def stored(self, ids: Iterable[int | None]) -> None:
        """Note the ids a batch through this index stored, so the next top-up does not read them back."""
        self._max_id = max([self._max_id, *(i for i in ids if i is not None)])

    def reset(self) -> None:
        """Forget everything indexed; the next batch rebuilds the index from the database."""
        with self.lock:
            self._index = None
            self._max_id = 0
            self._evicted_at = time.monotonic()

    def _tracking_max(self, rows: Iterator[DedupeRow]) -> Iterator[DedupeRow]:
        for row in rows:
            self._max_id = max(self._max_id, row.id)
            yield row


@dataclass(frozen=True, slots=True)
class IngestContext:
    """One run's database, tagger and dedupe index (whose settings are the run's dedupe thresholds)."""

    db: Database
    tagger: ArticleTagger
    index: StoredIndex
    # A bulk load's full-text indexing in a thread of its own; None: each batch is indexed as it is stored.
    search: BackgroundIndexer | None = None

    def __post_init__(self) -> None:
        if self.index.db is not self.db:
            raise ValueError("an ingest context's dedupe index must be the index of its own database")

    @classmethod
    def open(cls, db: Database, tagger: ArticleTagger, settings: DedupeSettings = DedupeSettings()) -> IngestContext:
        """A context with an index of its own (built from the database on its first batch)."""
        return cls(db, tagger, StoredIndex(db, settings))

    @property
    def settings(self) -> DedupeSettings:
        return self.index.settings
