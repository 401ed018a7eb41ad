"""The JSON API under /api/. Every route declares what it needs through `allow`: reads
need the `read` scope (a session holds every scope), writes their own scope, and a CSRF
header when they ride on a session cookie."""

from __future__ import annotations

import csv
import io
import ipaddress
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from pahna.calendar import JalaliMonth
from pahna.csvcells import csv_row
from pahna.errors import PeriodError
from pahna.registry.producers import PrefixClaim, add_prefix_claim
from pahna.reviewing import answer_hold
from pahna.web import access, finals, views
from pahna.web.claims import ClaimView
from pahna.web.disputes import (
    MAX_MESSAGE,
    Dispute,
    answer_dispute,
    file_dispute,
    find_dispute,
    list_disputes,
)
from pahna.web.permissions import Caller, allow
from pahna.web.portal import Portal, portal_of
from pahna.web.problems import ERROR_RESPONSES, Problem
from pahna.web.views import PERIOD_PATTERN

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)
Anyone = Annotated[Caller, allow("public")]
Ministry = Annotated[Caller, allow("admin", "auditor", scope="read")]
Reader = Annotated[Caller, allow("admin", "auditor", "officer", "producer", scope="read",
                                 target="producer")]
PortalDep = Annotated[Portal, Depends(portal_of)]
PeriodQuery = Annotated[str | None, Query(pattern=PERIOD_PATTERN,
                                          description="Jalali month, e.g. 1404-08")]
PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, description="Jalali month")]
ProducerPath = Annotated[str, Path(max_length=64, description="A producer id (a slug)")]


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
    status: str = Field(description="open, answered or closed")
    answer: str | None = None
    answered_by: str | None = None
    answered_ms: int | None = None


class AnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=MAX_MESSAGE)
    close: bool = False


class ClaimIn(BaseModel):
    prefix: str = Field(pattern=r"^[0-9A-Fa-f:.]{2,45}/\d{1,3}$", examples=["185.120.10.0/24"])
    valid_from: str = Field(pattern=PERIOD_PATTERN, examples=["1404-09"])
    approve_nested: bool = False


@router.get("/me", response_model=Me)
def me(caller: Anyone) -> Me:
    who = caller.who
    account = who.account
    return Me(username=account.username if account else None, role=who.role,
              province=account.province if account else None,
              producer_id=account.producer_id if account else None, scopes=sorted(who.scopes))


@router.get("/periods", response_model=list[str])
def periods(caller: Anyone, portal: PortalDep) -> list[str]:
    """Settled Jalali months, newest first (public)."""
    return portal.snapshots.periods()


@router.get("/public/{period}", response_model=views.PublicReport)
def public(caller: Anyone, period: PeriodPath, portal: PortalDep) -> views.PublicReport:
    """What was paid for a month, by province, producer type and producer (public): final
    statements only; a period without a final answers 404."""
    return views.public_report(portal, views.choose_period(portal, period))


@router.get("/public/{period}/csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def public_csv(caller: Anyone, period: PeriodPath, portal: PortalDep) -> Response:
    report = views.public_report(portal, views.choose_period(portal, period))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("period", "producer_id", "name", "name_fa", "province", "type",
                     "bytes", "amount_rial", "status", "revision", "content_hash"))
    for row in report.producers:
        writer.writerow(csv_row((report.period, row.id, row.name, row.name_fa, row.province,
                                 row.type, row.bytes, row.amount_rial, report.status,
                                 report.revision, report.content_hash)))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="pahna-{report.period}.csv"'})


@router.get("/overview", response_model=views.Overview)
def overview(caller: Ministry, portal: PortalDep, period: PeriodQuery = None
             ) -> views.Overview:
    return views.overview(portal, views.choose_period(portal, period))


@router.get("/provinces/{code}", response_model=views.ProvincePage)
def province(code: Annotated[str, Path(max_length=8)],
             caller: Annotated[Caller, allow("admin", "auditor", "officer", scope="read",
                                             target="province")],
             portal: PortalDep, period: PeriodQuery = None) -> views.ProvincePage:
    return views.province_page(portal, code, views.choose_period(portal, period))


@router.get("/producers", response_model=list[ProducerInfo])
def producers(caller: Annotated[Caller, allow("admin", "auditor", "officer", "producer",
                                              scope="read")],
              portal: PortalDep) -> list[ProducerInfo]:
    """The producers the caller may see."""
    return [ProducerInfo(id=p.id, name=p.name, name_fa=p.name_fa, province=p.province,
                         type=p.type)
            for p in portal.directory.producers().values()
            if access.sees_producer(caller.who, p)]


