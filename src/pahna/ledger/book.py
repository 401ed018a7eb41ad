"""The ledger's files: one writer, atomic writes, read-only finals, a log of refusals."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pahna.errors import ImmutableStatementError, LedgerError
from pahna.settle.adjustments import Adjustment
from pahna.settle.costs import Cost

READ_ONLY = 0o444


def _write_atomic(path: Path, text: str, read_only: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(text, encoding="utf-8")
    if read_only:
        temp.chmod(READ_ONLY)
    os.replace(temp, path)


def _read(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LedgerError(f"{path}: unreadable ledger record: {exc}") from exc
    return data


class Ledger:
    def __init__(self, home: Path) -> None:
        self.root = home / "ledger"

    # -- the log -------------------------------------------------------------------
    def log(self, action: str, period: str, actor: str = "cli", **details: Any) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        event = {"at_ms": time.time_ns() // 1_000_000, "action": action, "period": period,
                 "actor": actor, **details}
        with (self.root / "events.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def events(self) -> list[dict[str, Any]]:
        path = self.root / "events.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    def refuse(self, period: str, attempt: str, actor: str = "cli") -> ImmutableStatementError:
        """Log a refused attempt to change a final period and return the error to raise."""
        revision = self.active_revision(period)
        reason = (f"{period} is final (revision {revision}); {attempt} is refused. Correct it "
                  "with an adjustment in a later period, or void and reissue it.")
        self.log("refused", period, actor, attempt=attempt, revision=revision)
        return ImmutableStatementError(reason)

    # -- finals --------------------------------------------------------------------
    def period_dir(self, period: str) -> Path:
        return self.root / period

    def final_path(self, period: str, revision: int) -> Path:
        return self.period_dir(period) / f"final-r{revision}.json"

    def revisions(self, period: str) -> list[int]:
        folder = self.period_dir(period)
        if not folder.is_dir():
            return []
        return sorted(int(p.stem.split("-r")[1]) for p in folder.glob("final-r*.json"))

    def is_void(self, period: str, revision: int) -> bool:
        return (self.period_dir(period) / f"void-r{revision}.json").exists()

    def active_revision(self, period: str) -> int | None:
        """The revision in force: the latest final that is not voided."""
        live = [r for r in self.revisions(period) if not self.is_void(period, r)]
        return live[-1] if live else None

    def guard(self, period: str, attempt: str, actor: str = "cli") -> None:
        """Raise (and log) when `period` is closed by a final."""
        if self.active_revision(period) is not None:
            raise self.refuse(period, attempt, actor)

    def write_final(self, period: str, record: dict[str, Any], actor: str = "cli") -> int:
        self.guard(period, "finalize", actor)
        revision = (self.revisions(period) or [0])[-1] + 1
        path = self.final_path(period, revision)
        if path.exists():
            raise self.refuse(period, f"overwrite {path.name}", actor)
        record = {**record, "revision": revision}
        _write_atomic(path, json.dumps(record, ensure_ascii=False, sort_keys=True, indent=1),
                      read_only=True)
        self.log("finalize", period, actor, revision=revision,
                 content_hash=record["seal"]["content_hash"])
        return revision

    def final(self, period: str, revision: int | None = None) -> dict[str, Any]:
        revision = revision or self.active_revision(period)
        if revision is None:
            raise LedgerError(f"{period} has no final statement in force; run "
                              f"`pahna settle finalize --period {period}` first")
        return _read(self.final_path(period, revision))

    def void(self, period: str, reason: str, actor: str = "cli") -> int:
        revision = self.active_revision(period)
        if revision is None:
            raise LedgerError(f"{period} has no final statement in force to void")
        if self.paid(period, revision) is not None:
            raise self.refuse(period, f"void of paid revision {revision}", actor)
        _write_atomic(self.period_dir(period) / f"void-r{revision}.json",
                      json.dumps({"revision": revision, "reason": reason, "actor": actor}),
                      read_only=True)
        self.log("void", period, actor, revision=revision, reason=reason)
        return revision

    def mark_paid(self, period: str, reference: str, actor: str = "cli") -> int:
        revision = self.active_revision(period)
        if revision is None:
            raise LedgerError(f"{period} has no final statement in force to pay")
        if self.paid(period, revision) is not None:
            raise self.refuse(period, f"paying revision {revision} twice", actor)
        _write_atomic(self.period_dir(period) / f"paid-r{revision}.json",
                      json.dumps({"revision": revision, "reference": reference}),
                      read_only=True)
        self.log("paid", period, actor, revision=revision, reference=reference)
        return revision

    def paid(self, period: str, revision: int) -> dict[str, Any] | None:
        path = self.period_dir(period) / f"paid-r{revision}.json"
        return _read(path) if path.exists() else None

    def status(self, period: str) -> str:
        revision = self.active_revision(period)
        if revision is None:
            return "voided" if self.revisions(period) else (
                "draft" if (self.period_dir(period) / "draft.json").exists() else "none")
        return "paid" if self.paid(period, revision) else "final"

    # -- drafts, adjustments, costs -------------------------------------------------
    def write_draft(self, period: str, document: dict[str, Any], actor: str = "cli") -> None:
        self.guard(period, "a new draft", actor)
        _write_atomic(self.period_dir(period) / "draft.json",
                      json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1))

    def draft(self, period: str) -> dict[str, Any] | None:
        path = self.period_dir(period) / "draft.json"
        return _read(path) if path.exists() else None

    def add_adjustment(self, adjustment: Adjustment, actor: str = "cli") -> None:
        self.guard(adjustment.period, f"adding adjustment {adjustment.id}", actor)
        if self.active_revision(adjustment.original_period) is None:
            raise LedgerError(f"adjustment {adjustment.id}: {adjustment.original_period} has "
                              "no final statement to correct")
        path = self.root / "adjustments" / f"{adjustment.id}.json"
        if path.exists():
            raise LedgerError(f"adjustment {adjustment.id} already exists")
        _write_atomic(path, json.dumps(asdict(adjustment), ensure_ascii=False), read_only=True)
        self.log("adjust", adjustment.period, actor, adjustment=asdict(adjustment))

    def adjustments(self) -> list[Adjustment]:
        folder = self.root / "adjustments"
        return [Adjustment(**_read(p)) for p in sorted(folder.glob("*.json"))] if (
            folder.is_dir()) else []

    def next_adjustment_id(self, period: str) -> str:
        taken = {a.id for a in self.adjustments()}
        number = 1
        while f"adj-{period}-{number:04d}" in taken:
            number += 1
        return f"adj-{period}-{number:04d}"

    def import_costs(self, costs: list[Cost], actor: str = "cli") -> None:
        for period in sorted({c.period for c in costs}):
            self.guard(period, "importing costs", actor)
        for period in sorted({c.period for c in costs}):
            current = self.costs(period)
            current.update({c.producer_id: [c.production_minor, c.distribution_minor]
                            for c in costs if c.period == period})
            _write_atomic(self.root / "costs" / f"{period}.json",
                          json.dumps(current, sort_keys=True, indent=1))
            self.log("costs", period, actor, producers=len(current))

    def costs(self, period: str) -> dict[str, list[int]]:
        path = self.root / "costs" / f"{period}.json"
        return {k: list(v) for k, v in _read(path).items()} if path.exists() else {}
