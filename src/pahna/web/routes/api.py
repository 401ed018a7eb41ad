"""The JSON API under /api/. Reads need the `read` scope (or a session); writes need
their own scope, and a CSRF header when they ride on a session cookie."""

from __future__ import annotations

import csv
import io
import ipaddress
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from pahna.calendar import JalaliMonth
from pahna.errors import PeriodError
from pahna.parties import Producer
from pahna.registry.producers import PrefixClaim, add_prefix_claim
from pahna.web import access, finals, views
from pahna.web.auth import Principal, check_csrf, principal, require_scope
from pahna.web.claims import ClaimView
from pahna.web.disputes import MAX_MESSAGE, Dispute, file_dispute, list_disputes
from pahna.web.portal import Portal, portal_of
from pahna.web.problems import ERROR_RESPONSES, Problem
from pahna.web.views import PERIOD_PATTERN

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)
Who = Annotated[Principal, Depends(principal)]
PortalDep = Annotated[Portal, Depends(portal_of)]
PeriodQuery = Annotated[str | None, Query(pattern=PERIOD_PATTERN,
                                          description="Jalali month, e.g. 1404-08")]
PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, description="Jalali month")]
ProducerPath = Annotated[str, Path(max_length=64)]


class Me(BaseModel):
    username: str | None
    role: str
    province: str | None = None
    producer_id: str | None = None
    scopes: list[str]


class ProducerInfo(BaseModel):
    id: str
    name: str
    name_fa: str
    province: str
    type: str


class ClaimOut(BaseModel):
    id: int
    producer_id: str
    kind: str
    value: str
    valid_from_ms: int
    valid_to_ms: int | None
    nested_approved: bool
    overlaps: list[str]


class DisputeIn(BaseModel):
    period: str = Field(pattern=PERIOD_PATTERN, examples=["1404-08"])
    message: str = Field(min_length=1, max_length=MAX_MESSAGE)


class DisputeOut(BaseModel):
    id: int
    producer_id: str
    period: str
    message: str
    author: str
    at_ms: int
    status: str


class ClaimIn(BaseModel):
    prefix: str = Field(pattern=r"^[0-9A-Fa-f:.]{2,45}/\d{1,3}$", examples=["185.120.10.0/24"])
    valid_from: str = Field(pattern=PERIOD_PATTERN, examples=["1404-09"])
    approve_nested: bool = False


def _reader(who: Principal) -> Principal:
    require_scope(who, "read")
    return who


def _producer(portal: Portal, who: Principal, producer_id: str) -> Producer:
    require_scope(who, "read")
    return access.visible_producer(who, portal.directory.producer(producer_id), producer_id)


@router.get("/me", response_model=Me)
def me(who: Who) -> Me:
    account = who.account
    return Me(username=account.username if account else None, role=who.role,
              province=account.province if account else None,
              producer_id=account.producer_id if account else None, scopes=sorted(who.scopes))


@router.get("/periods", response_model=list[str])
def periods(portal: PortalDep) -> list[str]:
    """Settled Jalali months, newest first (public)."""
    return portal.snapshots.periods()


@router.get("/public/{period}", response_model=views.PublicReport)
def public(period: PeriodPath, portal: PortalDep) -> views.PublicReport:
    """What was paid for a month, by province, producer type and producer (public): final
    statements only; a period without a final answers 404."""
    return views.public_report(portal, views.choose_period(portal, period))


@router.get("/public/{period}/csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def public_csv(period: PeriodPath, portal: PortalDep) -> Response:
    report = views.public_report(portal, views.choose_period(portal, period))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("period", "producer_id", "name", "name_fa", "province", "type",
                     "bytes", "amount_rial", "status", "revision", "content_hash"))
    for row in report.producers:
        writer.writerow((report.period, row.id, _csv_text(row.name), _csv_text(row.name_fa),
                         row.province, row.type, row.bytes, row.amount_rial, report.status,
                         report.revision, report.content_hash))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="pahna-{report.period}.csv"'})


