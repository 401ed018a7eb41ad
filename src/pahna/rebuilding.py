"""Wiring of `pahna statements rebuild`: a final's statement files written again from its
sealed record, in the CSV layout it was sealed with (report.statements.final_layout),
under the month's lock, with the names that were missing or differed logged (like
`settlement.py`, it holds no rules of its own)."""

from __future__ import annotations

from pathlib import Path

from pahna.calendar import JalaliMonth
from pahna.ledger.book import Ledger
from pahna.report.statements import final_layout, publish_statements
from pahna.settle.document import from_document
from pahna.workspace import Workspace


def rebuild_statements(workspace: Workspace, period: str, actor: str = "cli"
                       ) -> tuple[list[Path], list[str]]:
    """Write the final's statement files again from its record: (paths, the names that
    were missing or differed)."""
    period = str(JalaliMonth.parse(period))
    ledger = Ledger(workspace.home)
    with ledger.lock(period, "statements rebuild"):
        record = ledger.final(period)
        revision = int(record["revision"])
        folder = workspace.statements_dir(period) / f"final-r{revision}"
        before = {name: path.read_bytes() for name, path in _statement_files(folder)}
        paths = publish_statements(from_document(record["settlement"]), folder,
                                   f"final-r{revision}", record["seal"]["content_hash"],
                                   final_layout(record))
        repaired = sorted(name for name, path in _statement_files(folder)
                          if before.get(name) != path.read_bytes())
        ledger.log("statements rebuild", period, actor, revision=revision, repaired=repaired)
    return paths, repaired


def _statement_files(folder: Path) -> list[tuple[str, Path]]:
    """(path relative to `folder`, path) of every statement file under a period's folder."""
    if not folder.is_dir():
        return []
    return sorted((p.relative_to(folder).as_posix(), p) for p in folder.rglob("*")
                  if p.is_file())
