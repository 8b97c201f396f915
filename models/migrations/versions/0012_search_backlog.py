"""SQLite: a bulk load may leave the full-text index to a thread of its own for a while

Until now an INSERT trigger indexed each article in the statement that stored it, which keeps the index current
for every writer, and FTS5's trigram tokenising of title and body was most of the cost of storing (on `newsmon
load`, more than everything else the loading process did). `search_progress` now holds `indexed_upto`, the id up to
which `articles_fts` holds every article (and none above it), and `paused_until`, a lease (Unix seconds, SQLite's
clock): while it runs, the INSERT trigger leaves new articles above the mark to `models.search_index.catch_up`,
which a bulk load runs in a thread beside its next batch (the tokenising runs outside Python's lock). Without a
lease, or once it lapses (a load that died), the trigger indexes the new article together with anything left above
the mark, so every writer still keeps the index current.

The delete and update triggers apply to indexed rows only (deleting from a contentless table takes the values that
were indexed, so a row not yet indexed must not be deleted from it). Deleting the row at the mark moves the mark
below it, so a reused id (SQLite gives the next row max(id) + 1) is not taken for indexed.

PostgreSQL is unchanged: its bigram rows are cheap beside the rest of a store and stay trigger-kept.
Downgrading indexes what is left above the mark and brings 0011's triggers back.

Revision ID: 0012_search_backlog
Revises: 0011_search_speed
Create Date: 2026-12-02 06:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_search_backlog'
down_revision = '0011_search_speed'
branch_labels = None
depends_on = None

# What the index holds of a column: its text and two line feeds (0011_search_speed).
_T, _B = "{0}.title || char(10, 10)", "{0}.body || char(10, 10)"
_DELETE_OLD = (f"INSERT INTO articles_fts(articles_fts, rowid, title, body) VALUES ('delete', old.id, "
               f"{_T.format('old')}, {_B.format('old')});")
_INSERT_NEW = f"INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, {_T.format('new')}, {_B.format('new')});"

_MARK = "(SELECT indexed_upto FROM search_progress)"
_NOW = "CAST(strftime('%s', 'now') AS INTEGER)"
# The new row and, when it is above the mark, every row between (one rowid range: an OR would scan the table).
_CATCH_UP = (f"INSERT INTO articles_fts(rowid, title, body) SELECT id, {_T.format('articles')}, "
             f"{_B.format('articles')} FROM articles WHERE id BETWEEN "
             f"(CASE WHEN new.id <= {_MARK} THEN new.id ELSE {_MARK} + 1 END) AND new.id;")

UPGRADE = [
    "CREATE TABLE IF NOT EXISTS search_progress (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "indexed_upto INTEGER NOT NULL, paused_until INTEGER NOT NULL DEFAULT 0)",
    # Everything stored so far was indexed by 0011's trigger.
    "INSERT OR IGNORE INTO search_progress (id, indexed_upto) SELECT 1, coalesce(max(id), 0) FROM articles",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_update",
    # A row below the mark (an id given by hand) is indexed at once, lease or not; above it, unless a lease runs.
    f"CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles WHEN new.id <= {_MARK} OR "
    f"(SELECT paused_until FROM search_progress) <= {_NOW} BEGIN {_CATCH_UP} "
    "UPDATE search_progress SET indexed_upto = new.id WHERE indexed_upto < new.id; END",
    f"CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles WHEN old.id <= {_MARK} BEGIN {_DELETE_OLD} "
    "UPDATE search_progress SET indexed_upto = old.id - 1 WHERE indexed_upto = old.id; END",
    f"CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body ON articles WHEN old.id <= {_MARK} BEGIN "
    f"{_DELETE_OLD} {_INSERT_NEW} END",
]

DOWNGRADE = [
    f"INSERT INTO articles_fts(rowid, title, body) SELECT id, {_T.format('articles')}, {_B.format('articles')} "
    f"FROM articles WHERE id > {_MARK}",
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    f"CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN {_INSERT_NEW} END",
    f"CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN {_DELETE_OLD} END",
    f"CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body ON articles BEGIN {_DELETE_OLD} {_INSERT_NEW} END",
    "DROP TABLE search_progress",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for statement in UPGRADE:
            bind.execute(sa.text(statement))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for statement in DOWNGRADE:
            bind.execute(sa.text(statement))
