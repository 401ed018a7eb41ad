"""The CSV forms of registry files: which columns make which kind of file, and how a
row becomes a record. Errors name the file, the line and the reason."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pahna.csvcells import csv_row, plain_cell
from pahna.errors import ImportFileError
from pahna.parties import Producer, Zone
from pahna.registry.claimbook import ClaimSpec, normalize_value
from pahna.registry.instants import parse_instant
from pahna.registry.metering import MeteringPoint

Record = Producer | Zone | ClaimSpec | MeteringPoint

FORMS: dict[str, tuple[str, ...]] = {
    "zones": ("id", "name", "name_fa", "province"),
    "producers": ("id", "name", "name_fa", "province", "type", "zone", "iban"),
    "claims": ("producer_id", "kind", "value", "valid_from", "valid_to"),
    "metering": ("producer_id", "exporter", "interface", "direction", "valid_from", "valid_to"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {"producers": ("contact", "status", "role"),
                                        "claims": ("content_id",)}


@dataclass(frozen=True)
class Row:
    path: str
    line: int
    form: str
    record: Record


def read_rows(path: Path) -> Iterator[Row]:
    """Rows of a registry CSV file, the form told by its header."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(str(path), 0, f"cannot read: {exc}") from exc
    reader = csv.reader(text.splitlines())
    header = [h.strip() for h in next(reader, [])]
    form = _form_of(str(path), header)
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise ImportFileError(str(path), line,
                                  f"{len(values)} fields where the header has {len(header)}")
        fields = {h: plain_cell(v.strip()) for h, v in zip(header, values, strict=True)}
        try:
            yield Row(str(path), line, form, _PARSERS[form](fields))
        except (ValueError, KeyError) as exc:
            raise ImportFileError(str(path), line, str(exc).strip('"')) from exc


def _form_of(path: str, header: list[str]) -> str:
    for form, columns in FORMS.items():
        allowed = set(columns) | set(OPTIONAL.get(form, ()))
        if set(columns) <= set(header) and set(header) <= allowed:
            return form
    known = "; ".join(f"{form}: {','.join(cols)}" for form, cols in FORMS.items())
    raise ImportFileError(path, 1, f"header {','.join(header)!r} is none of the forms ({known})")


def _until(text: str) -> int | None:
    return parse_instant(text) if text else None


def _int(text: str, name: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{name} {text!r}: expected a whole number")
    return int(text)


def _producer(f: dict[str, str]) -> Producer:
    return Producer(f["id"], f["name"], f["name_fa"], f["province"], f["type"],
                    f["zone"] or None, f["iban"] or None, f.get("contact") or None,
                    f.get("status") or "active", f.get("role") or "producer")


def _claim(f: dict[str, str]) -> ClaimSpec:
    if not f["valid_from"]:
        raise ValueError("valid_from is required")
    return ClaimSpec(f["producer_id"], f["kind"], normalize_value(f["kind"], f["value"]),
                     parse_instant(f["valid_from"]), _until(f["valid_to"]),
                     f.get("content_id") or None)


def _metering(f: dict[str, str]) -> MeteringPoint:
    if not f["valid_from"]:
        raise ValueError("valid_from is required")
    return MeteringPoint(f["producer_id"], f["exporter"], _int(f["interface"], "interface"),
                         f["direction"], parse_instant(f["valid_from"]), _until(f["valid_to"]))


_PARSERS: dict[str, Callable[[dict[str, str]], Record]] = {
    "zones": lambda f: Zone(f["id"], f["name"], f["name_fa"], f["province"]),
    "producers": _producer,
    "claims": _claim,
    "metering": _metering,
}


def write_csv(path: Path, form: str, rows: list[list[str]]) -> None:
    """Write one form's rows under its header (atomically: temp file, then rename)."""
    temp = path.with_name(path.name + ".part")
    with temp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([*FORMS[form], *OPTIONAL.get(form, ())])
        writer.writerows(csv_row(row) for row in rows)
    temp.replace(path)
