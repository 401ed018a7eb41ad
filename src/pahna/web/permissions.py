"""Authorization, declared once per route and enforced by one dependency.

Every route of the portal takes its caller through `allow(...)`, which says who may pass:
the roles, the token scope the route needs, what it touches (a producer, a province, an
account, a dispute) and whether it writes. `Door` enforces the declaration, always in
this order, so that no answer depends on whether something exists unless the caller may
see it:

1. credentials: an unknown, expired or revoked bearer token answers 401;
2. a write not made with a bearer token needs the browser's CSRF token (403);
3. public routes pass;
4. no account: 401 (a page sends the browser to log in);
5. a token without the route's scope: 403 (a session holds every scope);
6. a role the route does not allow: 403;
7. the target: a producer missing or outside the caller's reach answers 404, whatever the
   reason; a province outside it 403 (provinces are public knowledge); an account or a
   dispute that is not there 404. The grant board's: a call or programme that is not
   there 404, and one outside an officer's province 403 to a write; an application (or
   agreement) missing or not the caller's to see 404 (`access.sees_application`).
   Public routes resolve their target too (a call page).

Before all of them, a write whose declared length exceeds the largest upload
(`[grants] upload_max_bytes`) and 64 KiB of other fields answers 413, unread.

`undeclared_routes(app)` lists the routes that declare nothing; `create_app` refuses to
start with any, and a test walks every route against the table in docs/portal.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Mount

from pahna.grants.board import Board
from pahna.grants.models import Application, Call
from pahna.ids import id_problem
from pahna.parties import Producer
from pahna.web import access
from pahna.web.accounts import ROLES, SCOPES, Account, find_account
from pahna.web.auth import Principal, check_csrf, principal
from pahna.web.disputes import Dispute, find_dispute
from pahna.web.portal import portal_of
from pahna.web.problems import Problem

PUBLIC = "public"
Target = Literal["producer", "form-producer", "province", "account", "dispute", "call",
                 "form-programme", "application", "agreement"]
FORM_TARGETS = ("form-producer", "form-programme")
GRANT_TARGETS = ("call", "form-programme", "application", "agreement")
FORM_OVERHEAD = 64 * 1024
"""Room for a form's other fields around the largest upload."""
OPEN_PATHS = frozenset({"/api/openapi.json"})
"""Routes FastAPI itself adds (not APIRoutes): the OpenAPI document is public."""


@dataclass(frozen=True)
class Rule:
    """What a route needs. `roles` holds "public" for a route open to everyone."""

    roles: frozenset[str]
    scope: str | None
    target: Target | None
    write: bool

    @property
    def public(self) -> bool:
        return PUBLIC in self.roles


@dataclass(frozen=True)
class Caller:
    """Who passed the door, and what the route touches (resolved and checked)."""

    who: Principal
    producer: Producer | None = None
    province: str | None = None
    account: Account | None = None
    dispute: Dispute | None = None
    board: Board | None = None
    call: Call | None = None
    application: Application | None = None

    @property
    def actor(self) -> str:
        return f"web:{self.who.name}"

    @property
    def credential(self) -> str | None:
        return self.who.credential


