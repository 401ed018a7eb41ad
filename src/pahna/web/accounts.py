"""Accounts, API tokens, sessions and disputes, in the portal's own tables on the
workspace's registry database (created at start-up).

Passwords are hashed with Argon2id; session and API token secrets are stored only as
SHA-256 digests, so a copy of the database opens no doors.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import BigInteger, Engine, Integer, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from pahna.errors import NotFoundError, RegistryError
from pahna.registry.audit import record
from pahna.registry.models import ProducerRow, ProvinceRow

ROLES = ("admin", "officer", "producer", "auditor", "applicant", "reviewer")
SCOPES = ("read", "disputes:write", "registry:write", "grants:write")
SESSION_TTL_MS = 8 * 3600 * 1000
_HASHER = PasswordHasher()


class WebBase(DeclarativeBase):
    pass


class AccountRow(WebBase):
    __tablename__ = "web_accounts"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    province: Mapped[str | None] = mapped_column(String(8), nullable=True)
    producer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class TokenRow(WebBase):
    __tablename__ = "web_tokens"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    scopes: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_ms: Mapped[int] = mapped_column(BigInteger)


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


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    province: str | None = None
    producer_id: str | None = None


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_tables(engine: Engine) -> None:
    WebBase.metadata.create_all(engine)


def _account(row: AccountRow) -> Account:
    return Account(row.username, row.role, row.province, row.producer_id)


def add_account(engine: Engine, account: Account, password: str, actor: str = "cli") -> None:
    """Create an account; an officer needs a province, a producer account a producer."""
    _check_account(engine, account)
    if len(password) < 8:
        raise RegistryError("a password needs at least 8 characters")
    with Session(engine) as session:
        if session.get(AccountRow, account.username) is not None:
            raise RegistryError(f"account {account.username} already exists")
        session.add(AccountRow(username=account.username, role=account.role,
                               province=account.province, producer_id=account.producer_id,
                               password_hash=_HASHER.hash(password)))
        record(session, actor, "account.add", f"account:{account.username}",
               after={"role": account.role, "province": account.province,
                "producer_id": account.producer_id})
        session.commit()


def _check_account(engine: Engine, account: Account) -> None:
    if account.role not in ROLES:
        raise RegistryError(f"role {account.role!r} is not one of {', '.join(ROLES)}")
    with Session(engine) as session:
        if account.role == "officer" and (
                not account.province or session.get(ProvinceRow, account.province) is None):
            raise NotFoundError(f"an officer needs a province in the registry, "
                                f"not {account.province!r}")
        if account.role == "producer" and (
                not account.producer_id
                or session.get(ProducerRow, account.producer_id) is None):
            raise NotFoundError(f"a producer account needs a producer in the registry, "
                                f"not {account.producer_id!r}")


def list_accounts(engine: Engine) -> list[Account]:
    with Session(engine) as session:
        rows = session.scalars(select(AccountRow).order_by(AccountRow.username))
        return [_account(r) for r in rows]


def check_password(engine: Engine, username: str, password: str) -> Account | None:
    """The account when the password is right, else None (same work either way)."""
    with Session(engine) as session:
        row = session.get(AccountRow, username)
        stored = row.password_hash if row else _DUMMY_HASH
        try:
            _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        return _account(row) if row else None


_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))


def issue_token(engine: Engine, username: str, scopes: tuple[str, ...], label: str = "",
                actor: str = "cli") -> str:
    """A new API token for `username` limited to `scopes`; the secret is shown once."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise RegistryError(f"scopes must be among {', '.join(SCOPES)}; got {sorted(scopes)}")
    secret = "pahna_" + secrets.token_urlsafe(32)
    with Session(engine) as session:
        if session.get(AccountRow, username) is None:
            raise NotFoundError(f"no account {username!r}")
        session.add(TokenRow(digest=digest(secret), username=username, label=label,
                             scopes=" ".join(sorted(scopes)), created_ms=_now_ms()))
        record(session, actor, "token.issue", f"account:{username}",
               after={"scopes": sorted(scopes), "label": label})
        session.commit()
    return secret


def token_account(engine: Engine, secret: str) -> tuple[Account, frozenset[str]] | None:
    with Session(engine) as session:
        token = session.get(TokenRow, digest(secret))
        row = session.get(AccountRow, token.username) if token else None
        if token is None or row is None:
            return None
        return _account(row), frozenset(token.scopes.split())


def open_session(engine: Engine, username: str) -> str:
    secret = secrets.token_urlsafe(32)
    with Session(engine) as session:
        session.add(SessionRow(digest=digest(secret), username=username,
                               expires_ms=_now_ms() + SESSION_TTL_MS))
        session.commit()
    return secret


def session_account(engine: Engine, secret: str) -> Account | None:
    with Session(engine) as session:
        row = session.get(SessionRow, digest(secret))
        if row is None or row.expires_ms < _now_ms():
            return None
        account = session.get(AccountRow, row.username)
        return _account(account) if account else None


def close_session(engine: Engine, secret: str) -> None:
    with Session(engine) as session:
        row = session.get(SessionRow, digest(secret))
        if row is not None:
            session.delete(row)
            session.commit()
