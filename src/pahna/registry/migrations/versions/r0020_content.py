"""Producers behind shared hosting and CDNs: operators, the content catalogue, claims on
content items, and claims producers ask for.

- `producers.role`: `producer` (paid) or `operator` (a CDN or hosting operator whose
  flows are shared among its tenants by their log bytes; never paid itself).
- `content_items`: the catalogue (title, producer, category, language, province).
- `claims.content_id`: the content item a host or host+path claim is for.
- `claim_requests`: claims a producer asked for in the portal, until the ministry
  approves (then they are claims, under the same rules) or refuses them.

Revision ID: r0020
Revises: r0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0020"
down_revision = "r0010"


def upgrade() -> None:
    with op.batch_alter_table("producers") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False,
                                   server_default="producer"))
    op.create_table(
        "content_items",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("producer_id", sa.String(64), sa.ForeignKey("producers.id"), nullable=False,
                  index=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("title_fa", sa.String(300), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("province", sa.String(8), sa.ForeignKey("provinces.code"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"))
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("content_id", sa.String(64), nullable=True))
    op.create_table(
        "claim_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("producer_id", sa.String(64), sa.ForeignKey("producers.id"), nullable=False,
                  index=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("content_id", sa.String(64), nullable=True),
        sa.Column("valid_from_ms", sa.BigInteger, nullable=False),
        sa.Column("valid_to_ms", sa.BigInteger, nullable=True),
        sa.Column("requested_by", sa.String(100), nullable=False),
        sa.Column("requested_ms", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decided_ms", sa.BigInteger, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("claim_id", sa.Integer, nullable=True))


def downgrade() -> None:
    op.drop_table("claim_requests")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("content_id")
    op.drop_table("content_items")
    with op.batch_alter_table("producers") as batch:
        batch.drop_column("role")
