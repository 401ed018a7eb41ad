"""API tokens: issued for an account with scopes and an expiry, listed, revoked.

A token's secret is shown once and stored only as its SHA-256 digest. A token is named by
its id, the first 12 hex digits of that digest: it appears in listings and in the audit
log (`token:ID`) and says nothing about the secret. A token answers only while it is
unexpired, unrevoked and its account enabled.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.errors import NotFoundError, RegistryError
from pahna.registry.audit import record
from pahna.web.accounts import SCOPES, Account, account_of, digest, now_ms
from pahna.web.tables import AccountRow, TokenRow

ID_LENGTH = 12
DEFAULT_DAYS = 90
MAX_DAYS = 366
DAY_MS = 86_400_000


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown of a token (never its secret)."""

    id: str
    username: str
    scopes: tuple[str, ...]
    label: str
    created_ms: int
    expires_ms: int | None
    revoked_ms: int | None

    def state(self, at_ms: int) -> str:
        if self.revoked_ms is not None:
            return "revoked"
        if self.expires_ms is not None and self.expires_ms <= at_ms:
            return "expired"
        return "active"


def token_id(secret_digest: str) -> str:
    return secret_digest[:ID_LENGTH]


def issue_token(engine: Engine, username: str, scopes: tuple[str, ...], label: str = "",
                actor: str = "cli", days: int = DEFAULT_DAYS) -> str:
    """A new API token for `username` limited to `scopes`, valid for `days` days; the
    secret is returned once."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise RegistryError(f"scopes must be among {', '.join(SCOPES)}; got {sorted(scopes)}")
    if not 1 <= days <= MAX_DAYS:
        raise RegistryError(f"a token lasts 1 to {MAX_DAYS} days, not {days}")
    secret = "pahna_" + secrets.token_urlsafe(32)
    created = now_ms()
    with Session(engine) as session:
        if session.get(AccountRow, username) is None:
            raise NotFoundError(f"no account {username!r}")
        row = TokenRow(digest=digest(secret), username=username, label=label,
                       scopes=" ".join(sorted(scopes)), created_ms=created,
                       expires_ms=created + days * DAY_MS)
        session.add(row)
        record(session, actor, "token.issue", f"account:{username}",
               after={"token": token_id(row.digest), "scopes": sorted(scopes),
                      "label": label, "expires_ms": row.expires_ms})
        session.commit()
    return secret


def token_account(engine: Engine, secret: str
                  ) -> tuple[Account, frozenset[str], str] | None:
    """The account, scopes and id of a live token; None for any other secret."""
    with Session(engine) as session:
        token = session.get(TokenRow, digest(secret))
        if token is None or _info(token).state(now_ms()) != "active":
            return None
        row = session.get(AccountRow, token.username)
        if row is None or row.disabled_ms is not None:
            return None
        return account_of(row), frozenset(token.scopes.split()), token_id(token.digest)


def list_tokens(engine: Engine, username: str | None = None) -> list[TokenInfo]:
    """Tokens (of `username`, or all), oldest first."""
    with Session(engine) as session:
        query = select(TokenRow).order_by(TokenRow.created_ms, TokenRow.digest)
        if username is not None:
            query = query.where(TokenRow.username == username)
        return [_info(row) for row in session.scalars(query)]


def revoke_token(engine: Engine, token: str, actor: str = "cli",
                 credential: str | None = None, username: str | None = None) -> TokenInfo:
    """Revoke the token with id `token` (of `username` when given); revoking twice keeps
    the first time."""
    if len(token) != ID_LENGTH or any(c not in "0123456789abcdef" for c in token):
        raise NotFoundError(f"no token {token!r} (a token id is {ID_LENGTH} hex digits)")
    with Session(engine) as session:
        row = session.scalars(select(TokenRow).where(TokenRow.digest.startswith(token))
                              ).first()
        if row is None or (username is not None and row.username != username):
            raise NotFoundError(f"no token {token!r}")
        if row.revoked_ms is None:
            row.revoked_ms = now_ms()
            record(session, actor, "token.revoke", f"account:{row.username}",
                   after={"token": token}, credential=credential)
            session.commit()
        return _info(row)


def _info(row: TokenRow) -> TokenInfo:
    return TokenInfo(token_id(row.digest), row.username, tuple(row.scopes.split()),
                     row.label, row.created_ms, row.expires_ms, row.revoked_ms)
