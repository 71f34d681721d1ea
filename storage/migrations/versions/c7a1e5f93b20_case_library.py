"""case library: published and shared cases with a full-text index that reads Japanese

SQLite: an FTS5 table with the trigram tokenizer (kept by storage/library_repo.py). PostgreSQL:
the pg_trgm extension and a GIN index of trigrams on the searchable text.

Revision ID: c7a1e5f93b20
Revises: 8b4e2d6f1a93
Create Date: 2026-12-05 13:30:00
"""
from alembic import op
import sqlalchemy as sa

from storage.models import UtcDateTime

revision = 'c7a1e5f93b20'
down_revision = '8b4e2d6f1a93'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'library_entries',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('theme', sa.String(length=32), nullable=False),
        sa.Column('summary', sa.String(length=500), nullable=True),
        sa.Column('commentary_text', sa.Text(), nullable=True),
        sa.Column('commentary_material_id', sa.Integer(), nullable=True),
        sa.Column('fiscal_year', sa.Integer(), nullable=True),
        sa.Column('bureaus_held', sa.Integer(), nullable=False),
        sa.Column('bureau_codes', sa.String(length=200), nullable=False),
        sa.Column('study_group_id', sa.Integer(), nullable=True),
        sa.Column('search_text', sa.Text(), nullable=False),
        sa.Column('published_at', UtcDateTime(), nullable=False),
        sa.Column('stale', sa.Boolean(), nullable=False),
        sa.Column('indexed_at', UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_library_entries_case_id_cases')),
        sa.PrimaryKeyConstraint('case_id', name=op.f('pk_library_entries')),
    )
    op.create_index(op.f('ix_library_entries_theme'), 'library_entries', ['theme'], unique=False)
    op.create_index(op.f('ix_library_entries_fiscal_year'), 'library_entries', ['fiscal_year'], unique=False)
    op.create_index(op.f('ix_library_entries_published_at'), 'library_entries', ['published_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE INDEX ix_library_entries_search_trgm ON library_entries '
                   'USING gin (search_text gin_trgm_ops)')
    else:
        op.execute("CREATE VIRTUAL TABLE library_fts USING fts5(search_text, tokenize='trigram')")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_library_entries_search_trgm')
    else:
        op.execute('DROP TABLE IF EXISTS library_fts')
    op.drop_index(op.f('ix_library_entries_published_at'), table_name='library_entries')
    op.drop_index(op.f('ix_library_entries_fiscal_year'), table_name='library_entries')
    op.drop_index(op.f('ix_library_entries_theme'), table_name='library_entries')
    op.drop_table('library_entries')
