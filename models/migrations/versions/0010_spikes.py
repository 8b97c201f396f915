"""spike alerts

spikes: one row per surge told to a subscription (alerts/spikes.py): the label, when it was seen, the story count,
baseline and threshold that made it a spike, the outbox digest holding its notice, and when it was seen to end.

Revision ID: 0010_spikes
Revises: 0009_backfill
Create Date: 2026-12-02 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_spikes'
down_revision = '0009_backfill'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'spikes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('label', sa.String(length=100), nullable=False),
        sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('stories', sa.Integer(), nullable=False),
        sa.Column('baseline', sa.Float(), nullable=False),
        sa.Column('threshold', sa.Float(), nullable=False),
        sa.Column('digest_id', sa.Integer(), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['digest_id'], ['digests.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_spikes_subscription_label', 'spikes', ['subscription', 'kind', 'label', 'detected_at'])


def downgrade() -> None:
    op.drop_index('ix_spikes_subscription_label', table_name='spikes')
    op.drop_table('spikes')
