"""Portal accounts and their sessions: added, listed, disabled and enabled, passwords set
by an administrator; every change in the audit log with the actor and credential.

Passwords are hashed with Argon2id; a session is a random secret stored only as its
SHA-256 digest. A disabled account cannot log in, and its sessions and API tokens stop
working at once (in another portal process within `auth.SESSION_MEMO_S` seconds).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from pahna.errors import NotFoundError, RegistryError
from pahna.ids import check_id, id_problem
from pahna.registry.audit import record
from pahna.registry.models import ProducerRow, ProvinceRow
from pahna.web.tables import AccountRow, SessionRow

ROLES = ("admin", "officer", "producer", "auditor", "applicant", "reviewer")
SCOPES = ("read", "disputes:write", "registry:write", "settlement:write", "accounts:write",
          "grants:write")
SESSION_TTL_MS = 8 * 3600 * 1000
MIN_PASSWORD = 8
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    province: str | None = None
    producer_id: str | None = None
    disabled: bool = False


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def account_of(row: AccountRow) -> Account:
    return Account(row.username, row.role, row.province, row.producer_id,
                   row.disabled_ms is not None)


def add_account(engine: Engine, account: Account, password: str, actor: str = "cli") -> None:
    """Create an account; an officer needs a province, a producer account a producer."""
    account = Account(check_username(account.username), account.role, account.province,
                      account.producer_id)
    _check_account(engine, account)
    _check_password(password)
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


def check_username(username: str) -> str:
    return check_id("account", username)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise RegistryError(f"a password needs at least {MIN_PASSWORD} characters")


def _check_account(engine: Engine, account: Account) -> None:
    if account.role not in ROLES:
        raise RegistryError(f"role {account.role!r} is not one of {', '.join(ROLES)}")
    with Session(engine) as session:
        if account.role == "officer" and (
                not account.province or session.get(ProvinceRow, account.province) is None):
            raise NotFoundError(f"an officer needs a province in the registry, "
                                f"not {account.province!r}")
        if account.role == "producer" and (
                not account.producer_id or id_problem(account.producer_id)
                or session.get(ProducerRow, account.producer_id) is None):
            raise NotFoundError(f"a producer account needs a producer in the registry, "
                                f"not {account.producer_id!r}")


def list_accounts(engine: Engine) -> list[Account]:
    with Session(engine) as session:
        rows = session.scalars(select(AccountRow).order_by(AccountRow.username))
        return [account_of(r) for r in rows]


def find_account(engine: Engine, username: str) -> Account | None:
    with Session(engine) as session:
        row = session.get(AccountRow, username)
        return account_of(row) if row else None


def check_password(engine: Engine, username: str, password: str) -> Account | None:
    """The account when the password is right and the account enabled, else None (the
    same work either way)."""
    with Session(engine) as session:
        row = session.get(AccountRow, username)
        stored = row.password_hash if row else _DUMMY_HASH
        try:
            _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        return account_of(row) if row and row.disabled_ms is None else None


_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))


def set_disabled(engine: Engine, username: str, disabled: bool, actor: str = "cli",
                 credential: str | None = None) -> Account:
    """Disable an account (its sessions end, its tokens stop working) or enable it again."""
    with Session(engine) as session:
        row = _row(session, username)
        before = row.disabled_ms is not None
        if before != disabled:
            row.disabled_ms = now_ms() if disabled else None
            if disabled:
                session.execute(delete(SessionRow).where(SessionRow.username == username))
            record(session, actor, "account.disable" if disabled else "account.enable",
                   f"account:{username}", before={"disabled": before},
                   after={"disabled": disabled}, credential=credential)
            session.commit()
        return account_of(row)


def set_password(engine: Engine, username: str, password: str, actor: str = "cli",
                 credential: str | None = None) -> None:
    """Set a new password (an administrator's reset); the account's sessions end."""
    _check_password(password)
    with Session(engine) as session:
        row = _row(session, username)
        row.password_hash = _HASHER.hash(password)
        ended = session.execute(delete(SessionRow).where(SessionRow.username == username))
        record(session, actor, "account.password_reset", f"account:{username}",
               after={"sessions_ended": getattr(ended, "rowcount", 0)},
               credential=credential)
        session.commit()


def _row(session: Session, username: str) -> AccountRow:
    row = session.get(AccountRow, username)
    if row is None:
        raise NotFoundError(f"no account {username!r}")
    return row


def open_session(engine: Engine, username: str) -> str:
    secret = secrets.token_urlsafe(32)
    with Session(engine) as session:
        session.add(SessionRow(digest=digest(secret), username=username,
                               expires_ms=now_ms() + SESSION_TTL_MS))
        session.commit()
    return secret


def session_account(engine: Engine, secret: str) -> Account | None:
    """The enabled account a session belongs to, while the session lasts."""
    with Session(engine) as session:
        row = session.get(SessionRow, digest(secret))
        if row is None or row.expires_ms < now_ms():
            return None
        account = session.get(AccountRow, row.username)
        return account_of(account) if account and account.disabled_ms is None else None


def close_session(engine: Engine, secret: str) -> None:
    with Session(engine) as session:
        row = session.get(SessionRow, digest(secret))
        if row is not None:
            session.delete(row)
            session.commit()
