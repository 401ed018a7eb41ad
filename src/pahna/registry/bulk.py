"""Bulk import and export of the registry in its CSV forms (see `csvforms`).

An import reads and checks every file first, then applies everything in one
transaction: zones, producers, claims, metering points. Any error (a malformed line, an
unknown province, a conflicting claim) refuses the whole import and the registry stays as
it was; the error names the file, the line and the reason. Re-importing an unchanged row
changes nothing; a claim row equal to a recorded open claim except for `valid_to` ends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.errors import ClosedPeriodError, ImportFileError, InvalidValueError, RegistryError
from pahna.parties import Producer, Zone
from pahna.registry.claimbook import ClaimBook, ClaimSpec
from pahna.registry.claims import close_claim, list_claims, load_book, put_claim
from pahna.registry.closures import registry_change
from pahna.registry.csvforms import Row, read_rows, write_csv
from pahna.registry.instants import format_instant
from pahna.registry.metering import MeteringPoint, list_points, put_point
from pahna.registry.models import ClaimRow
from pahna.registry.producers import list_producers, list_zones, put_producer, put_zone

ORDER = ("zones", "producers", "claims", "metering")


@dataclass(frozen=True)
class ImportSummary:
    rows: int
    changed: int


def import_files(engine: Engine, paths: Sequence[Path], approve_nested: bool = False,
                 actor: str = "cli") -> ImportSummary:
    """Apply registry CSV files, all or nothing."""
    rows = [row for path in paths for row in read_rows(path)]
    rows.sort(key=lambda r: ORDER.index(r.form))
    changed = 0
    with registry_change(engine, actor) as session:
        book = load_book(session)
        for row in rows:
            try:
                changed += _apply(session, book, row, approve_nested, actor)
                session.flush()
            except ClosedPeriodError as exc:
                raise ClosedPeriodError(exc.period, exc.revision,
                                        f"{row.path}:{row.line}: {exc.attempt}") from exc
            except (RegistryError, InvalidValueError) as exc:
                session.rollback()
                if isinstance(exc, ImportFileError):
                    raise
                raise ImportFileError(row.path, row.line, str(exc)) from exc
        session.commit()
    return ImportSummary(len(rows), changed)


def _apply(session: Session, book: ClaimBook, row: Row, approve_nested: bool,
           actor: str) -> bool:
    record = row.record
    if isinstance(record, Zone):
        return put_zone(session, record, actor)
    if isinstance(record, Producer):
        return put_producer(session, record, actor)
    if isinstance(record, MeteringPoint):
        return put_point(session, record, actor)
    return _apply_claim(session, book, record, approve_nested, actor)


def _apply_claim(session: Session, book: ClaimBook, claim: ClaimSpec, approve_nested: bool,
                 actor: str) -> bool:
    same = session.scalars(select(ClaimRow).where(
        ClaimRow.producer_id == claim.producer_id, ClaimRow.kind == claim.kind,
        ClaimRow.value == claim.value, ClaimRow.valid_from_ms == claim.valid_from_ms)).first()
    if same is None:
        put_claim(session, book, claim, approve_nested, actor)
        return True
    if same.valid_to_ms == claim.valid_to_ms:
        return False
    if same.valid_to_ms is not None or claim.valid_to_ms is None:
        raise RegistryError(f"{claim.describe()} from {format_instant(claim.valid_from_ms)} "
                            "is recorded with another end; a claim's end cannot move")
    close_claim(session, same, claim.valid_to_ms, actor)
    return True


def export_files(engine: Engine, folder: Path) -> list[Path]:
    """Write zones.csv, producers.csv, claims.csv and metering.csv into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "zones": [[z.id, z.name, z.name_fa, z.province] for z in list_zones(engine)],
        "producers": [[p.id, p.name, p.name_fa, p.province, p.type, p.zone or "",
                       p.iban or "", p.contact or "", p.status, p.role]
                      for p in list_producers(engine)],
        "claims": [[c.spec.producer_id, c.spec.kind, c.spec.value,
                    format_instant(c.spec.valid_from_ms), format_instant(c.spec.valid_to_ms),
                    c.spec.content_id or ""]
                   for c in list_claims(engine)],
        "metering": [[m.producer_id, m.exporter, str(m.interface), m.direction,
                      format_instant(m.valid_from_ms), format_instant(m.valid_to_ms)]
                     for m in list_points(engine)],
    }
    paths = []
    for form in ORDER:
        path = folder / f"{form}.csv"
        write_csv(path, form, tables[form])
        paths.append(path)
    return paths
