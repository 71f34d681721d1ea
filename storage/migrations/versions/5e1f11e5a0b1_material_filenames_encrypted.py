"""material file names: the uploader's name encrypted, a neutral name in the clear

Revision ID: 5e1f11e5a0b1
Revises: 7a3c9e2b5d14
Create Date: 2026-11-29 02:40:00

Until now `materials.filename` held the uploader's file name in plain text, unchecked, and it can
name the person the case is about. From now on that column holds only a neutral name built from
the case code, the kind and a plain extension (case-C1-material.pdf), and the uploader's own name,
once it passed the personal-data check, is kept encrypted in `filename_encrypted`. The migration
cannot encrypt (it has no key), so the names stored so far are replaced by their neutral names.
"""
import re
from pathlib import PurePath

from alembic import op
import sqlalchemy as sa


revision = '5e1f11e5a0b1'
down_revision = '7a3c9e2b5d14'
branch_labels = None
depends_on = None

_SAFE_EXTENSION = re.compile(r"\.[a-z0-9]{1,8}")


def _neutral(code: str, kind: str, filename: str | None) -> str:
    extension = PurePath(filename or "").suffix.lower()
    return f"case-{code}-{kind}" + (extension if _SAFE_EXTENSION.fullmatch(extension) else "")


def upgrade() -> None:
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('filename_encrypted', sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT id, case_id, kind, filename FROM materials WHERE filename IS NOT NULL")).all()
    for material_id, case_id, kind, filename in rows:
        connection.execute(sa.text("UPDATE materials SET filename = :name WHERE id = :id"),
                           {"name": _neutral(f"C{case_id}", kind, filename), "id": material_id})


def downgrade() -> None:
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.drop_column('filename_encrypted')
