"""Registry operations on producers and claims; every change lands in the audit log."""

from __future__ import annotations

import ipaddress
import json
import time
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.errors import ClaimConflictError, NotFoundError, RegistryError
from pahna.registry.models import PRODUCER_TYPES, AuditRow, ClaimRow, ProducerRow, ProvinceRow


@dataclass(frozen=True)
class Producer:
    id: str
    name: str
    name_fa: str
    province: str
    type: str
    zone: str | None = None
    iban: str | None = None


@dataclass(frozen=True)
class PrefixClaim:
    producer_id: str
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    valid_from_ms: int
    valid_to_ms: int | None


def _audit(session: Session, actor: str, action: str, entity: str,
           before: object | None, after: object | None) -> None:
    session.add(AuditRow(
        at_ms=time.time_ns() // 1_000_000, actor=actor, action=action, entity=entity,
        before=None if before is None else json.dumps(before, ensure_ascii=False),
        after=None if after is None else json.dumps(after, ensure_ascii=False),
    ))


def add_producer(engine: Engine, producer: Producer, actor: str = "cli") -> None:
    if producer.type not in PRODUCER_TYPES:
        raise RegistryError(f"producer {producer.id}: type {producer.type!r} is not one of "
                            f"{', '.join(PRODUCER_TYPES)}")
    with Session(engine) as session:
        if session.get(ProvinceRow, producer.province) is None:
            raise NotFoundError(f"producer {producer.id}: no province {producer.province!r}")
        if session.get(ProducerRow, producer.id) is not None:
            raise RegistryError(f"producer {producer.id} already exists")
        session.add(ProducerRow(**producer.__dict__))
        _audit(session, actor, "producer.add", f"producer:{producer.id}", None, producer.__dict__)
        session.commit()


def add_prefix_claim(engine: Engine, claim: PrefixClaim, approve_nested: bool = False,
                     actor: str = "cli") -> None:
    """Record a prefix claim; an equal prefix held by another producer over an
    overlapping time is refused, a nested one needs `approve_nested`."""
    with Session(engine) as session:
        if session.get(ProducerRow, claim.producer_id) is None:
            raise NotFoundError(f"claim {claim.network}: no producer {claim.producer_id!r}")
        nested = False
        for other in session.scalars(select(ClaimRow).where(ClaimRow.kind == "prefix")):
            if other.producer_id == claim.producer_id or not _overlaps_in_time(other, claim):
                continue
            net = ipaddress.ip_network(other.value)
            if net.version != claim.network.version or not net.overlaps(claim.network):
                continue
            if net.prefixlen == claim.network.prefixlen:
                raise ClaimConflictError(
                    f"{claim.network} for {claim.producer_id} overlaps {net} of "
                    f"{other.producer_id} at the same specificity")
            nested = True
        if nested and not approve_nested:
            raise ClaimConflictError(f"{claim.network} for {claim.producer_id} nests with "
                                     "another producer's prefix; it needs approval")
        row = ClaimRow(producer_id=claim.producer_id, kind="prefix", value=str(claim.network),
                       valid_from_ms=claim.valid_from_ms, valid_to_ms=claim.valid_to_ms,
                       nested_approved=nested)
        session.add(row)
        _audit(session, actor, "claim.add", f"producer:{claim.producer_id}", None,
               {"kind": "prefix", "value": str(claim.network), "nested_approved": nested,
                "valid_from_ms": claim.valid_from_ms, "valid_to_ms": claim.valid_to_ms})
        session.commit()


def _overlaps_in_time(row: ClaimRow, claim: PrefixClaim) -> bool:
    end_a = row.valid_to_ms if row.valid_to_ms is not None else 2**62
    end_b = claim.valid_to_ms if claim.valid_to_ms is not None else 2**62
    return row.valid_from_ms < end_b and claim.valid_from_ms < end_a


def list_producers(engine: Engine) -> list[Producer]:
    with Session(engine) as session:
        return [
            Producer(r.id, r.name, r.name_fa, r.province, r.type, r.zone, r.iban)
            for r in session.scalars(select(ProducerRow).order_by(ProducerRow.id))
        ]


def prefix_claims(engine: Engine) -> list[PrefixClaim]:
    with Session(engine) as session:
        rows = session.scalars(select(ClaimRow).where(ClaimRow.kind == "prefix")
                               .order_by(ClaimRow.id))
        return [
            PrefixClaim(r.producer_id, ipaddress.ip_network(r.value), r.valid_from_ms,
                        r.valid_to_ms)
            for r in rows
        ]
