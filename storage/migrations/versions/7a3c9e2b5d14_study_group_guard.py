"""the personal-data guard of a study group's channel: when its members switched it off

Revision ID: 7a3c9e2b5d14
Revises: 5e1f0c3a9d27
Create Date: 2026-11-29 03:00:00
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '7a3c9e2b5d14'
down_revision = '5e1f0c3a9d27'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('study_groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guard_off_at', storage.models.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_study_groups_channel_id'), ['channel_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('study_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_groups_channel_id'))
        batch_op.drop_column('guard_off_at')
