"""Server-rendered pages. Each declares who may see it (`allow`), then reads a snapshot."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from pahna.calendar import JalaliMonth
from pahna.reviewing import producer_holds, public_integrity
from pahna.web import access, finals, views
from pahna.web.disputes import list_disputes
from pahna.web.drafts import last_draft
from pahna.web.pages import render
from pahna.web.permissions import Caller, allow
from pahna.web.portal import Portal, portal_of
from pahna.web.problems import Problem
from pahna.web.states import cached_state
from pahna.web.views import PERIOD_PATTERN

router = APIRouter(include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]
PeriodQuery = Annotated[str | None, Query(pattern=PERIOD_PATTERN)]
Anyone = Annotated[Caller, allow("public")]
Ministry = Annotated[Caller, allow("admin", "auditor", scope="read")]
Reader = Annotated[Caller, allow("admin", "auditor", "officer", "producer", scope="read",
                                 target="producer")]


@router.get("/")
def home(caller: Anyone) -> Response:
    who = caller.who
    if access.sees_nation(who):
        return RedirectResponse("/overview", status_code=303)
    if who.role == "officer" and who.account and who.account.province:
        return RedirectResponse(f"/provinces/{who.account.province}", status_code=303)
    if who.role == "producer" and who.account and who.account.producer_id:
        return RedirectResponse(f"/producers/{who.account.producer_id}", status_code=303)
    return RedirectResponse("/public", status_code=303)


@router.get("/overview")
def overview_page(request: Request, caller: Ministry, portal: PortalDep,
                  period: PeriodQuery = None) -> Response:
    chosen = views.choose_period(portal, period)
    data = views.overview(portal, chosen)
    return render(request, "overview.html", data=data, periods=portal.snapshots.periods())


@router.get("/provinces/{code}")
def province_page(request: Request,
                  caller: Annotated[Caller, allow("admin", "auditor", "officer", scope="read",
                                                  target="province")],
                  portal: PortalDep, period: PeriodQuery = None) -> Response:
    assert caller.province is not None
    chosen = views.choose_period(portal, period)
    data = views.province_page(portal, caller.province, chosen)
    return render(request, "province.html", data=data, periods=portal.snapshots.periods())


@router.get("/producers/{producer_id}")
def producer_page(request: Request, caller: Reader, portal: PortalDep,
                  period: PeriodQuery = None,
                  day: Annotated[int | None, Query(ge=1, le=31)] = None) -> Response:
    producer = caller.producer
    assert producer is not None
    chosen = views.choose_period(portal, period)
    usage = views.producer_usage(portal, producer, chosen, day)
    periods = portal.snapshots.periods()
    return render(
        request, "producer.html", usage=usage, producer=producer, periods=periods,
        states={p: cached_state(portal.workspace.home, p) for p in periods},
        claims=portal.claims.claims({producer.id}),
        disputes=list_disputes(portal.engine, {producer.id}),
        can_dispute=access.disputes_for(caller.who, producer),
        held=producer_holds(portal.workspace, chosen, producer.id),
        day_start_ms=JalaliMonth.parse(chosen).start_ms + (usage.day - 1) * 86_400_000)


@router.get("/producers/{producer_id}/statements/{period}")
def statement_page(caller: Reader, period: str, portal: PortalDep,
                   format: Annotated[str, Query(pattern="^(html|csv)$")] = "html",
                   ) -> Response:
    """The final statement in force (it carries its seal's hash), else the draft; the
    X-Pahna-Status header says which."""
    producer = caller.producer
    assert producer is not None
    chosen = views.choose_period(portal, period)
    statements = finals.shown(portal.workspace, chosen)
    path = statements.statement_file(producer.id, format)
    if path is None:
        raise Problem(404, f"no statement for {producer.id} in {chosen}")
    media = "text/html; charset=utf-8" if format == "html" else "text/csv; charset=utf-8"
    response = FileResponse(path, media_type=media)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; font-src 'self'")
    response.headers["X-Pahna-Status"] = statements.label
    if statements.state.content_hash and statements.final:
        response.headers["X-Pahna-Content-Hash"] = statements.state.content_hash
    return response


@router.get("/settlement")
def settlement_page(request: Request, caller: Ministry, portal: PortalDep,
                    period: PeriodQuery = None) -> Response:
    return _settlement(request, portal, views.choose_period(portal, period), review=False)


@router.get("/settlement/review")
def review_page(request: Request, caller: Annotated[Caller, allow("admin", scope="read")],
                portal: PortalDep, period: PeriodQuery = None) -> Response:
    """The draft as it would be sealed, with what changed since the draft before it, and
    the finalize form (the ministry only)."""
    return _settlement(request, portal, views.choose_period(portal, period), review=True)


def _settlement(request: Request, portal: Portal, period: str, review: bool) -> Response:
    statements = finals.shown(portal.workspace, period)
    return render(request, "settlement.html", data=views.period_report(portal, statements),
                  state=statements.state, review=review and not statements.final,
                  periods=portal.snapshots.periods(), draft=last_draft(portal.engine, period),
                  disputes=list_disputes(portal.engine))


@router.get("/disputes")
def disputes_page(request: Request, caller: Ministry, portal: PortalDep) -> Response:
    """Every dispute with its answer; the ministry answers and closes them here."""
    return render(request, "disputes.html", disputes=list_disputes(portal.engine))


@router.get("/registry")
def registry_page(request: Request,
                  caller: Annotated[Caller, allow("admin", "officer", "auditor", scope="read")],
                  portal: PortalDep) -> Response:
    who = caller.who
    mine = None
    if who.role == "officer" and who.account and who.account.province:
        mine = {p.id for p in portal.directory.in_province(who.account.province)}
    producers = sorted(portal.directory.producers().values(), key=lambda p: p.id)
    editable = [p for p in producers if access.edits_claims(who, p)]
    return render(request, "registry.html", claims=portal.claims.claims(mine),
                  editable=editable)


@router.get("/public")
def public_page(request: Request, caller: Anyone, portal: PortalDep,
                period: PeriodQuery = None) -> Response:
    """Final (or paid) statements only; a period without one says so and shows no figures."""
    chosen = views.choose_public_period(portal, period)
    state = finals.shown(portal.workspace, chosen).state
    data = views.public_report(portal, chosen) if state.closed else None
    totals = public_integrity(portal.workspace, chosen) if state.closed else None
    return render(request, "public.html", data=data, period=chosen, state=state,
                  periods=portal.snapshots.periods(), integrity=totals)
