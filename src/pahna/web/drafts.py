"""Settlement drafts from the portal: recompute a month through the pipeline and keep
what changed since the previous draft in the audit log, where the page reads it back."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.pipeline import settle
from pahna.registry.audit import record
from pahna.registry.models import AuditRow
from pahna.web.snapshots import read_statements
from pahna.workspace import Workspace

ACTION = "settlement.draft"


@dataclass(frozen=True)
class DraftChanges:
    period: str
    actor: str
    at_ms: int
    total_before_rial: int
    total_after_rial: int
    changes: list[tuple[str, int, int]]  # producer id, amount before, amount after


def recompute_draft(workspace: Workspace, engine: Engine, period: str,
                    actor: str, credential: str | None = None) -> DraftChanges:
    """Settle `period` again (a new draft) and record each producer whose amount moved."""
    summary = workspace.statements_dir(period) / "summary.csv"
    before = {k: v.amount_rial for k, v in read_statements(summary).items()} \
        if summary.is_file() else {}
    settlement, _, _ = settle(workspace, period)
    after = {line.producer_id: line.amount_rial for line in settlement.lines}
    changes = [(pid, before.get(pid, 0), after.get(pid, 0))
               for pid in sorted(set(before) | set(after)) if before.get(pid) != after.get(pid)]
    with Session(engine) as session:
        record(session, actor, ACTION, f"period:{period}",
               after={"total_rial": settlement.total_rial, "changes": changes},
               before={"total_rial": sum(before.values())}, credential=credential)
        session.commit()
    return last_draft(engine, period) or DraftChanges(period, actor, 0, 0, 0, changes)


def last_draft(engine: Engine, period: str) -> DraftChanges | None:
    """The latest draft recomputed from the portal for `period`, if any."""
    with Session(engine) as session:
        row = session.scalars(
            select(AuditRow).where(AuditRow.action == ACTION,
                                   AuditRow.entity == f"period:{period}")
            .order_by(AuditRow.id.desc()).limit(1)).first()
        if row is None:
            return None
        after = json.loads(row.after or "{}")
        before = json.loads(row.before or "{}")
        return DraftChanges(period, row.actor, row.at_ms, int(before.get("total_rial", 0)),
                            int(after.get("total_rial", 0)),
                            [(str(c[0]), int(c[1]), int(c[2])) for c in after.get("changes", [])])
