"""proposal counts: the monthly proposal cap under a keyed hash, atomic and kept through forget-me

Revision ID: 4c2a9f7e1b30
Revises: d445234e99c2
Create Date: 2026-12-05 08:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '4c2a9f7e1b30'
down_revision = 'd445234e99c2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'proposal_counts',
        sa.Column('holder', sa.String(length=40), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('proposed', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('holder', 'month', name=op.f('pk_proposal_counts')),
    )


def downgrade() -> None:
    op.drop_table('proposal_counts')
