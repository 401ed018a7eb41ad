"""Zones, producer contacts, claim approvals, metering points and domestic lists.

Revision ID: r0001
Revises: r0000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0001"
down_revision = "r0000"


def _validity() -> list[sa.Column[int]]:
    return [sa.Column("valid_from_ms", sa.BigInteger, nullable=False),
            sa.Column("valid_to_ms", sa.BigInteger, nullable=True)]


def upgrade() -> None:
    op.create_table(
        "zones",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_fa", sa.String(200), nullable=False),
        sa.Column("province", sa.String(8), sa.ForeignKey("provinces.code"), nullable=False))
    op.add_column("producers", sa.Column("contact", sa.String(200), nullable=True))
    op.add_column("claims", sa.Column("approved_by", sa.String(100), nullable=True))
    op.create_table(
        "metering_points",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("producer_id", sa.String(64), sa.ForeignKey("producers.id"), nullable=False,
                  index=True),
        sa.Column("exporter", sa.String(64), nullable=False),
        sa.Column("interface", sa.BigInteger, nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        *_validity())
    op.create_table(
        "domestic_lists",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.Text, nullable=False),
        *_validity(),
        sa.Column("imported_at_ms", sa.BigInteger, nullable=False))
    op.create_table(
        "domestic_prefixes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("list_id", sa.Integer, sa.ForeignKey("domestic_lists.id"), nullable=False,
                  index=True),
        sa.Column("prefix", sa.String(64), nullable=False))
