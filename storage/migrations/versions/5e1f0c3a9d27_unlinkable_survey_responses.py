"""survey responses stored in the order of their random ids; request keys without user ids

Revision ID: 5e1f0c3a9d27
Revises: dead10db0f2e
Create Date: 2026-11-29 02:40:00

On SQLite a table keeps its rows in rowid order, which is the order they were written: the
order in which people completed the survey. WITHOUT ROWID keeps them in primary-key order,
and the primary key is random. PostgreSQL reads them ordered by the random id (storage/
survey_repos.py). Old interaction keys (`action:{user}:{ts}`, unkeyed survey hashes) are dropped:
they are only kept for an hour and the new ones are keyed hashes.
"""
from alembic import op
import sqlalchemy as sa


revision = '5e1f0c3a9d27'
down_revision = 'dead10db0f2e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM processed_requests WHERE key LIKE 'action:%' OR key LIKE 'survey-action:%'")
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_table(
        'survey_responses_unordered',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('bureau', sa.String(length=16), nullable=True),
        sa.Column('answers_encrypted', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['survey_runs.id'], name='fk_survey_responses_run_id_survey_runs'),
        sa.PrimaryKeyConstraint('id', name='pk_survey_responses'),
        sqlite_with_rowid=False,
    )
    op.execute("INSERT INTO survey_responses_unordered (id, run_id, bureau, answers_encrypted) "
               "SELECT id, run_id, bureau, answers_encrypted FROM survey_responses ORDER BY id")
    op.drop_index('ix_survey_responses_run_id', table_name='survey_responses')
    op.drop_table('survey_responses')
    op.rename_table('survey_responses_unordered', 'survey_responses')
    op.create_index('ix_survey_responses_run_id', 'survey_responses', ['run_id'], unique=False)


def downgrade() -> None:
    pass  # the rowid order gave nothing the random order lacks
