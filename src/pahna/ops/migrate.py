"""`pahna migrate`: the one way the registry's schema moves to this pahna's, after a
backup of the workspace (ops.backup) from which the registry can be restored as it was.
Every other command refuses a registry at another revision (registry.database)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from pahna.ops.backup import backup
from pahna.registry.database import (
    head_revision,
    registry_engine,
    schema_revision,
    upgrade_registry,
)
from pahna.workspace import Workspace


@dataclass(frozen=True)
class MigrateReport:
    before: str | None
    after: str
    backup: Path | None
    """The backup made first; None when there was nothing to migrate or back up."""


def migrate_workspace(workspace: Workspace, backup_to: Path | None = None) -> MigrateReport:
    """Back the workspace up (into `backup_to`, else HOME/backups/pre-migrate-REV-TIME),
    then migrate its registry to the newest revision. A registry already there is left
    alone; an empty one is created, with no backup (there is nothing to keep)."""
    engine = registry_engine(workspace.registry_url)
    try:
        before = schema_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    if before == head:
        return MigrateReport(before, head, None)
    made = None
    if before is not None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        made = backup_to or workspace.home / "backups" / f"pre-migrate-{before}-{stamp}"
        backup(workspace, made)
    before, after = upgrade_registry(workspace.registry_url)
    return MigrateReport(before, after, made)
