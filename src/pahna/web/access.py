"""What a principal may see and do: the predicates `permissions.Door` applies and the
pages use to show only what a caller may use. Refusals about one producer answer 404,
so a caller learns nothing about producers outside its reach; whole pages answer 403.
The grant board's: an application (its documents, its agreement) is seen by its
applicant, the call's reviewers, the officers of the call's province and the ministry
(404 for anyone else); calls and programmes are managed by the ministry and the officers
of their province (403 for other officers: calls are public knowledge)."""

from __future__ import annotations

from pahna.grants.board import Board
from pahna.grants.models import Applicant, Application
from pahna.parties import Producer
from pahna.web.auth import Principal
from pahna.web.problems import Problem

NATIONAL_ROLES = ("admin", "auditor")


def sees_nation(who: Principal) -> bool:
    return who.role in NATIONAL_ROLES


def sees_province(who: Principal, code: str) -> bool:
    return sees_nation(who) or (
        who.role == "officer" and who.account is not None and who.account.province == code)


def sees_producer(who: Principal, producer: Producer) -> bool:
    if sees_province(who, producer.province):
        return True
    return (who.role == "producer" and who.account is not None
            and who.account.producer_id == producer.id)


def edits_claims(who: Principal, producer: Producer) -> bool:
    return who.role == "admin" or (
        who.role == "officer" and sees_province(who, producer.province))


def disputes_for(who: Principal, producer: Producer) -> bool:
    return who.role == "admin" or (
        who.role == "producer" and who.account is not None
        and who.account.producer_id == producer.id)


def approver(who: Principal) -> str | None:
    """Whose approval a nested claim made by `who` carries: None for the ministry (it
    approves any nesting), else the officer's province (nestings inside it only)."""
    if who.role == "admin":
        return None
    return (who.account.province if who.account else None) or ""


def visible_producer(who: Principal, producer: Producer | None, producer_id: str) -> Producer:
    """The producer when `who` may see it; one answer (404) when it is missing or not."""
    if producer is None or not sees_producer(who, producer):
        raise Problem(404, f"no producer {producer_id!r} that you can see")
    return producer


def manages_province(who: Principal, code: str) -> bool:
    """The ministry anywhere, an officer in its own province (programmes, calls)."""
    return who.role == "admin" or (
        who.role == "officer" and who.account is not None and who.account.province == code)


def manages_call(who: Principal, board: Board, call_id: str) -> bool:
    return manages_province(who, board.province_of_call(call_id))


def applicant_of(who: Principal, board: Board) -> Applicant | None:
    """The applicant an applicant account acts for (its `account`), if any."""
    if who.role != "applicant" or who.account is None:
        return None
    return next((a for a in board.applicants() if a.account == who.account.username), None)


def sees_application(who: Principal, board: Board, application: Application) -> bool:
    if who.role in NATIONAL_ROLES:
        return True
    call = board.call(application.call_id)
    if who.role == "officer":
        return manages_call(who, board, call.id)
    if who.role == "reviewer":
        return who.name in call.reviewers
    mine = applicant_of(who, board)
    return mine is not None and mine.id == application.applicant_id
