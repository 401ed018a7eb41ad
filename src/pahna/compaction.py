"""Compacting the raw store, with the ledger's pins: the files a final sealed stay
readable where it sealed them (store.compaction; docs/decisions/0008-compaction.md)."""

from __future__ import annotations

from dataclasses import dataclass

from pahna.ledger.book import Ledger
from pahna.store.compaction import GRACE_S, DayPlan, compact_day, plan, retire
from pahna.store.manifests import Manifest
from pahna.workspace import Workspace


@dataclass(frozen=True)
class CompactionReport:
    planned: list[DayPlan]
    compacted: list[Manifest]
    retired_manifests: int = 0
    retired_files: int = 0


def sealed_paths(workspace: Workspace) -> set[str]:
    """Every raw file any final record sealed (in force or voided)."""
    ledger = Ledger(workspace.home)
    return {entry["path"] for period in ledger.periods() for revision in
            ledger.revisions(period)
            for manifest in ledger.final(period, revision)["seal"]["inputs"]["manifests"]
            for entry in manifest["files"]}


def compact_store(workspace: Workspace, day: str | None = None, dry_run: bool = False,
                  grace_s: float = GRACE_S) -> CompactionReport:
    """Compact `day` (else every day before today, UTC), then retire the sources of
    compactions older than `grace_s`, keeping sealed files. Logged in the ledger."""
    store = workspace.store_dir
    planned = plan(store, day)
    if dry_run:
        return CompactionReport(planned, [])
    compacted = [compact_day(store, day_plan) for day_plan in planned]
    manifests, files = retire(store, sealed_paths(workspace), grace_s)
    ledger = Ledger(workspace.home)
    for day_plan, manifest in zip(planned, compacted, strict=True):
        ledger.log("compact", "-", "cli", day=day_plan.day, batch_id=manifest.batch_id,
                   sources=len(day_plan.sources), records=manifest.records)
    return CompactionReport(planned, compacted, manifests, files)
