"""faster search and trends: a contentless FTS5 index that finds short words, bigrams on PostgreSQL, narrow article keys

Replaces what 0007_search built for search (its index on the filing time stays):
SQLite: the external-content FTS5 table becomes a contentless FTS5 table with the trigram tokenizer over each
article's title and body, kept in sync by triggers, so every writer (pipeline, `newsmon load`, a hand-run script)
keeps it current. Each column is indexed with two line feeds appended: then every character of the text starts a
trigram, so a word of one or two characters is found by the trigrams it begins (listed by the `articles_fts_terms`
vocabulary table) instead of a scan of the text, the word at the very end of a title included. Contentless, because
the indexed text is not the stored text.
PostgreSQL: the pg_trgm indexes give way to `article_bigrams`, the distinct two-character pieces of each article's
title and body (`newsmon_bigrams`, kept by a trigger) with a GIN index: an article holding every piece of a word is a
candidate for it (exact for a word of two characters; a longer word is rechecked by LIKE). No extension is needed.
(The planner underestimates how many rows a LIKE over pg_trgm's indexes finds, and rechecked every candidate of a
common word however few of them a ranking needed; see docs/web.md.)
Both: `article_keys`, one narrow row per article (when it is filed, its near-duplicate group, its story, its outlet),
kept by triggers, which the web view filters, groups and counts by without reading the articles' long rows.

Idempotent (IF NOT EXISTS throughout) and self-contained: it uses no newsmon code. Downgrading rebuilds 0007's
indexes by running 0007's own upgrade again.

Note for later migrations: a batch (copy-and-move) migration of `articles` on SQLite drops its triggers; such a
migration must re-run `_sqlite_upgrade` and `_keys_upgrade` from here.

Revision ID: 0011_search_speed
Revises: 0010_spikes
Create Date: 2026-12-02 04:30:00
"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = '0011_search_speed'
down_revision = '0010_spikes'
branch_labels = None
depends_on = None

# What the index holds of a column: its text and two line feeds (see the module docstring). Deleting from a
# contentless table takes the values that were indexed, so every trigger says the same.
_T, _B = "{0}.title || char(10, 10)", "{0}.body || char(10, 10)"
SQLITE_UP = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(title, body, content='', tokenize='trigram')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts_terms USING fts5vocab(articles_fts, row)",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_insert AFTER INSERT ON articles BEGIN "
    f"INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, {_T.format('new')}, {_B.format('new')}); END",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_delete AFTER DELETE ON articles BEGIN "
    f"INSERT INTO articles_fts(articles_fts, rowid, title, body) VALUES ('delete', old.id, {_T.format('old')}, "
    f"{_B.format('old')}); END",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_update AFTER UPDATE OF title, body ON articles BEGIN "
    f"INSERT INTO articles_fts(articles_fts, rowid, title, body) VALUES ('delete', old.id, {_T.format('old')}, "
    f"{_B.format('old')}); "
    f"INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, {_T.format('new')}, {_B.format('new')}); END",
]
# Index what was stored before this revision (nothing on an empty table); only when the table was just made.
SQLITE_FILL = (f"INSERT INTO articles_fts(rowid, title, body) SELECT id, {_T.format('articles')}, "
               f"{_B.format('articles')} FROM articles")
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts_terms",
    "DROP TABLE IF EXISTS articles_fts",
]
# 0007's pg_trgm indexes, which article_bigrams replaces (the extension stays: other schemas may use it).
PG_TRGM_DOWN = ["DROP INDEX IF EXISTS ix_articles_body_trgm", "DROP INDEX IF EXISTS ix_articles_title_trgm"]
# The distinct two-character pieces of an article's text, lower-cased (two regexp passes, at even and odd offsets:
# linear in the text's length, where indexing a character array is not). About 1.5 ms an article, so it is computed
# once, when the article is stored, into article_bigrams (not an index expression: a trigram index's lossy matches
# make PostgreSQL recheck every condition of a BitmapAnd, and would recompute it for every candidate).
PG_BIGRAMS = """
CREATE OR REPLACE FUNCTION newsmon_bigrams(title text, body text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT m[1]), '{}') FROM (SELECT lower(title || ' ' || body) AS s) AS x,
  LATERAL (SELECT regexp_matches(s, '(..)', 'g') AS m UNION ALL SELECT regexp_matches(substr(s, 2), '(..)', 'g')) AS y
