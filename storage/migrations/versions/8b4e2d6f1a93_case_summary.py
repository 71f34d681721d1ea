"""case summary: a short summary of a case, posted with it to the portal

Revision ID: 8b4e2d6f1a93
Revises: 4c2a9f7e1b30
Create Date: 2026-12-05 09:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '8b4e2d6f1a93'
down_revision = '4c2a9f7e1b30'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('summary', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('summary')
