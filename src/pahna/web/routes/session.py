"""Logging in and out, and the language switch."""

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
    check_csrf,
    forget_session,
    set_cookie,
)
from pahna.web.i18n import LANGUAGES
from pahna.web.pages import render
from pahna.web.portal import portal_of

router = APIRouter(include_in_schema=False)


_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%?=&#-]*")


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no backslash, tab or space."""
    if not target or not _LOCAL_PATH.fullmatch(target):
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", next=safe_next(next), failed=None)


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=256)],
          csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/",
          ) -> Response:
    check_csrf(request, csrf_token)
    portal = portal_of(request)
    client = request.client.host if request.client else "unknown"
    keys = (f"user:{username.lower()}", f"addr:{client}")
    wait = portal.throttle.retry_after(*keys)
    response: Response
    if wait:
        response = render(request, "login.html", status=429, next=safe_next(next),
                          failed="throttled")
        response.headers["Retry-After"] = str(wait)
        return response
    account = check_password(portal.engine, username, password)
    if account is None:
        portal.throttle.failed(*keys)
        return render(request, "login.html", status=401, next=safe_next(next), failed="bad_login")
    portal.throttle.succeeded(keys[0])
    with Session(portal.engine) as session:
        record(session, f"web:{account.username}", "session.login", f"account:{account.username}",
               after={"address": client})
        session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(response, SESSION_COOKIE, open_session(portal.engine, account.username),
               portal.secure_cookies)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        close_session(portal_of(request).engine, cookie)
        forget_session(request, cookie)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        set_cookie(response, LANG_COOKIE, code, portal_of(request).secure_cookies,
                   max_age=365 * 86400)
    return response
