"""Who is asking: a session cookie (people) or a bearer token (machines); CSRF checks."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from pahna.web.accounts import SCOPES, Account, digest, session_account
from pahna.web.portal import portal_of
from pahna.web.problems import Problem
from pahna.web.tokens import ID_LENGTH, token_account

SESSION_COOKIE = "pahna_session"
CSRF_COOKIE = "pahna_csrf"
LANG_COOKIE = "pahna_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_MEMO_S = 10.0


@dataclass(frozen=True)
class Principal:
    """An account (None for the public), the scopes it acts with, and the credential it
    presented: `session:ID` or `token:ID` (ids are digests' prefixes, never secrets)."""

    account: Account | None
    scopes: frozenset[str]
    via: str  # "session", "token" or "public"
    credential: str | None = None

    @property
    def role(self) -> str:
        return self.account.role if self.account else "public"

    @property
    def name(self) -> str:
        return self.account.username if self.account else "public"


PUBLIC = Principal(None, frozenset(), "public")


def session_credential(cookie: str) -> str:
    return f"session:{digest(cookie)[:ID_LENGTH]}"


def principal(request: Request) -> Principal:
    """The caller: bearer token first, then the session cookie, else the public."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    found = _find_principal(request)
    request.state.principal = found
    return found


def _find_principal(request: Request) -> Principal:
    engine = portal_of(request).engine
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        held = token_account(engine, header[7:].strip())
        if held is None:
            raise Problem(401, "unknown, expired or revoked API token",
                          headers={"WWW-Authenticate": "Bearer"})
        return Principal(held[0], held[1], "token", f"token:{held[2]}")
    cookie = request.cookies.get(SESSION_COOKIE)
    account = _session(request, cookie) if cookie else None
    if account is None:
        return PUBLIC
    return Principal(account, frozenset(SCOPES), "session", session_credential(cookie or ""))


def _session(request: Request, cookie: str) -> Account | None:
    """The session's account, looked up at most every SESSION_MEMO_S seconds."""
    portal = portal_of(request)
    now = time.monotonic()
    held = portal.sessions.get(cookie)
    if held is not None and held[0] > now:
        return held[1]
    account = session_account(portal.engine, cookie)
    if len(portal.sessions) > 10_000:
        portal.sessions.clear()
    portal.sessions[cookie] = (now + SESSION_MEMO_S, account)
    return account


def forget_session(request: Request, cookie: str) -> None:
    portal_of(request).sessions.pop(cookie, None)


def csrf_token(request: Request) -> str:
    """The double-submit token of this browser (set as a cookie by the middleware)."""
    token: str = request.state.csrf
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a cookie-authenticated write whose form field (or header) does not match
    the browser's CSRF cookie. Token-authenticated calls carry no ambient authority."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    given = submitted or request.headers.get(CSRF_HEADER, "")
    if not cookie or not given or not hmac.compare_digest(cookie, given):
        raise Problem(403, "missing or wrong CSRF token", code="csrf")


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def set_cookie(response: Response, name: str, value: str, secure: bool,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=secure, path="/")
