"""full-text search over articles, and an index for the day of an article

SQLite: an FTS5 table with the trigram tokenizer over articles.title and articles.body (external content: the text is
not stored twice), kept in sync by triggers, so every writer (pipeline, `newsmon load`, a hand-run script) keeps it
current. PostgreSQL: pg_trgm GIN indexes on title and body, which serve `ILIKE '%word%'`. Both: an index on
coalesce(published_at, fetched_at), the time the web view files an article under.

Idempotent (IF NOT EXISTS throughout) and self-contained: it uses no newsmon code.

Note for later migrations: a batch (copy-and-move) migration of `articles` on SQLite drops its triggers; such a
migration must re-run `_sqlite_upgrade` from here.

Revision ID: 0007_search
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_search'
down_revision = '0006_delivery_parts'
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5("
    "title, body, content='articles', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_insert AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_delete AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_update AFTER UPDATE OF title, body ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    # Index what was stored before this revision (a no-op on an empty table).
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts",
]
DAY_INDEX = "CREATE INDEX IF NOT EXISTS ix_articles_filed_at ON articles ((coalesce(published_at, fetched_at)))"


def _pg_trgm_schema(bind) -> str | None:  # type: ignore[no-untyped-def]
    return bind.execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    )).scalar()


def _ensure_pg_trgm(bind) -> str:  # type: ignore[no-untyped-def]
    """The schema pg_trgm lives in, creating the extension where missing. An extension is one per database: it goes
    into `public` where that schema exists, so dropping newsmon's own schema never takes other schemas' indexes with
    it; otherwise into the current schema."""
    schema = _pg_trgm_schema(bind)
    if schema:
        return schema
    has_public = bind.execute(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")).scalar()
    for statement in (["CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"] if has_public else []) + [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm"
    ]:
        try:
            with bind.begin_nested():
                bind.execute(sa.text(statement))
            break
        except sa.exc.DBAPIError:  # no right to create in public, or created by a concurrent migration
            continue
    schema = _pg_trgm_schema(bind)
    if not schema:
        raise RuntimeError("PostgreSQL: the pg_trgm extension is missing and could not be created; run "
                           "CREATE EXTENSION pg_trgm as a superuser (it ships with PostgreSQL's contrib modules)")
    return schema


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for statement in SQLITE_UP:
            bind.execute(sa.text(statement))
    elif bind.dialect.name == 'postgresql':
        schema = _ensure_pg_trgm(bind)
        ops = f'"{schema}".gin_trgm_ops'
        bind.execute(sa.text(f"CREATE INDEX IF NOT EXISTS ix_articles_title_trgm ON articles USING gin (title {ops})"))
        bind.execute(sa.text(f"CREATE INDEX IF NOT EXISTS ix_articles_body_trgm ON articles USING gin (body {ops})"))
    bind.execute(sa.text(DAY_INDEX))


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("DROP INDEX IF EXISTS ix_articles_filed_at"))
    if bind.dialect.name == 'sqlite':
        for statement in SQLITE_DOWN:
            bind.execute(sa.text(statement))
    elif bind.dialect.name == 'postgresql':
        # The extension stays: other schemas of the database may use it.
        bind.execute(sa.text("DROP INDEX IF EXISTS ix_articles_body_trgm"))
        bind.execute(sa.text("DROP INDEX IF EXISTS ix_articles_title_trgm"))
