"""What a principal may see and do. Refusals about one producer answer 404, so a
caller learns nothing about producers outside its reach; whole pages answer 403."""

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


def require_nation(who: Principal) -> None:
    if who.account is None:
        raise Problem(401, "log in to see this page")
    if not sees_nation(who):
        raise Problem(403, "this page is for the ministry and auditors")


def require_province(who: Principal, code: str) -> None:
    if who.account is None:
        raise Problem(401, "log in to see this page")
    if not sees_province(who, code):
        raise Problem(403, f"province {code} is outside your reach")


def visible_producer(who: Principal, producer: Producer | None, producer_id: str) -> Producer:
    if who.account is None and producer is not None:
        raise Problem(401, "log in to see this producer")
    if producer is None or not sees_producer(who, producer):
        raise Problem(404, f"no producer {producer_id!r} that you can see")
    return producer