$$"""
PG_BIGRAM_TABLE = "CREATE TABLE IF NOT EXISTS article_bigrams (article_id INTEGER PRIMARY KEY, grams TEXT[] NOT NULL)"
PG_BIGRAM_INDEX = "CREATE INDEX IF NOT EXISTS ix_article_bigrams_grams ON article_bigrams USING gin (grams)"
PG_BIGRAM_FILL = ("INSERT INTO article_bigrams (article_id, grams) SELECT id, newsmon_bigrams(title, body) "
                  "FROM articles")
# The narrow columns of each article, copied by triggers (so any writer keeps them): filed_at is when the article is
# filed (its published time, else when it was stored), grp its near-duplicate group (the article it copies, else
# itself), story its story (`article:ID` for an article without a story key).
KEYS_TABLE = """
CREATE TABLE IF NOT EXISTS article_keys (
    article_id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL,
    filed_at {time} NOT NULL,
    grp INTEGER NOT NULL,
    story VARCHAR(80) NOT NULL,
    publisher VARCHAR(200)
)"""
KEYS_INDEXES = [
    # Newest first with ties by id (search without words), and covering for stories per day (trends).
    "CREATE INDEX IF NOT EXISTS ix_article_keys_filed ON article_keys (filed_at, article_id, story)",
    "CREATE INDEX IF NOT EXISTS ix_article_keys_story ON article_keys (story)",
]
_KEYS = ("{0}.id, {0}.source_id, coalesce({0}.published_at, {0}.fetched_at), coalesce({0}.duplicate_of_id, {0}.id), "
         "coalesce({0}.story_key, 'article:' || CAST({0}.id AS VARCHAR)), {0}.publisher")
_KEY_COLUMNS = "article_id, source_id, filed_at, grp, story, publisher"
KEYS_FILL = f"INSERT INTO article_keys ({_KEY_COLUMNS}) SELECT {_KEYS.format('articles')} FROM articles"
_KEYED = "published_at, fetched_at, duplicate_of_id, story_key, source_id, publisher"
SQLITE_KEYS = [
    "CREATE TRIGGER IF NOT EXISTS articles_keys_insert AFTER INSERT ON articles BEGIN "
    f"INSERT INTO article_keys ({_KEY_COLUMNS}) VALUES ({_KEYS.format('new')}); END",
    "CREATE TRIGGER IF NOT EXISTS articles_keys_delete AFTER DELETE ON articles BEGIN "
    "DELETE FROM article_keys WHERE article_id = old.id; END",
    f"CREATE TRIGGER IF NOT EXISTS articles_keys_update AFTER UPDATE OF {_KEYED} ON articles BEGIN "
    f"DELETE FROM article_keys WHERE article_id = old.id; "
    f"INSERT INTO article_keys ({_KEY_COLUMNS}) VALUES ({_KEYS.format('new')}); END",
]
PG_KEYS = [
    f"""CREATE OR REPLACE FUNCTION newsmon_article_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM article_keys WHERE article_id = OLD.id;
    DELETE FROM article_bigrams WHERE article_id = OLD.id;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  INSERT INTO article_keys ({_KEY_COLUMNS}) VALUES ({_KEYS.format('NEW')});
  INSERT INTO article_bigrams (article_id, grams) VALUES (NEW.id, newsmon_bigrams(NEW.title, NEW.body));
  RETURN NEW;
END
$$""",
    "DROP TRIGGER IF EXISTS articles_keys ON articles",
    f"CREATE TRIGGER articles_keys AFTER INSERT OR DELETE OR UPDATE OF {_KEYED}, title, body ON articles "
    "FOR EACH ROW EXECUTE FUNCTION newsmon_article_keys()",
]


def _sqlite_upgrade(bind) -> None:  # type: ignore[no-untyped-def]
    existed = bind.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'")).scalar()
    for statement in SQLITE_UP:
        bind.execute(sa.text(statement))
    if not existed:
        bind.execute(sa.text(SQLITE_FILL))


def _keys_upgrade(bind) -> None:  # type: ignore[no-untyped-def]
    sqlite = bind.dialect.name == 'sqlite'
    existed = sa.inspect(bind).has_table("article_keys")
    bind.execute(sa.text(KEYS_TABLE.format(time="DATETIME" if sqlite else "TIMESTAMP WITH TIME ZONE")))
    if not sqlite:
        bind.execute(sa.text(PG_BIGRAMS))
        bind.execute(sa.text(PG_BIGRAM_TABLE))
    for statement in KEYS_INDEXES + (SQLITE_KEYS if sqlite else PG_KEYS):
        bind.execute(sa.text(statement))
    if not existed:
        bind.execute(sa.text(KEYS_FILL))
        if not sqlite:
            bind.execute(sa.text(PG_BIGRAM_FILL))
    if not sqlite:  # after the fill: building a GIN index at once beats growing it row by row
        bind.execute(sa.text(PG_BIGRAM_INDEX))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        # 0007's external-content table and its triggers go; the new table takes the same name and is filled anew.
        for statement in SQLITE_DOWN:
            bind.execute(sa.text(statement))
        _sqlite_upgrade(bind)
    elif bind.dialect.name == 'postgresql':
        for statement in PG_TRGM_DOWN:
            bind.execute(sa.text(statement))
    _keys_upgrade(bind)


def _search_0007():  # type: ignore[no-untyped-def]
    path = Path(__file__).with_name("0007_search.py")
    spec = importlib.util.spec_from_file_location("newsmon_migration_0007_search", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for name in ("articles_keys_update", "articles_keys_delete", "articles_keys_insert"):
            bind.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))
        for statement in SQLITE_DOWN:
            bind.execute(sa.text(statement))
    elif bind.dialect.name == 'postgresql':
        bind.execute(sa.text("DROP TRIGGER IF EXISTS articles_keys ON articles"))
        bind.execute(sa.text("DROP FUNCTION IF EXISTS newsmon_article_keys()"))
        bind.execute(sa.text("DROP TABLE IF EXISTS article_bigrams"))
        bind.execute(sa.text("DROP FUNCTION IF EXISTS newsmon_bigrams(text, text)"))
    bind.execute(sa.text("DROP TABLE IF EXISTS article_keys"))
    _search_0007().upgrade()  # 0007's FTS5 table (rebuilt from the articles) or pg_trgm indexes, as they were
