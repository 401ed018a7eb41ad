"""The grant board: one append-only table of hash-chained revisions (grants/history.py).

Revision ID: r0010
Revises: r0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0010"
down_revision = "r0003"


def upgrade() -> None:
    op.create_table(
        "grant_revisions",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("at_ms", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("credential", sa.String(100), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.UniqueConstraint("kind", "entity_id", "revision", name="uq_grant_revision"))
    op.create_index("ix_grant_revisions_entity", "grant_revisions", ["kind", "entity_id"])


def downgrade() -> None:
    op.drop_index("ix_grant_revisions_entity", "grant_revisions")
    op.drop_table("grant_revisions")
