"""Logging in and out, and the language switch. Each route declares itself public
(`allow("public")`); the writes need the browser's CSRF token."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from pahna.registry.audit import record
from pahna.web.accounts import check_password, close_session, open_session
from pahna.web.auth import (
    LANG_COOKIE,
    SESSION_COOKIE,
    forget_session,
    session_credential,
    set_cookie,
)
from pahna.web.i18n import LANGUAGES
from pahna.web.pages import render
from pahna.web.permissions import Caller, allow
from pahna.web.portal import portal_of

router = APIRouter(include_in_schema=False)
Anyone = Annotated[Caller, allow("public")]
AnyoneWriting = Annotated[Caller, allow("public", write=True)]


_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%?=&#-]*")


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no backslash, tab or space."""
    if not target or not _LOCAL_PATH.fullmatch(target):
        return "/"
    return target


def client_address(request: Request) -> str:
    """The client's address: the peer's, or the one trusted proxies forwarded (the app's
    proxy-headers middleware has put it in place)."""
    return (request.client.host if request.client else "unknown")[:64]


@router.get("/login")
def login_page(request: Request, caller: Anyone, next: str = "/") -> Response:
    return render(request, "login.html", next=safe_next(next), failed=None)


@router.post("/login")
def login(request: Request, caller: AnyoneWriting,
          username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=256)],
          next: Annotated[str, Form()] = "/") -> Response:
    portal = portal_of(request)
    address = client_address(request)
    wait = portal.throttle.retry_after(username, address)
    response: Response
    if wait:
        response = render(request, "login.html", status=429, next=safe_next(next),
                          failed="throttled")
        response.headers["Retry-After"] = str(wait)
        return response
    account = check_password(portal.engine, username, password)
    if account is None:
        portal.throttle.failed(username, address)
        return render(request, "login.html", status=401, next=safe_next(next),
                      failed="bad_login")
    portal.throttle.succeeded(username, address)
    secret = open_session(portal.engine, account.username)
    with Session(portal.engine) as session:
        record(session, f"web:{account.username}", "session.login",
               f"account:{account.username}", after={"address": address},
               credential=session_credential(secret))
        session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(response, SESSION_COOKIE, secret, portal.secure_cookies)
    return response


@router.post("/logout")
def logout(request: Request, caller: AnyoneWriting) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        close_session(portal_of(request).engine, cookie)
        forget_session(request, cookie)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, caller: Anyone, code: str, next: str = "/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        set_cookie(response, LANG_COOKIE, code, portal_of(request).secure_cookies,
                   max_age=365 * 86400)
    return response
