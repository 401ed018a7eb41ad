"""`pahna store prune`: the retention policy ([retention] in pahna.toml) applied to the raw
store and the quarantine.

A raw flow file (store/flows/day=D/BATCH.parquet) holds flows starting on one UTC day,
which may reach into two Jalali months (they begin at Tehran midnight). It is pruned
only when every month its day reaches into is final (a voided month is open) and the
last of them ended `raw_keep_months_after_final` whole months ago. Archiving copies it
into archive_dir (same relative path), checks the copy's sha256, then replaces the
store's file by a link to the copy, so `settle verify` and every reader still read it.
Deleting never loses the only copy: it frees the store's file (the same link) only where
archive_dir already holds a copy with the same sha256 (archived there by a previous run
or by the site's own archiving), and otherwise leaves the file and says so.
A month that is not final is never touched. Quarantine day-folders older than
`quarantine_keep_days` are deleted (0: kept for ever).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pahna.calendar import JalaliMonth
from pahna.config import RetentionSettings
from pahna.errors import ConfigError
from pahna.ledger.book import Ledger
from pahna.store.layout import DAY_MS, flows_dir
from pahna.store.manifests import file_sha256
from pahna.workspace import Workspace


@dataclass
class PrunePlan:
    archived: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    quarantine: list[str] = field(default_factory=list)


def archive_root(home: Path, policy: RetentionSettings) -> Path:
    """archive_dir, relative to the workspace unless absolute."""
    return (home / policy.archive_dir).resolve()


def _day_ms(folder: str) -> int | None:
    try:
        day = datetime.strptime(folder.removeprefix("day="), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(day.timestamp()) * 1000


def _months(start_ms: int, end_ms: int) -> list[JalaliMonth]:
    months = [JalaliMonth.containing(start_ms)]
    while months[-1].end_ms < end_ms:
        months.append(months[-1].next())
    return months


def _ripe(months: list[JalaliMonth], closed: set[str], keep: int, now_ms: int) -> bool:
    if any(str(month) not in closed for month in months):
        return False
    after = months[-1]
    for _ in range(keep):
        after = after.next()
    return after.end_ms <= now_ms


def plan_prune(workspace: Workspace, now_ms: int | None = None) -> PrunePlan:
    """What `prune` would do, touching nothing."""
    now_ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    policy = workspace.config.retention
    plan = PrunePlan()
    ledger = Ledger(workspace.home)
    closed = {p for p in ledger.periods() if ledger.active_revision(p) is not None}
    store = workspace.store_dir
    for path in sorted(flows_dir(store).glob("day=*/*.parquet")) if policy.raw_action != \
            "keep" else []:
        start = _day_ms(path.parent.name)
        if path.is_symlink() or start is None or not _ripe(
                _months(start, start + DAY_MS), closed, policy.raw_keep_months_after_final,
                now_ms):
            continue
        _plan_file(plan, policy, store, path.relative_to(store).as_posix())
    _plan_quarantine(plan, workspace, policy, now_ms)
    return plan


def _plan_file(plan: PrunePlan, policy: RetentionSettings, store: Path, relative: str
               ) -> None:
    if policy.raw_action == "archive" or (policy.archive_dir and _archived(
            archive_root(store.parent, policy) / relative, store / relative)):
        plan.archived.append(relative)
    else:
        plan.refused.append(f"{relative}: the archive does not hold it; not deleted")


def _archived(copy: Path, original: Path) -> bool:
    return copy.is_file() and file_sha256(copy) == file_sha256(original)


def _plan_quarantine(plan: PrunePlan, workspace: Workspace, policy: RetentionSettings,
                     now_ms: int) -> None:
    if not policy.quarantine_keep_days or not workspace.quarantine_dir.is_dir():
        return
    for folder in sorted(workspace.quarantine_dir.iterdir()):
        day = _day_ms(folder.name)
        if folder.is_dir() and day is not None and \
                day + (policy.quarantine_keep_days + 1) * DAY_MS <= now_ms:
            plan.quarantine.append(folder.name)


def prune(workspace: Workspace, plan: PrunePlan) -> None:
    """Carry a plan out: archive (copy, check, link), delete, drop old quarantine days."""
    policy = workspace.config.retention
    store = workspace.store_dir
    if plan.archived and not policy.archive_dir:
        raise ConfigError("[retention] raw_action = \"archive\" needs archive_dir")
    for relative in plan.archived:
        _archive(store / relative, archive_root(workspace.home, policy) / relative)
    for name in plan.quarantine:
        shutil.rmtree(workspace.quarantine_dir / name)
    Ledger(workspace.home).log("prune", "-", archived=len(plan.archived),
                               refused=plan.refused[:20],
                               quarantine_days=plan.quarantine)


def _archive(original: Path, copy: Path) -> None:
    if not _archived(copy, original):
        copy.parent.mkdir(parents=True, exist_ok=True)
        partial = copy.with_name(copy.name + ".partial")
        shutil.copyfile(original, partial)
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        if file_sha256(partial) != file_sha256(original):
            partial.unlink()
            raise OSError(f"{copy}: the archived copy does not match {original}")
        partial.replace(copy)
    link = original.with_name(original.name + ".link")
    link.unlink(missing_ok=True)
    link.symlink_to(copy)
    link.replace(original)
