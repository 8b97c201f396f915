"""dedupe and stories

No schema change: the columns near-duplicates and stories need (articles.duplicate_of_id, story_key, minhash, with
indexes on the first two) exist since 0001. The revision stays so the chain is stable.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 08:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
