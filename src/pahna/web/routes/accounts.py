"""Accounts a ministry can run: the accounts page (the ministry and auditors) and the
administrator's forms to disable or enable an account, reset its password and revoke its
API tokens. Each form is audit-logged with the credential used."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from pahna.web.accounts import list_accounts, now_ms, set_disabled, set_password
from pahna.web.pages import render
from pahna.web.permissions import Caller, allow
from pahna.web.portal import Portal, portal_of
from pahna.web.problems import Problem
from pahna.web.tokens import list_tokens, revoke_token

router = APIRouter(include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]
Admin = Annotated[Caller, allow("admin", scope="accounts:write", target="account", write=True)]


@router.get("/accounts")
def accounts_page(request: Request, caller: Annotated[Caller, allow("admin", "auditor",
                                                                    scope="read")],
                  portal: PortalDep) -> Response:
    tokens: dict[str, list[object]] = {}
    for token in list_tokens(portal.engine):
        tokens.setdefault(token.username, []).append(token)
    return render(request, "accounts.html", accounts=list_accounts(portal.engine),
                  tokens=tokens, now_ms=now_ms())


def _done(portal: Portal, username: str) -> Response:
    portal.forget(username)
    return RedirectResponse(f"/accounts#account-{username}", status_code=303)


def _not_yourself(caller: Caller, what: str) -> str:
    assert caller.account is not None
    if caller.account.username == caller.who.name:
        raise Problem(409, f"you cannot {what} your own account")
    return caller.account.username


@router.post("/accounts/{username}/disable")
def disable_form(caller: Admin, portal: PortalDep) -> Response:
    """Disable the account: it cannot log in, its sessions end, its tokens stop."""
    username = _not_yourself(caller, "disable")
    set_disabled(portal.engine, username, True, caller.actor, caller.credential)
    return _done(portal, username)


@router.post("/accounts/{username}/enable")
def enable_form(caller: Admin, portal: PortalDep) -> Response:
    assert caller.account is not None
    set_disabled(portal.engine, caller.account.username, False, caller.actor,
                 caller.credential)
    return _done(portal, caller.account.username)


@router.post("/accounts/{username}/password")
def password_form(caller: Admin, portal: PortalDep,
                  password: Annotated[str, Form(min_length=8, max_length=256)]) -> Response:
    """Reset the account's password (the administrator tells its holder); its sessions end."""
    assert caller.account is not None
    set_password(portal.engine, caller.account.username, password, caller.actor,
                 caller.credential)
    return _done(portal, caller.account.username)


@router.post("/accounts/{username}/tokens/{token_id}/revoke")
def revoke_form(caller: Admin, portal: PortalDep, token_id: str) -> Response:
    assert caller.account is not None
    revoke_token(portal.engine, token_id, caller.actor, caller.credential,
                 username=caller.account.username)
    return _done(portal, caller.account.username)
