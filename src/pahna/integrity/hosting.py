"""Hosting and data-centre address space: effective-dated, versioned lists of prefixes and
AS numbers whose clients are machines a producer can rent, not an audience.

A list file holds one entry a line: a CIDR prefix (IPv4 or IPv6) or an AS number written
`AS64500`; `#` starts a comment. A version is in force from its `valid_from_ms` until the
next version's (the last one is open-ended). A final keeps the versions in force over its
month (`HostingVersion.entry`) in its basis, each with the sha256 of what it says, so the
month replays with exactly the list it was settled with.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pahna.errors import ImportFileError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class HostingVersion:
    version: int
    valid_from_ms: int
    valid_to_ms: int | None
    prefixes: tuple[str, ...]
    asns: tuple[int, ...]
    source: str = ""

    @property
    def sha256(self) -> str:
        """sha256 of what the version says (its terms, not its validity's end)."""
        text = json.dumps({"version": self.version, "valid_from_ms": self.valid_from_ms,
                           "prefixes": list(self.prefixes), "asns": list(self.asns)},
                          sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def entry(self) -> dict[str, Any]:
        """Plain JSON, as a final's basis keeps it."""
        return {"version": self.version, "valid_from_ms": self.valid_from_ms,
                "valid_to_ms": self.valid_to_ms, "prefixes": list(self.prefixes),
                "asns": list(self.asns), "source": self.source, "sha256": self.sha256}

    @classmethod
    def from_entry(cls, data: dict[str, Any]) -> HostingVersion:
        return cls(int(data["version"]), int(data["valid_from_ms"]),
                   None if data["valid_to_ms"] is None else int(data["valid_to_ms"]),
                   tuple(data["prefixes"]), tuple(int(a) for a in data["asns"]),
                   str(data.get("source", "")))


def read_hosting_file(path: Path) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """(prefixes, AS numbers) of a list file, each sorted and without duplicates."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(str(path), 0, f"cannot read: {exc}") from exc
    networks: set[Network] = set()
    asns: set[int] = set()
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if text.upper().startswith("AS"):
            digits = text[2:]
            if not digits.isdigit() or not 0 < int(digits) < 2**32:
                raise ImportFileError(str(path), number, f"{text!r} is not an AS number")
            asns.add(int(digits))
            continue
        try:
            networks.add(ipaddress.ip_network(text))
        except ValueError as exc:
            raise ImportFileError(str(path), number, str(exc)) from exc
    return ordered(str(n) for n in networks), tuple(sorted(asns))


def ordered(prefixes: Iterable[str]) -> tuple[str, ...]:
    """Prefixes in address order (IPv4 first), each once."""
    networks = {ipaddress.ip_network(p) for p in prefixes}
    return tuple(str(n) for n in sorted(
        networks, key=lambda n: (n.version, int(n.network_address), n.prefixlen)))
