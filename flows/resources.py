"""Process-wide resources the flows share: one database engine per URL, one tagger (one Kiwi) per watchlist, one
dedupe index per database and thresholds; and the ingest context of the flow run in progress, for its tasks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from app.config import Config
from dedupe.settings import DedupeSettings
from ingest.context import IngestContext, StoredIndex
from models.db import Database
from newsmon.errors import StorageError
from tagging.rules import Watchlist

_lock = threading.Lock()
# Set by `ingest_run` for the length of one flow run: its tasks take plain values as parameters and reach the run's
# database, tagger and index through this.
_current: ContextVar[IngestContext | None] = ContextVar("newsmon_ingest_context", default=None)


@lru_cache(maxsize=8)
def _database(url: str) -> Database:
    return Database(url)


def database(config: Config) -> Database:
    """The configured database, migrated; StorageError names the setting it came from when it cannot be used."""
    with _lock:
        try:
            return _database(config.database_url())
        except StorageError as exc:
            raise StorageError(f"{config.database_setting()}: {exc}") from None


@lru_cache(maxsize=4)
def _tagger(watchlist_json: str):  # type: ignore[no-untyped-def]
    from tagging.tagger import Tagger

    return Tagger(Watchlist.model_validate_json(watchlist_json))


def tagger(config: Config):  # type: ignore[no-untyped-def]
    with _lock:
        return _tagger(config.watchlist.model_dump_json())


@lru_cache(maxsize=8)
def _stored_index(url: str, settings: DedupeSettings) -> StoredIndex:
    return StoredIndex(_database(url), settings)


def ingest_context(config: Config) -> IngestContext:
    """The context an ingest run stores through: this process's database, tagger and dedupe index for `config`
    (the index outlives the run, so a long-lived `serve` does not rebuild it from storage on every poll)."""
    db, found = database(config), tagger(config)
    with _lock:
        index = _stored_index(config.database_url(), config.dedupe)
    return IngestContext(db, found, index)


@contextmanager
def parallel_ingest_context(config: Config, jobs: int) -> Iterator[IngestContext]:
    """`ingest_context` spread over `jobs` processes: this one, which decides, stores and (in a thread of its own)
    keeps the full-text index, and `jobs` - 1 workers that tag and prepare the dedupe texts (one Kiwi each), stopped
    on exit; one job is this process alone, with its own tagger. The dedupe index stays in this process, so the rows
    are those of one process. This process is a job of its own because its two threads keep a core busy: on two
    cores, two workers beside it made a load of the 27,374-article corpus about 1.3 s slower than one (docs/scaling.md)."""
    if jobs <= 1:
        yield ingest_context(config)
        return
    from ingest.workers import IngestWorkers
    from models.search_index import BackgroundIndexer

    db = database(config)
    with _lock:
        index = _stored_index(config.database_url(), config.dedupe)
    # The workers take most of the text work off this process; the full-text index takes a thread of its own.
    with IngestWorkers(config.watchlist, jobs - 1, config.dedupe) as pool, BackgroundIndexer(db) as search:
        yield IngestContext(db, pool, index, search)


@contextmanager
def ingest_run(config: Config, jobs: int = 1) -> Iterator[IngestContext]:
    """Build the run's ingest context once and make it the current one for the tasks the run calls; `jobs` > 1
    tags in that many worker processes (a large backfill)."""
    with parallel_ingest_context(config, jobs) as context:
        token = _current.set(context)
        try:
            yield context
        finally:
            _current.reset(token)


def current_ingest() -> IngestContext:
    """The ingest context of the flow run this task belongs to."""
    context = _current.get()
    if context is None:
        raise RuntimeError("no ingest run in progress: call this task inside flows.resources.ingest_run")
    return context
