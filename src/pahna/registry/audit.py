"""The audit log: who changed what, when, with which credential, and the record before and
after. This is pahna's one audit record: the registry, the portal and `pahna users` all
write it through `record`, in the same transaction as the change it describes.

`actor` names who acted (`cli`, `web:USERNAME`); `credential` says what they acted with
(`session`, `token:ID`; never a secret), or None where there is no credential (the CLI,
run by whoever holds the workspace).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.registry.models import AuditRow


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at_ms: int
    actor: str
    action: str
    entity: str
    before: object | None
    after: object | None
    credential: str | None = None


def record(session: Session, actor: str, action: str, entity: str, *,
           before: object | None = None, after: object | None = None,
           credential: str | None = None) -> None:
    """Add one audit row to `session` (committed with the change it describes)."""
    session.add(AuditRow(
        at_ms=time.time_ns() // 1_000_000, actor=actor, credential=credential,
        action=action, entity=entity,
        before=None if before is None else json.dumps(before, ensure_ascii=False),
        after=None if after is None else json.dumps(after, ensure_ascii=False),
    ))


def audit_log(engine: Engine) -> list[AuditEntry]:
    """Every audit entry, oldest first."""
    with Session(engine) as session:
        return [
            AuditEntry(r.id, r.at_ms, r.actor, r.action, r.entity,
                       None if r.before is None else json.loads(r.before),
                       None if r.after is None else json.loads(r.after), r.credential)
            for r in session.scalars(select(AuditRow).order_by(AuditRow.id))
        ]
