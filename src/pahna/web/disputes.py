"""Disputes: a producer contests a month's figures; the ministry answers, and closes them.

A dispute is `open` when filed, `answered` once the ministry has answered (it may answer
again), and `closed` when the ministry closes it (with its last answer); a closed
dispute takes no further answer. The producer sees the answer with its dispute. Every
step is in the audit log with the actor and the credential used.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.calendar import JalaliMonth
from pahna.errors import NotFoundError, RegistryError
from pahna.registry.audit import record
from pahna.web.accounts import now_ms
from pahna.web.tables import DisputeRow

MAX_MESSAGE = 4000
STATUSES = ("open", "answered", "closed")


@dataclass(frozen=True)
class Dispute:
    id: int
    producer_id: str
    period: str
    message: str
    author: str
    at_ms: int
    status: str
    answer: str | None = None
    answered_by: str | None = None
    answered_ms: int | None = None


def _text(message: str, what: str) -> str:
    message = message.strip()
    if not message or len(message) > MAX_MESSAGE:
        raise RegistryError(f"{what} needs a message of 1 to {MAX_MESSAGE} characters")
    return message


def file_dispute(engine: Engine, producer_id: str, period: str, message: str,
                 author: str, credential: str | None = None) -> Dispute:
    period = str(JalaliMonth.parse(period))
    message = _text(message, "a dispute")
    with Session(engine) as session:
        row = DisputeRow(producer_id=producer_id, period=period, message=message,
                         author=author, at_ms=now_ms(), status="open")
        session.add(row)
        session.flush()
        record(session, f"web:{author}", "dispute.file", f"producer:{producer_id}",
               after={"id": row.id, "period": period, "message": message},
               credential=credential)
        session.commit()
        return _dispute(row)


def answer_dispute(engine: Engine, dispute_id: int, answer: str, close: bool, actor: str,
                   credential: str | None = None) -> Dispute:
    """The ministry's answer to dispute `dispute_id`; `close` closes it."""
    answer = _text(answer, "an answer")
    with Session(engine) as session:
        row = session.get(DisputeRow, dispute_id)
        if row is None:
            raise NotFoundError(f"no dispute {dispute_id}")
        if row.status == "closed":
            raise RegistryError(f"dispute {dispute_id} is closed")
        before = {"status": row.status, "answer": row.answer}
        row.answer, row.answered_by, row.answered_ms = answer, actor, now_ms()
        row.status = "closed" if close else "answered"
        record(session, actor, "dispute.close" if close else "dispute.answer",
               f"producer:{row.producer_id}", before=before,
               after={"id": row.id, "status": row.status, "answer": answer},
               credential=credential)
        session.commit()
        return _dispute(row)


def find_dispute(engine: Engine, dispute_id: str) -> Dispute | None:
    """The dispute whose id is `dispute_id` (as given in a URL), if any."""
    if not dispute_id.isdigit() or len(dispute_id) > 18:
        return None
    with Session(engine) as session:
        row = session.get(DisputeRow, int(dispute_id))
        return _dispute(row) if row else None


def list_disputes(engine: Engine, producer_ids: set[str] | None = None) -> list[Dispute]:
    """Disputes, newest first; only those of `producer_ids` when given."""
    with Session(engine) as session:
        query = select(DisputeRow).order_by(DisputeRow.id.desc())
        if producer_ids is not None:
            query = query.where(DisputeRow.producer_id.in_(sorted(producer_ids)))
        return [_dispute(r) for r in session.scalars(query.limit(500))]


def _dispute(row: DisputeRow) -> Dispute:
    return Dispute(row.id, row.producer_id, row.period, row.message, row.author, row.at_ms,
                   row.status, row.answer, row.answered_by, row.answered_ms)