def _csv_text(text: str) -> str:
    """Neutralise spreadsheet formulas in free text (=, +, -, @ at the start)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/overview", response_model=views.Overview)
def overview(who: Who, portal: PortalDep, period: PeriodQuery = None) -> views.Overview:
    access.require_nation(_reader(who))
    return views.overview(portal, views.choose_period(portal, period))


@router.get("/provinces/{code}", response_model=views.ProvincePage)
def province(code: Annotated[str, Path(max_length=8)], who: Who, portal: PortalDep,
             period: PeriodQuery = None) -> views.ProvincePage:
    access.require_province(_reader(who), code)
    return views.province_page(portal, code, views.choose_period(portal, period))


@router.get("/producers", response_model=list[ProducerInfo])
def producers(who: Who, portal: PortalDep) -> list[ProducerInfo]:
    """The producers the caller may see."""
    _reader(who)
    return [ProducerInfo(id=p.id, name=p.name, name_fa=p.name_fa, province=p.province,
                         type=p.type)
            for p in portal.directory.producers().values() if access.sees_producer(who, p)]


@router.get("/producers/{producer_id}/usage", response_model=views.ProducerUsage)
def usage(producer_id: ProducerPath, who: Who, portal: PortalDep, period: PeriodQuery = None,
          day: Annotated[int | None, Query(ge=1, le=31)] = None) -> views.ProducerUsage:
    """Traffic per day (by class) and per 5 minutes of one day."""
    producer = _producer(portal, who, producer_id)
    return views.producer_usage(portal, producer, views.choose_period(portal, period), day)


@router.get("/producers/{producer_id}/statements/{period}",
            response_model=views.ProducerStatement)
def statement(producer_id: ProducerPath, period: PeriodPath, who: Who,
              portal: PortalDep) -> views.ProducerStatement:
    """The final statement in force (status final or paid, with its content hash), else
    the draft (status draft)."""
    producer = _producer(portal, who, producer_id)
    chosen = views.choose_period(portal, period)
    return views.producer_statement(producer, finals.shown(portal.workspace, chosen))


@router.get("/producers/{producer_id}/claims", response_model=list[ClaimOut])
def claims(producer_id: ProducerPath, who: Who, portal: PortalDep) -> list[ClaimOut]:
    producer = _producer(portal, who, producer_id)
    return [_claim_out(c) for c in portal.claims.claims({producer.id})]


def _claim_out(claim: ClaimView) -> ClaimOut:
    return ClaimOut(**claim.__dict__)


@router.post("/producers/{producer_id}/claims", response_model=ClaimOut, status_code=201)
def add_claim(request: Request, producer_id: ProducerPath, body: ClaimIn, who: Who,
              portal: PortalDep) -> ClaimOut:
    producer = _producer(portal, who, producer_id)
    _check_write(request, who, "registry:write")
    if not access.edits_claims(who, producer):
        raise Problem(403, "only the province's officer or the ministry edits claims")
    try:
        network = ipaddress.ip_network(body.prefix.strip(), strict=True)
        start = JalaliMonth.parse(body.valid_from).start_ms
    except (ValueError, PeriodError) as exc:
        raise Problem(400, f"{body.prefix!r}: {exc}") from exc
    add_prefix_claim(portal.engine, PrefixClaim(producer.id, network, start, None),
                     approve_nested=body.approve_nested, actor=f"web:{who.name}")
    portal.claims.invalidate()
    newest = [c for c in portal.claims.claims({producer.id}) if c.value == str(network)]
    return _claim_out(newest[-1])


@router.get("/producers/{producer_id}/disputes", response_model=list[DisputeOut])
def disputes(producer_id: ProducerPath, who: Who, portal: PortalDep) -> list[DisputeOut]:
    producer = _producer(portal, who, producer_id)
    return [_dispute_out(d) for d in list_disputes(portal.engine, {producer.id})]


@router.post("/producers/{producer_id}/disputes", response_model=DisputeOut, status_code=201)
def add_dispute(request: Request, producer_id: ProducerPath, body: DisputeIn, who: Who,
                portal: PortalDep) -> DisputeOut:
    producer = _producer(portal, who, producer_id)
    _check_write(request, who, "disputes:write")
    if not access.disputes_for(who, producer):
        raise Problem(403, "only the producer (or the ministry) files its disputes")
    try:
        JalaliMonth.parse(body.period)
    except PeriodError as exc:
        raise Problem(400, str(exc)) from exc
    return _dispute_out(file_dispute(portal.engine, producer.id, body.period, body.message,
                                     who.name))


def _dispute_out(dispute: Dispute) -> DisputeOut:
    return DisputeOut(**dispute.__dict__)


def _check_write(request: Request, who: Principal, scope: str) -> None:
    require_scope(who, scope)
    if who.via == "session":
        check_csrf(request, None)
