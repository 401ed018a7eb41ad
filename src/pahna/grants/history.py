"""The grant board's memory: every record lives as a chain of revisions, never changed in
place. A revision holds who made it (actor, credential), when, why, and the whole record
as it became; its hash covers all of that and the previous revision's hash, so rewriting,
reordering or removing any stored revision breaks the chain and `verify` says where.

Every revision also writes pahna's one audit record (`registry/audit.py`) in the same
transaction, carrying the revision's hash: a chain cut short at its end no longer covers
what the audit log says was written.

Two writers cannot both follow the same revision (`prev_hash` is unique): on PostgreSQL
appenders take the table's write lock in turn; on SQLite the loser retries after the
winner commits.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import BigInteger, Engine, Integer, String, Text, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from pahna.errors import GrantError
from pahna.registry.audit import audit_log, record
from pahna.registry.models import Base

GENESIS = "0" * 64
"""The previous hash of the first revision."""
AUDIT_PREFIX = "grant."
RETRIES = 20
"""Attempts at the end of the chain (SQLite; PostgreSQL appenders wait in turn)."""


class GrantRevisionRow(Base):
    __tablename__ = "grant_revisions"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(200))
    revision: Mapped[int] = mapped_column(Integer)
    at_ms: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(100))
    credential: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


@dataclass(frozen=True)
class Revision:
    seq: int
    kind: str
    entity_id: str
    revision: int
    at_ms: int
    actor: str
    credential: str | None
    reason: str
    body: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Author:
    """Who makes a change, with what (never a secret), and when (None: now)."""

    actor: str = "cli"
    credential: str | None = None
    at_ms: int | None = None


def canonical(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def revision_hash(prev_hash: str, kind: str, entity_id: str, revision: int, at_ms: int,
                  actor: str, credential: str | None, reason: str, body: str) -> str:
    """SHA-256 over the previous hash and everything the revision says."""
    covered = canonical([prev_hash, kind, entity_id, revision, at_ms, actor, credential,
                         reason, body])
    return hashlib.sha256(covered.encode("utf-8")).hexdigest()


def append(engine: Engine, kind: str, item: BaseModel, author: Author, reason: str
           ) -> Revision:
    """Add the next revision of `item` (its id from `item.id`) at the end of the chain."""
    entity_id = str(getattr(item, "id"))  # noqa: B009 - every record has an id
    body = canonical(item.model_dump(mode="json"))
    for attempt in range(RETRIES):
        try:
            return _append_once(engine, kind, entity_id, body, author, reason)
        except IntegrityError:  # another writer took the same place in the chain
            time.sleep(random.uniform(0, 0.005) * (attempt + 1))
    raise GrantError(f"{kind} {entity_id}: the history is busy; try again")


def _append_once(engine: Engine, kind: str, entity_id: str, body: str, author: Author,
                 reason: str) -> Revision:
    at_ms = author.at_ms if author.at_ms is not None else time.time_ns() // 1_000_000
    with Session(engine) as session, session.begin():
        if engine.dialect.name == "postgresql":  # one appender at a time; readers go on
            session.execute(text("LOCK TABLE grant_revisions IN SHARE ROW EXCLUSIVE MODE"))
        last = session.scalars(select(GrantRevisionRow).order_by(
            GrantRevisionRow.seq.desc()).limit(1)).first()
        prev = last.hash if last else GENESIS
        number = (session.scalar(select(func.max(GrantRevisionRow.revision)).where(
            GrantRevisionRow.kind == kind, GrantRevisionRow.entity_id == entity_id)) or 0) + 1
        digest = revision_hash(prev, kind, entity_id, number, at_ms, author.actor,
                               author.credential, reason, body)
        row = GrantRevisionRow(kind=kind, entity_id=entity_id, revision=number, at_ms=at_ms,
                               actor=author.actor, credential=author.credential,
                               reason=reason, body=body, prev_hash=prev, hash=digest)
        session.add(row)
        record(session, author.actor, f"{AUDIT_PREFIX}{kind}", f"{kind}:{entity_id}",
               after={"revision": number, "hash": digest, "reason": reason},
               credential=author.credential)
        session.flush()
        return _revision(row)


def revisions(engine: Engine, after_seq: int = 0) -> list[Revision]:
    """Every revision after `after_seq`, in chain order."""
    with Session(engine) as session:
        rows = session.scalars(select(GrantRevisionRow).where(
            GrantRevisionRow.seq > after_seq).order_by(GrantRevisionRow.seq))
        return [_revision(r) for r in rows]


def head_seq(engine: Engine) -> int:
    """The sequence number of the newest revision (0: none)."""
    with Session(engine) as session:
        return session.scalar(select(func.max(GrantRevisionRow.seq))) or 0


def _revision(row: GrantRevisionRow) -> Revision:
    return Revision(row.seq, row.kind, row.entity_id, row.revision, row.at_ms, row.actor,
                    row.credential, row.reason, json.loads(row.body), row.prev_hash, row.hash)


def verify(engine: Engine) -> list[str]:
    """Every broken link of the chain, oldest first (empty: the history is intact)."""
    problems: list[str] = []
    prev = GENESIS
    numbers: dict[tuple[str, str], int] = {}
    with Session(engine) as session:
        for row in session.scalars(select(GrantRevisionRow).order_by(GrantRevisionRow.seq)):
            where = f"revision seq {row.seq} ({row.kind} {row.entity_id} r{row.revision})"
            if row.prev_hash != prev:
                problems.append(f"{where}: does not follow the revision before it")
            again = revision_hash(row.prev_hash, row.kind, row.entity_id, row.revision,
                                  row.at_ms, row.actor, row.credential, row.reason, row.body)
            if again != row.hash:
                problems.append(f"{where}: its content does not match its hash")
            key = (row.kind, row.entity_id)
            if row.revision != numbers.get(key, 0) + 1:
                problems.append(f"{where}: revision numbers have a gap or repeat")
            numbers[key] = row.revision
            prev = row.hash
        hashes = set(session.scalars(select(GrantRevisionRow.hash)))
    problems += [f"audit entry {e.id} ({e.entity}) names revision {_hash(e.after)} that the "
                 "history no longer holds" for e in audit_log(engine)
                 if e.action.startswith(AUDIT_PREFIX) and _hash(e.after) not in hashes]
    return problems


def _hash(after: object) -> str:
    return str(after.get("hash")) if isinstance(after, dict) else ""