class Door:
    """The one dependency that enforces a route's `Rule`. Reading a form is awaited; the
    checks, which may query the registry, run in the thread pool."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    async def __call__(self, request: Request) -> Caller:
        if self.rule.write:
            _refuse_oversize(request)
        fields = await _form_fields(request) if (
            self.rule.write or self.rule.target in FORM_TARGETS) else {}
        return await run_in_threadpool(self.check, request, fields)

    def check(self, request: Request, fields: dict[str, str]) -> Caller:
        rule = self.rule
        who = principal(request)
        if rule.write and who.via != "token":
            check_csrf(request, fields.get("csrf_token"))
        if rule.public:
            return _resolve(request, who, rule, fields) if rule.target else Caller(who)
        if who.account is None:
            raise Problem(401, "log in or send an API token",
                          headers={"WWW-Authenticate": "Bearer"})
        if rule.scope not in who.scopes:
            raise Problem(403, f"this token lacks the scope {rule.scope!r}")
        if who.role not in rule.roles:
            raise Problem(403, "this is not open to your role")
        return _resolve(request, who, rule, fields)


def allow(*roles: str, scope: str | None = None, target: Target | None = None,
          write: bool = False) -> Any:
    """Declare what a route needs (use as `Annotated[Caller, allow(...)]`)."""
    unknown = set(roles) - {*ROLES, PUBLIC}
    if unknown or not roles:
        raise ValueError(f"roles must be among {ROLES} or {PUBLIC!r}, not {sorted(unknown)}")
    if PUBLIC not in roles and scope not in SCOPES:
        raise ValueError(f"a route for accounts needs one of the scopes {SCOPES}")
    return Depends(Door(Rule(frozenset(roles), scope, target, write)))


def _refuse_oversize(request: Request) -> None:
    """A body declared larger than the largest upload and its form is refused (413)
    before a byte of it is read."""
    limit = portal_of(request).workspace.config.grants.upload_max_bytes + FORM_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"the request is larger than {limit} bytes")


async def _form_fields(request: Request) -> dict[str, str]:
    """The text fields of a form body (empty for any other body)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded",
                                    "multipart/form-data")):
        return {}
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _resolve(request: Request, who: Principal, rule: Rule, fields: dict[str, str]
             ) -> Caller:
    portal, target = portal_of(request), rule.target
    if target in GRANT_TARGETS:
        return _grant(who, portal.board(), rule, request.path_params, fields)
    if target == "province":
        code = request.path_params["code"]
        if not access.sees_province(who, code):
            raise Problem(403, f"province {code} is outside your reach")
        return Caller(who, province=code)
    if target in ("producer", "form-producer"):
        wanted = (request.path_params["producer_id"] if target == "producer"
                  else fields.get("producer_id", ""))
        found = None if id_problem(wanted) else portal.directory.producer(wanted)
        return Caller(who, producer=access.visible_producer(who, found, wanted))
    if target == "account":
        # an exact lookup: names from before names were checked stay reachable
        account = find_account(portal.engine, request.path_params["username"])
        if account is None:
            raise Problem(404, "no such account")
        return Caller(who, account=account)
    if target == "dispute":
        dispute = find_dispute(portal.engine, request.path_params["dispute_id"])
        producer = portal.directory.producer(dispute.producer_id) if dispute else None
        if dispute is None or producer is None or not access.sees_producer(who, producer):
            raise Problem(404, "no such dispute that you can see")
        return Caller(who, producer=producer, dispute=dispute)
    return Caller(who)


def _grant(who: Principal, board: Board, rule: Rule, params: dict[str, str],
           fields: dict[str, str]) -> Caller:
    """A grant target, resolved through the caller's reach (ids checked first)."""
    if rule.target == "form-programme":
        wanted = fields.get("programme_id", "")
        programme = _found(board, "programme", wanted)
        if not access.manages_province(who, board.programme(programme).province):
            raise Problem(403, f"programme {programme} is outside your province")
        return Caller(who, board=board)
    if rule.target == "call":
        call = board.call(_found(board, "call", params["call_id"]))
        if rule.write and who.role in ("admin", "officer") and not access.manages_call(
                who, board, call.id):
            raise Problem(403, f"call {call.id} is outside your province")
        return Caller(who, board=board, call=call)
    if rule.target == "agreement":
        agreement = board.agreement(_found(board, "agreement", params["agreement_id"]))
        application = board.application(board.award(agreement.award_id).application_id)
    else:
        application = board.application(_found(board, "application",
                                                params["application_id"]))
    if not access.sees_application(who, board, application):
        raise Problem(404, f"no such {rule.target} that you can see")
    call = board.call(application.call_id)
    if rule.write and who.role in ("admin", "officer") and not access.manages_call(
            who, board, call.id):
        raise Problem(403, f"call {call.id} is outside your province")
    return Caller(who, board=board, call=call, application=application)


def _found(board: Board, kind: str, wanted: str) -> str:
    """`wanted` when it is an id the board holds; 404 otherwise (a non-id included)."""
    if id_problem(wanted) is not None or not board.has(kind, wanted):
        raise Problem(404, f"no {kind} {wanted!r} that you can see")
    return wanted


def rule_of(route: APIRoute) -> Rule | None:
    """The rule a route declares (None when it declares none or more than one)."""
    doors = [d.call.rule for d in route.dependant.dependencies if isinstance(d.call, Door)]
    return doors[0] if len(doors) == 1 else None


def all_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, included routers opened (FastAPI keeps an included router as one
    entry of `app.routes` that holds the router it includes; its routes carry its prefix)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from all_routes(included.routes)
        else:
            yield route


def undeclared_routes(app: FastAPI) -> list[str]:
    """Routes that declare no rule (or several), as 'METHODS path'."""
    missing = []
    for route in all_routes(app.routes):
        if isinstance(route, APIRoute):
            if rule_of(route) is None:
                missing.append(f"{','.join(sorted(route.methods or ()))} {route.path}")
        elif not isinstance(route, Mount) and getattr(route, "path", "") not in OPEN_PATHS:
            missing.append(f"{getattr(route, 'path', route)!r}")
    return missing
