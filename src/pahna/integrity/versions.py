"""Hosting list versions kept in the workspace: `HOME/integrity/hosting/vN.json`, one file
per imported version, created once and read-only.

Versions are imported in time order; each is in force from its `valid_from_ms` until the
next one's. A version whose validity would reach into a final month is refused (and the
refusal logged), as a registry change would be: a final keeps the versions it was
settled with in its basis, and `verify` checks that each still says what it said then.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pahna.calendar import JalaliMonth
from pahna.errors import ClosedPeriodError, RegistryError
from pahna.integrity.hosting import HostingVersion, ordered, read_hosting_file
from pahna.ledger.book import Ledger, create_record
from pahna.workspace import Workspace


def hosting_dir(workspace: Workspace) -> Path:
    return workspace.home / "integrity" / "hosting"


def _stored(workspace: Workspace) -> list[dict[str, Any]]:
    folder = hosting_dir(workspace)
    if not folder.is_dir():
        return []
    records = [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("v*.json")]
    return sorted(records, key=lambda r: int(r["version"]))


def hosting_versions(workspace: Workspace) -> list[HostingVersion]:
    """Every imported version, oldest first, each ending where the next begins."""
    records = _stored(workspace)
    ends: list[int | None] = [int(r["valid_from_ms"]) for r in records[1:]]
    return [HostingVersion(int(r["version"]), int(r["valid_from_ms"]), end,
                           tuple(str(p) for p in r["prefixes"]),
                           tuple(int(a) for a in r["asns"]), str(r.get("source", "")))
            for r, end in zip(records, [*ends, None][:len(records)], strict=True)]


def versions_in(workspace: Workspace, window: tuple[int, int]) -> tuple[HostingVersion, ...]:
    """The versions in force at some instant of [start, end)."""
    return tuple(v for v in hosting_versions(workspace)
                 if v.valid_from_ms < window[1]
                 and (v.valid_to_ms is None or v.valid_to_ms > window[0]))


def _refuse_closed(workspace: Workspace, valid_from_ms: int, actor: str) -> None:
    ledger = Ledger(workspace.home)
    for record in ledger.finals_in_force():
        if JalaliMonth.parse(record["period"]).end_ms > valid_from_ms:
            attempt = f"a hosting list version in force from {valid_from_ms} ms"
            ledger.log("refused", record["period"], actor, attempt=f"importing {attempt}")
            raise ClosedPeriodError(record["period"], int(record["revision"]), attempt)


def import_hosting(workspace: Workspace, paths: list[Path], valid_from_ms: int,
                   actor: str = "cli") -> HostingVersion:
    """Record the prefixes and AS numbers of `paths` as the next version, in force from
    `valid_from_ms` (later than the latest version's start, and after every final month)."""
    prefixes, asns = set[str](), set[int]()
    for path in paths:
        found = read_hosting_file(path)
        prefixes.update(found[0])
        asns.update(found[1])
    if not prefixes and not asns:
        raise RegistryError(f"{', '.join(map(str, paths))}: no prefixes or AS numbers")
    current = hosting_versions(workspace)
    if current and current[-1].valid_from_ms >= valid_from_ms:
        raise RegistryError("hosting list versions are imported in time order; the latest "
                            f"is in force from {current[-1].valid_from_ms} ms")
    _refuse_closed(workspace, valid_from_ms, actor)
    version = HostingVersion(len(current) + 1, valid_from_ms, None, ordered(prefixes),
                             tuple(sorted(asns)), ", ".join(p.name for p in paths))
    create_record(hosting_dir(workspace) / f"v{version.version}.json",
                  {**version.entry(), "imported_at_ms": time.time_ns() // 1_000_000,
                   "actor": actor}, "a hosting list version")
    Ledger(workspace.home).log("hosting import", "-", actor, version=version.version,
                               valid_from_ms=valid_from_ms, sha256=version.sha256,
                               prefixes=len(version.prefixes), asns=len(version.asns))
    return version


def changed_versions(workspace: Workspace, sealed: list[dict[str, Any]]) -> list[str]:
    """Each sealed version whose file in the workspace no longer says what it said when
    the final was sealed (or is gone)."""
    now = {v.version: v for v in hosting_versions(workspace)}
    problems = []
    for entry in sealed:
        number = int(entry["version"])
        current = now.get(number)
        if HostingVersion.from_entry(entry).sha256 != entry["sha256"]:
            problems.append(f"hosting list v{number} in the final's basis was altered (its "
                            "prefixes or AS numbers no longer hash to its sealed sha256)")
        elif current is None:
            problems.append(f"hosting list v{number}, sealed with the final, is gone")
        elif current.sha256 != entry["sha256"] or current.valid_from_ms != entry[
                "valid_from_ms"]:
            problems.append(f"hosting list v{number} was changed after finalizing (sealed "
                            f"sha256 {str(entry['sha256'])[:16]}…, now "
                            f"{current.sha256[:16]}…)")
    return problems
