"""What the grant board's pages show, prepared from the board (no HTML here)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from pahna.grants.board import Board
from pahna.grants.config import GrantSettings
from pahna.grants.flags import red_flags
from pahna.grants.models import Application, Call
from pahna.grants.ranking import rank_call
from pahna.parties import Zone
from pahna.registry.provinces import BY_CODE, PROVINCES, Province
from pahna.web.access import applicant_of, manages_province, sees_application
from pahna.web.auth import Principal


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def board_page(board: Board, settings: GrantSettings, zones: Mapping[str, Zone] | None = None
               ) -> dict[str, Any]:
    """The public board: calls, awards, agreements, payments, flags and figures (places
    named in both languages: province, and the zone's names when `zones` holds it)."""
    now = now_ms()
    awards = [a for a in board.awards() if a.status == "active"]
    by_place: dict[tuple[str, str, str, str], int] = defaultdict(int)
    students = 0
    for award in awards:
        applicant = board.applicant(board.application(award.application_id).applicant_id)
        province = board.province_of_call(award.call_id)
        place = BY_CODE[province]
        zone = (zones or {}).get(applicant.zone or "")
        zone_names = (zone.name_fa, zone.name) if zone else ("", applicant.zone or "")
        by_place[(place.name_fa, place.name_en, *zone_names)] += award.amount_rial
        students += applicant.students or 0
    agreements = [(a, board.applicant_of_agreement(a), {r.milestone_id: r.decision for r in
                                                        board.reports(a.id)},
                   {p.milestone_id: p for p in board.payments(a.id)})
                  for a in board.agreements()]
    return {
        "open_calls": [c for c in board.calls() if c.opens_ms <= now < c.closes_ms],
        "calls": board.calls(), "now": now,
        "awards": [(a, board.applicant(board.application(a.application_id).applicant_id))
                   for a in board.awards()],
        "agreements": agreements, "flags": red_flags(board, settings, now),
        "by_place": sorted(by_place.items()), "students": students,
        "awarded_total": sum(a.amount_rial for a in awards),
    }


def managed_provinces(who: Principal) -> list[Province]:
    """The provinces whose programmes `who` may open (the programme form)."""
    return [p for p in PROVINCES if manages_province(who, p.code)]


def call_page(who: Principal, board: Board, call: Call) -> dict[str, Any]:
    closed = now_ms() >= call.closes_ms
    visible = [a for a in board.applications(call.id) if sees_application(who, board, a)]
    return {"call": call, "programme": board.programme(call.programme_id), "closed": closed,
            "count": len(board.applications(call.id)),
            "ranking": rank_call(board, call.id) if closed else [],
            "applicants": {a.id: a for a in board.applicants()},
            "visible": visible, "awards": board.awards(call.id)}


def application_page(who: Principal, board: Board, application: Application | None
                     ) -> dict[str, Any]:
    assert application is not None
    call = board.call(application.call_id)
    closed = now_ms() >= call.closes_ms
    scores = [s for s in board.scores(application.id)
              if closed or s.reviewer == who.name]
    award = next((a for a in board.awards(call.id) if a.application_id == application.id),
                 None)
    agreement = board.agreement_of_award(award.id) if award else None
    return {"application": application, "call": call, "closed": closed,
            "applicant": board.applicant(application.applicant_id),
            "documents": board.documents(application.id), "scores": scores,
            "declarations": board.declarations(application.id), "award": award,
            "agreement": agreement,
            "reports": {r.milestone_id: r for r in board.reports(agreement.id)}
            if agreement else {}}


def my_page(who: Principal, board: Board) -> dict[str, Any]:
    """An applicant's applications, or a reviewer's assigned ones."""
    mine = applicant_of(who, board)
    if mine is not None:
        apps = [a for a in board.applications() if a.applicant_id == mine.id]
    elif who.role == "reviewer":
        apps = [a for a in board.applications() if who.name in board.call(
            a.call_id).reviewers]
    else:
        apps = []
    decided = {a.application_id: a for a in board.awards()}
    return {"applicant": mine, "applications": apps, "awards": decided,
            "calls": {c.id: c for c in board.calls()}}
