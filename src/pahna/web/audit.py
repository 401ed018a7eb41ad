"""Every write the portal makes lands in the registry's audit log, with its actor
(`web:USERNAME` for the portal, `cli` for `pahna users`)."""

from __future__ import annotations

import json
import time

from sqlalchemy.orm import Session

from pahna.registry.models import AuditRow


def record(session: Session, actor: str, action: str, entity: str,
           after: object | None, before: object | None = None) -> None:
    """Add an audit row to `session` (committed with the change it describes)."""
    session.add(AuditRow(
        at_ms=time.time_ns() // 1_000_000, actor=actor, action=action, entity=entity,
        before=None if before is None else json.dumps(before, ensure_ascii=False),
        after=None if after is None else json.dumps(after, ensure_ascii=False),
    ))
