"""The registry as the first skeleton of pahna made it (before migrations existed):
provinces, producers, prefix claims and the audit log.

Revision ID: r0000
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0000"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "provinces",
        sa.Column("code", sa.String(8), primary_key=True),
        sa.Column("name_en", sa.String(64), nullable=False),
        sa.Column("name_fa", sa.String(64), nullable=False))
    op.create_table(
        "producers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_fa", sa.String(200), nullable=False),
        sa.Column("province", sa.String(8), sa.ForeignKey("provinces.code"), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("zone", sa.String(64), nullable=True),
        sa.Column("iban", sa.String(34), nullable=True),
        sa.Column("status", sa.String(16), nullable=False))
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("producer_id", sa.String(64), sa.ForeignKey("producers.id"), nullable=False,
                  index=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("valid_from_ms", sa.BigInteger, nullable=False),
        sa.Column("valid_to_ms", sa.BigInteger, nullable=True),
        sa.Column("nested_approved", sa.Boolean, nullable=False))
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at_ms", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(200), nullable=False),
        sa.Column("before", sa.Text, nullable=True),
        sa.Column("after", sa.Text, nullable=True))
