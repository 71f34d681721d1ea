"""case requests: the secretariat asks a lecturer for a case (事例作成の依頼), approves its material

Revision ID: b7d31c5e9a42
Revises: c7a1e5f93b20
Create Date: 2026-12-05 13:20:00
"""
from alembic import op
import sqlalchemy as sa

import storage.models


revision = 'b7d31c5e9a42'
down_revision = 'c7a1e5f93b20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('theme', sa.String(length=32), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('lecturer_user_id', sa.String(length=32), nullable=False),
        sa.Column('requested_by', sa.String(length=32), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('note_encrypted', sa.LargeBinary(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('reason_encrypted', sa.LargeBinary(), nullable=True),
        sa.Column('material_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_by', sa.String(length=32), nullable=True),
        sa.Column('reviewed_at', storage.models.UtcDateTime(), nullable=True),
        sa.Column('review_note_encrypted', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', storage.models.UtcDateTime(), nullable=False),
        sa.Column('answered_at', storage.models.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_requests_case_id_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_requests')),
        sa.UniqueConstraint('case_id', name=op.f('uq_case_requests_case_id')),
    )
    op.create_index(op.f('ix_case_requests_lecturer_user_id'), 'case_requests', ['lecturer_user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_case_requests_lecturer_user_id'), table_name='case_requests')
    op.drop_table('case_requests')
