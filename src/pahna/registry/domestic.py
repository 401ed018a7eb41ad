"""Domestic address lists: CIDR lists and RIR delegated-stats files, effective-dated.

A list version is in force over [valid_from, valid_to). Importing a new version from
instant T closes the version in force at T, so any month is classified with the list
in force then. Nothing is deleted.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.errors import ImportFileError, RegistryError
from pahna.registry.audit import record
from pahna.registry.closures import guard_change, registry_change
from pahna.registry.instants import format_instant
from pahna.registry.models import DomesticListRow, DomesticPrefixRow

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_DELEGATED_STATUSES = {"allocated", "assigned"}


@dataclass(frozen=True)
class DomesticList:
    id: int
    source: str
    networks: list[Network]
    valid_from_ms: int
    valid_to_ms: int | None


def read_address_file(path: Path, country: str = "IR") -> list[Network]:
    """Networks in a CIDR list (one per line, # comments) or a delegated-stats file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(str(path), 0, f"cannot read: {exc}") from exc
    delegated = any("|" in line for line in lines[:50] if not line.startswith("#"))
    out: list[Network] = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            out += _delegated_line(text, country) if delegated else [ipaddress.ip_network(text)]
        except ValueError as exc:
            raise ImportFileError(str(path), number, str(exc)) from exc
    return out


def _delegated_line(text: str, country: str) -> list[Network]:
    """registry|cc|type|start|value|date|status[|extensions]; other lines give nothing."""
    fields = text.split("|")
    if len(fields) < 7 or fields[1] in ("*", "") or fields[1].upper() != country:
        if len(fields) < 6:
            raise ValueError(f"not a delegated-stats line (registry|cc|type|start|value|"
                             f"date|status): {text!r}")
        return []  # the version line, summaries and other countries
    kind, start, value, status = fields[2], fields[3], fields[4], fields[6]
    if status.lower() not in _DELEGATED_STATUSES:
        return []
    if kind == "ipv4":
        first = ipaddress.IPv4Address(start)
        last = first + (int(value) - 1)
        return list(ipaddress.summarize_address_range(first, last))
    if kind == "ipv6":
        return [ipaddress.IPv6Network(f"{start}/{int(value)}")]
    return []


def import_domestic(engine: Engine, paths: Sequence[Path], valid_from_ms: int,
                    actor: str = "cli") -> DomesticList:
    """Record the networks of `paths` as one list version in force from `valid_from_ms`."""
    networks = sorted({n for p in paths for n in read_address_file(p)},
                      key=lambda n: (n.version, int(n.network_address), n.prefixlen))
    if not networks:
        raise RegistryError(f"{', '.join(map(str, paths))}: no IR address blocks found")
    source = ", ".join(p.name for p in paths)
    with registry_change(engine, actor) as session:
        guard_change(session, valid_from_ms, None,
                     f"a domestic list version from {format_instant(valid_from_ms)}")
        later = _versions(session, lambda r: r.valid_from_ms >= valid_from_ms)
        if later:
            raise RegistryError(f"a domestic list is already in force from "
                                f"{later[0].valid_from_ms} ms; import versions in time order")
        for row in _versions(session, lambda r: r.valid_to_ms is None or
                             r.valid_to_ms > valid_from_ms):
            record(session, actor, "domestic.end", f"domestic:{row.id}",
                   before={"valid_to_ms": row.valid_to_ms}, after={"valid_to_ms": valid_from_ms})
            row.valid_to_ms = valid_from_ms
        row = DomesticListRow(source=source, valid_from_ms=valid_from_ms, valid_to_ms=None,
                              imported_at_ms=time.time_ns() // 1_000_000)
        session.add(row)
        session.flush()
        session.add_all(DomesticPrefixRow(list_id=row.id, prefix=str(n)) for n in networks)
        record(session, actor, "domestic.import", f"domestic:{row.id}",
               after={"source": source, "valid_from_ms": valid_from_ms, "prefixes": len(networks)})
        session.commit()
        return DomesticList(row.id, source, networks, valid_from_ms, None)


def _versions(session: Session, keep: object) -> list[DomesticListRow]:
    rows = session.scalars(select(DomesticListRow).order_by(DomesticListRow.valid_from_ms))
    return [r for r in rows if keep(r)]  # type: ignore[operator]


def domestic_lists(engine: Engine) -> list[DomesticList]:
    """Every list version with its networks, oldest first."""
    with Session(engine) as session:
        lists = list(session.scalars(select(DomesticListRow)
                                     .order_by(DomesticListRow.valid_from_ms)))
        prefixes: dict[int, list[Network]] = {r.id: [] for r in lists}
        for p in session.scalars(select(DomesticPrefixRow)):
            prefixes[p.list_id].append(ipaddress.ip_network(p.prefix))
        return [DomesticList(r.id, r.source, prefixes[r.id], r.valid_from_ms, r.valid_to_ms)
                for r in lists]
