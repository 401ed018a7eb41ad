"""Months closed by a final: the registry refuses, and logs, any change reaching into one.

Finalizing a month closes it here (`close_period`) before it reads the registry, with the
window whose attribution the final freezes: [month start - the longest flow, month end).
From then on every change to what attribution reads (a claim added or ended, a metering
point, a domestic list version) is checked against the closed windows where all doors
pass (`guard_change`, called by the registry functions that stage a change, whether the
CLI, a CSV import, the API or a form asked), and refused with ClosedPeriodError when its
effect overlaps one; the refusal is written to the audit log. Producer and zone records
are not dated: a change applies from now on, and a final keeps the records it was
computed with, so they are not refused.

Every change first updates the single `registry_guard` row, as closing a month does: on
PostgreSQL its row lock, on SQLite the database write lock, makes a change and a closing
take turns, so a change either commits before the month is closed (and the final reads
it) or sees the closure and is refused.

Voiding a final reopens its month (`reopen_period`); a finalize that fails reopens it
too. A finalize killed half way leaves the month closed without a final: the next
finalize, void or `pahna settle status` of that month reopens or keeps it as the ledger
says (`pahna.settlement.sync_closure`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from pahna.errors import ClosedPeriodError
from pahna.registry.audit import record
from pahna.registry.models import RegistryGuardRow, SealedPeriodRow

GUARDED = "pahna_registry_guarded"
"""Session.info key: this session already holds the guard row."""


@dataclass(frozen=True)
class ClosedPeriod:
    period: str
    start_ms: int
    end_ms: int
    revision: int


def _hold_guard(session: Session) -> None:
    if not session.info.get(GUARDED):
        session.execute(update(RegistryGuardRow).where(RegistryGuardRow.id == 1)
                        .values(changes=RegistryGuardRow.changes + 1))
        session.info[GUARDED] = True


def guard_change(session: Session, start_ms: int | None = None, end_ms: int | None = None,
                 what: str = "") -> None:
    """Take the guard, then refuse a change whose effect covers [start_ms, end_ms)
    (end None: open-ended) if that overlaps a closed month. No start: an undated change
    (producer, zone), which is only serialized."""
    _hold_guard(session)
    if start_ms is None:
        return
    query = select(SealedPeriodRow).where(SealedPeriodRow.end_ms > start_ms)
    if end_ms is not None:
        query = query.where(SealedPeriodRow.start_ms < end_ms)
    closed = session.scalars(query.order_by(SealedPeriodRow.period)).first()
    if closed is not None:
        raise ClosedPeriodError(closed.period, closed.revision, what)


@contextmanager
def registry_change(engine: Engine, actor: str) -> Iterator[Session]:
    """A session for one change; a ClosedPeriodError rolls it back and is written to the
    audit log (in a transaction of its own) before it propagates."""
    with Session(engine) as session:
        try:
            yield session
        except ClosedPeriodError as exc:
            session.rollback()
            log_refusal(engine, actor, exc)
            raise


def log_refusal(engine: Engine, actor: str, error: ClosedPeriodError) -> None:
    with Session(engine) as session:
        record(session, actor, "registry.refused", f"period:{error.period}",
               after={"attempt": error.attempt, "revision": error.revision})
        session.commit()


def close_period(engine: Engine, period: str, window: tuple[int, int], revision: int,
                 actor: str) -> None:
    """Close `period` (its final freezes `window`); a stale closing is replaced."""
    with Session(engine) as session:
        _hold_guard(session)
        row = session.get(SealedPeriodRow, period)
        if row is None:
            row = SealedPeriodRow(period=period)
            session.add(row)
        row.start_ms, row.end_ms, row.revision = window[0], window[1], revision
        row.closed_at_ms, row.actor = time.time_ns() // 1_000_000, actor
        record(session, actor, "period.close", f"period:{period}",
               after={"revision": revision, "start_ms": window[0], "end_ms": window[1]})
        session.commit()


def reopen_period(engine: Engine, period: str, actor: str, reason: str) -> bool:
    """Reopen `period` (its final was voided, or never written); False if not closed."""
    with Session(engine) as session:
        _hold_guard(session)
        row = session.get(SealedPeriodRow, period)
        if row is None:
            return False
        session.delete(row)
        record(session, actor, "period.reopen", f"period:{period}",
               after={"revision": row.revision, "reason": reason})
        session.commit()
        return True


def closed_periods(engine: Engine) -> list[ClosedPeriod]:
    with Session(engine) as session:
        return [ClosedPeriod(r.period, r.start_ms, r.end_ms, r.revision) for r in
                session.scalars(select(SealedPeriodRow).order_by(SealedPeriodRow.period))]
