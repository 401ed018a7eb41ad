"""The grant board's pages and the applicant's and reviewer's forms. Every route declares
what it needs through `allow` (targets call, application, agreement); the officers'
forms are in `grantoffice.py`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from pahna.grants import process
from pahna.grants.documents import DocumentStore, attach, document_id
from pahna.grants.history import Author
from pahna.grants.models import Application, Declaration, Report, Score
from pahna.ids import id_problem
from pahna.registry.producers import list_zones
from pahna.web import access, grantviews
from pahna.web.pages import render
from pahna.web.permissions import Caller, allow
from pahna.web.portal import Portal, portal_of
from pahna.web.problems import Problem

router = APIRouter(include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]
Anyone = Annotated[Caller, allow("public")]
AnyoneOnCall = Annotated[Caller, allow("public", target="call")]
Area = Annotated[Caller, allow("applicant", "reviewer", scope="read")]
Applying = Annotated[Caller, allow("applicant", scope="grants:write", target="call",
                                   write=True)]
Reading = Annotated[Caller, allow("admin", "auditor", "officer", "applicant", "reviewer",
                                  scope="read", target="application")]
Withdrawing = Annotated[Caller, allow("applicant", scope="grants:write",
                                      target="application", write=True)]
Reviewing = Annotated[Caller, allow("reviewer", scope="grants:write", target="application",
                                    write=True)]
Reporting = Annotated[Caller, allow("applicant", scope="grants:write", target="agreement",
                                    write=True)]
Text = Annotated[str, Form(max_length=5000)]


def author(caller: Caller) -> Author:
    return Author(caller.actor, caller.credential)


def back(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


@router.get("/grants")
def board_page(request: Request, caller: Anyone, portal: PortalDep) -> Response:
    board = portal.board()
    zones = {z.id: z for z in list_zones(portal.engine)}
    data = grantviews.board_page(board, portal.workspace.config.grants, zones)
    programmes = [p for p in board.programmes()
                  if access.manages_province(caller.who, p.province)]
    return render(request, "grants.html", data=data, programmes=programmes,
                  provinces=grantviews.managed_provinces(caller.who))


@router.get("/grants/calls/{call_id}")
def call_page(request: Request, caller: AnyoneOnCall) -> Response:
    assert caller.board is not None and caller.call is not None
    data = grantviews.call_page(caller.who, caller.board, caller.call)
    manages = access.manages_call(caller.who, caller.board, caller.call.id)
    return render(request, "grants_call.html", data=data, manages=manages)


@router.get("/grants/mine")
def mine_page(request: Request, caller: Area, portal: PortalDep) -> Response:
    return render(request, "grants_mine.html",
                  data=grantviews.my_page(caller.who, portal.board()))


@router.post("/grants/calls/{call_id}/apply")
async def apply(caller: Applying, portal: PortalDep,
                requested_rial: Annotated[int, Form(gt=0, lt=10**18)], summary: Text,
                proposal: Annotated[UploadFile, File()],
                declarations: Annotated[list[str], Form()]) -> Response:
    call, board = caller.call, caller.board
    assert call is not None and board is not None
    mine = access.applicant_of(caller.who, board)
    if mine is None:
        raise Problem(403, "this account acts for no applicant")
    app_id = process.application_id(call.id, mine.id)
    application = Application(
        id=app_id, call_id=call.id, applicant_id=mine.id, requested_rial=requested_rial,
        summary=summary, documents=(document_id(app_id, "proposal"),),
        declarations=tuple(declarations))
    process.check_application(board, application, grantviews.now_ms())
    limit = portal.workspace.config.grants.upload_max_bytes
    content = await proposal.read(limit + 1)
    attach(portal.engine, DocumentStore(portal.workspace.documents_dir), app_id, "proposal",
           proposal.filename or "", content, limit, author(caller))
    process.submit(portal.engine, application, author(caller))
    return back(f"/grants/applications/{app_id}")


@router.get("/grants/applications/{application_id}")
def application_page(request: Request, caller: Reading) -> Response:
    assert caller.board is not None and caller.call is not None
    data = grantviews.application_page(caller.who, caller.board, caller.application)
    manages = access.manages_call(caller.who, caller.board, caller.call.id)
    return render(request, "grants_application.html", data=data, manages=manages)


@router.get("/grants/applications/{application_id}/documents/{document_id}")
def document_file(caller: Reading, portal: PortalDep, document_id: str) -> Response:
    assert caller.application is not None and caller.board is not None
    found = [d for d in caller.board.documents(caller.application.id) if d.id == document_id]
    if id_problem(document_id) is not None or not found:
        raise Problem(404, "no such document that you can see")
    store = DocumentStore(portal.workspace.documents_dir)
    return Response(store.read(found[0].sha256), media_type=found[0].media_type, headers={
        "Content-Disposition": f'attachment; filename="{found[0].id}"'})


@router.post("/grants/applications/{application_id}/withdraw")
def withdraw_form(caller: Withdrawing, portal: PortalDep, reason: Text = "") -> Response:
    """The applicant withdraws its application (a new revision; OCDS tenderUpdate)."""
    assert caller.application is not None
    process.withdraw(portal.engine, caller.application.id, author(caller),
                     reason or "application withdrawn")
    return back(f"/grants/applications/{caller.application.id}")


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


@router.post("/grants/agreements/{agreement_id}/milestones/{milestone_id}/report")
def report_form(caller: Reporting, portal: PortalDep, agreement_id: str, milestone_id: str,
                text: Text) -> Response:
    assert caller.application is not None
    process.put_report(portal.engine, Report(
        id=process.report_id(agreement_id, milestone_of(caller, agreement_id, milestone_id)),
        agreement_id=agreement_id, milestone_id=milestone_id, text=text), author(caller))
    return back(f"/grants/applications/{caller.application.id}")


def milestone_of(caller: Caller, agreement_id: str, milestone_id: str) -> str:
    """`milestone_id` when it names a milestone of the agreement; 404 otherwise."""
    assert caller.board is not None
    if id_problem(milestone_id) is not None or caller.board.agreement(
            agreement_id).milestone(milestone_id) is None:
        raise Problem(404, f"no milestone {milestone_id!r} in {agreement_id}")
    return milestone_id
