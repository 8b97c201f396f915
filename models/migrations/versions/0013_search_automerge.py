"""SQLite: the full-text index merges its segments eight at a time, not four

Every transaction that indexes articles leaves FTS5 a new segment, and FTS5 merges segments of one level once
`automerge` of them are there (4 by default), so a long load rewrites its postings a level deeper. At 8 the
trigram index of the 27,374-article corpus costs about 15% less CPU to build (about 19 s instead of 22.6 s, median
of six runs each, in 200-article transactions) for 2% more index pages, and searches do not notice: bench/bench_web.py
(100,000 articles, one run each) stored them in 158.8 s instead of 172.2 s, with search p50/p95 11.2/27.1 ms against
10.5/25.8 ms at 4. The setting lives in the index's own config table, so it holds for every
writer, the INSERT trigger as much as a load's indexing thread. PostgreSQL has no such index and is unchanged.

Revision ID: 0013_search_automerge
Revises: 0012_search_backlog
Create Date: 2026-12-02 14:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_search_automerge'
down_revision = '0012_search_backlog'
branch_labels = None
depends_on = None

AUTOMERGE = 8
_SET = "INSERT INTO articles_fts(articles_fts, rank) VALUES ('automerge', {0})"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        bind.execute(sa.text(_SET.format(AUTOMERGE)))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        bind.execute(sa.text(_SET.format(4)))
