"""The portal's tables in the workspace's registry database: accounts, API tokens,
sessions, disputes and failed logins. Times are UTC epoch milliseconds.

Like the registry's own tables they are created and changed only by the Alembic
migrations in `pahna/registry/migrations/` (r0002 adds what accounts need); these
classes describe the result. Secrets are stored only as SHA-256 digests, passwords as
Argon2id hashes, so a copy of the database opens no doors.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class WebBase(DeclarativeBase):
    pass


class AccountRow(WebBase):
    __tablename__ = "web_accounts"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    province: Mapped[str | None] = mapped_column(String(8), nullable=True)
    producer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    disabled_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """When the account was disabled (None: it may log in)."""


class TokenRow(WebBase):
    __tablename__ = "web_tokens"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    scopes: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_ms: Mapped[int] = mapped_column(BigInteger)
    expires_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    revoked_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class SessionRow(WebBase):
    __tablename__ = "web_sessions"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    expires_ms: Mapped[int] = mapped_column(BigInteger)


class DisputeRow(WebBase):
    __tablename__ = "web_disputes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    producer_id: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(7))
    message: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    at_ms: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="open")
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    answered_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class LoginFailureRow(WebBase):
    """One wrong password: for which account name, from which client address."""

    __tablename__ = "web_login_failures"
    __table_args__ = (Index("ix_web_login_failures_address", "address", "at_ms"),
                      Index("ix_web_login_failures_pair", "username", "address", "at_ms"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at_ms: Mapped[int] = mapped_column(BigInteger)
