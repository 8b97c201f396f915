"""delivery parts

A digest too long for one message goes out as numbered parts; deliveries.progress records, per channel, how many
parts there are, how many the channel accepted, which one is being sent, and which were not resent after a crash,
so a delivery resumes at the next part instead of starting over or losing the rest. NULL: nothing recorded (a
delivery claimed before this revision counts as sending its first and only part).

Revision ID: 0006_delivery_parts
Revises: 0004
Create Date: 2026-12-02 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_delivery_parts'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:
        batch.add_column(sa.Column('progress', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_column('progress')
