"""What a month is settled from, besides its raw flows: kept whole in every final.

    rules        the registry's attribution rules in force over the month's window
                 (claims, AS numbers, host names, metering points, domestic lists), as
                 `registry.rules.rules_snapshot` writes them
    producers    every producer record as it stood (status included)
    tariff       the whole tariff document in force
    costs        production and distribution costs per producer (minor units)
    adjustments  the adjustments the month carries
    carried      balances carried in from earlier finals (settle.balances)
    hosting      the hosting list versions in force over the month (integrity), with
                 each one's sha256; only when there are some
    previous_sent bytes each producer sent in the previous final month (integrity's
                 growth signal); only when the tariff has an integrity policy

A final records its basis and seals its digest, so `verify`, `explain` and the portal
replay a final month from exactly this, whatever the registry, tariffs, costs or
adjustments hold later.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from pahna.integrity.hosting import HostingVersion
from pahna.parties import Producer
from pahna.settle.adjustments import Adjustment
from pahna.settle.balances import Carry
from pahna.settle.tariffs import Tariff

BASIS_FORMAT = 1


@dataclass(frozen=True)
class Basis:
    rules: dict[str, Any]
    producers: tuple[Producer, ...]
    tariff: Tariff
    costs: dict[str, int] = field(default_factory=dict)
    adjustments: tuple[Adjustment, ...] = ()
    carried: dict[str, tuple[Carry, ...]] = field(default_factory=dict)
    hosting: tuple[HostingVersion, ...] = ()
    previous_sent: dict[str, int] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """Plain JSON (what a final keeps under "basis"); integrity's parts only when
        there are some, so a basis without them keeps its earlier digest."""
        extra: dict[str, Any] = {}
        if self.hosting:
            extra["hosting"] = [v.entry() for v in self.hosting]
        if self.previous_sent:
            extra["previous_sent"] = dict(sorted(self.previous_sent.items()))
        return {**extra, "format": BASIS_FORMAT, "rules": self.rules,
                "producers": [asdict(p) for p in self.producers],
                "tariff": self.tariff.document(),
                "costs": dict(sorted(self.costs.items())),
                "adjustments": [asdict(a) for a in self.adjustments],
                "carried": {pid: [asdict(c) for c in carries]
                            for pid, carries in sorted(self.carried.items())}}

    @property
    def digest(self) -> str:
        return basis_digest(self.document())

    @classmethod
    def from_document(cls, data: dict[str, Any]) -> Basis:
        return cls(data["rules"], tuple(Producer(**p) for p in data["producers"]),
                   Tariff.model_validate(data["tariff"]), dict(data["costs"]),
                   tuple(Adjustment(**a) for a in data["adjustments"]),
                   {pid: tuple(Carry(**c) for c in carries)
                    for pid, carries in data["carried"].items()},
                   tuple(HostingVersion.from_entry(v) for v in data.get("hosting", ())),
                   {pid: int(v) for pid, v in data.get("previous_sent", {}).items()})


def basis_digest(document: dict[str, Any]) -> str:
    """sha256 of a basis document's canonical JSON (sorted keys, no whitespace)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
