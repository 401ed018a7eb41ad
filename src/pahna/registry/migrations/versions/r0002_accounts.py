"""Accounts a ministry can run: the portal's tables come under migrations, accounts can be
disabled, API tokens expire and can be revoked, disputes carry the ministry's answer, and
failed logins are kept where every portal process sees them.

Workspaces made before this revision hold the portal's tables as `create_all` made them
(without the new columns); newer ones have none yet. Both end up the same. Tokens issued
before tokens expired get 90 days from the upgrade (no token lives forever).

Revision ID: r0002
Revises: r0001a
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "r0002"
down_revision = "r0001a"
LEGACY_TOKEN_DAYS = 90


def _first_tables() -> dict[str, list[sa.Column[object]]]:
    """The portal's tables as the first portal made them."""
    return {
        "web_accounts": [
            sa.Column("username", sa.String(64), primary_key=True),
            sa.Column("password_hash", sa.String(200), nullable=False),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("province", sa.String(8), nullable=True),
            sa.Column("producer_id", sa.String(64), nullable=True)],
        "web_tokens": [
            sa.Column("digest", sa.String(64), primary_key=True),
            sa.Column("username", sa.String(64), nullable=False, index=True),
            sa.Column("scopes", sa.String(200), nullable=False),
            sa.Column("label", sa.String(100), nullable=False),
            sa.Column("created_ms", sa.BigInteger, nullable=False)],
        "web_sessions": [
            sa.Column("digest", sa.String(64), primary_key=True),
            sa.Column("username", sa.String(64), nullable=False, index=True),
            sa.Column("expires_ms", sa.BigInteger, nullable=False)],
        "web_disputes": [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("producer_id", sa.String(64), nullable=False, index=True),
            sa.Column("period", sa.String(7), nullable=False),
            sa.Column("message", sa.Text, nullable=False),
            sa.Column("author", sa.String(64), nullable=False),
            sa.Column("at_ms", sa.BigInteger, nullable=False),
            sa.Column("status", sa.String(16), nullable=False)],
    }


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    for name, columns in _first_tables().items():
        if name not in present:
            op.create_table(name, *columns)
    with op.batch_alter_table("web_accounts") as batch:
        batch.add_column(sa.Column("disabled_ms", sa.BigInteger, nullable=True))
    with op.batch_alter_table("web_tokens") as batch:
        batch.add_column(sa.Column("expires_ms", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("revoked_ms", sa.BigInteger, nullable=True))
    with op.batch_alter_table("web_disputes") as batch:
        batch.add_column(sa.Column("answer", sa.Text, nullable=True))
        batch.add_column(sa.Column("answered_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("answered_ms", sa.BigInteger, nullable=True))
    expires = time.time_ns() // 1_000_000 + LEGACY_TOKEN_DAYS * 86_400_000
    op.execute(sa.text("UPDATE web_tokens SET expires_ms = :at WHERE expires_ms IS NULL")
               .bindparams(at=expires))
    op.create_table(
        "web_login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at_ms", sa.BigInteger, nullable=False))
    op.create_index("ix_web_login_failures_address", "web_login_failures",
                    ["address", "at_ms"])
    op.create_index("ix_web_login_failures_pair", "web_login_failures",
                    ["username", "address", "at_ms"])


def downgrade() -> None:
    op.drop_table("web_login_failures")
    with op.batch_alter_table("web_disputes") as batch:
        for column in ("answer", "answered_by", "answered_ms"):
            batch.drop_column(column)
    with op.batch_alter_table("web_tokens") as batch:
        batch.drop_column("expires_ms")
        batch.drop_column("revoked_ms")
    with op.batch_alter_table("web_accounts") as batch:
        batch.drop_column("disabled_ms")
