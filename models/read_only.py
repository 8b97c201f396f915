"""A database opened for reading only (the web view): SQLite `PRAGMA query_only`, PostgreSQL read-only transactions."""

from __future__ import annotations

from sqlalchemy import event

from models.db import Database


def open_read_only(url: str) -> Database:
    """A `Database` on `url` whose every connection refuses writes; the schema is not migrated through it.

    The refusal is the database's own, so no code path of a viewer can change stored data even by mistake."""
    database = Database(url, migrate_schema=False)
    engine = database.engine
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_query_only(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA query_only=ON")
            cur.close()

    elif engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _postgres_read_only(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("SET SESSION default_transaction_read_only = on")
            cur.close()
            dbapi_conn.commit()  # psycopg opened a transaction for the SET; end it so the setting holds

    return database
