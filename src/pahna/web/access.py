"""What a principal may see and do: the predicates `permissions.Door` applies and the
pages use to show only what a caller may use. Refusals about one producer answer 404,
so a caller learns nothing about producers outside its reach; whole pages answer 403."""

from __future__ import annotations

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
