"""date polls: a study group's candidate slots and members' ○ △ × answers (日程調整)

Revision ID: e5a8c31f7d92
Revises: b7d31c5e9a42
Create Date: 2026-12-05 14:15:00
"""
from alembic import op
import sqlalchemy as sa

import storage.models


revision = 'e5a8c31f7d92'
down_revision = 'b7d31c5e9a42'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'date_polls',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('organiser_user_id', sa.String(length=32), nullable=False),
        sa.Column('title', sa.String(length=64), nullable=False),
        sa.Column('note_encrypted', sa.LargeBinary(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('chosen_slot_id', sa.Integer(), nullable=True),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('created_at', storage.models.UtcDateTime(), nullable=False),
        sa.Column('closed_at', storage.models.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['group_id'], ['study_groups.id'], name=op.f('fk_date_polls_group_id_study_groups')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_date_polls')),
    )
    op.create_index(op.f('ix_date_polls_group_id'), 'date_polls', ['group_id'], unique=False)
    op.create_index(op.f('ix_date_polls_organiser_user_id'), 'date_polls', ['organiser_user_id'], unique=False)
    op.create_table(
        'date_poll_slots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('poll_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('starts_at', storage.models.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['poll_id'], ['date_polls.id'], name=op.f('fk_date_poll_slots_poll_id_date_polls')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_date_poll_slots')),
        sa.UniqueConstraint('poll_id', 'starts_at', name='uq_date_poll_slots_poll_start'),
    )
    op.create_index(op.f('ix_date_poll_slots_poll_id'), 'date_poll_slots', ['poll_id'], unique=False)
    op.create_table(
        'date_poll_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('poll_id', sa.Integer(), nullable=False),
        sa.Column('slot_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('answer', sa.String(length=8), nullable=False),
        sa.Column('updated_at', storage.models.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['poll_id'], ['date_polls.id'], name=op.f('fk_date_poll_answers_poll_id_date_polls')),
        sa.ForeignKeyConstraint(['slot_id'], ['date_poll_slots.id'],
                                name=op.f('fk_date_poll_answers_slot_id_date_poll_slots')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_date_poll_answers')),
        sa.UniqueConstraint('slot_id', 'user_id', name='uq_date_poll_answers_slot_user'),
    )
    op.create_index(op.f('ix_date_poll_answers_poll_id'), 'date_poll_answers', ['poll_id'], unique=False)
    op.create_index(op.f('ix_date_poll_answers_user_id'), 'date_poll_answers', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_date_poll_answers_user_id'), table_name='date_poll_answers')
    op.drop_index(op.f('ix_date_poll_answers_poll_id'), table_name='date_poll_answers')
    op.drop_table('date_poll_answers')
    op.drop_index(op.f('ix_date_poll_slots_poll_id'), table_name='date_poll_slots')
    op.drop_table('date_poll_slots')
    op.drop_index(op.f('ix_date_polls_organiser_user_id'), table_name='date_polls')
    op.drop_index(op.f('ix_date_polls_group_id'), table_name='date_polls')
    op.drop_table('date_polls')
