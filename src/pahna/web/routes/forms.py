"""Writes from the browser: each checks CSRF and access, and is audit-logged."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from pahna.calendar import JalaliMonth
from pahna.errors import ClaimConflictError, PahnaError
from pahna.registry.producers import PrefixClaim, add_prefix_claim
from pahna.web import access, finals, views
from pahna.web.auth import Principal, check_csrf, principal
from pahna.web.disputes import MAX_MESSAGE, file_dispute
from pahna.web.drafts import recompute_draft
from pahna.web.pages import render
from pahna.web.portal import Portal, portal_of
from pahna.web.problems import Problem
from pahna.web.views import PERIOD_PATTERN

router = APIRouter(include_in_schema=False)
Who = Annotated[Principal, Depends(principal)]
PortalDep = Annotated[Portal, Depends(portal_of)]
Csrf = Annotated[str, Form()]


@router.post("/producers/{producer_id}/disputes")
def dispute_form(request: Request, producer_id: str, who: Who, portal: PortalDep,
                 period: Annotated[str, Form(pattern=PERIOD_PATTERN)],
                 message: Annotated[str, Form(max_length=MAX_MESSAGE)],
                 csrf_token: Csrf = "") -> Response:
    check_csrf(request, csrf_token)
    producer = access.visible_producer(who, portal.directory.producer(producer_id),
                                       producer_id)
    if not access.disputes_for(who, producer):
        raise Problem(403, "only the producer (or the ministry) files its disputes")
    file_dispute(portal.engine, producer.id, period, message, who.name)
    return RedirectResponse(f"/producers/{producer.id}?period={period}#disputes",
                            status_code=303)


@router.post("/registry/claims")
def claim_form(request: Request, who: Who, portal: PortalDep,
               producer_id: Annotated[str, Form(max_length=64)],
               prefix: Annotated[str, Form(max_length=64)],
               valid_from: Annotated[str, Form(pattern=PERIOD_PATTERN)],
               approve_nested: Annotated[bool, Form()] = False,
               csrf_token: Csrf = "") -> Response:
    check_csrf(request, csrf_token)
    producer = access.visible_producer(who, portal.directory.producer(producer_id),
                                       producer_id)
    if not access.edits_claims(who, producer):
        raise Problem(403, "only the province's officer or the ministry edits claims")
    error = None
    try:
        network = ipaddress.ip_network(prefix.strip(), strict=True)
        claim = PrefixClaim(producer.id, network, JalaliMonth.parse(valid_from).start_ms, None)
        add_prefix_claim(portal.engine, claim, approve_nested=approve_nested,
                         actor=f"web:{who.name}")
        portal.claims.invalidate()
    except ValueError as exc:
        error = f"{prefix!r}: {exc}"
    except (ClaimConflictError, PahnaError) as exc:
        error = str(exc)
    mine = None if who.role == "admin" else {p.id for p in
                                              portal.directory.in_province(producer.province)}
    editable = [p for p in portal.directory.producers().values()
                if access.edits_claims(who, p)]
    return render(request, "registry.html", status=400 if error else 200,
                  claims=portal.claims.claims(mine), editable=editable, error=error,
                  saved=error is None)


@router.post("/settlement/draft")
def draft_form(request: Request, who: Who, portal: PortalDep,
               period: Annotated[str, Form(pattern=PERIOD_PATTERN)],
               csrf_token: Csrf = "") -> Response:
    check_csrf(request, csrf_token)
    if who.role != "admin":
        raise Problem(403, "only the ministry recomputes a settlement draft")
    chosen = views.choose_period(portal, period)
    finals.refuse_if_final(portal.workspace, portal.engine, chosen, f"web:{who.name}",
                           "a new draft from the portal")
    recompute_draft(portal.workspace, portal.engine, chosen, f"web:{who.name}")
    portal.snapshots.drop(chosen)
    return RedirectResponse(f"/settlement?period={chosen}#changes", status_code=303)


@router.post("/settlement/finalize")
def finalize_form(request: Request, who: Who, portal: PortalDep,
                  period: Annotated[str, Form(pattern=PERIOD_PATTERN)],
                  draft_sha256: Annotated[str, Form(pattern="^[0-9a-f]{64}$")],
                  csrf_token: Csrf = "") -> Response:
    """Seal the reviewed draft as the period's final statement (the ministry only)."""
    check_csrf(request, csrf_token)
    if who.role != "admin":
        raise Problem(403, "only the ministry finalizes a settlement")
    chosen = views.choose_period(portal, period)
    finals.finalize_reviewed(portal.workspace, portal.engine, chosen, draft_sha256,
                             f"web:{who.name}")
    portal.snapshots.drop(chosen)
    return RedirectResponse(f"/settlement?period={chosen}#state", status_code=303)
