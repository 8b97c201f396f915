"""The engine, sessions and schema migration (Alembic, run programmatically so `newsmon` needs no alembic.ini)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from newsmon.errors import StorageError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Values per SQL IN list: well under every database's limit on bound parameters.
IN_LIST_SIZE = 500

SUPPORTED_URLS = "sqlite:///PATH or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"


def shown_url(url: str | URL) -> str:
    """`url` as it may be printed: the password replaced by ***; of an unparsable URL only its scheme."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        text = str(url)
        return text.partition("://")[0] + "://…" if "://" in text else repr(text[:40])


def make_engine(url: str) -> Engine:
    """An engine for `url`; raises StorageError for a URL newsmon cannot use (its scheme unknown, its driver missing)."""
    scheme = str(url).partition("://")[0]
    try:
        return _engine(url)
    except NoSuchModuleError:  # before ArgumentError, its base class
        raise StorageError(f"{shown_url(url)}: unknown database URL scheme {scheme!r} (use {SUPPORTED_URLS})") from None
    except ArgumentError:
        raise StorageError(f"{shown_url(url)}: not a database URL (use {SUPPORTED_URLS})") from None
    except ImportError as exc:
        raise StorageError(f"{shown_url(url)}: database URL scheme {scheme!r} needs the driver {exc.name or exc}, "
                           f"which is not installed (use {SUPPORTED_URLS})") from None
    except OSError as exc:  # the SQLite file's folder cannot be made
        raise StorageError(f"cannot open the database {shown_url(url)}: {exc.strerror or exc}: "
                           f"{exc.filename or ''} (check that the folder can be created and written)") from None


def _engine(url: str) -> Engine:
    """SQLite gets its folder created, foreign keys on, WAL and a busy timeout; PostgreSQL gets psycopg 3."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            # 16 KiB pages for a new file (no effect on an existing one): the full-text index writes a third fewer
            # pages per stored article than with the 4 KiB default (docs/scaling.md).
            cur.execute("PRAGMA page_size=16384")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            # A 64 MiB page cache (2 MiB by default): the full-text index's merges read back the segments they
            # rewrite; with the default a load of the 27,374-article corpus spent 2 s more in the kernel.
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True)


def _cannot_connect(url: str, exc: OperationalError) -> str:
    """One line: which database, what the driver said (its lines joined, never the password), what to check."""
    parsed = make_url(url)
    said = " ".join(str(exc.orig or exc).split())
    if parsed.password:
        said = said.replace(str(parsed.password), "***")
    if parsed.get_backend_name() == "sqlite":
        hint = "check that the file can be created and written"
    else:
        hint = f"check that the server runs at {parsed.host or 'localhost'}:{parsed.port or 5432} and the URL is right"
    return f"cannot open the database {shown_url(url)}: {said} ({hint})"


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


class WriteTurns:
    """Whose turn it is to write to one SQLite file among this process's threads. SQLite lets one transaction write
    at a time and makes the others retry, sleeping up to 100 ms between tries, so a writer that keeps committing (the
    background search indexer) kept the loading thread waiting for 17% of a `newsmon load` (docs/scaling.md). Here a
    waiting writer is woken the moment the turn is free, and a background writer waits while a foreground one does
    (a foreground writer that never paused would starve it; the loading thread writes once per batch). Other
    processes still meet SQLite's busy timeout."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._holder: int | None = None
        self._foreground_waiting = 0
        self.waiting = 0  # threads waiting for a turn now

    @contextmanager
    def turn(self, *, background: bool = False) -> Iterator[None]:
        me = threading.get_ident()
        with self._changed:
            nested = self._holder == me  # a write session inside one: SQLite itself decides, as without turns
            if not nested:
                self.waiting += 1
                self._foreground_waiting += not background
                try:
                    self._changed.wait_for(lambda: self._holder is None
                                           and not (background and self._foreground_waiting))
                finally:
                    self.waiting -= 1
                    self._foreground_waiting -= not background
                self._holder = me
        try:
            yield
        finally:
            if not nested:
                with self._changed:
                    self._holder = None
                    self._changed.notify_all()


class Database:
    """An engine plus its session factory; created once per process and passed to whatever needs storage."""

    def __init__(self, url: str, *, migrate_schema: bool = True) -> None:
        self.engine = make_engine(url)
        if migrate_schema:
            try:
                migrate(self.engine)
            except OperationalError as exc:
                self.engine.dispose()
                raise StorageError(_cannot_connect(url, exc)) from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._turns = WriteTurns() if self.engine.dialect.name == "sqlite" else None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def write_session(self, *, background: bool = False) -> Iterator[Session]:
        """`session` for a transaction that writes. On SQLite it takes the write lock at its start (BEGIN IMMEDIATE),
        waiting up to the busy timeout for another writer: a transaction that read first and wrote later would
        otherwise fail at once ("database is locked") whenever another connection committed in between. Writers of
        this process take turns first (`WriteTurns`); a `background` one gives way to the others."""
        turn = self._turns.turn(background=background) if self._turns else nullcontext()
        with turn, self._sessions() as session, session.begin():
            if self.engine.dialect.name == "sqlite":
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
