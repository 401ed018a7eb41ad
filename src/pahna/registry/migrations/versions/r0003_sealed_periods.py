"""Months closed by a final (the registry refuses changes reaching into them), and the
guard row every registry change updates first, so changes and closings never interleave.

Revision ID: r0003
Revises: r0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0003"
down_revision = "r0002"


def upgrade() -> None:
    op.create_table(
        "sealed_periods",
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("start_ms", sa.BigInteger, nullable=False),
        sa.Column("end_ms", sa.BigInteger, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("closed_at_ms", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False))
    guard = op.create_table(
        "registry_guard",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("changes", sa.BigInteger, nullable=False))
    op.bulk_insert(guard, [{"id": 1, "changes": 0}])


def downgrade() -> None:
    op.drop_table("registry_guard")
    op.drop_table("sealed_periods")
