"""study group space claim

Revision ID: d445234e99c2
Revises: 5e1f11e5a0b1
Create Date: 2026-11-29 02:21:51.768491
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = 'd445234e99c2'
down_revision = '5e1f11e5a0b1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('study_groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('space_claimed_until', storage.models.UtcDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('study_groups', schema=None) as batch_op:
        batch_op.drop_column('space_claimed_until')

