"""backfill days

backfill_days records, per source and day in the configured zone, what a backfill read: found, stored, already
known, failed, capped, pages fetched, the first errors, and whether the day is finished. A finished day is not
fetched again by a later backfill (unless --refresh), so a backfill killed at any point resumes where it stopped.

Revision ID: 0009_backfill
Revises: 0007_search
Create Date: 2026-12-02 03:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_backfill'
down_revision = '0007_search'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'backfill_days',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('source', sa.String(200), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('finished', sa.Boolean(), nullable=False),
        sa.Column('found', sa.Integer(), nullable=False),
        sa.Column('stored', sa.Integer(), nullable=False),
        sa.Column('known', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('capped', sa.Integer(), nullable=False),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('errors', sa.Text(), nullable=True),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('source', 'day', name='uq_backfill_days_source_day'),
    )


def downgrade() -> None:
    op.drop_table('backfill_days')
