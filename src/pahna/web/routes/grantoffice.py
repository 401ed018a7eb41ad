"""The grant board's officer forms: programmes, calls (open, close early, cancel), awards,
agreements and milestone decisions, for the ministry anywhere and an officer in its own
province. Each declares what it needs through `allow` (targets province, programme,
call, agreement); ids in forms are checked with `pahna.ids.check_id` (400)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from pahna.grants import process
from pahna.grants.models import Agreement, Award, Call, Milestone, Programme
from pahna.ids import check_id
from pahna.registry.instants import parse_instant
from pahna.web import grantviews
from pahna.web.permissions import Caller, allow
from pahna.web.portal import Portal, portal_of
from pahna.web.problems import Problem
from pahna.web.routes.grants import author, back, milestone_of

router = APIRouter(include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]
OFFICERS = ("admin", "officer")
InProvince = Annotated[Caller, allow(*OFFICERS, scope="grants:write", target="province",
                                     write=True)]
NewCall = Annotated[Caller, allow(*OFFICERS, scope="grants:write", target="form-programme",
                                  write=True)]
OnCall = Annotated[Caller, allow(*OFFICERS, scope="grants:write", target="call", write=True)]
Deciding = Annotated[Caller, allow(*OFFICERS, scope="grants:write", target="agreement",
                                   write=True)]
Text = Annotated[str, Form(max_length=5000)]
Slug = Annotated[str, Form(max_length=64)]
Title = Annotated[str, Form(max_length=300)]


@router.post("/grants/provinces/{code}/programmes")
def new_programme(caller: InProvince, portal: PortalDep, programme_id: Slug, title: Title,
                  year: Annotated[int, Form(ge=1390, le=1500)],
                  budget_rial: Annotated[int, Form(gt=0, lt=10**18)], title_fa: Title = "",
                  zone: Slug = "", buyer: Title = "") -> Response:
    """Open a programme (a budget line) in the province, or revise one of its own."""
    assert caller.province is not None
    board = portal.board()
    check_id("programme", programme_id)
    if board.has("programme", programme_id) and (
            board.programme(programme_id).province != caller.province):
        raise Problem(409, f"programme {programme_id} belongs to another province")
    programme = Programme(id=programme_id, title=title, title_fa=title_fa,
                          province=caller.province,
                          zone=check_id("zone", zone) if zone else None, year=year,
                          budget_rial=budget_rial, buyer=buyer)
    reason = "programme revised" if board.has("programme", programme_id) else None
    process.put_programme(portal.engine, programme, author(caller),
                          reason or "programme opened")
    return back("/grants#programmes")


@router.post("/grants/calls")
def new_call(caller: NewCall, portal: PortalDep, call_id: Slug, programme_id: Slug,
             title: Title, opens: Annotated[str, Form(max_length=40)],
             closes: Annotated[str, Form(max_length=40)],
             max_award_rial: Annotated[int, Form(gt=0, lt=10**18)], reviewers: Text,
             criteria: Text, scope: Text = "", title_fa: Title = "",
             zone_rule: Annotated[str, Form(max_length=16)] = "none",
             zone: Slug = "") -> Response:
    """criteria: `id:name:weight` separated by `;`; reviewers: account names, by commas."""
    check_id("call", call_id)
    names = [check_id("account", r.strip()) for r in reviewers.split(",") if r.strip()]
    try:
        parts = [c.split(":") for c in criteria.split(";") if c.strip()]
        call = Call.model_validate({
            "id": call_id, "programme_id": programme_id, "title": title,
            "title_fa": title_fa, "scope": scope,
            "criteria": [{"id": check_id("criterion", p[0].strip()), "name": p[1].strip(),
                          "weight": int(p[2])} for p in parts],
            "opens_ms": parse_instant(opens), "closes_ms": parse_instant(closes),
            "max_award_rial": max_award_rial, "zone_rule": zone_rule,
            "zone": check_id("zone", zone) if zone else None, "reviewers": names})
    except (ValueError, IndexError) as exc:
        raise Problem(422, f"the call is not well-formed: {exc}") from exc
    process.put_call(portal.engine, call, author(caller))
    return back(f"/grants/calls/{call.id}")


@router.post("/grants/calls/{call_id}/close")
def close_call(caller: OnCall, portal: PortalDep, reason: Text) -> Response:
    assert caller.call is not None
    process.close_call_now(portal.engine, caller.call.id, author(caller), reason or "closed")
    return back(f"/grants/calls/{caller.call.id}")


@router.post("/grants/calls/{call_id}/cancel")
def cancel_call(caller: OnCall, portal: PortalDep, reason: Text) -> Response:
    """Cancel the call (OCDS tenderCancellation); refused once it has an active award."""
    assert caller.call is not None
    process.cancel_call(portal.engine, caller.call.id, author(caller), reason)
    return back(f"/grants/calls/{caller.call.id}")


@router.post("/grants/calls/{call_id}/awards")
def award_form(caller: OnCall, portal: PortalDep, application_id: Slug,
               amount_rial: Annotated[int, Form(gt=0, lt=10**18)], reasons: Text,
               change_reason: Text = "") -> Response:
    """Publish the application's award, or revise the one it has (a new revision)."""
    assert caller.call is not None and caller.board is not None
    check_id("application", application_id)
    applicant_id = caller.board.application(application_id).applicant_id
    held = next((a.id for a in caller.board.awards(caller.call.id)
                 if a.application_id == application_id), None)
    award = Award(id=held or f"award-{caller.call.id}-{applicant_id}"[:64].rstrip("-"),
                  call_id=caller.call.id, application_id=application_id,
                  amount_rial=amount_rial, reasons=reasons)
    process.put_award(portal.engine, award, author(caller),
                      change_reason or "award published")
    return back(f"/grants/applications/{application_id}")


