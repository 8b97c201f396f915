"""SQLite's full-text index during a bulk load (migration 0012_search_backlog).

Normally the INSERT trigger indexes each article as it is stored. A bulk load with worker processes takes a lease
on that work instead (`search_progress.paused_until`) and hands it to a `BackgroundIndexer`: FTS5's trigram
tokenising then runs in a thread of its own (outside Python's lock) while the loading process decides and stores
the next batch; `catch_up` indexes the articles above `search_progress.indexed_upto`, oldest first. When the lease
ends (the load closes it, or it lapses because the load died) the trigger indexes whatever is left with the next
stored article. On PostgreSQL all of this is a no-op: its trigger keeps the bigram rows.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from models.db import Database

log = logging.getLogger(__name__)

# What the index holds of a column: its text and two line feeds (migration 0011_search_speed).
_INDEX = text(
    "INSERT INTO articles_fts(rowid, title, body) SELECT id, title || char(10, 10), body || char(10, 10) "
    "FROM articles WHERE id > :upto AND id <= :until"
)
# Articles indexed per transaction by the background indexer: few enough that the loading thread's next write waits
# a fraction of a second for its turn (`WriteTurns`: about 80 ms on average), enough that a transaction's fixed cost
# stays small (at 50 the index fell behind and a load ended with seconds of indexing alone).
BACKGROUND_CHUNK = 200
# How long a lease holds without being renewed (the indexer renews it with every transaction): a load that dies
# leaves inline indexing off for at most this long.
LEASE_SECONDS = 120
_NOW = "CAST(strftime('%s', 'now') AS INTEGER)"


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def catch_up(session: Session, limit: int | None = None) -> int:
    """Index the stored articles the index does not hold yet (the oldest `limit` of them, or all) in `session`'s
    transaction, which must hold SQLite's write lock (`Database.write_session`). Returns how many were indexed."""
    if not _sqlite(session):
        return 0
    upto = session.scalar(text("SELECT indexed_upto FROM search_progress"))
    if upto is None:
        raise RuntimeError("search_progress has no row (migration 0012_search_backlog makes it)")
    window = "SELECT id FROM articles WHERE id > :upto ORDER BY id" + (" LIMIT :limit" if limit else "")
    until, count = session.execute(text(f"SELECT max(id), count(*) FROM ({window})"),
                                   {"upto": upto, "limit": limit}).one()
    if not count:
        return 0
    session.execute(_INDEX, {"upto": upto, "until": until})
    session.execute(text("UPDATE search_progress SET indexed_upto = :until"), {"until": until})
    return int(count)


def lease(session: Session, seconds: int) -> None:
    """Leave indexing new articles to `catch_up` for `seconds` from now (0: give it back to the trigger now)."""
    if _sqlite(session):
        session.execute(text(f"UPDATE search_progress SET paused_until = {_NOW} + :seconds"), {"seconds": seconds})


def not_indexed(session: Session) -> int:
    """How many stored articles the full-text index does not hold yet (0 on PostgreSQL)."""
    if not _sqlite(session):
        return 0
    return int(session.scalar(text(
        "SELECT count(*) FROM articles WHERE id > (SELECT indexed_upto FROM search_progress)")) or 0)


class BackgroundIndexer:
    """Holds the indexing lease while open and catches the index up in a thread of its own, `BACKGROUND_CHUNK`
    articles per transaction, each time `wake` is called (after a batch is committed); `close` indexes the rest and
    gives the lease back. What a failure leaves (the database locked past its timeout, say) is logged, not lost: the
    trigger indexes it with the next stored article."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.indexed = 0
        self.failure: str | None = None
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        if self.db.engine.dialect.name != "sqlite" or self.failure:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="newsmon-search-index", daemon=True)
            self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                stopping = self._stop
                while self._step(0 if stopping else LEASE_SECONDS):
                    pass
                if stopping:
                    return
        except SQLAlchemyError as exc:
            self.failure = str(exc).splitlines()[0]
            log.warning("search index: left to the next stored article (%s)", self.failure)

    def _step(self, seconds: int) -> int:
        """One transaction: renew the lease (or end it) and index up to a chunk."""
        with self.db.write_session(background=True) as session:
            lease(session, seconds)
            done = catch_up(session, BACKGROUND_CHUNK)
        self.indexed += done
        return done

    def close(self) -> None:
        """Index what is left, give the lease back and stop the thread (nothing to do if it never started)."""
        if self._thread is None:
            return
        self._stop = True
        self._wake.set()
        self._thread.join()
        self._thread = None

    def __enter__(self) -> BackgroundIndexer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
