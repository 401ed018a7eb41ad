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
        before = asdict(_point(same))
        same.valid_to_ms = point.valid_to_ms
        record(session, actor, "metering.update", f"producer:{point.producer_id}",
               before=before, after=asdict(point))
        return True
    session.add(MeteringPointRow(**asdict(point)))
    record(session, actor, "metering.add", f"producer:{point.producer_id}",
           after=asdict(point))
    return True


def _point(row: MeteringPointRow) -> MeteringPoint:
    return MeteringPoint(row.producer_id, row.exporter, row.interface, row.direction,
                         row.valid_from_ms, row.valid_to_ms)


def list_points(engine: Engine) -> list[MeteringPoint]:
    with Session(engine) as session:
        return [_point(r) for r in session.scalars(
            select(MeteringPointRow).order_by(MeteringPointRow.id))]
