"""web sources state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 08:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The feed items a source has already read, so a re-poll neither re-fetches nor re-emits them.
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_items', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('seen_items')
