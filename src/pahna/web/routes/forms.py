"""Writes from the browser. Each declares what it needs through `allow` (the door checks
CSRF, scope, role and target) and is audit-logged with the credential used."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from pahna.calendar import JalaliMonth
from pahna.errors import PahnaError
from pahna.registry.producers import PrefixClaim, add_prefix_claim
from pahna.reviewing import answer_hold
from pahna.web import access, finals, views
from pahna.web.disputes import MAX_MESSAGE, answer_dispute, file_dispute
from pahna.web.drafts import recompute_draft
from pahna.web.pages import render
from pahna.web.permissions import Caller, allow
from pahna.web.portal import Portal, portal_of
from pahna.web.views import PERIOD_PATTERN

router = APIRouter(include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]
Period = Annotated[str, Form(pattern=PERIOD_PATTERN)]


@router.post("/producers/{producer_id}/disputes")
def dispute_form(caller: Annotated[Caller, allow("admin", "producer", scope="disputes:write",
                                                 target="producer", write=True)],
                 portal: PortalDep, period: Period,
                 message: Annotated[str, Form(max_length=MAX_MESSAGE)]) -> Response:
    producer = caller.producer
    assert producer is not None
    filed = file_dispute(portal.engine, producer.id, period, message, caller.who.name,
                         caller.credential)
    answer_hold(portal.workspace, filed.period, producer.id, filed.id, filed.message,
                caller.actor)
    return RedirectResponse(f"/producers/{producer.id}?period={period}#disputes",
                            status_code=303)


@router.post("/disputes/{dispute_id}/answer")
def answer_form(caller: Annotated[Caller, allow("admin", scope="disputes:write",
                                                target="dispute", write=True)],
                portal: PortalDep, answer: Annotated[str, Form(max_length=MAX_MESSAGE)],
                close: Annotated[bool, Form()] = False) -> Response:
    """The ministry answers a dispute (and may close it); the producer sees the answer."""
    assert caller.dispute is not None
    answer_dispute(portal.engine, caller.dispute.id, answer, close, caller.actor,
                   caller.credential)
    return RedirectResponse(f"/disputes#dispute-{caller.dispute.id}", status_code=303)


@router.post("/registry/claims")
def claim_form(request: Request,
               caller: Annotated[Caller, allow("admin", "officer", scope="registry:write",
                                               target="form-producer", write=True)],
               portal: PortalDep, prefix: Annotated[str, Form(max_length=64)],
               valid_from: Period, approve_nested: Annotated[bool, Form()] = False,
               ) -> Response:
    producer = caller.producer
    assert producer is not None
    error = None
    try:
        network = ipaddress.ip_network(prefix.strip(), strict=True)
        claim = PrefixClaim(producer.id, network, JalaliMonth.parse(valid_from).start_ms, None)
        add_prefix_claim(portal.engine, claim, approve_nested=approve_nested,
                         actor=caller.actor, approver=access.approver(caller.who),
                         credential=caller.credential)
        portal.claims.invalidate()
    except ValueError as exc:
        error = f"{prefix!r}: {exc}"
    except PahnaError as exc:
        error = str(exc)
    mine = None if caller.who.role == "admin" else {
        p.id for p in portal.directory.in_province(producer.province)}
    editable = [p for p in portal.directory.producers().values()
                if access.edits_claims(caller.who, p)]
    return render(request, "registry.html", status=400 if error else 200,
                  claims=portal.claims.claims(mine), editable=editable, error=error,
                  saved=error is None)


@router.post("/settlement/draft")
def draft_form(caller: Annotated[Caller, allow("admin", scope="settlement:write", write=True)],
               portal: PortalDep, period: Period) -> Response:
    chosen = views.choose_period(portal, period)
    finals.refuse_if_final(portal.workspace, portal.engine, chosen, caller.actor,
                           "a new draft from the portal", caller.credential)
    recompute_draft(portal.workspace, portal.engine, chosen, caller.actor, caller.credential)
    portal.snapshots.refresh(chosen)
    return RedirectResponse(f"/settlement?period={chosen}#changes", status_code=303)


@router.post("/settlement/finalize")
def finalize_form(caller: Annotated[Caller, allow("admin", scope="settlement:write",
                                                  write=True)],
                  portal: PortalDep, period: Period,
                  draft_sha256: Annotated[str, Form(pattern="^[0-9a-f]{64}$")]) -> Response:
    """Seal the reviewed draft as the period's final statement (the ministry only)."""
    chosen = views.choose_period(portal, period)
    finals.finalize_reviewed(portal.workspace, portal.engine, chosen, draft_sha256,
                             caller.actor, caller.credential)
    portal.snapshots.refresh(chosen)
    return RedirectResponse(f"/settlement?period={chosen}#state", status_code=303)
