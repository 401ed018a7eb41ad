"""Producers and special IT zones: checked, stored, and every change audited."""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, replace

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.errors import InvalidIbanError, NotFoundError, RegistryError
from pahna.iban import normalize_iban
from pahna.ids import check_id
from pahna.parties import PRODUCER_STATUSES, PRODUCER_TYPES, ROLES, Producer, Zone
from pahna.registry.audit import record
from pahna.registry.claimbook import ClaimSpec
from pahna.registry.closures import guard_change
from pahna.registry.models import (
    ClaimRow,
    ProducerRow,
    ProvinceRow,
    ZoneRow,
)


@dataclass(frozen=True)
class PrefixClaim:
    producer_id: str
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    valid_from_ms: int
    valid_to_ms: int | None


def checked_producer(producer: Producer) -> Producer:
    """The producer with its IBAN normalized, or RegistryError naming the field
    (InvalidIdError for an id that is not a slug)."""
    check_id("producer", producer.id)
    if not producer.name.strip():
        raise RegistryError(f"producer {producer.id!r}: id and name are required")
    if producer.type not in PRODUCER_TYPES:
        raise RegistryError(f"producer {producer.id}: type {producer.type!r} is not one of "
                            f"{', '.join(PRODUCER_TYPES)}")
    if producer.role not in ROLES:
        raise RegistryError(f"producer {producer.id}: role {producer.role!r} is not one of "
                            f"{', '.join(ROLES)}")
    if producer.status not in PRODUCER_STATUSES:
        raise RegistryError(f"producer {producer.id}: status {producer.status!r} is not one "
                            f"of {', '.join(PRODUCER_STATUSES)}")
    try:
        iban = normalize_iban(producer.iban) if producer.iban else None
    except InvalidIbanError as exc:
        raise RegistryError(f"producer {producer.id}: {exc}") from exc
    return replace(producer, iban=iban, zone=producer.zone or None)


def put_producer(session: Session, producer: Producer, actor: str) -> bool:
    """Insert or update a producer in `session`; False when nothing changed."""
    producer = checked_producer(producer)
    guard_change(session)  # undated: serialized with closings, never refused
    if session.get(ProvinceRow, producer.province) is None:
        raise NotFoundError(f"producer {producer.id}: no province {producer.province!r} "
                            "(use an ISO 3166-2:IR code such as IR-25)")
    if producer.zone and session.get(ZoneRow, producer.zone) is None:
        raise NotFoundError(f"producer {producer.id}: no special IT zone {producer.zone!r}")
    row = session.get(ProducerRow, producer.id)
    if row is None:
        session.add(ProducerRow(**asdict(producer)))
        record(session, actor, "producer.add", f"producer:{producer.id}",
               after=asdict(producer))
        return True
    before = asdict(record_of(row))
    if before == asdict(producer):
        return False
    for key, value in asdict(producer).items():
        setattr(row, key, value)
    record(session, actor, "producer.update", f"producer:{producer.id}",
           before=before, after=asdict(producer))
    return True


def put_zone(session: Session, zone: Zone, actor: str) -> bool:
    """Insert or update a special IT zone; False when nothing changed."""
    check_id("zone", zone.id)
    guard_change(session)
    if session.get(ProvinceRow, zone.province) is None:
        raise NotFoundError(f"zone {zone.id}: no province {zone.province!r}")
    row = session.get(ZoneRow, zone.id)
    if row is None:
        session.add(ZoneRow(**asdict(zone)))
        record(session, actor, "zone.add", f"zone:{zone.id}", after=asdict(zone))
        return True
    before = asdict(Zone(row.id, row.name, row.name_fa, row.province))
    if before == asdict(zone):
        return False
    for key, value in asdict(zone).items():
        setattr(row, key, value)
    record(session, actor, "zone.update", f"zone:{zone.id}", before=before,
           after=asdict(zone))
    return True


def add_producer(engine: Engine, producer: Producer, actor: str = "cli") -> None:
    """Register a new producer (an existing id is refused)."""
    with Session(engine) as session:
        if session.get(ProducerRow, producer.id) is not None:
            raise RegistryError(f"producer {producer.id} already exists")
        put_producer(session, producer, actor)
        session.commit()


def add_prefix_claim(engine: Engine, claim: PrefixClaim, approve_nested: bool = False,
                     actor: str = "cli", approver: str | None = None,
                     credential: str | None = None) -> None:
    """Record a prefix claim (see claims.put_claim for the rules and `approver`)."""
    from pahna.registry.claims import add_claims

    spec = ClaimSpec(claim.producer_id, "prefix", str(claim.network), claim.valid_from_ms,
                     claim.valid_to_ms)
    add_claims(engine, [spec], approve_nested=approve_nested, actor=actor, approver=approver,
               credential=credential)


def record_of(row: ProducerRow) -> Producer:
    return Producer(row.id, row.name, row.name_fa, row.province, row.type, row.zone, row.iban,
                    row.contact, row.status, row.role)


def list_producers(engine: Engine) -> list[Producer]:
    with Session(engine) as session:
        return [record_of(r) for r in session.scalars(select(ProducerRow).order_by(ProducerRow.id))]


def list_zones(engine: Engine) -> list[Zone]:
    with Session(engine) as session:
        return [Zone(r.id, r.name, r.name_fa, r.province)
                for r in session.scalars(select(ZoneRow).order_by(ZoneRow.id))]


def prefix_claims(engine: Engine) -> list[PrefixClaim]:
    with Session(engine) as session:
        rows = session.scalars(select(ClaimRow).where(ClaimRow.kind == "prefix")
                               .order_by(ClaimRow.id))
        return [
            PrefixClaim(r.producer_id, ipaddress.ip_network(r.value), r.valid_from_ms,
                        r.valid_to_ms)
            for r in rows
        ]
