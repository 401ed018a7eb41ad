"""The grant board's pages and forms. Every route declares its door (`grant_door`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from pahna.grants import process
from pahna.grants.documents import DocumentStore, attach, document_id
from pahna.grants.history import Author
from pahna.grants.models import (
    Agreement,
    Application,
    Award,
    Call,
    Declaration,
    Milestone,
    Report,
    Score,
)
from pahna.registry.instants import parse_instant
from pahna.web import grantviews
from pahna.web.grantdoors import GrantCaller, grant_door, manages_call
from pahna.web.pages import render
from pahna.web.portal import Portal, portal_of
from pahna.web.problems import Problem

router = APIRouter(include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]
Anyone = Annotated[GrantCaller, grant_door("public")]
Area = Annotated[GrantCaller, grant_door("applicant", "reviewer")]
Officer = Annotated[GrantCaller, grant_door("admin", "officer", write=True, target="call")]
NewCall = Annotated[GrantCaller, grant_door("admin", "officer", write=True,
                                            target="form-programme")]
Applying = Annotated[GrantCaller, grant_door("applicant", write=True, target="call")]
Reading = Annotated[GrantCaller, grant_door("admin", "auditor", "officer", "applicant",
                                            "reviewer", target="application")]
Reviewing = Annotated[GrantCaller, grant_door("reviewer", write=True, target="application")]
Reporting = Annotated[GrantCaller, grant_door("applicant", write=True, target="agreement")]
Deciding = Annotated[GrantCaller, grant_door("admin", "officer", write=True,
                                             target="agreement")]
Text = Annotated[str, Form(max_length=5000)]
Slug = Annotated[str, Form(max_length=64)]


def author(caller: GrantCaller) -> Author:
    return Author(caller.actor, caller.credential)


def back(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


@router.get("/grants")
def board_page(request: Request, caller: Anyone, portal: PortalDep) -> Response:
    data = grantviews.board_page(caller.board, portal.workspace.config.grants)
    programmes = [p for p in caller.board.programmes() if caller.who.role == "admin" or (
        caller.who.account is not None and caller.who.role == "officer"
        and caller.who.account.province == p.province)]
    return render(request, "grants.html", data=data, programmes=programmes)


@router.get("/grants/calls/{call_id}")
def call_page(request: Request, caller: Annotated[GrantCaller, grant_door(
        "public", target="call")]) -> Response:
    data = grantviews.call_page(caller)
    manages = caller.call is not None and manages_call(caller.who, caller.board,
                                                       caller.call.id)
    return render(request, "grants_call.html", data=data, manages=manages)


@router.get("/grants/mine")
def mine_page(request: Request, caller: Area) -> Response:
    return render(request, "grants_mine.html", data=grantviews.my_page(caller))


@router.post("/grants/calls")
def new_call(caller: NewCall, portal: PortalDep, call_id: Slug, programme_id: Slug,
             title: Annotated[str, Form(max_length=300)],
             opens: Annotated[str, Form(max_length=40)],
             closes: Annotated[str, Form(max_length=40)],
             max_award_rial: Annotated[int, Form(gt=0)], reviewers: Text, criteria: Text,
             scope: Text = "", zone_rule: Annotated[str, Form(max_length=16)] = "none",
             zone: Annotated[str, Form(max_length=64)] = "") -> Response:
    """criteria: `id:name:weight` separated by `;`; reviewers: usernames, comma-separated."""
    try:
        parts = [c.split(":") for c in criteria.split(";") if c.strip()]
        call = Call.model_validate({
            "id": call_id, "programme_id": programme_id, "title": title, "scope": scope,
            "criteria": [{"id": p[0].strip(), "name": p[1].strip(), "weight": int(p[2])}
                         for p in parts],
            "opens_ms": parse_instant(opens), "closes_ms": parse_instant(closes),
            "max_award_rial": max_award_rial, "zone_rule": zone_rule, "zone": zone or None,
            "reviewers": [r.strip() for r in reviewers.split(",") if r.strip()]})
    except (ValueError, IndexError) as exc:
        raise Problem(422, f"the call is not well-formed: {exc}") from exc
    process.put_call(portal.engine, call, author(caller))
    return back(f"/grants/calls/{call.id}")


@router.post("/grants/calls/{call_id}/close")
def close_call(caller: Officer, portal: PortalDep, reason: Text) -> Response:
    assert caller.call is not None
    process.close_call_now(portal.engine, caller.call.id, author(caller), reason or "closed")
    return back(f"/grants/calls/{caller.call.id}")


@router.post("/grants/calls/{call_id}/apply")
async def apply(caller: Applying, portal: PortalDep,
                requested_rial: Annotated[int, Form(gt=0)], summary: Text,
                proposal: Annotated[UploadFile, File()],
                declarations: Annotated[list[str], Form()]) -> Response:
    call, mine = caller.call, caller.applicant()
    assert call is not None
    if mine is None:
        raise Problem(403, "this account acts for no applicant")
    app_id = process.application_id(call.id, mine.id)
    application = Application(
        id=app_id, call_id=call.id, applicant_id=mine.id, requested_rial=requested_rial,
        summary=summary, documents=(document_id(app_id, "proposal"),),
        declarations=tuple(declarations))
    process.check_application(caller.board, application, grantviews.now_ms())
    limit = portal.workspace.config.grants.upload_max_bytes
    content = await proposal.read(limit + 1)
    attach(portal.engine, DocumentStore(portal.workspace.documents_dir), app_id, "proposal",
           proposal.filename or "", content, limit, author(caller))
    process.submit(portal.engine, application, author(caller))
    return back(f"/grants/applications/{app_id}")


@router.get("/grants/applications/{application_id}")
def application_page(request: Request, caller: Reading) -> Response:
    data = grantviews.application_page(caller)
    manages = caller.call is not None and manages_call(caller.who, caller.board,
                                                       caller.call.id)
    return render(request, "grants_application.html", data=data, manages=manages)


@router.get("/grants/applications/{application_id}/documents/{document_id}")
def document_file(caller: Reading, portal: PortalDep, document_id: str) -> Response:
    assert caller.application is not None
    found = [d for d in caller.board.documents(caller.application.id) if d.id == document_id]
    if not found:
        raise Problem(404, "no such document that you can see")
    store = DocumentStore(portal.workspace.documents_dir)
    return Response(store.read(found[0].sha256), media_type=found[0].media_type, headers={
        "Content-Disposition": f'attachment; filename="{found[0].id}"'})


@router.post("/grants/applications/{application_id}/declaration")
def declaration_form(caller: Reviewing, portal: PortalDep,
                     conflict: Annotated[bool, Form()] = False, reason: Text = "") -> Response:
    assert caller.application is not None
    app_id = caller.application.id
    process.declare(portal.engine, Declaration(
        id=process.declaration_id(app_id, caller.who.name), application_id=app_id,
        reviewer=caller.who.name, conflict=conflict, reason=reason), author(caller))
    return back(f"/grants/applications/{app_id}")


@router.post("/grants/applications/{application_id}/score")
async def score_form(request: Request, caller: Reviewing, portal: PortalDep,
                     comment: Text = "") -> Response:
    assert caller.application is not None and caller.call is not None
    form = await request.form()
    try:
        marks = {c.id: int(str(form.get(f"mark_{c.id}", ""))) for c in caller.call.criteria}
    except ValueError as exc:
        raise Problem(422, "every criterion needs a whole mark") from exc
    app_id = caller.application.id
    process.put_score(portal.engine, Score(
        id=f"{app_id}:{caller.who.name}", application_id=app_id, reviewer=caller.who.name,
        marks=marks, comment=comment), author(caller))
    return back(f"/grants/applications/{app_id}")


@router.post("/grants/calls/{call_id}/awards")
def award_form(caller: Officer, portal: PortalDep, application_id: Slug,
               amount_rial: Annotated[int, Form(gt=0)], reasons: Text,
               change_reason: Text = "") -> Response:
    assert caller.call is not None
    applicant_id = caller.board.application(application_id).applicant_id
    award = Award(id=f"award-{caller.call.id}-{applicant_id}"[:64].rstrip("-"),
                  call_id=caller.call.id, application_id=application_id,
                  amount_rial=amount_rial, reasons=reasons)
    process.put_award(portal.engine, award, author(caller),
                      change_reason or "award published")
    return back(f"/grants/applications/{application_id}")


@router.post("/grants/calls/{call_id}/agreements")
async def agreement_form(request: Request, caller: Officer, portal: PortalDep,
                         award_id: Slug) -> Response:
    """Milestones as fields title_N, due_N (a date) and tranche_N, N = 1, 2, 3."""
    form = await request.form()
    award = caller.board.award(award_id)
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


@router.post("/grants/agreements/{agreement_id}/milestones/{milestone_id}/report")
def report_form(caller: Reporting, portal: PortalDep, agreement_id: str, milestone_id: str,
                text: Text) -> Response:
    assert caller.application is not None
    process.put_report(portal.engine, Report(
        id=process.report_id(agreement_id, milestone_id), agreement_id=agreement_id,
        milestone_id=milestone_id, text=text), author(caller))
    return back(f"/grants/applications/{caller.application.id}")


@router.post("/grants/agreements/{agreement_id}/milestones/{milestone_id}/decision")
def decision_form(caller: Deciding, portal: PortalDep, agreement_id: str, milestone_id: str,
                  accept: Annotated[bool, Form()] = False, reason: Text = "") -> Response:
    assert caller.application is not None
    process.decide_report(portal.engine, process.report_id(agreement_id, milestone_id),
                          accept, reason, author(caller))
    return back(f"/grants/applications/{caller.application.id}")
