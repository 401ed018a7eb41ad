"""Who may pass the grant board's doors, declared once per route through `grant_door`.

The rule says the roles a route serves, whether it writes (then a session needs the CSRF
token and a bearer token the `grants:write` scope; a read by token needs `read`) and what
it touches. The dependency
enforces it in one order: CSRF on writes; public routes pass; no account 401; a token
without the scope 403; a role the route does not serve 403; then the target:

- a call an officer writes to (or the programme, named by the form's `programme_id`, it
  opens a call in) must be in the officer's province (403 otherwise: calls and programmes
  are public knowledge);
- an application (and its documents) is seen by its applicant, the call's reviewers, the
  officers of the call's province and the ministry; anyone else gets 404, the same answer
  as for one that does not exist;
- an agreement follows its application.

This follows the design of the portal's `permissions.allow` (issue 10): when that lands,
each `grant_door(...)` becomes an `allow(...)` with these targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Depends, Request

from pahna.errors import GrantNotFoundError
from pahna.grants.board import Board, load_board
from pahna.grants.models import Applicant, Application, Call
from pahna.web.auth import Principal, check_csrf, principal
from pahna.web.portal import portal_of
from pahna.web.problems import Problem

Target = Literal["call", "form-programme", "application", "agreement"]
WRITE_SCOPE = "grants:write"
READ_SCOPE = "read"
MINISTRY = ("admin", "auditor")
FORM_OVERHEAD = 64 * 1024
"""Room for a form's other fields around the largest upload."""


@dataclass(frozen=True)
class GrantRule:
    roles: frozenset[str]
    write: bool
    target: Target | None


@dataclass(frozen=True)
class GrantCaller:
    who: Principal
    board: Board
    call: Call | None = None
    application: Application | None = None

    @property
    def actor(self) -> str:
        return f"web:{self.who.name}"

    @property
    def credential(self) -> str:
        return self.who.via

    def applicant(self) -> Applicant | None:
        """The applicant this account acts for, if any."""
        if self.who.role != "applicant":
            return None
        return next((a for a in self.board.applicants()
                     if a.account == self.who.name), None)


def sees_application(caller: GrantCaller, application: Application) -> bool:
    who, board = caller.who, caller.board
    call = board.call(application.call_id)
    if who.role in MINISTRY:
        return True
    if who.role == "officer" and who.account is not None:
        return who.account.province == board.province_of_call(call.id)
    if who.role == "reviewer":
        return who.name in call.reviewers
    mine = caller.applicant()
    return mine is not None and mine.id == application.applicant_id


def manages_call(who: Principal, board: Board, call_id: str) -> bool:
    if who.role == "admin":
        return True
    return (who.role == "officer" and who.account is not None
            and who.account.province == board.province_of_call(call_id))


class GrantDoor:
    def __init__(self, rule: GrantRule) -> None:
        self.rule = rule

    async def __call__(self, request: Request) -> GrantCaller:
        rule, who = self.rule, principal(request)
        if rule.write:
            _refuse_oversize(request)
        if rule.write and who.via != "token":
            check_csrf(request, await _form_field(request, "csrf_token"))
        portal = portal_of(request)
        board = portal.grants.current() if portal.grants else load_board(portal.engine)
        if "public" not in rule.roles:
            if who.account is None:
                raise Problem(401, "log in or send an API token",
                              headers={"WWW-Authenticate": "Bearer"})
            needed = WRITE_SCOPE if rule.write else READ_SCOPE
            if needed not in who.scopes:
                raise Problem(403, f"this token lacks the scope {needed!r}")
            if who.role not in rule.roles:
                raise Problem(403, "this is not open to your role")
        if rule.target == "form-programme":
            await _programme(request, who, board)
        return _resolve(request, GrantCaller(who, board), rule)


def _refuse_oversize(request: Request) -> None:
    """A body declared larger than the largest upload and its form is refused (413)
    before a byte of it is read."""
    limit = portal_of(request).workspace.config.grants.upload_max_bytes + FORM_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"the request is larger than {limit} bytes")


async def _programme(request: Request, who: Principal, board: Board) -> None:
    wanted = await _form_field(request, "programme_id") or ""
    try:
        programme = board.programme(wanted)
    except GrantNotFoundError as exc:
        raise Problem(404, f"no programme {wanted!r}") from exc
    if who.role != "admin" and (who.account is None
                                or who.account.province != programme.province):
        raise Problem(403, f"programme {programme.id} is outside your province")


def _resolve(request: Request, caller: GrantCaller, rule: GrantRule) -> GrantCaller:
    board, params = caller.board, request.path_params
    if rule.target == "agreement":
        try:
            agreement = board.agreement(params["agreement_id"])
            application = board.application(board.award(agreement.award_id).application_id)
        except GrantNotFoundError as exc:
            raise Problem(404, "no such agreement that you can see") from exc
        return _application(caller, application, rule)
    if rule.target == "application":
        try:
            application = board.application(params["application_id"])
        except GrantNotFoundError as exc:
            raise Problem(404, "no such application that you can see") from exc
        return _application(caller, application, rule)
    if rule.target == "call":
        call = board.call(params["call_id"])
        if rule.write and caller.who.role in ("admin", "officer") and not manages_call(
                caller.who, board, call.id):
            raise Problem(403, f"call {call.id} is outside your province")
        return GrantCaller(caller.who, board, call)
    return caller


def _application(caller: GrantCaller, application: Application, rule: GrantRule
                 ) -> GrantCaller:
    if not sees_application(caller, application):
        raise Problem(404, "no such application that you can see")
    call = caller.board.call(application.call_id)
    if rule.write and caller.who.role in ("admin", "officer") and not manages_call(
            caller.who, caller.board, call.id):
        raise Problem(403, f"call {call.id} is outside your province")
    return GrantCaller(caller.who, caller.board, call, application)


async def _form_field(request: Request, name: str) -> str | None:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded",
                                    "multipart/form-data")):
        return None
    value = (await request.form()).get(name)
    return value if isinstance(value, str) else None


def grant_door(*roles: str, write: bool = False, target: Target | None = None) -> Any:
    """Declare what a grant route needs (`Annotated[GrantCaller, grant_door(...)]`)."""
    return Depends(GrantDoor(GrantRule(frozenset(roles), write, target)))
