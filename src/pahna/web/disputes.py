"""Disputes: a producer contests a month's figures; the ministry reads and answers."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.calendar import JalaliMonth
from pahna.errors import RegistryError
from pahna.registry.audit import record
from pahna.web.accounts import DisputeRow

MAX_MESSAGE = 4000


@dataclass(frozen=True)
class Dispute:
    id: int
    producer_id: str
    period: str
    message: str
    author: str
    at_ms: int
    status: str


def file_dispute(engine: Engine, producer_id: str, period: str, message: str,
                 author: str) -> Dispute:
    period = str(JalaliMonth.parse(period))
    message = message.strip()
    if not message or len(message) > MAX_MESSAGE:
        raise RegistryError(f"a dispute needs a message of 1 to {MAX_MESSAGE} characters")
    with Session(engine) as session:
        row = DisputeRow(producer_id=producer_id, period=period, message=message,
                         author=author, at_ms=time.time_ns() // 1_000_000, status="open")
        session.add(row)
        session.flush()
        record(session, f"web:{author}", "dispute.file", f"producer:{producer_id}",
               after={"id": row.id, "period": period, "message": message})
        session.commit()
        return _dispute(row)


def list_disputes(engine: Engine, producer_ids: set[str] | None = None) -> list[Dispute]:
    """Disputes, newest first; only those of `producer_ids` when given."""
    with Session(engine) as session:
        query = select(DisputeRow).order_by(DisputeRow.id.desc())
        if producer_ids is not None:
            query = query.where(DisputeRow.producer_id.in_(sorted(producer_ids)))
        return [_dispute(r) for r in session.scalars(query.limit(500))]


def _dispute(row: DisputeRow) -> Dispute:
    return Dispute(row.id, row.producer_id, row.period, row.message, row.author, row.at_ms,
                   row.status)