@router.post("/grants/calls/{call_id}/agreements")
async def agreement_form(request: Request, caller: OnCall, portal: PortalDep,
                         award_id: Slug) -> Response:
    """Milestones as fields title_N, due_N (a date) and tranche_N, N = 1, 2, 3."""
    assert caller.board is not None and caller.call is not None
    award = caller.board.award(check_id("award", award_id))
    if award.call_id != caller.call.id:
        raise Problem(404, f"no award {award_id} in call {caller.call.id}")
    form = await request.form()
    try:
        milestones = tuple(Milestone(
            id=f"m{n}", title=str(form[f"title_{n}"]), deliverable=str(form.get(
                f"deliverable_{n}", "")), due_ms=parse_instant(str(form[f"due_{n}"])),
            tranche_rial=int(str(form[f"tranche_{n}"])))
            for n in (1, 2, 3) if form.get(f"title_{n}"))
        agreement = Agreement(id=f"agr-{award.id}"[:64].rstrip("-"), award_id=award.id,
                              value_rial=sum(m.tranche_rial for m in milestones),
                              signed_ms=grantviews.now_ms(), milestones=milestones)
    except (KeyError, ValueError) as exc:
        raise Problem(422, f"the agreement is not well-formed: {exc}") from exc
    process.sign(portal.engine, agreement, author(caller))
    return back(f"/grants/applications/{award.application_id}")


@router.post("/grants/agreements/{agreement_id}/milestones/{milestone_id}/decision")
def decision_form(caller: Deciding, portal: PortalDep, agreement_id: str, milestone_id: str,
                  accept: Annotated[bool, Form()] = False, reason: Text = "") -> Response:
    assert caller.application is not None
    milestone = milestone_of(caller, agreement_id, milestone_id)
    process.decide_report(portal.engine, process.report_id(agreement_id, milestone),
                          accept, reason, author(caller))
    return back(f"/grants/applications/{caller.application.id}")
