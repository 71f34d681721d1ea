"""registration checked_in_from: what a check-in replaced, so undoing it gives it back

Revision ID: f3b6d2a8c415
Revises: e5a8c31f7d92
Create Date: 2026-12-06 00:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'f3b6d2a8c415'
down_revision = 'e5a8c31f7d92'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_in_from', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('checked_in_from')
