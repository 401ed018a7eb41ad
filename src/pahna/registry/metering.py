"""Metering points: the exporter, interface and direction where a producer's traffic
is counted. When a producer has any, only flows observed there count for it, so a flow
seen by two routers counts once."""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.errors import NotFoundError, RegistryError
from pahna.ids import check_id
from pahna.registry.audit import record
from pahna.registry.closures import guard_change, registry_change
from pahna.registry.instants import format_instant
from pahna.registry.models import DIRECTIONS, MeteringPointRow, ProducerRow


@dataclass(frozen=True)
class MeteringPoint:
    producer_id: str
    exporter: str
    interface: int
    direction: str
    valid_from_ms: int
    valid_to_ms: int | None = None


def checked_point(point: MeteringPoint) -> MeteringPoint:
    """The point with its exporter address normalized; RegistryError otherwise."""
    try:
        exporter = str(ipaddress.ip_address(point.exporter.strip()))
    except ValueError as exc:
        raise RegistryError(f"metering point: exporter {point.exporter!r} is not an IP "
                            "address") from exc
    if point.direction not in DIRECTIONS:
        raise RegistryError(f"metering point: direction {point.direction!r} is not one of "
                            f"{', '.join(DIRECTIONS)}")
    if not 0 <= point.interface < 2**32:
        raise RegistryError(f"metering point: interface {point.interface} out of range")
    return MeteringPoint(point.producer_id, exporter, point.interface, point.direction,
                         point.valid_from_ms, point.valid_to_ms)


def put_point(session: Session, point: MeteringPoint, actor: str) -> bool:
    """Stage a metering point; False when the same point is already recorded."""
    point = checked_point(point)
    check_id("producer", point.producer_id)
    if session.get(ProducerRow, point.producer_id) is None:
        raise NotFoundError(f"metering point: no producer {point.producer_id!r}")
    same = session.scalars(select(MeteringPointRow).where(
        MeteringPointRow.producer_id == point.producer_id,
        MeteringPointRow.exporter == point.exporter,
        MeteringPointRow.interface == point.interface,
        MeteringPointRow.direction == point.direction,
        MeteringPointRow.valid_from_ms == point.valid_from_ms)).first()
    if same is not None:
        if same.valid_to_ms == point.valid_to_ms:
            return False
        old, new = same.valid_to_ms, point.valid_to_ms
        first = min(e for e in (old, new) if e is not None)
        last = None if old is None or new is None else max(old, new)
        guard_change(session, first, last,  # the span whose metering changes
                     f"moving the end of {_describe(point)} to "
                     f"{format_instant(point.valid_to_ms) or 'open'}")
        before = asdict(_point(same))
        same.valid_to_ms = point.valid_to_ms
        record(session, actor, "metering.update", f"producer:{point.producer_id}",
               before=before, after=asdict(point))
        return True
    guard_change(session, point.valid_from_ms, point.valid_to_ms,
                 f"adding {_describe(point)} from {format_instant(point.valid_from_ms)}")
    session.add(MeteringPointRow(**asdict(point)))
    record(session, actor, "metering.add", f"producer:{point.producer_id}",
           after=asdict(point))
    return True


def add_point(engine: Engine, point: MeteringPoint, actor: str = "cli") -> bool:
    """Record one metering point (see put_point); False when it was already there."""
    with registry_change(engine, actor) as session:
        changed = put_point(session, point, actor)
        session.commit()
        return changed


def _describe(point: MeteringPoint) -> str:
    return (f"metering point {point.exporter} interface {point.interface} {point.direction} "
            f"for {point.producer_id}")


def _point(row: MeteringPointRow) -> MeteringPoint:
    return MeteringPoint(row.producer_id, row.exporter, row.interface, row.direction,
                         row.valid_from_ms, row.valid_to_ms)


def list_points(engine: Engine) -> list[MeteringPoint]:
    with Session(engine) as session:
        return [_point(r) for r in session.scalars(
            select(MeteringPointRow).order_by(MeteringPointRow.id))]