@router.get("/producers/{producer_id}/usage", response_model=views.ProducerUsage)
def usage(producer_id: ProducerPath, caller: Reader, portal: PortalDep,
          period: PeriodQuery = None,
          day: Annotated[int | None, Query(ge=1, le=31)] = None) -> views.ProducerUsage:
    """Traffic per day (by class) and per 5 minutes of one day."""
    assert caller.producer is not None
    return views.producer_usage(portal, caller.producer, views.choose_period(portal, period),
                                day)


@router.get("/producers/{producer_id}/statements/{period}",
            response_model=views.ProducerStatement)
def statement(producer_id: ProducerPath, period: PeriodPath, caller: Reader,
              portal: PortalDep) -> views.ProducerStatement:
    """The final statement in force (status final or paid, with its content hash), else
    the draft (status draft)."""
    assert caller.producer is not None
    chosen = views.choose_period(portal, period)
    return views.producer_statement(caller.producer, finals.shown(portal.workspace, chosen))


@router.get("/producers/{producer_id}/claims", response_model=list[ClaimOut])
def claims(producer_id: ProducerPath, caller: Reader, portal: PortalDep) -> list[ClaimOut]:
    assert caller.producer is not None
    return [_claim_out(c) for c in portal.claims.claims({caller.producer.id})]


def _claim_out(claim: ClaimView) -> ClaimOut:
    return ClaimOut(**claim.__dict__)


@router.post("/producers/{producer_id}/claims", response_model=ClaimOut, status_code=201)
def add_claim(producer_id: ProducerPath, body: ClaimIn,
              caller: Annotated[Caller, allow("admin", "officer", scope="registry:write",
                                              target="producer", write=True)],
              portal: PortalDep) -> ClaimOut:
    """Claim a prefix for the producer (its province's officer, or the ministry). A prefix
    nested in another producer's needs `approve_nested`; in another province's producer's,
    the ministry's approval."""
    producer = caller.producer
    assert producer is not None
    try:
        network = ipaddress.ip_network(body.prefix.strip(), strict=True)
        start = JalaliMonth.parse(body.valid_from).start_ms
    except (ValueError, PeriodError) as exc:
        raise Problem(400, f"{body.prefix!r}: {exc}") from exc
    add_prefix_claim(portal.engine, PrefixClaim(producer.id, network, start, None),
                     approve_nested=body.approve_nested, actor=caller.actor,
                     approver=access.approver(caller.who), credential=caller.credential)
    portal.claims.invalidate()
    newest = [c for c in portal.claims.claims({producer.id}) if c.value == str(network)]
    return _claim_out(newest[-1])


@router.get("/producers/{producer_id}/disputes", response_model=list[DisputeOut])
def disputes(producer_id: ProducerPath, caller: Reader, portal: PortalDep
             ) -> list[DisputeOut]:
    """The producer's disputes, newest first, with the ministry's answers."""
    assert caller.producer is not None
    return [_dispute_out(d) for d in list_disputes(portal.engine, {caller.producer.id})]


@router.post("/producers/{producer_id}/disputes", response_model=DisputeOut, status_code=201)
def add_dispute(producer_id: ProducerPath, body: DisputeIn,
                caller: Annotated[Caller, allow("admin", "producer", scope="disputes:write",
                                                target="producer", write=True)],
                portal: PortalDep) -> DisputeOut:
    assert caller.producer is not None
    try:
        JalaliMonth.parse(body.period)
    except PeriodError as exc:
        raise Problem(400, str(exc)) from exc
    filed = file_dispute(portal.engine, caller.producer.id, body.period, body.message,
                         caller.who.name, caller.credential)
    answer_hold(portal.workspace, filed.period, filed.producer_id, filed.id, filed.message,
                caller.actor)
    return _dispute_out(filed)


@router.post("/disputes/{dispute_id}/answer", response_model=DisputeOut)
def answer(dispute_id: Annotated[int, Path(ge=1)], body: AnswerIn,
           caller: Annotated[Caller, allow("admin", scope="disputes:write", target="dispute",
                                           write=True)],
           portal: PortalDep) -> DisputeOut:
    """The ministry's answer to a dispute (`close`: no further answer); the producer sees
    it with the dispute."""
    answer_dispute(portal.engine, dispute_id, body.answer, body.close, caller.actor,
                   caller.credential)
    answered = find_dispute(portal.engine, str(dispute_id))
    assert answered is not None
    return _dispute_out(answered)


def _dispute_out(dispute: Dispute) -> DisputeOut:
    return DisputeOut(**dispute.__dict__)
