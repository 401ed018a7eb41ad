"""The ledger's files: one writer per period at a time (its lock), atomic writes,
finals and other records created exclusively and read-only, a log of refusals."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pahna.errors import ImmutableStatementError, LedgerError
from pahna.ledger.durable import create_exclusive
from pahna.ledger.durable import write_atomic as _write_atomic
from pahna.ledger.locks import period_lock
from pahna.settle.adjustments import Adjustment
from pahna.settle.balances import Carry
from pahna.settle.costs import Cost


def create_record(path: Path, record: dict[str, Any], what: str) -> None:
    """Create a ledger record exclusively (durable.create_exclusive), read-only."""
    try:
        create_exclusive(path, json.dumps(record, ensure_ascii=False, sort_keys=True,
                                          indent=1))
    except FileExistsError as exc:
        raise ImmutableStatementError(f"{path.name} exists; {what} is never rewritten"
                                      ) from exc


def _read(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LedgerError(f"{path}: unreadable ledger record: {exc}") from exc
    return data


class Ledger:
    def __init__(self, home: Path) -> None:
        self.root = home / "ledger"

    def lock(self, period: str, what: str) -> AbstractContextManager[None]:
        """Hold `period`'s lock (ledger.locks): PeriodBusyError if another holds it."""
        return period_lock(self.root, period, what)

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

    def next_revision(self, period: str) -> int:
        return (self.revisions(period) or [0])[-1] + 1

    def periods(self) -> list[str]:
        """Every period with a folder in the ledger, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]")
                      if p.is_dir())

    def finals_in_force(self) -> Iterator[dict[str, Any]]:
        """The final record in force of every period that has one, oldest period first."""
        for period in self.periods():
            if self.active_revision(period) is not None:
                yield self.final(period)

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

    def write_final(self, period: str, record: dict[str, Any], actor: str = "cli",
                    revision: int | None = None) -> int:
        """Keep `record` as the period's next final revision: created exclusively (never
        over another), read-only, fsynced with its folder, under the period's lock."""
        with self.lock(period, "finalize"):
            self.guard(period, "finalize", actor)
            expected = self.next_revision(period)
            if revision is not None and revision != expected:
                raise self.refuse(period, f"finalize as revision {revision} (next is "
                                  f"{expected})", actor)
            path = self.final_path(period, expected)
            record = {**record, "revision": expected}
            try:
                create_record(path, record, "a final")
            except ImmutableStatementError as exc:
                raise self.refuse(period, f"overwrite {path.name}", actor) from exc
            self.log("finalize", period, actor, revision=expected,
                     content_hash=record["seal"]["content_hash"])
            return expected

    def final(self, period: str, revision: int | None = None) -> dict[str, Any]:
        revision = revision or self.active_revision(period)
        if revision is None:
            raise LedgerError(f"{period} has no final statement in force; run "
                              f"`pahna settle finalize --period {period}` first")
        return _read(self.final_path(period, revision))

    def void(self, period: str, reason: str, actor: str = "cli") -> int:
        """Void the final in force (kept beside its void record). Refused once it was
        paid or exported for payment, or when a later final carried its balances."""
        with self.lock(period, "void"):
            revision = self.active_revision(period)
            if revision is None:
                raise LedgerError(f"{period} has no final statement in force to void")
            if self.paid(period, revision) is not None:
                raise self.refuse(period, f"void of paid revision {revision}", actor)
            if (self.period_dir(period) / f"exported-r{revision}.json").exists():
                raise self.refuse(period, f"void of revision {revision}, exported for "
                                  "payment", actor)
            takers = self.carried_by(period, revision)
            if takers:
                raise self.refuse(period, f"void of revision {revision}, whose balances "
                                  f"{', '.join(takers)} carried forward", actor)
            create_record(self.period_dir(period) / f"void-r{revision}.json",
                    {"revision": revision, "reason": reason, "actor": actor}, "a void")
            self.log("void", period, actor, revision=revision, reason=reason)
            return revision

    def mark_paid(self, period: str, reference: str, actor: str = "cli") -> int:
        with self.lock(period, "payment"):
            revision = self.active_revision(period)
            if revision is None:
                raise LedgerError(f"{period} has no final statement in force to pay")
            if self.paid(period, revision) is not None:
                raise self.refuse(period, f"paying revision {revision} twice", actor)
            create_record(self.period_dir(period) / f"paid-r{revision}.json",
                    {"revision": revision, "reference": reference}, "a payment")
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
        with self.lock(period, "a new draft"):
            self.guard(period, "a new draft", actor)
            _write_atomic(self.period_dir(period) / "draft.json",
                          json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1))

    def draft(self, period: str) -> dict[str, Any] | None:
        path = self.period_dir(period) / "draft.json"
        return _read(path) if path.exists() else None

    def add_adjustment(self, adjustment: Adjustment, actor: str = "cli") -> None:
        with self.lock(adjustment.period, "an adjustment"):
            self.guard(adjustment.period, f"adding adjustment {adjustment.id}", actor)
            if self.active_revision(adjustment.original_period) is None:
                raise LedgerError(f"adjustment {adjustment.id}: {adjustment.original_period} "
                                  "has no final statement to correct")
            path = self.root / "adjustments" / f"{adjustment.id}.json"
            try:
                create_exclusive(path, json.dumps(asdict(adjustment), ensure_ascii=False))
            except FileExistsError as exc:
                raise LedgerError(f"adjustment {adjustment.id} already exists") from exc
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
        """Costs of open periods, all or none (each period's lock held meanwhile)."""
        periods = sorted({c.period for c in costs})
        self._import_costs(periods, costs, actor)

    def _import_costs(self, periods: list[str], costs: list[Cost], actor: str) -> None:
        if periods:
            with self.lock(periods[0], "importing costs"):
                self.guard(periods[0], "importing costs", actor)
                self._import_costs(periods[1:], costs, actor)
            return
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

    # -- balances carried between statements (settle.balances) --------------------
    def _consumed(self, skip: str | None = None) -> set[tuple[str, str, int]]:
        """(producer, period, revision) of every carry a final in force took in."""
        return {(line["producer_id"], c["period"], c["revision"])
                for record in self.finals_in_force() if record["period"] != skip
                for line in record["settlement"]["lines"] for c in line.get("carried", ())}

    def carried_into(self, period: str) -> dict[str, tuple[Carry, ...]]:
        """Per producer, the balances earlier finals in force carried forward that no
        final in force has taken in yet: what `period`'s statement carries in."""
        consumed = self._consumed(skip=period)
        out: dict[str, list[Carry]] = {}
        for record in self.finals_in_force():
            if record["period"] >= period:
                continue
            for line in record["settlement"]["lines"]:
                amount = int(line.get("carried_out_minor", 0))
                key = (line["producer_id"], record["period"], int(record["revision"]))
                if amount and key not in consumed:
                    out.setdefault(key[0], []).append(Carry(key[1], key[2], amount))
        return {pid: tuple(carries) for pid, carries in sorted(out.items())}

    def carried_by(self, period: str, revision: int) -> list[str]:
        """The finals in force that took in a balance `period` rN carried forward."""
        return sorted({f"{record['period']} r{record['revision']}"
                       for record in self.finals_in_force() if record["period"] != period
                       for line in record["settlement"]["lines"]
                       for c in line.get("carried", ())
                       if (c["period"], c["revision"]) == (period, revision)})
